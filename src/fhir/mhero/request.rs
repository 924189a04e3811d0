//! What an mHero `CommunicationRequest` asks for, and the per-recipient
//! result record emNutt writes after each send (iHRIS's flow-run and
//! message-send reports read its extensions).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::structure_definition;
use crate::fhir::resources::{find_extension, CommunicationRequest, Extension, Meta, Payload, Reference};

pub const COMMUNICATION_REQUEST_PROFILE: &str =
    "http://mhero.org/fhir/StructureDefinition/mhero-communication-request";
pub const CRON_SCHEDULE_EXTENSION: &str =
    "http://mhero.org/fhir/StructureDefinition/sms-cron-expression-schedule";
pub const FLOW_STARTS_EXTENSION: &str =
    "http://mhero.org/fhir/StructureDefinition/mhero-comm-req-flow-starts";
pub const BROADCAST_STARTS_EXTENSION: &str =
    "http://mhero.org/fhir/StructureDefinition/mhero-comm-req-broadcast-starts";

/// What a request sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestContent {
    /// A plain text broadcast (`payload.contentString`).
    Text(String),
    /// A flow start (`payload.contentReference = Basic/<flow uuid>`, or the
    /// older `contentAttachment.url = <flow uuid>`).
    Flow(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestShapeError {
    #[error("CommunicationRequest/{0} has no payload")]
    NoPayload(String),
    #[error("CommunicationRequest/{0} payload is neither text nor a Basic/<flow uuid> reference")]
    UnknownPayload(String),
    #[error("CommunicationRequest/{id} schedule extension lacks {missing}")]
    IncompleteSchedule { id: String, missing: &'static str },
}

impl RequestContent {
    pub fn of(request: &CommunicationRequest) -> Result<RequestContent, RequestShapeError> {
        let id = || request.id.clone().unwrap_or_else(|| "?".to_string());
        let payload = request
            .payload
            .first()
            .ok_or_else(|| RequestShapeError::NoPayload(id()))?;
        if let Some(text) = &payload.content_string {
            return Ok(RequestContent::Text(text.clone()));
        }
        if let Some(flow) = payload.content_reference.as_ref().and_then(|r| r.id_of("Basic")) {
            return Ok(RequestContent::Flow(flow.to_string()));
        }
        if let Some(url) = payload.content_attachment.as_ref().and_then(|a| a.url.as_deref()) {
            return Ok(RequestContent::Flow(url.to_string()));
        }
        Err(RequestShapeError::UnknownPayload(id()))
    }

    /// The payload iHRIS writes for this content.
    pub fn to_payload(&self) -> Payload {
        match self {
            RequestContent::Text(text) => Payload::text(text),
            RequestContent::Flow(flow) => Payload {
                content_reference: Some(Reference::to("Basic", flow)),
                ..Payload::default()
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    Once,
    Recurring,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SendCategory {
    Now,
    Later,
}

/// The `sms-cron-expression-schedule` extension of a "later"/"recurring" send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronSchedule {
    pub frequency: Frequency,
    pub send_category: SendCategory,
    /// Five-field cron, as iHRIS composes it (`"14 14 */3 * *"`).
    pub cron_expression: String,
    /// emNutt's human rendering (cronstrue); we keep it if present.
    pub cron_expression_parsed: Option<String>,
}

impl CronSchedule {
    /// The schedule on `request`, `None` if it has none.
    pub fn of(request: &CommunicationRequest) -> Option<Result<CronSchedule, RequestShapeError>> {
        let ext = find_extension(&request.extension, CRON_SCHEDULE_EXTENSION)?;
        let text = |url: &str| ext.sub(url).and_then(Extension::value_text);
        let missing = |missing| RequestShapeError::IncompleteSchedule {
            id: request.id.clone().unwrap_or_else(|| "?".to_string()),
            missing,
        };
        let schedule = || -> Result<CronSchedule, RequestShapeError> {
            Ok(CronSchedule {
                frequency: text("frequency")
                    .and_then(from_word)
                    .ok_or_else(|| missing("frequency"))?,
                send_category: text("sendCategory")
                    .and_then(from_word)
                    .ok_or_else(|| missing("sendCategory"))?,
                cron_expression: text("cronExpression")
                    .ok_or_else(|| missing("cronExpression"))?
                    .to_string(),
                cron_expression_parsed: text("cronExpressionParsed").map(str::to_string),
            })
        };
        Some(schedule())
    }

    pub fn to_extension(&self) -> Extension {
        let mut subs = vec![
            Extension::string("frequency", &to_word(&self.frequency)),
            Extension::string("sendCategory", &to_word(&self.send_category)),
            Extension::string("cronExpression", &self.cron_expression),
        ];
        if let Some(parsed) = &self.cron_expression_parsed {
            subs.push(Extension::string("cronExpressionParsed", parsed));
        }
        Extension::complex(CRON_SCHEDULE_EXTENSION, subs)
    }
}

/// A small serde enum from its wire word (`"recurring"` → `Frequency::Recurring`).
fn from_word<T: DeserializeOwned>(word: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(word.to_string())).ok()
}

/// The wire word of a small serde enum; empty if it does not serialise to a string.
fn to_word<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(word)) => word,
        _ => String::new(),
    }
}

/// How a flow run ended, as iHRIS's flow-run reports group them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExitType {
    Completed,
    Interrupted,
    Expired,
}

