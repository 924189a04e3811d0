//! Builders of the resources we write back to the registry: a `Communication`
//! per message sent or received, a `QuestionnaireResponse` per flow run, and
//! the ids of emNutt-style per-recipient results. Every id is derived from
//! our own uuids, so writing the same thing twice is an idempotent PUT.
//! Output is valid R4 (strict servers accept it), unlike today's emNutt.

use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

use super::resources::{
    CodeableConcept, Coding, Communication, Extension, Identifier, Meta, Payload, QuestionnaireResponse,
    QuestionnaireResponseAnswer, QuestionnaireResponseItem, Reference,
};
use crate::core::msg::{Direction, MsgStatus};

pub const COMMUNICATION_PROFILE: &str = "http://mhero.org/fhir/StructureDefinition/mhero-communication";
/// iHRIS's "Inbox Messages" report selects Communications in this category.
pub const MESSAGE_CATEGORY_SYSTEM: &str = "http://ihris.org/fhir/CodeSystem/message-category";
pub const INBOX_CODE: &str = "inbox";
/// Canonical base under which a flow is named as a Questionnaire.
pub const QUESTIONNAIRE_BASE: &str = "http://mhero.org/fhir/Questionnaire/";
/// R4's `QuestionnaireResponse.basedOn` admits only CarePlan and
/// ServiceRequest; the request a run answers is linked by the core
/// `event-basedOn` extension (Reference(Any)) instead, so the resource stays
/// valid where strict servers check reference targets.
pub const EVENT_BASED_ON_EXTENSION: &str = "http://hl7.org/fhir/StructureDefinition/event-basedOn";
/// Identifier system of a run's uuid (`urn:uuid:<run uuid>`): the
/// `QuestionnaireResponse` is found by it as well as by its id.
pub const URI_SYSTEM: &str = "urn:ietf:rfc:3986";
/// Core extension giving a `canonical` the display text a reader shows for
/// it (R4 `display`): the flow's name on `QuestionnaireResponse.questionnaire`,
/// whose last segment is also the id of the flow's `Basic` mhero-workflows.
pub const DISPLAY_EXTENSION: &str = "http://hl7.org/fhir/StructureDefinition/display";
/// `linkId` suffix of the nested item carrying a result's category.
pub const CATEGORY_LINK_SUFFIX: &str = "/category";

/// UUIDv5 namespace of every id we derive; fixed forever, or re-runs would
/// write duplicates instead of overwriting. (The bytes spell "mhero-fhir-ns-v1".)
pub const ID_NAMESPACE: Uuid = Uuid::from_u128(0x6d68_6572_6f2d_6668_6972_2d6e_732d_7631);

fn derived_id(kind: &str, key: &str) -> String {
    Uuid::new_v5(&ID_NAMESPACE, format!("{kind}:{key}").as_bytes()).to_string()
}

/// Id of the `Communication` for our message `msg_uuid`.
pub fn communication_id(msg_uuid: Uuid) -> String {
    derived_id("Communication", &msg_uuid.to_string())
}

/// Id of the per-recipient result of `request_id` for `recipient` (`Practitioner/P1`).
pub fn result_id(request_id: &str, recipient: &str) -> String {
    derived_id("CommunicationRequest", &format!("{request_id}|{recipient}"))
}

/// Id of the `QuestionnaireResponse` of a run: the run uuid itself, as emNutt
/// writes it, so iHRIS's join of run ↔ response keeps working.
pub fn questionnaire_response_id(run_uuid: Uuid) -> String {
    run_uuid.to_string()
}

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// One message, as the dispatcher knows it.
#[derive(Debug, Clone)]
pub struct MessageRecord {
    pub msg_uuid: Uuid,
    pub direction: Direction,
    pub status: MsgStatus,
    pub text: String,
    /// The health worker's registry id (`Practitioner/<id>`).
    pub practitioner_id: String,
    /// When it was sent (out) or received (in).
    pub at: DateTime<Utc>,
    /// The `CommunicationRequest` that caused it, if any.
    pub request_id: Option<String>,
    /// For a reply: our uuid of the message it answers.
    pub in_response_to: Option<Uuid>,
}

/// R4 `Communication.status` for a message status.
fn communication_status(direction: Direction, status: MsgStatus) -> &'static str {
    match (direction, status) {
        (Direction::In, _) => "completed",
        (
            Direction::Out,
            MsgStatus::Sent | MsgStatus::Delivered | MsgStatus::Handled | MsgStatus::Pending,
        ) => "completed",
        (Direction::Out, MsgStatus::Queued | MsgStatus::Wired | MsgStatus::Errored) => "in-progress",
        // Held by its broadcast's pause: R4's "on-hold".
        (Direction::Out, MsgStatus::Paused) => "on-hold",
        // Never handed to a carrier: R4's "terminated prior to any activity".
        (Direction::Out, MsgStatus::Failed | MsgStatus::Cancelled) => "not-done",
    }
}

