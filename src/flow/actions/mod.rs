//! Actions: one file per action type, named by its wire `type`, and the
//! serde-tagged enum over them. Each action knows its fields, which flow types
//! allow it and how to check itself; running it lives in `exec`. This module
//! must not know how runs are stored or how services reach the network.

pub mod add_contact_groups;
pub mod add_contact_urn;
pub mod add_input_labels;
pub mod call_classifier;
pub mod call_llm;
pub mod call_resthook;
pub mod call_webhook;
pub mod enter_flow;
pub mod exec;
pub mod open_ticket;
pub mod play_audio;
pub mod recipients;
pub mod remove_contact_groups;
pub mod request_optin;
pub mod say_msg;
pub mod send_broadcast;
pub mod send_email;
pub mod send_msg;
pub mod set_contact_channel;
pub mod set_contact_field;
pub mod set_contact_language;
pub mod set_contact_name;
pub mod set_contact_status;
pub mod set_contact_timezone;
pub mod set_run_local;
pub mod set_run_result;
pub mod start_session;
pub mod templating;
pub mod transfer_airtime;

use serde::{Deserialize, Serialize};

use crate::flow::definition::Allowed;

pub use add_contact_groups::AddContactGroups;
pub use add_contact_urn::AddContactUrn;
pub use add_input_labels::AddInputLabels;
pub use call_classifier::CallClassifier;
pub use call_llm::CallLlm;
pub use call_resthook::CallResthook;
pub use call_webhook::CallWebhook;
pub use enter_flow::EnterFlow;
pub use open_ticket::OpenTicket;
pub use play_audio::PlayAudio;
pub use remove_contact_groups::RemoveContactGroups;
pub use request_optin::RequestOptin;
pub use say_msg::SayMsg;
pub use send_broadcast::SendBroadcast;
pub use send_email::SendEmail;
pub use send_msg::SendMsg;
pub use set_contact_channel::SetContactChannel;
pub use set_contact_field::SetContactField;
pub use set_contact_language::SetContactLanguage;
pub use set_contact_name::SetContactName;
pub use set_contact_status::SetContactStatus;
pub use set_contact_timezone::SetContactTimezone;
pub use set_run_local::SetRunLocal;
pub use set_run_result::SetRunResult;
pub use start_session::StartSession;
pub use transfer_airtime::TransferAirtime;

/// Result names longer than this are rejected (13.6.0 truncates old ones).
pub const MAX_RESULT_NAME_CHARS: usize = 64;

/// Category names longer than this are truncated by the 13.6.0 migration.
pub const MAX_CATEGORY_NAME_CHARS: usize = 36;

/// Every action type this engine reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    AddContactGroups(AddContactGroups),
    AddContactUrn(AddContactUrn),
    AddInputLabels(AddInputLabels),
    CallClassifier(CallClassifier),
    CallLlm(CallLlm),
    CallResthook(CallResthook),
    CallWebhook(CallWebhook),
    EnterFlow(EnterFlow),
    OpenTicket(OpenTicket),
    PlayAudio(PlayAudio),
    RemoveContactGroups(RemoveContactGroups),
    RequestOptin(RequestOptin),
    SayMsg(SayMsg),
    SendBroadcast(SendBroadcast),
    SendEmail(SendEmail),
    SendMsg(SendMsg),
    SetContactChannel(SetContactChannel),
    SetContactField(SetContactField),
    SetContactLanguage(SetContactLanguage),
    SetContactName(SetContactName),
    SetContactStatus(SetContactStatus),
    SetContactTimezone(SetContactTimezone),
    SetRunLocal(SetRunLocal),
    SetRunResult(SetRunResult),
    StartSession(StartSession),
    TransferAirtime(TransferAirtime),
}

/// Fields that must be present and non-empty, by action type. Checked on the
/// raw JSON so the error can name the field the way exports spell it.
pub fn required_fields(action_type: &str) -> &'static [&'static str] {
    match action_type {
        "add_contact_groups" => &["groups"],
        "add_contact_urn" => &["scheme", "path"],
        "add_input_labels" => &["labels"],
        "call_classifier" => &["classifier", "input"],
        "call_llm" => &["llm", "instructions", "output_local"],
        "call_resthook" => &["resthook"],
        "call_webhook" => &["method", "url"],
        "enter_flow" => &["flow"],
        "play_audio" => &["audio_url"],
        "request_optin" => &["optin"],
        "say_msg" => &["text"],
        "send_broadcast" => &["text"],
        "send_email" => &["addresses", "subject"],
        "send_msg" => &["text"],
        "set_contact_field" => &["field"],
        "set_contact_status" => &["status"],
        "set_run_local" => &["local"],
        "set_run_result" => &["name"],
        "start_session" => &["flow"],
        "transfer_airtime" => &["amounts"],
        _ => &[],
    }
}

