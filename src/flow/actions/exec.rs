//! Running actions inside a sprint. Each action evaluates its templates,
//! changes the session's contact or run, and reports what it did as events.
//! Problems (bad expressions, missing assets, no service configured) become
//! `error` events and the run goes on.

use crate::flow::actions::Action;
use crate::flow::assets::{FlowRef, GroupRef, NamedRef};
use crate::flow::contact::{Contact, FieldValue};
use crate::flow::definition::Flow;
use crate::flow::events::{EventKind, MsgOut, QuickReply};
use crate::flow::expressions::value::parse_decimal;
use crate::flow::services::HttpCall;
use crate::flow::sprint::Sprinter;

/// Contact field values are cut to this many characters (reference limit).
pub const MAX_FIELD_VALUE_CHARS: usize = 640;

/// Result values are cut to this many characters (reference limit).
pub const MAX_RESULT_VALUE_CHARS: usize = 640;

/// Webhook URLs longer than this are refused (what HTTP servers accept).
pub const MAX_WEBHOOK_URL_LEN: usize = 2048;

/// What the sprint should do after an action.
pub enum Outcome {
    Continue,
    EnterFlow { flow: FlowRef, terminal: bool },
}

pub fn execute(s: &mut Sprinter<'_>, flow: &Flow, action: &Action) -> Outcome {
    let outcome = run_action(s, flow, action);
    let changes_contact = matches!(
        action,
        Action::SetContactField(_)
            | Action::SetContactName(_)
            | Action::SetContactLanguage(_)
            | Action::SetContactStatus(_)
            | Action::SetContactTimezone(_)
            | Action::AddContactUrn(_)
            | Action::AddContactGroups(_)
            | Action::RemoveContactGroups(_)
    );
    if changes_contact {
        s.refresh_groups();
    }
    outcome
}