/// The `mhero-comm-req-flow-starts` extension on a per-recipient result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowStartRecord {
    pub created_on: String,
    pub modified_on: Option<String>,
    /// RapidPro's flow-start status (`pending`, `complete`, ...), as text.
    pub status: Option<String>,
    pub flow_starts_uuid: String,
    pub rapidpro_contact_id: Option<String>,
    /// `Yes` / `No` / `unknown`, the words iHRIS's reports count.
    pub responded: Option<String>,
    pub exit_type: Option<ExitType>,
    pub exited_on: Option<String>,
}

impl FlowStartRecord {
    pub fn to_extension(&self) -> Extension {
        let mut subs = vec![Extension::date_time("created_on", &self.created_on)];
        let mut text = |url: &str, v: &Option<String>, date: bool| {
            if let Some(v) = v {
                subs.push(if date {
                    Extension::date_time(url, v)
                } else {
                    Extension::string(url, v)
                });
            }
        };
        text("modified_on", &self.modified_on, true);
        text("status", &self.status, false);
        text("flow_starts_uuid", &Some(self.flow_starts_uuid.clone()), false);
        text("rapidpro_contact_id", &self.rapidpro_contact_id, false);
        text("responded", &self.responded, false);
        let exit = self.exit_type.map(|e| to_word(&e));
        text("exit_type", &exit, false);
        text("exited_on", &self.exited_on, true);
        Extension::complex(FLOW_STARTS_EXTENSION, subs)
    }

    pub fn of(request: &CommunicationRequest) -> Option<FlowStartRecord> {
        let ext = find_extension(&request.extension, FLOW_STARTS_EXTENSION)?;
        let text = |url: &str| ext.sub(url).and_then(Extension::value_text).map(str::to_string);
        Some(FlowStartRecord {
            created_on: text("created_on").unwrap_or_default(),
            modified_on: text("modified_on"),
            status: text("status"),
            flow_starts_uuid: text("flow_starts_uuid").unwrap_or_default(),
            rapidpro_contact_id: text("rapidpro_contact_id"),
            responded: text("responded"),
            exit_type: text("exit_type").as_deref().and_then(from_word),
            exited_on: text("exited_on"),
        })
    }
}

/// The `mhero-comm-req-broadcast-starts` extension on a per-recipient SMS result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BroadcastRecord {
    pub created_on: String,
    pub broadcast_id: String,
    /// Where the message to this recipient stands (`sent`, `delivered`,
    /// `failed`): emNutt never knew; the gateway updates it as receipts arrive.
    pub status: Option<String>,
}

impl BroadcastRecord {
    pub fn to_extension(&self) -> Extension {
        let mut subs = vec![
            Extension::date_time("created_on", &self.created_on),
            Extension::string("broadcast_id", &self.broadcast_id),
        ];
        if let Some(status) = &self.status {
            subs.push(Extension::string("status", status));
        }
        Extension::complex(BROADCAST_STARTS_EXTENSION, subs)
    }

    pub fn of(request: &CommunicationRequest) -> Option<BroadcastRecord> {
        let ext = find_extension(&request.extension, BROADCAST_STARTS_EXTENSION)?;
        let text = |url: &str| ext.sub(url).and_then(Extension::value_text).map(str::to_string);
        Some(BroadcastRecord {
            created_on: text("created_on").unwrap_or_default(),
            broadcast_id: text("broadcast_id").unwrap_or_default(),
            status: text("status"),
        })
    }
}

/// Which record a per-recipient result carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartRecord {
    Flow(FlowStartRecord),
    Broadcast(BroadcastRecord),
}

/// Whether the send to one recipient went out; iHRIS shows `completed` as
/// "Sent" and `entered-in-error` as "Failed".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientOutcome {
    Sent,
    Failed,
}