/// A result name must be present and at most [`MAX_RESULT_NAME_CHARS`].
pub(crate) fn check_result_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("field 'name' is required".to_owned());
    }
    if name.chars().count() > MAX_RESULT_NAME_CHARS {
        return Err("field 'result_name' is not a valid result name".to_owned());
    }
    Ok(())
}

/// As [`check_result_name`], for actions where the result is optional.
pub(crate) fn check_optional_result_name(name: &str) -> Result<(), String> {
    if name.chars().count() > MAX_RESULT_NAME_CHARS {
        return Err("field 'result_name' is not a valid result name".to_owned());
    }
    Ok(())
}

impl Action {
    pub fn uuid(&self) -> &str {
        match self {
            Action::AddContactGroups(a) => &a.uuid,
            Action::AddContactUrn(a) => &a.uuid,
            Action::AddInputLabels(a) => &a.uuid,
            Action::CallClassifier(a) => &a.uuid,
            Action::CallLlm(a) => &a.uuid,
            Action::CallResthook(a) => &a.uuid,
            Action::CallWebhook(a) => &a.uuid,
            Action::EnterFlow(a) => &a.uuid,
            Action::OpenTicket(a) => &a.uuid,
            Action::PlayAudio(a) => &a.uuid,
            Action::RemoveContactGroups(a) => &a.uuid,
            Action::RequestOptin(a) => &a.uuid,
            Action::SayMsg(a) => &a.uuid,
            Action::SendBroadcast(a) => &a.uuid,
            Action::SendEmail(a) => &a.uuid,
            Action::SendMsg(a) => &a.uuid,
            Action::SetContactChannel(a) => &a.uuid,
            Action::SetContactField(a) => &a.uuid,
            Action::SetContactLanguage(a) => &a.uuid,
            Action::SetContactName(a) => &a.uuid,
            Action::SetContactStatus(a) => &a.uuid,
            Action::SetContactTimezone(a) => &a.uuid,
            Action::SetRunLocal(a) => &a.uuid,
            Action::SetRunResult(a) => &a.uuid,
            Action::StartSession(a) => &a.uuid,
            Action::TransferAirtime(a) => &a.uuid,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Action::AddContactGroups(_) => "add_contact_groups",
            Action::AddContactUrn(_) => "add_contact_urn",
            Action::AddInputLabels(_) => "add_input_labels",
            Action::CallClassifier(_) => "call_classifier",
            Action::CallLlm(_) => "call_llm",
            Action::CallResthook(_) => "call_resthook",
            Action::CallWebhook(_) => "call_webhook",
            Action::EnterFlow(_) => "enter_flow",
            Action::OpenTicket(_) => "open_ticket",
            Action::PlayAudio(_) => "play_audio",
            Action::RemoveContactGroups(_) => "remove_contact_groups",
            Action::RequestOptin(_) => "request_optin",
            Action::SayMsg(_) => "say_msg",
            Action::SendBroadcast(_) => "send_broadcast",
            Action::SendEmail(_) => "send_email",
            Action::SendMsg(_) => "send_msg",
            Action::SetContactChannel(_) => "set_contact_channel",
            Action::SetContactField(_) => "set_contact_field",
            Action::SetContactLanguage(_) => "set_contact_language",
            Action::SetContactName(_) => "set_contact_name",
            Action::SetContactStatus(_) => "set_contact_status",
            Action::SetContactTimezone(_) => "set_contact_timezone",
            Action::SetRunLocal(_) => "set_run_local",
            Action::SetRunResult(_) => "set_run_result",
            Action::StartSession(_) => "start_session",
            Action::TransferAirtime(_) => "transfer_airtime",
        }
    }

    /// Which flow types may contain this action.
    pub fn allowed(&self) -> Allowed {
        match self {
            Action::SayMsg(_) | Action::PlayAudio(_) => Allowed::Voice,
            Action::AddInputLabels(_) => Allowed::Interactive,
            Action::CallClassifier(_)
            | Action::CallLlm(_)
            | Action::CallResthook(_)
            | Action::CallWebhook(_)
            | Action::OpenTicket(_)
            | Action::RequestOptin(_)
            | Action::SendBroadcast(_)
            | Action::SendEmail(_)
            | Action::SetContactChannel(_)
            | Action::StartSession(_)
            | Action::TransferAirtime(_) => Allowed::Online,
            _ => Allowed::Universal,
        }
    }

    /// Checks that serde cannot express (enumerated strings, limits).
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Action::CallClassifier(a) => a.validate(),
            Action::CallResthook(a) => a.validate(),
            Action::CallWebhook(a) => a.validate(),
            Action::OpenTicket(a) => a.validate(),
            Action::RemoveContactGroups(a) => a.validate(),
            Action::SendMsg(a) => a.validate(),
            Action::SetContactStatus(a) => a.validate(),
            Action::SetRunResult(a) => a.validate(),
            Action::TransferAirtime(a) => a.validate(),
            _ => Ok(()),
        }
    }
}
