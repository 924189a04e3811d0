//! A session: one contact's conversation, a stack of runs, started by a
//! trigger and continued by resumes. [`start`] and [`resume`] advance it in
//! a sprint until it waits or ends, returning the sprint's events. The
//! session serialises to JSON so the host can persist a waiting one and
//! resume it after a restart. This module must not know how the host
//! delivers messages or stores sessions.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::flow::assets::FlowRef;
use crate::flow::clock::Clock;
use crate::flow::contact::Contact;
use crate::flow::definition::FlowType;
use crate::flow::events::{Event, EventKind, MsgIn};
use crate::flow::expressions::{Environment, EnvironmentSpec};
use crate::flow::resume::{Resume, ResumeKind};
use crate::flow::run::{Run, RunStatus};
use crate::flow::services::Services;
use crate::flow::session_assets::SessionAssets;
use crate::flow::sprint::Sprinter;
use crate::flow::trigger::{Trigger, TriggerKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Active,
    Waiting,
    Completed,
    Interrupted,
    Failed,
}

/// What the session is waiting for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitState {
    pub run_uuid: String,
    pub node_uuid: String,
    #[serde(rename = "type")]
    pub wait_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub uuid: String,
    #[serde(rename = "type")]
    pub flow_type: FlowType,
    pub environment: EnvironmentSpec,
    pub trigger: Trigger,
    pub contact: Contact,
    pub runs: Vec<Run>,
    pub status: SessionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<WaitState>,
    /// The message the current sprint is handling (`@input`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<MsgIn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_received_on: Option<String>,
    /// The last resume as `@resume` sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_resume: Option<Json>,
    /// The last webhook response of this sprint (`@webhook`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<Json>,
    /// How many times the session has been resumed.
    #[serde(default)]
    pub resumes: u32,
}

/// Why a trigger or resume could not be applied at all. Problems inside a
/// flow are `error` / `failure` events instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("flow {0} is not among the session's assets")]
    FlowNotFound(String),
    #[error("unable to read environment: {0}")]
    BadEnvironment(String),
    #[error("only waiting sessions can be resumed (this one is {0})")]
    NotWaiting(String),
    #[error("resume of type {resume} not accepted by wait of type {wait}")]
    ResumeNotAccepted { resume: String, wait: String },
}

/// Reads an environment, accepting the older `hh:mm` time layouts.
pub fn read_environment(raw: Option<&Json>) -> Result<EnvironmentSpec, EngineError> {
    let mut raw = raw.cloned().unwrap_or_else(|| Json::Object(Default::default()));
    if let Some(tf) = raw.get_mut("time_format") {
        if let Some(s) = tf.as_str() {
            *tf = Json::String(s.replace("hh", "tt"));
        }
    }
    serde_json::from_value(raw).map_err(|e| EngineError::BadEnvironment(e.to_string()))
}

/// The environment a session evaluates in: the workspace's, with the
/// contact's own timezone when it has a valid one and the country of their
/// phone number when the workspace has none.
pub fn environment_of(spec: &EnvironmentSpec, contact: &Contact) -> Result<Environment, EngineError> {
    let mut env = Environment::from_spec(spec).map_err(|e| EngineError::BadEnvironment(e.to_string()))?;
    if let Ok(tz) = contact.timezone.parse() {
        env.timezone = tz;
    }
    // Without a workspace country, the contact's own number says where they are.
    if env.default_country.is_none() {
        env.default_country = contact.urn_of_scheme("tel").and_then(Contact::phone_country);
    }
    Ok(env)
}