/// emNutt's per-recipient result: a copy of `request` with one recipient, the
/// outcome as `status`, the mHero profile, and the start record extension.
/// `id` should be deterministic (see `crate::fhir::write_back::result_id`).
pub fn recipient_result(
    request: &CommunicationRequest,
    id: String,
    recipient: Reference,
    outcome: RecipientOutcome,
    record: &StartRecord,
) -> CommunicationRequest {
    let mut result = request.clone();
    result.id = Some(id);
    result.recipient = vec![recipient];
    result.status = Some(
        match outcome {
            RecipientOutcome::Sent => "completed",
            RecipientOutcome::Failed => "entered-in-error",
        }
        .to_string(),
    );
    let mut meta = result.meta.take().unwrap_or_default();
    meta.version_id = None;
    meta.last_updated = None;
    if !meta.profile.iter().any(|p| p == COMMUNICATION_REQUEST_PROFILE) {
        meta.profile.push(COMMUNICATION_REQUEST_PROFILE.to_string());
    }
    result.meta = Some(meta).filter(|m| *m != Meta::default());
    let ext = match record {
        StartRecord::Flow(r) => r.to_extension(),
        StartRecord::Broadcast(r) => r.to_extension(),
    };
    // The relative-url `sender` extension iHRIS adds is invalid R4 (urls must be
    // absolute); strict servers reject it, so a result never carries it.
    result
        .extension
        .retain(|e| e.url.contains("://") && e.url != ext.url);
    result.extension.push(ext);
    result
}

/// Whether `url` is one of the mHero StructureDefinitions (for callers that
/// filter extensions by origin).
pub fn is_mhero_url(url: &str) -> bool {
    url.starts_with(&structure_definition(""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::resources::comm_request_fixtures::{
        IHRIS_RECURRING_FLOW, IHRIS_TEXT, OLDER_FORM, RESULT,
    };

    fn parse(json: &str) -> CommunicationRequest {
        serde_json::from_str(json).expect("fixture parses")
    }

    #[test]
    fn content_of_each_shape() {
        assert_eq!(
            RequestContent::of(&parse(IHRIS_TEXT)),
            Ok(RequestContent::Text("Please submit your weekly report".into()))
        );
        let flow = RequestContent::Flow("5c2b2a4e-8f0d-4f6c-9d7e-0a1b2c3d4e5f".into());
        assert_eq!(
            RequestContent::of(&parse(IHRIS_RECURRING_FLOW)).as_ref(),
            Ok(&flow)
        );
        assert_eq!(RequestContent::of(&parse(OLDER_FORM)).as_ref(), Ok(&flow));
        assert_eq!(
            RequestContent::of(&CommunicationRequest::default()),
            Err(RequestShapeError::NoPayload("?".into()))
        );
        assert_eq!(flow.to_payload(), parse(IHRIS_RECURRING_FLOW).payload[0]);
    }

    #[test]
    fn schedule_reads_and_writes_the_ihris_extension() {
        let cr = parse(IHRIS_RECURRING_FLOW);
        let schedule = CronSchedule::of(&cr).expect("has one").expect("complete");
        assert_eq!(schedule.frequency, Frequency::Recurring);
        assert_eq!(schedule.send_category, SendCategory::Later);
        assert_eq!(schedule.cron_expression, "14 14 */3 * *");
        assert_eq!(schedule.to_extension(), cr.extension[0]);
        assert!(CronSchedule::of(&parse(IHRIS_TEXT)).is_none());
    }

    #[test]
    fn incomplete_schedule_is_an_error() {
        let mut cr = parse(IHRIS_RECURRING_FLOW);
        cr.extension[0].extension.retain(|e| e.url != "cronExpression");
        assert!(matches!(
            CronSchedule::of(&cr),
            Some(Err(RequestShapeError::IncompleteSchedule {
                missing: "cronExpression",
                ..
            }))
        ));
    }

    #[test]
    fn flow_start_record_round_trips_through_the_extension() {
        let cr = parse(RESULT);
        let record = FlowStartRecord::of(&cr).expect("present");
        assert_eq!(record.flow_starts_uuid, "f5901b62-ba76-4003-9c62-72fdacc1b7b7");
        assert_eq!(record.to_extension(), cr.extension[0]);
        let finished = FlowStartRecord {
            responded: Some("Yes".into()),
            exit_type: Some(ExitType::Completed),
            exited_on: Some("2020-03-10T15:00:00Z".into()),
            ..record
        };
        let mut again = cr.clone();
        again.extension = vec![finished.to_extension()];
        assert_eq!(FlowStartRecord::of(&again), Some(finished));
    }

    #[test]
    fn recipient_result_is_one_recipient_with_status_and_profile() {
        let request = parse(IHRIS_TEXT);
        let record = StartRecord::Broadcast(BroadcastRecord {
            created_on: "2021-06-21T10:00:01Z".into(),
            broadcast_id: "42".into(),
            status: None,
        });
        let result = recipient_result(
            &request,
            "r1".into(),
            Reference::to("Practitioner", "P8699"),
            RecipientOutcome::Failed,
            &record,
        );
        assert_eq!(result.status.as_deref(), Some("entered-in-error"));
        assert_eq!(result.recipient, vec![Reference::to("Practitioner", "P8699")]);
        assert!(result
            .meta
            .as_ref()
            .is_some_and(|m| m.profile == [COMMUNICATION_REQUEST_PROFILE]));
        assert_eq!(
            result.extension.len(),
            1,
            "the invalid relative `sender` extension is dropped"
        );
        assert!(is_mhero_url(&result.extension[0].url));
    }
}
