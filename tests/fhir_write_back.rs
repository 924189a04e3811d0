//! Everything the write-back builders produce is accepted by a strict R4
//! server, and writing it again changes nothing (see `fhir_peer`).

mod fhir_peer;

use mhero::core::msg::{Direction, MsgStatus};
use mhero::fhir::client::FhirClient;
use mhero::fhir::mhero::request::{
    recipient_result, BroadcastRecord, ExitType, FlowStartRecord, RecipientOutcome, StartRecord,
};
use mhero::fhir::mhero::workflow::{RunSummary, WorkflowDetails, WORKFLOWS_PROFILE};
use mhero::fhir::mhero::{set_contact_uuid, set_opted_out};
use mhero::fhir::resources::{
    Basic, Communication, CommunicationRequest, Group, GroupMember, Practitioner, QuestionnaireResponse,
    Reference, Resource,
};
use mhero::fhir::write_back::{self, MessageRecord, RunAnswer, RunRecord, RunStatus};
use serde_json::json;
use uuid::Uuid;

use fhir_peer::{instant, practitioner, FhirServer};

/// Everything our builders produce, with fixed inputs.
fn built_resources() -> Built {
    let at = instant("2026-11-24T10:00:00Z");
    let question = MessageRecord {
        msg_uuid: Uuid::from_u128(0x11),
        direction: Direction::Out,
        status: MsgStatus::Delivered,
        text: "How many ORS packets do you have?".into(),
        practitioner_id: "P1".into(),
        at,
        request_id: Some("req-1".into()),
        in_response_to: None,
    };
    let reply = MessageRecord {
        msg_uuid: Uuid::from_u128(0x12),
        direction: Direction::In,
        status: MsgStatus::Handled,
        text: "12".into(),
        in_response_to: Some(question.msg_uuid),
        ..question.clone()
    };
    let inbox = MessageRecord {
        msg_uuid: Uuid::from_u128(0x13),
        request_id: None,
        in_response_to: None,
        ..reply.clone()
    };
    let failed = MessageRecord {
        msg_uuid: Uuid::from_u128(0x14),
        status: MsgStatus::Failed,
        ..question.clone()
    };
    let communications = [question, reply, inbox, failed]
        .iter()
        .map(write_back::communication)
        .collect();

    let run = |uuid: u128, status: RunStatus, answer: Option<&str>| RunRecord {
        run_uuid: Uuid::from_u128(uuid),
        flow_uuid: "5c2b2a4e-8f0d-4f6c-9d7e-0a1b2c3d4e5f".into(),
        practitioner_id: "P1".into(),
        request_id: Some("req-1".into()),
        created_on: at,
        status,
        answers: vec![
            RunAnswer {
                link_id: "a1".into(),
                question: Some("How many?".into()),
                answer: answer.map(str::to_string),
                category: Some("Other".into()),
            },
            RunAnswer {
                link_id: "a2".into(),
                question: None,
                answer: Some("ok".into()),
                category: None,
            },
        ],
    };
    let responses = vec![
        write_back::questionnaire_response(&run(0x21, RunStatus::Completed, Some("12"))),
        write_back::questionnaire_response(&run(0x22, RunStatus::Expired, None)),
        write_back::questionnaire_response(&run(0x23, RunStatus::Active, None)),
    ];

    // iHRIS's request as it arrives (no status, relative `sender` extension).
    let request: CommunicationRequest = serde_json::from_value(json!({
        "resourceType": "CommunicationRequest", "id": "req-1",
        "meta": {"tag": [{"system": "parentReqId", "code": "1d1c4b7e-3f55-4c2e-9a0b-2d3c4e5f6a7b"}]},
        "payload": [{"contentReference": {"reference": "Basic/5c2b2a4e-8f0d-4f6c-9d7e-0a1b2c3d4e5f"}}],
        "recipient": [{"reference": "Practitioner/P1"}, {"reference": "Practitioner/P2"}],
        "occurrenceDateTime": "2021-06-21T10:00:00",
        "extension": [{"url": "sender", "valueReference": {"reference": "Person/u1"}}]
    }))
    .expect("iHRIS shape parses");
    let flow = StartRecord::Flow(FlowStartRecord {
        created_on: "2026-11-24T10:00:00.817188Z".into(),
        modified_on: Some("2026-11-24T10:00:00.817290Z".into()),
        status: Some("complete".into()),
        flow_starts_uuid: "f5901b62-ba76-4003-9c62-72fdacc1b7b7".into(),
        rapidpro_contact_id: Some("d33e9ad5-5c35-414c-abd4-e7451c69ff1d".into()),
        responded: Some("Yes".into()),
        exit_type: Some(ExitType::Completed),
        exited_on: Some("2026-11-24T10:05:00Z".into()),
    });
    let broadcast = StartRecord::Broadcast(BroadcastRecord {
        created_on: "2026-11-24T10:00:01Z".into(),
        broadcast_id: "42".into(),
        status: Some("failed".into()),
    });
    let results = ["Practitioner/P1", "Practitioner/P2"]
        .iter()
        .zip([
            (RecipientOutcome::Sent, &flow),
            (RecipientOutcome::Failed, &broadcast),
        ])
        .map(|(recipient, (outcome, record))| {
            let id = write_back::result_id("req-1", recipient);
            let reference = Reference {
                reference: Some(recipient.to_string()),
                ..Reference::default()
            };
            recipient_result(&request, id, reference, outcome, record)
        })
        .collect();

    let workflow = WorkflowDetails {
        uuid: "5c2b2a4e-8f0d-4f6c-9d7e-0a1b2c3d4e5f".into(),
        name: "Weekly stock report".into(),
        flow_type: Some("message".into()),
        archived: Some(false),
        expires: Some(10080),
        created_on: Some("2026-01-01T00:00:00Z".into()),
        modified_on: Some("2026-02-01T00:00:00Z".into()),
        run_summary: Some(RunSummary {
            active: 1,
            completed: 40,
            interrupted: 2,
            expired: 5,
        }),
    }
    .to_basic();

    let mut worker = practitioner("P1", "Amina Mushi", Some("+255712345678"));
    set_contact_uuid(&mut worker.identifier, "d33e9ad5-5c35-414c-abd4-e7451c69ff1d");
    set_opted_out(&mut worker.meta, true);
    let group = Group {
        id: Some("0b5e4e1c-2f1a-4f7a-9d0e-0c6f3f3d5a11".into()),
        name: Some("Nurses".into()),
        type_: Some("practitioner".into()),
        actual: Some(true),
        member: vec![GroupMember {
            entity: Reference::to("Practitioner", "P1"),
            ..GroupMember::default()
        }],
        ..Group::default()
    };
    (communications, responses, results, workflow, worker, group)
}