/// Starts a session from a trigger and runs it until it waits or ends,
/// reading the time from `clock` ([`crate::flow::clock::system`] outside
/// tests and replays).
pub fn start(
    assets: &SessionAssets,
    services: &dyn Services,
    trigger: Trigger,
    clock: Arc<dyn Clock>,
) -> Result<(Session, Vec<Event>), EngineError> {
    let flow = assets
        .flow(&trigger.flow.uuid)
        .ok_or_else(|| EngineError::FlowNotFound(trigger.flow.uuid.clone()))?;
    let spec = read_environment(trigger.environment.as_ref())?;
    let mut env = environment_of(&spec, &trigger.contact)?;
    env.clock = clock;
    let input = match &trigger.kind {
        TriggerKind::Msg { msg, .. } => Some(msg.clone()),
        _ => None,
    };
    let mut session = Session {
        uuid: crate::flow::ids::new_uuid(),
        flow_type: flow.flow_type,
        environment: spec,
        contact: trigger.contact.clone(),
        trigger,
        runs: Vec::new(),
        status: SessionStatus::Active,
        wait: None,
        input,
        input_received_on: None,
        last_resume: None,
        webhook: None,
        resumes: 0,
    };
    let flow_ref = FlowRef {
        uuid: flow.uuid.clone(),
        name: flow.name.clone(),
    };
    let mut sprinter = Sprinter::new(assets, services, &mut session, env);
    if sprinter.session.input.is_some() {
        // A contact who writes in was seen when the message arrived (the
        // clock is read only when the trigger does not say).
        let given = sprinter.session.trigger.triggered_on.clone();
        let seen_on = match crate::flow::sprint::seen_at(given.as_deref()) {
            Some(seen) => seen,
            None => sprinter.now(),
        };
        sprinter.session.contact.last_seen_on = Some(seen_on);
    }
    sprinter.start_flow(&flow_ref, None);
    let events = sprinter.finish();
    Ok((session, events))
}

/// Most resumes a session may take; beyond it the session fails (loops
/// driven by an automated peer would otherwise never end).
pub const MAX_RESUMES: u32 = 500;

/// Continues a waiting session with a resume.
pub fn resume(
    assets: &SessionAssets,
    services: &dyn Services,
    session: &mut Session,
    resume: Resume,
    clock: Arc<dyn Clock>,
) -> Result<Vec<Event>, EngineError> {
    if session.status != SessionStatus::Waiting {
        return Err(EngineError::NotWaiting(
            format!("{:?}", session.status).to_lowercase(),
        ));
    }
    let wait = session
        .wait
        .clone()
        .ok_or_else(|| EngineError::NotWaiting("not waiting".to_owned()))?;
    let accepted = match (&resume.kind, wait.wait_type.as_str()) {
        (ResumeKind::RunExpiration {}, _) => true,
        (ResumeKind::Msg { .. }, "msg") => true,
        (ResumeKind::WaitTimeout {}, "msg") => wait.timeout_seconds.is_some(),
        (ResumeKind::Dial { .. }, "dial") => true,
        _ => false,
    };
    if !accepted {
        return Err(EngineError::ResumeNotAccepted {
            resume: resume.type_name().to_owned(),
            wait: wait.wait_type.clone(),
        });
    }
    let mut refreshed = Vec::new();
    if let Some(raw) = resume.environment.as_ref() {
        let spec = read_environment(Some(raw))?;
        let changed = serde_json::to_value(&spec).ok() != serde_json::to_value(&session.environment).ok();
        if changed {
            // Report the environment as given, with defaults filled in.
            let mut shown = serde_json::to_value(&spec).unwrap_or_default();
            if let (Some(shown), Some(raw)) = (shown.as_object_mut(), raw.as_object()) {
                shown.extend(raw.iter().map(|(k, v)| (k.clone(), v.clone())));
                shown.retain(|_, v| !v.is_null());
            }
            refreshed.push(EventKind::EnvironmentRefreshed { environment: shown });
            session.environment = spec;
        }
    }
    if let Some(contact) = &resume.contact {
        if *contact != session.contact {
            refreshed.push(EventKind::ContactRefreshed {
                contact: contact.clone(),
            });
            session.contact = contact.clone();
        }
    }
    let mut env = environment_of(&session.environment, &session.contact)?;
    env.clock = clock;
    session.resumes += 1;
    session.webhook = None;
    let mut sprinter = Sprinter::new(assets, services, session, env);
    if sprinter.session_resumes() > MAX_RESUMES {
        sprinter.fail(format!(
            "reached maximum number of resumes per session ({MAX_RESUMES})"
        ));
        return Ok(sprinter.finish());
    }
    sprinter.resume(&wait, resume, refreshed);
    Ok(sprinter.finish())
}

impl Session {
    pub fn run_mut(&mut self, uuid: &str) -> Option<&mut Run> {
        self.runs.iter_mut().find(|r| r.uuid == uuid)
    }

    /// The run that is active or waiting, innermost first.
    pub fn current_run_index(&self) -> Option<usize> {
        self.runs.iter().rposition(|r| !r.status.is_done())
    }

    pub fn is_waiting(&self) -> bool {
        self.status == SessionStatus::Waiting
    }

    pub fn run_status(&self) -> Option<RunStatus> {
        self.runs.first().map(|r| r.status)
    }
}