/// The `Communication` for a message. An inbound message with no request and
/// no question it answers is an unsolicited one: it gets iHRIS's inbox category.
pub fn communication(msg: &MessageRecord) -> Communication {
    let worker = Reference::to("Practitioner", &msg.practitioner_id);
    let mut c = Communication {
        id: Some(communication_id(msg.msg_uuid)),
        meta: Some(Meta::with_profile(COMMUNICATION_PROFILE)),
        status: Some(communication_status(msg.direction, msg.status).to_string()),
        based_on: msg
            .request_id
            .iter()
            .map(|id| Reference::to("CommunicationRequest", id))
            .collect(),
        in_response_to: msg
            .in_response_to
            .iter()
            .map(|q| Reference::to("Communication", &communication_id(*q)))
            .collect(),
        payload: vec![Payload::text(&msg.text)],
        ..Communication::default()
    };
    match msg.direction {
        Direction::Out => {
            c.recipient = vec![worker];
            c.sent = Some(instant(msg.at));
        }
        Direction::In => {
            c.sender = Some(worker);
            c.received = Some(instant(msg.at));
            if msg.request_id.is_none() && msg.in_response_to.is_none() {
                c.category = vec![CodeableConcept::coded(Coding::new(
                    MESSAGE_CATEGORY_SYSTEM,
                    INBOX_CODE,
                    Some("Inbox"),
                ))];
            }
        }
    }
    c
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Active,
    Completed,
    Interrupted,
    Expired,
}

/// One answer of a run: the question (a send_msg action) and the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunAnswer {
    /// The send_msg action uuid, stable across runs of the same flow.
    pub link_id: String,
    pub question: Option<String>,
    /// `None` when the question went unanswered.
    pub answer: Option<String>,
    /// The category the flow put the answer in (`Confirmed`, `Other`, ...).
    pub category: Option<String>,
}

/// One flow run, as the dispatcher knows it.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub run_uuid: Uuid,
    pub flow_uuid: String,
    pub practitioner_id: String,
    pub request_id: Option<String>,
    pub created_on: DateTime<Utc>,
    pub status: RunStatus,
    pub answers: Vec<RunAnswer>,
}

/// The `QuestionnaireResponse` of a run: emNutt's shape (id = run uuid, one
/// item per result) plus what R4 readers look for: the run uuid as
/// identifier, subject/source = the worker, questionnaire = the flow's
/// canonical, and the request it answers (see [`EVENT_BASED_ON_EXTENSION`]).
/// A result's category is a nested item under its answer.
pub fn questionnaire_response(run: &RunRecord) -> QuestionnaireResponse {
    let worker = Reference::to("Practitioner", &run.practitioner_id);
    let status = match run.status {
        RunStatus::Active => "in-progress",
        RunStatus::Completed => "completed",
        RunStatus::Interrupted | RunStatus::Expired => "stopped",
    };
    QuestionnaireResponse {
        id: Some(questionnaire_response_id(run.run_uuid)),
        identifier: Some(Identifier::new(URI_SYSTEM, &format!("urn:uuid:{}", run.run_uuid))),
        extension: run
            .request_id
            .iter()
            .map(|id| {
                Extension::reference(
                    EVENT_BASED_ON_EXTENSION,
                    &Reference::to("CommunicationRequest", id),
                )
            })
            .collect(),
        questionnaire: Some(format!("{QUESTIONNAIRE_BASE}{}", run.flow_uuid)),
        status: Some(status.to_string()),
        subject: Some(worker.clone()),
        source: Some(worker),
        authored: Some(instant(run.created_on)),
        item: run.answers.iter().map(answer_item).collect(),
        ..QuestionnaireResponse::default()
    }
}

/// Name the flow a response answers: the `display` extension on the
/// `questionnaire` canonical (`_questionnaire` in JSON), so a reader that
/// cannot resolve the canonical still shows "Ministry Poll".
pub fn name_questionnaire(response: &mut QuestionnaireResponse, flow_name: &str) {
    let display = Extension::string(DISPLAY_EXTENSION, flow_name);
    let element = serde_json::json!({ "extension": [display] });
    response.extra.insert("_questionnaire".into(), element);
}

/// The flow name a response carries, if any (see [`name_questionnaire`]).
pub fn questionnaire_name(response: &QuestionnaireResponse) -> Option<&str> {
    response
        .extra
        .get("_questionnaire")?
        .get("extension")?
        .as_array()?
        .iter()
        .find(|e| e.get("url").and_then(|u| u.as_str()) == Some(DISPLAY_EXTENSION))?
        .get("valueString")?
        .as_str()
}