/// What the builders produce, as fed to the registry.
type Built = (
    Vec<Communication>,
    Vec<QuestionnaireResponse>,
    Vec<CommunicationRequest>,
    Basic,
    Practitioner,
    Group,
);

/// PUT everything built; the version the server reports for each, in order.
async fn write_all(client: &FhirClient, built: &Built) -> Vec<String> {
    let (communications, responses, results, workflow, worker, group) = built;
    let mut outcomes = client.put_all(communications).await;
    outcomes.extend(client.put_all(responses).await);
    outcomes.extend(client.put_all(results).await);
    outcomes.extend(client.put_all(std::slice::from_ref(workflow)).await);
    outcomes.extend(client.put_all(std::slice::from_ref(worker)).await);
    outcomes.extend(client.put_all(std::slice::from_ref(group)).await);
    outcomes
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("strict server rejected a built resource: {e}")))
        .map(|o| o.version_id().expect("the server reports the written version"))
        .collect()
}

#[tokio::test]
async fn everything_our_builders_write_is_accepted_and_idempotent() {
    let server = FhirServer::start();
    let client = server.client();
    let first = write_all(&client, &built_resources()).await;
    assert_eq!(first.len(), 4 + 3 + 2 + 3);

    // Re-running the same write-back changes nothing: every version stays.
    let built = built_resources();
    let second = write_all(&client, &built).await;
    assert_eq!(first, second);
    let (_, responses, _, workflow, worker, _) = built;

    // Single PUTs too, and a real change does bump the version.
    let read = client.read::<Practitioner>("P1").await.expect("read");
    let again = client.update(&worker).await.expect("update");
    assert_eq!(again.version_id(), read.version_id());
    let mut changed = worker.clone();
    set_opted_out(&mut changed.meta, false);
    let bumped = client.update(&changed).await.expect("update");
    assert_ne!(bumped.version_id(), read.version_id());

    // iHRIS's flow list query finds the workflow, and it reads back as written.
    let listed = client
        .search_all::<Basic>(&[("_profile", WORKFLOWS_PROFILE)])
        .await
        .expect("search");
    assert_eq!(listed.resources.len(), 1);
    assert_eq!(
        WorkflowDetails::of(&listed.resources[0]),
        WorkflowDetails::of(&workflow)
    );
    let qr = client
        .read::<QuestionnaireResponse>(&Uuid::from_u128(0x21).to_string())
        .await
        .expect("read");
    assert_eq!(qr.item, responses[0].item);
}
