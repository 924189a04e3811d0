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
use crate::flow::sprint::Sprinter;

/// Contact field values are cut to this many characters (reference limit).
pub const MAX_FIELD_VALUE_CHARS: usize = 640;

/// Result values are cut to this many characters (reference limit).
pub const MAX_RESULT_VALUE_CHARS: usize = 640;

/// Webhook URLs longer than this are refused (what HTTP servers accept).
pub const MAX_WEBHOOK_URL_LEN: usize = 2048;

/// Evaluated attachments longer than this (characters) are skipped, as the
/// reference engine does: channels cannot carry longer URLs.
pub const MAX_ATTACHMENT_LEN: usize = 2048;

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
        Action::SendMsg(a) => a.execute(s, flow),
        Action::SayMsg(a) => a.execute(s, flow),
        Action::PlayAudio(a) => a.execute(s, flow),
        Action::SetContactField(a) => a.execute(s, flow),
        Action::SetContactName(a) => a.execute(s, flow),
        Action::SetContactLanguage(a) => a.execute(s, flow),
        Action::SetContactTimezone(a) => a.execute(s, flow),
        Action::SetContactStatus(a) => a.execute(s, flow),
        Action::SetContactChannel(a) => {
            set_contact_channel(s, a.channel.as_ref());
            Outcome::Continue
        }
        Action::AddContactUrn(a) => a.execute(s, flow),
        Action::AddContactGroups(a) => a.execute(s, flow),
        Action::RemoveContactGroups(a) => a.execute(s, flow),
        Action::SetRunResult(a) => a.execute(s, flow),
        Action::SetRunLocal(a) => a.execute(s, flow),
        Action::AddInputLabels(a) => a.execute(s, flow),
        Action::EnterFlow(a) => a.execute(s, flow),
        Action::CallWebhook(a) => a.execute(s, flow),
        Action::SendEmail(a) => a.execute(s, flow),
        Action::StartSession(a) => a.execute(s, flow),
        Action::SendBroadcast(a) => a.execute(s, flow),
        Action::CallResthook(a) => a.execute(s, flow),
        Action::CallClassifier(a) => a.execute(s, flow),
        Action::RequestOptin(a) => a.execute(s, flow),
        Action::TransferAirtime(a) => a.execute(s, flow),
        Action::OpenTicket(a) => a.execute(s, flow),
        Action::CallLlm(_) => {
            s.error(format!(
                "no service configured for action type '{}'",
                action.type_name()
            ));
            Outcome::Continue
        }
    }
}

/// Voice messages go to the call's URN, without channel or id parameters.
pub(super) fn voice_msg(mut msg: MsgOut) -> MsgOut {
    msg.urn = msg.urn.map(|u| Contact::bare_urn(&u).to_owned());
    msg
}

/// A field value in every form its text parses as.
/// As [`field_value`], also reading the text as a location (a state,
/// district or ward path such as `Rwanda > Kigali City > Gasabo`, or a
/// unique name) in the session's location tree.
pub(super) fn field_value_in(
    text: &str,
    locations: Option<&crate::flow::expressions::LocationTree>,
) -> FieldValue {
    use crate::flow::expressions::Locations;
    let mut value = field_value(text);
    let Some(tree) = locations else {
        return value;
    };
    let wanted = text.trim().to_lowercase();
    for level in 1..=3 {
        let matches: Vec<_> = tree
            .at_level(level)
            .into_iter()
            .filter(|c| {
                c.path.join(" > ").to_lowercase() == wanted
                    || c.names.iter().any(|n| n.to_lowercase() == wanted)
            })
            .collect();
        let [found] = matches.as_slice() else {
            continue;
        };
        let up_to = |n: usize| Some(found.path[..=n].join(" > "));
        value.state = up_to(1);
        if level >= 2 {
            value.district = up_to(2);
        }
        if level == 3 {
            value.ward = up_to(3);
        }
        break;
    }
    value
}

pub(super) fn field_value(text: &str) -> FieldValue {
    // Numbers are kept as JSON numbers, as exports and events carry them.
    let number = parse_decimal(text).and_then(|n| serde_json::from_str(&n.normalize().to_string()).ok());
    let datetime = chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|_| text.to_owned());
    FieldValue {
        text: text.to_owned(),
        number,
        datetime,
        ..FieldValue::default()
    }
}

pub(super) fn evaluate_attachments(s: &mut Sprinter<'_>, attachments: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for a in attachments {
        let evaluated = s.template(a);
        if evaluated.chars().count() > MAX_ATTACHMENT_LEN {
            s.error(format!(
                "evaluated attachment is longer than {MAX_ATTACHMENT_LEN} limit, skipping"
            ));
            continue;
        }
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
pub(super) fn new_msg(
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
        .and_then(Contact::phone_country)
        .or_else(|| destination.as_ref().and_then(|(_, c)| c.country.clone()))
        .or_else(|| s.env.default_country.clone());
    let locale = match (lang, country) {
        ("", _) => None,
        (l, Some(c)) => Some(format!("{l}-{c}")),
        (l, None) => Some(l.to_owned()),
    };
    let unsendable_reason = destination.is_none().then(|| "no_destination".to_owned());
    MsgOut {
        uuid: crate::flow::ids::new_uuid(),
        urn: destination.as_ref().map(|(u, _)| u.clone()),
        channel: destination.map(|(_, c)| c.reference()),
        text,
        attachments,
        quick_replies,
        locale,
        topic: topic.filter(|t| !t.is_empty()),
        unsendable_reason,
        templating: None,
    }
}

/// Resolves group or label references (by UUID, or by a name template)
/// against `known`; unknown ones are `error` events. `kind` names the asset
/// type in messages.
pub(super) fn resolve_refs(
    s: &mut Sprinter<'_>,
    refs: &[GroupRef],
    known: &[NamedRef],
    kind: &str,
) -> Vec<NamedRef> {
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

pub(super) fn resolve_groups(s: &mut Sprinter<'_>, refs: &[GroupRef]) -> Vec<NamedRef> {
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

/// `scheme:path` in its normal form. A phone number that is not valid in
/// the workspace's country is tried as an international one (`+` added).
pub(super) fn normalize_urn(s: &Sprinter<'_>, scheme: &str, path: &str) -> String {
    let raw = format!("{scheme}:{path}");
    let country = s.env.default_country.as_deref();
    if scheme == "tel" && !path.starts_with('+') {
        let valid_here = phonenumber::parse(country.and_then(|c| c.parse().ok()), path)
            .is_ok_and(|n| phonenumber::is_valid(&n));
        if !valid_here {
            let international = format!("+{}", path.trim());
            if phonenumber::parse(None, &international).is_ok_and(|n| phonenumber::is_valid(&n)) {
                return format!("tel:{international}");
            }
        }
    }
    match crate::core::urn::Urn::parse(&raw, country) {
        Ok(urn) => urn.to_string(),
        Err(_) => raw,
    }
}

/// Whether a URN's path has the shape its scheme requires, where the
/// scheme says (numeric ids for telegram, whatsapp and facebook).
pub(super) fn urn_path_is_valid(scheme: &str, path: &str) -> bool {
    let numeric = |p: &str| !p.is_empty() && p.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit());
    match scheme {
        "telegram" | "whatsapp" => numeric(path),
        _ => true,
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