fn answer_item(a: &RunAnswer) -> QuestionnaireResponseItem {
    let category = |category: &String| QuestionnaireResponseItem {
        link_id: format!("{}{CATEGORY_LINK_SUFFIX}", a.link_id),
        text: Some("Category".into()),
        answer: vec![QuestionnaireResponseAnswer::string(category)],
        ..QuestionnaireResponseItem::default()
    };
    QuestionnaireResponseItem {
        link_id: a.link_id.clone(),
        text: a.question.clone(),
        answer: a
            .answer
            .iter()
            .map(|text| QuestionnaireResponseAnswer {
                item: a
                    .category
                    .iter()
                    .filter(|c| !c.is_empty())
                    .map(category)
                    .collect(),
                ..QuestionnaireResponseAnswer::string(text)
            })
            .collect(),
        ..QuestionnaireResponseItem::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z")
            .expect("valid")
            .with_timezone(&Utc)
    }

    fn question() -> MessageRecord {
        MessageRecord {
            msg_uuid: Uuid::from_u128(1),
            direction: Direction::Out,
            status: MsgStatus::Delivered,
            text: "How many ORS packets?".into(),
            practitioner_id: "P1".into(),
            at: at(),
            request_id: Some("c1".into()),
            in_response_to: None,
        }
    }

    #[test]
    fn ids_are_deterministic_and_distinct() {
        assert_eq!(
            communication_id(Uuid::from_u128(1)),
            communication_id(Uuid::from_u128(1))
        );
        assert_ne!(
            communication_id(Uuid::from_u128(1)),
            communication_id(Uuid::from_u128(2))
        );
        assert_ne!(
            result_id("c1", "Practitioner/P1"),
            result_id("c1", "Practitioner/P2")
        );
        assert_eq!(
            questionnaire_response_id(Uuid::from_u128(7)),
            Uuid::from_u128(7).to_string()
        );
    }

    #[test]
    fn sent_message_and_its_reply() {
        let q = communication(&question());
        assert_eq!(q.status.as_deref(), Some("completed"));
        assert_eq!(q.recipient, vec![Reference::to("Practitioner", "P1")]);
        assert_eq!(q.sent.as_deref(), Some("2026-11-24T10:00:00.000Z"));
        assert_eq!(q.based_on, vec![Reference::to("CommunicationRequest", "c1")]);
        let reply = communication(&MessageRecord {
            msg_uuid: Uuid::from_u128(2),
            direction: Direction::In,
            status: MsgStatus::Handled,
            text: "12".into(),
            in_response_to: Some(Uuid::from_u128(1)),
            ..question()
        });
        assert_eq!(reply.sender, Some(Reference::to("Practitioner", "P1")));
        assert_eq!(reply.in_response_to[0].id_of("Communication"), q.id.as_deref());
        assert!(reply.category.is_empty());
    }

    #[test]
    fn unsolicited_message_is_inbox() {
        let inbox = communication(&MessageRecord {
            direction: Direction::In,
            status: MsgStatus::Handled,
            request_id: None,
            ..question()
        });
        assert_eq!(inbox.category[0].coding[0].code.as_deref(), Some(INBOX_CODE));
    }

    #[test]
    fn failed_send_is_not_done() {
        let c = communication(&MessageRecord {
            status: MsgStatus::Failed,
            ..question()
        });
        assert_eq!(c.status.as_deref(), Some("not-done"));
    }

    #[test]
    fn run_becomes_a_questionnaire_response() {
        let run = RunRecord {
            run_uuid: Uuid::from_u128(9),
            flow_uuid: "f1".into(),
            practitioner_id: "P1".into(),
            request_id: Some("c1".into()),
            created_on: at(),
            status: RunStatus::Expired,
            answers: vec![
                RunAnswer {
                    link_id: "a1".into(),
                    question: Some("Q1".into()),
                    answer: Some("yes".into()),
                    category: Some("Yes".into()),
                },
                RunAnswer {
                    link_id: "a2".into(),
                    question: Some("Q2".into()),
                    answer: None,
                    category: None,
                },
            ],
        };
        let mut qr = questionnaire_response(&run);
        assert_eq!(qr.status.as_deref(), Some("stopped"));
        assert_eq!(questionnaire_name(&qr), None);
        name_questionnaire(&mut qr, "Ministry Poll");
        assert_eq!(questionnaire_name(&qr), Some("Ministry Poll"));
        let json = serde_json::to_value(&qr).expect("json");
        assert_eq!(json["_questionnaire"]["extension"][0]["url"], DISPLAY_EXTENSION);
        assert_eq!(qr.item[0].answer[0].value_string(), Some("yes"));
        assert!(qr.item[1].answer.is_empty(), "no empty answer arrays in R4");
        assert_eq!(
            qr.questionnaire.as_deref(),
            Some("http://mhero.org/fhir/Questionnaire/f1")
        );
        let category = &qr.item[0].answer[0].item[0];
        assert_eq!(category.link_id, "a1/category");
        assert_eq!(category.answer[0].value_string(), Some("Yes"));
        assert!(
            qr.based_on.is_empty(),
            "R4 basedOn admits no CommunicationRequest"
        );
        assert_eq!(qr.extension[0].url, EVENT_BASED_ON_EXTENSION);
        assert_eq!(
            qr.identifier.as_ref().and_then(|i| i.value.as_deref()),
            Some("urn:uuid:00000000-0000-0000-0000-000000000009")
        );
    }
}