fn run_action(s: &mut Sprinter<'_>, flow: &Flow, action: &Action) -> Outcome {
    match action {
        Action::SendMsg(a) => {
            let (text, lang) = s.localized(&a.uuid, "text", std::slice::from_ref(&a.text));
            let text = s.template(text.first().map(String::as_str).unwrap_or_default());
            let (attachments, _) = s.localized(&a.uuid, "attachments", &a.attachments);
            let attachments = evaluate_attachments(s, &attachments);
            let (replies, _) = s.localized(&a.uuid, "quick_replies", &a.quick_replies);
            let mut quick_replies = Vec::new();
            for r in &replies {
                let r = s.template(r);
                if r.trim().is_empty() {
                    s.error("quick reply evaluated to empty string, skipping");
                } else {
                    quick_replies.push(QuickReply { text: r });
                }
            }
            let msg = new_msg(s, text, attachments, quick_replies, &lang, a.topic.clone());
            s.emit(EventKind::MsgCreated { msg });
        }
        Action::SayMsg(a) => {
            let (text, lang) = s.localized(&a.uuid, "text", std::slice::from_ref(&a.text));
            let text = s.template(text.first().map(String::as_str).unwrap_or_default());
            let (audio, _) = s.localized(&a.uuid, "audio_url", a.audio_url.as_slice());
            let attachments: Vec<String> = audio
                .iter()
                .filter(|u| !u.is_empty())
                .map(|u| format!("audio:{u}"))
                .collect();
            if text.trim().is_empty() && attachments.is_empty() {
                s.error("need either audio URL or backdown text, skipping");
            } else {
                let msg = voice_msg(new_msg(s, text, attachments, Vec::new(), &lang, None));
                s.emit(EventKind::IvrCreated { msg });
            }
        }
        Action::PlayAudio(a) => {
            let (audio, lang) = s.localized(&a.uuid, "audio_url", std::slice::from_ref(&a.audio_url));
            let Some(url) = s.template_ok(audio.first().map(String::as_str).unwrap_or_default()) else {
                return Outcome::Continue;
            };
            if url.trim().is_empty() {
                s.error("audio URL evaluated to empty, skipping");
            } else {
                let msg = voice_msg(new_msg(
                    s,
                    String::new(),
                    vec![format!("audio:{url}")],
                    Vec::new(),
                    &lang,
                    None,
                ));
                s.emit(EventKind::IvrCreated { msg });
            }
        }
        Action::SetContactField(a) => {
            if s.assets.field(&a.field.key).is_none() {
                s.error(format!(
                    "missing dependency: field[key={},name={}]",
                    a.field.key, a.field.name
                ));
                return Outcome::Continue;
            }
            let Some(raw) = s.template_ok(&a.value) else {
                return Outcome::Continue;
            };
            let value: String = raw.trim().chars().take(MAX_FIELD_VALUE_CHARS).collect();
            let new = (!value.is_empty()).then(|| field_value(&value));
            let old = s.session.contact.fields.get(&a.field.key).cloned();
            if old.as_ref().map(|o| &o.text) != new.as_ref().map(|n| &n.text) {
                match &new {
                    Some(v) => {
                        s.session.contact.fields.insert(a.field.key.clone(), v.clone());
                    }
                    None => {
                        s.session.contact.fields.remove(&a.field.key);
                    }
                }
                s.emit(EventKind::ContactFieldChanged {
                    field: a.field.clone(),
                    value: new,
                });
            }
        }
        Action::SetContactName(a) => {
            let Some(name) = s.template_ok(&a.name) else {
                return Outcome::Continue;
            };
            let name: String = name.trim().chars().take(MAX_FIELD_VALUE_CHARS).collect();
            if s.session.contact.name != name {
                s.session.contact.name = name.clone();
                s.emit(EventKind::ContactNameChanged { name });
            }
        }
        Action::SetContactLanguage(a) => {
            let Some(language) = s.template_ok(&a.language) else {
                return Outcome::Continue;
            };
            let language = language.trim().to_owned();
            if !language.is_empty() && language.chars().count() != 3 {
                s.error(format!("iso-639-3 codes must be 3 characters, got: {language}"));
            } else if s.session.contact.language != language {
                s.session.contact.language = language.clone();
                s.emit(EventKind::ContactLanguageChanged { language });
            }
        }
        Action::SetContactTimezone(a) => {
            let Some(timezone) = s.template_ok(&a.timezone) else {
                return Outcome::Continue;
            };
            let timezone = timezone.trim().to_owned();
            if !timezone.is_empty() && timezone.parse::<chrono_tz::Tz>().is_err() {
                s.error(format!("unrecognized timezone: '{timezone}'"));
            } else if s.session.contact.timezone != timezone {
                s.session.contact.timezone = timezone.clone();
                s.emit(EventKind::ContactTimezoneChanged { timezone });
            }
        }
        Action::SetContactStatus(a) => {
            if s.session.contact.status != a.status {
                s.session.contact.status = a.status.clone();
                s.emit(EventKind::ContactStatusChanged {
                    status: a.status.clone(),
                });
            }
        }
        Action::SetContactChannel(a) => set_contact_channel(s, a.channel.as_ref()),
        Action::AddContactUrn(a) => {
            // Unlike most actions, a partly failed path is still added.
            let path = s.template(&a.path).trim().to_owned();
            if path.is_empty() {
                s.error("can't add URN with empty path");
            } else {
                let urn = normalize_urn(s, &a.scheme, &path);
                let digits = |u: &str| {
                    Contact::bare_urn(u)
                        .trim_start_matches("tel:")
                        .trim_start_matches('+')
                        .to_owned()
                };
                let known = s.session.contact.urns.iter().any(|u| {
                    Contact::bare_urn(u) == urn
                        || (a.scheme == "tel" && digits(u) == digits(&format!("tel:{path}")))
                });
                if !known {
                    s.session.contact.urns.push(urn);
                    let urns = s.session.contact.urns.clone();
                    s.emit(EventKind::ContactUrnsChanged { urns });
                }
            }
        }
        Action::AddContactGroups(a) => {
            let mut added = Vec::new();
            for g in resolve_groups(s, &a.groups) {
                if s.assets.group(&g.uuid).is_some_and(|d| d.query.is_some()) {
                    s.error(format!(
                        "can't add contacts to the query based group '{}'",
                        g.name
                    ));
                    continue;
                }
                if !s.session.contact.in_group(&g.uuid) {
                    s.session.contact.groups.push(g.clone());
                    added.push(g);
                }
            }
            if !added.is_empty() {
                s.emit(EventKind::ContactGroupsChanged {
                    groups_added: added,
                    groups_removed: Vec::new(),
                });
            }
        }
        Action::RemoveContactGroups(a) => {
            let targets: Vec<NamedRef> = if a.all_groups {
                s.session.contact.groups.clone()
            } else {
                resolve_groups(s, &a.groups)
            };
            let mut removed = Vec::new();
            for g in targets {
                if s.assets.group(&g.uuid).is_some_and(|d| d.query.is_some()) {
                    if !a.all_groups {
                        s.error(format!(
                            "can't remove contacts from the query based group '{}'",
                            g.name
                        ));
                    }
                    continue;
                }
                if s.session.contact.in_group(&g.uuid) {
                    s.session.contact.groups.retain(|x| x.uuid != g.uuid);
                    removed.push(g);
                }
            }
            if !removed.is_empty() {
                s.emit(EventKind::ContactGroupsChanged {
                    groups_added: Vec::new(),
                    groups_removed: removed,
                });
            }
        }
        Action::SetRunResult(a) => {
            let Some(value) = s.template_ok(&a.value) else {
                return Outcome::Continue;
            };
            let value: String = value.chars().take(MAX_RESULT_VALUE_CHARS).collect();
            let (category, lang) = s.localized(&a.uuid, "category", std::slice::from_ref(&a.category));
            let localized = if lang != flow.language {
                category.first().cloned().unwrap_or_default()
            } else {
                String::new()
            };
            let node = s.current_node_uuid();
            s.save_result(&a.name, value, a.category.clone(), localized, None, None, &node);
        }
        Action::SetRunLocal(a) => {
            let value = s.template(&a.value);
            let locals = &mut s.run_mut().locals;
            match a.operation {
                super::set_run_local::LocalOperation::Set => {
                    locals.insert(a.local.clone(), value);
                }
                super::set_run_local::LocalOperation::Clear => {
                    locals.remove(&a.local);
                }
                super::set_run_local::LocalOperation::Increment => {
                    let current = locals
                        .get(&a.local)
                        .and_then(|v| parse_decimal(v))
                        .unwrap_or_default();
                    let by = parse_decimal(&value).unwrap_or_default();
                    locals.insert(a.local.clone(), (current + by).normalize().to_string());
                }
            }
        }
        Action::AddInputLabels(a) => {
            let Some(input) = s.session.input.clone() else {
                s.error("no input to add labels to");
                return Outcome::Continue;
            };
            let known = s.assets.labels.clone();
            let labels = resolve_refs(s, &a.labels, &known, "label");
            if !labels.is_empty() {
                s.emit(EventKind::InputLabelsAdded {
                    input_uuid: input.uuid,
                    labels,
                });
            }
        }
        Action::EnterFlow(a) => {
            let Some(child) = s.assets.flow(&a.flow.uuid) else {
                s.fail(format!("no such flow with UUID '{}'", a.flow.uuid));
                return Outcome::Continue;
            };
            if child.flow_type != flow.flow_type {
                s.fail(format!(
                    "can't enter flow[uuid={},name={}] of type {} from type {}",
                    child.uuid,
                    child.name,
                    child.flow_type.wire_name(),
                    flow.flow_type.wire_name()
                ));
                return Outcome::Continue;
            }
            let parent_run_uuid = s.run().uuid.clone();
            // Events name the flow as the assets do, not as the action does.
            let flow = s.assets.flow(&a.flow.uuid).map(|f| FlowRef {
                uuid: f.uuid.clone(),
                name: f.name.clone(),
            });
            s.emit(EventKind::FlowEntered {
                flow: flow.unwrap_or_else(|| a.flow.clone()),
                parent_run_uuid,
                terminal: a.terminal,
            });
            return Outcome::EnterFlow {
                flow: a.flow.clone(),
                terminal: a.terminal,
            };
        }
        Action::CallWebhook(a) => {
            let url = s.template(&a.url).trim().to_owned();
            if url.is_empty() {
                s.error("webhook URL evaluated to empty string");
                return Outcome::Continue;
            }
            let lower = url.to_ascii_lowercase();
            let has_scheme = lower.starts_with("http://") || lower.starts_with("https://");
            if !has_scheme || url.len() > MAX_WEBHOOK_URL_LEN {
                s.error(format!("webhook URL evaluated to an invalid URL: '{url}'"));
                return Outcome::Continue;
            }
            let body = s.template(&a.body);
            let headers = a
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), s.template(v)))
                .collect();
            let call = HttpCall {
                method: a.method.clone(),
                url,
                headers,
                body,
            };
            match s.services.webhook(&call) {
                Some(outcome) => {
                    for e in outcome.events {
                        s.emit(e);
                    }
                    let status = outcome.status.unwrap_or(0);
                    let json = outcome.body.as_deref().and_then(|b| serde_json::from_str(b).ok());
                    s.session.webhook = Some(serde_json::json!({"status": status, "json": json}));
                    if !a.result_name.is_empty() {
                        let category = if (200..300).contains(&status) {
                            "Success"
                        } else {
                            "Failure"
                        };
                        let node = s.current_node_uuid();
                        s.save_result(
                            &a.result_name,
                            status.to_string(),
                            category.into(),
                            String::new(),
                            Some(call.url.clone()),
                            json,
                            &node,
                        );
                    }
                }
                None => s.error("no webhook service configured"),
            }
        }
        Action::SendEmail(a) => {
            let mut addresses = Vec::new();
            for raw in &a.addresses {
                let address = s.template(raw).trim().to_owned();
                if address.is_empty() {
                    s.error("email address evaluated to empty string, skipping");
                } else {
                    addresses.push(address);
                }
            }
            let (subject, _) = s.localized(&a.uuid, "subject", std::slice::from_ref(&a.subject));
            let subject = s.template(subject.first().map(String::as_str).unwrap_or_default());
            // Subjects are one line: newlines would break the message headers.
            let subject = subject.replace(['\r', '\n'], " ").trim().to_owned();
            let (body, _) = s.localized(&a.uuid, "body", std::slice::from_ref(&a.body));
            let body = s.template(body.first().map(String::as_str).unwrap_or_default());
            if subject.is_empty() {
                s.error("email subject evaluated to empty string, skipping");
            } else if body.trim().is_empty() {
                s.error("email body evaluated to empty string, skipping");
            } else if !addresses.is_empty() {
                match s.services.email(&addresses, &subject, &body) {
                    Some(outcome) => outcome.events.into_iter().for_each(|e| s.emit(e)),
                    None => s.error("no email service configured"),
                }
            }
        }
        Action::StartSession(a) => {
            let query = s.template(&a.recipients.contact_query);
            let payload = serde_json::json!({
                "type": "session_triggered",
                "flow": a.flow,
                "groups": a.recipients.groups,
                "contacts": a.recipients.contacts,
                "contact_query": query,
                "urns": a.recipients.urns,
                "exclusions": a.exclusions,
                "run_summary": {"uuid": s.run().uuid, "flow": s.run().flow, "status": "active"},
            });
            s.emit(EventKind::Service(payload));
        }
        Action::SendBroadcast(a) => {
            let text = s.template(&a.text);
            let payload = serde_json::json!({
                "type": "broadcast_created",
                "translations": {flow.language.clone(): {"text": text, "attachments": a.attachments, "quick_replies": a.quick_replies}},
                "base_language": flow.language,
                "groups": a.recipients.groups,
                "contacts": a.recipients.contacts,
                "contact_query": a.recipients.contact_query,
                "urns": a.recipients.urns,
            });
            s.emit(EventKind::Service(payload));
        }
        Action::CallResthook(_)
        | Action::OpenTicket(_)
        | Action::CallClassifier(_)
        | Action::CallLlm(_)
        | Action::TransferAirtime(_)
        | Action::RequestOptin(_) => {
            s.error(format!(
                "no service configured for action type '{}'",
                action.type_name()
            ));
        }
    }
    Outcome::Continue
}

/// Voice messages go to the call's URN, without channel or id parameters.
fn voice_msg(mut msg: MsgOut) -> MsgOut {
    msg.urn = msg.urn.map(|u| Contact::bare_urn(&u).to_owned());
    msg
}

/// A field value in every form its text parses as.
fn field_value(text: &str) -> FieldValue {
    let number = parse_decimal(text).map(|n| serde_json::Value::String(n.normalize().to_string()));
    FieldValue {
        text: text.to_owned(),
        number,
        ..FieldValue::default()
    }
}

fn evaluate_attachments(s: &mut Sprinter<'_>, attachments: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for a in attachments {
        let evaluated = s.template(a);
        let valid = evaluated
            .split_once(':')
            .is_some_and(|(ctype, url)| !ctype.is_empty() && !url.trim().is_empty() && !ctype.contains(' '));
        if valid {
            out.push(evaluated);
        } else {
            s.error("attachment evaluated to invalid value, skipping");
        }
    }
    out
}

/// Builds an outgoing message to the contact's first sendable URN.
fn new_msg(
    s: &mut Sprinter<'_>,
    text: String,
    attachments: Vec<String>,
    quick_replies: Vec<QuickReply>,
    lang: &str,
    topic: Option<String>,
) -> MsgOut {
    let mut destination = None;
    for urn in &s.session.contact.urns {
        let channel = Contact::urn_channel(urn)
            .and_then(|c| s.assets.channel(c))
            .or_else(|| s.assets.channel_for_scheme(Contact::scheme(urn)));
        if let Some(channel) = channel {
            destination = Some((urn.clone(), channel.clone()));
            break;
        }
    }
    let country = s
        .session
        .contact
        .urn_of_scheme("tel")
        .and_then(phone_country)
        .or_else(|| destination.as_ref().and_then(|(_, c)| c.country.clone()))
        .or_else(|| s.env.default_country.clone());
    let locale = match (lang, country) {
        ("", _) => None,
        (l, Some(c)) => Some(format!("{l}-{c}")),
        (l, None) => Some(l.to_owned()),
    };
    let unsendable_reason = destination.is_none().then(|| "no_destination".to_owned());
    MsgOut {
        uuid: uuid::Uuid::new_v4().to_string(),
        urn: destination.as_ref().map(|(u, _)| u.clone()),
        channel: destination.map(|(_, c)| c.reference()),
        text,
        attachments,
        quick_replies,
        locale,
        topic: topic.filter(|t| !t.is_empty()),
        unsendable_reason,
    }
}

/// The country of a `tel:` URN's number, if it is in international form.
fn phone_country(urn: &str) -> Option<String> {
    let path = Contact::bare_urn(urn).strip_prefix("tel:")?;
    let number = phonenumber::parse(None, path).ok()?;
    number.country().id().map(|id| id.as_ref().to_owned())
}

/// Resolves group or label references (by UUID, or by a name template)
/// against `known`; unknown ones are `error` events. `kind` names the asset
/// type in messages.
fn resolve_refs(s: &mut Sprinter<'_>, refs: &[GroupRef], known: &[NamedRef], kind: &str) -> Vec<NamedRef> {
    let mut out = Vec::new();
    for r in refs {
        if let Some(name_match) = &r.name_match {
            let Some(name) = s.template_ok(name_match) else {
                continue;
            };
            match known.iter().find(|k| k.name.eq_ignore_ascii_case(name.trim())) {
                Some(k) => out.push(k.clone()),
                None => s.error(format!("no such {kind} with name '{name}'")),
            }
        } else if let Some(uuid) = &r.uuid {
            match known.iter().find(|k| &k.uuid == uuid) {
                Some(k) => out.push(k.clone()),
                None => s.error(format!(
                    "missing dependency: {kind}[uuid={uuid},name={}]",
                    r.name.clone().unwrap_or_default()
                )),
            }
        }
    }
    out
}

fn resolve_groups(s: &mut Sprinter<'_>, refs: &[GroupRef]) -> Vec<NamedRef> {
    let known: Vec<NamedRef> = s
        .assets
        .groups
        .iter()
        .map(|g| NamedRef {
            uuid: g.uuid.clone(),
            name: g.name.clone(),
        })
        .collect();
    resolve_refs(s, refs, &known, "group")
}

fn normalize_urn(s: &Sprinter<'_>, scheme: &str, path: &str) -> String {
    let raw = format!("{scheme}:{path}");
    match crate::core::urn::Urn::parse(&raw, s.env.default_country.as_deref()) {
        Ok(urn) => urn.to_string(),
        Err(_) => raw,
    }
}

/// `urn` with its `channel` parameter set to `channel` (or removed), other
/// parameters and the fragment kept.
fn with_channel(urn: &str, channel: Option<&str>) -> String {
    let (rest, fragment) = match urn.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (urn, None),
    };
    let (base, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut params: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("channel="))
        .map(str::to_owned)
        .collect();
    if let Some(c) = channel {
        params.insert(0, format!("channel={c}"));
    }
    let mut out = base.to_owned();
    if !params.is_empty() {
        out.push('?');
        out.push_str(&params.join("&"));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// Makes `channel` the contact's preferred one: the first URN it can send
/// to is bound to it and moved first; `None` unbinds every URN.
fn set_contact_channel(s: &mut Sprinter<'_>, channel: Option<&NamedRef>) {
    let urns = match channel {
        None => s
            .session
            .contact
            .urns
            .iter()
            .map(|u| with_channel(u, None))
            .collect(),
        Some(reference) => {
            let Some(channel) = s.assets.channel(&reference.uuid).cloned() else {
                s.error(format!(
                    "missing dependency: channel[uuid={},name={}]",
                    reference.uuid, reference.name
                ));
                return;
            };
            if !channel.roles.iter().any(|r| r == "send") {
                s.error("can't set channel that can't send as the preferred channel");
                return;
            }
            let mut urns = s.session.contact.urns.clone();
            let position = urns
                .iter()
                .position(|u| channel.schemes.iter().any(|sc| sc == Contact::scheme(u)));
            if let Some(p) = position {
                let urn = with_channel(&urns.remove(p), Some(&channel.uuid));
                urns.insert(0, urn);
            }
            urns
        }
    };
    if urns != s.session.contact.urns {
        s.session.contact.urns = urns.clone();
        s.emit(EventKind::ContactUrnsChanged { urns });
    }
}
