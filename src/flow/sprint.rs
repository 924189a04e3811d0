//! One sprint of a session: from a trigger or resume until the session
//! waits or ends. Walks nodes, runs their actions, routes, enters and leaves
//! subflows, begins waits, and collects the events. A bad expression or a
//! missing asset is an `error` event; a runaway loop is a `failure`.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::flow::actions::exec::{self, Outcome};
use crate::flow::assets::FlowRef;
use crate::flow::cases::{evaluate_case, CaseResult};
use crate::flow::context;
use crate::flow::definition::{Flow, Node};
use crate::flow::events::{Event, EventKind};
use crate::flow::expressions::{evaluate_template, evaluate_template_value, Environment, Object, Value};
use crate::flow::resume::{Resume, ResumeKind};
use crate::flow::routers::{Category, Router};
use crate::flow::run::{result_key, RawJson, Run, RunResult, RunStatus, Step};
use crate::flow::services::Services;
use crate::flow::session::{Session, SessionStatus, WaitState};
use crate::flow::session_assets::SessionAssets;
use crate::flow::trigger::TriggerKind;
use crate::flow::waits::Wait;

/// Nodes one sprint may visit; a flow looping without a wait fails here.
pub const MAX_STEPS_PER_SPRINT: usize = 100;

/// How long a dial rings before giving up, when the wait does not say.
pub const DEFAULT_DIAL_LIMIT_SECONDS: u32 = 60;

/// Longest a dialled call may last, when the wait does not say (2 hours).
pub const DEFAULT_CALL_LIMIT_SECONDS: u32 = 7200;

/// Evaluated templates are cut to this many characters (reference limit).
pub const MAX_TEMPLATE_CHARS: usize = 10_000;

/// When a contact who wrote in was last seen, if the host says when the
/// message arrived (trigger or resume time); `None` means now.
pub fn seen_at(given: Option<&str>) -> Option<String> {
    given
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        })
}

/// True when `name` appears in `lower` as a whole top-level name (not as a
/// property such as `results.webhook` nor inside `webhook_result`).
fn names_top_level(lower: &str, name: &str) -> bool {
    let is_name = |c: char| c.is_alphanumeric() || c == '_';
    lower.match_indices(name).any(|(at, _)| {
        let before = lower[..at].chars().next_back();
        let after = lower[at + name.len()..].chars().next();
        !before.is_some_and(|c| is_name(c) || c == '.') && !after.is_some_and(is_name)
    })
}

/// Context values kept for old flows: the path, and what the warning says.
const DEPRECATED_CONTEXT: &[(&str, &str)] = &[
    ("child.run.status", "child.run.status: use child.status instead"),
    (
        "parent.run.status",
        "parent.run.status: use parent.status instead",
    ),
    ("legacy_extra", "legacy_extra"),
];

/// How the router of the node being left should pick its category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RouteBy {
    /// Evaluate the operand (fresh arrival, a reply, a finished subflow).
    Operand,
    /// The wait timed out: take the timeout category.
    Timeout,
}

pub struct Sprinter<'a> {
    pub assets: &'a SessionAssets,
    pub services: &'a dyn Services,
    pub session: &'a mut Session,
    pub env: Environment,
    events: Vec<Event>,
    steps: usize,
    step_uuid: Option<String>,
    run_index: usize,
    /// Whether the trigger message has been used as the answer to a wait.
    trigger_input_used: bool,
    /// When the wait this sprint resumed timed out (its `wait_timed_out`).
    timed_out_on: Option<DateTime<Utc>>,
}

/// An instant as events and runs carry it: RFC 3339 in UTC with nine
/// fractional digits, as `to_rfc3339_opts(Nanos, true)` writes it. A sprint
/// stamps every event and run change, so the common case (years 0–9999, no
/// leap second) is written directly; chrono's general formatter was a
/// tenth of a quiz session's time.
fn stamp(at: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let (year, nanos) = (at.year(), at.nanosecond());
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return at.to_rfc3339_opts(SecondsFormat::Nanos, true);
    }
    let mut buf = [0u8; 30];
    let mut put = |at: usize, width: usize, mut n: u32| {
        for i in (at..at + width).rev() {
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, 4, year as u32);
    put(5, 2, at.month());
    put(8, 2, at.day());
    put(11, 2, at.hour());
    put(14, 2, at.minute());
    put(17, 2, at.second());
    put(20, 9, nanos);
    for (i, c) in [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
        (29, b'Z'),
    ] {
        buf[i] = c;
    }
    // Only ASCII digits and separators were written.
    String::from_utf8(buf.to_vec()).unwrap_or_default()
}

impl<'a> Sprinter<'a> {
    pub fn new(
        assets: &'a SessionAssets,
        services: &'a dyn Services,
        session: &'a mut Session,
        mut env: Environment,
    ) -> Sprinter<'a> {
        let run_index = session.current_run_index().unwrap_or(0);
        if env.locations.is_none() {
            if let Some(tree) = &assets.locations {
                env.locations = Some(tree.clone());
            }
        }
        Sprinter {
            assets,
            services,
            session,
            env,
            events: Vec::new(),
            steps: 0,
            step_uuid: None,
            run_index,
            trigger_input_used: false,
            timed_out_on: None,
        }
    }

    pub fn finish(self) -> Vec<Event> {
        self.events
    }

    pub fn session_resumes(&self) -> u32 {
        self.session.resumes
    }

    /// Reads the clock. Every reading is one moment of the sprint: the
    /// engine reads where the reference engine does (see [`crate::flow::clock`]).
    pub fn now(&self) -> String {
        stamp(self.env.now())
    }

    /// The current run changed now (its `modified_on`). Before the first
    /// run there is nothing to modify, and the clock is not read.
    fn touch(&mut self) {
        if self.session.runs.get(self.run_index).is_none() {
            return;
        }
        let now = self.now();
        if let Some(run) = self.session.runs.get_mut(self.run_index) {
            run.modified_on = Some(now);
        }
    }

    /// Makes an event now and logs it on the current run, which is then
    /// modified.
    pub fn emit(&mut self, kind: EventKind) {
        let event = Event {
            kind,
            created_on: self.now(),
            step_uuid: self.step_uuid.clone(),
        };
        self.events.push(event);
        self.touch();
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.emit(EventKind::error(text));
    }

    /// Ends the session as failed with a `failure` event.
    pub fn fail(&mut self, text: String) {
        self.emit(EventKind::Failure { text });
        let now = self.now();
        for run in self.session.runs.iter_mut().filter(|r| !r.status.is_done()) {
            run.status = RunStatus::Failed;
            run.exited_on = Some(now.clone());
            run.modified_on = Some(now.clone());
        }
        self.session.status = SessionStatus::Failed;
        self.session.wait = None;
    }

    pub fn run(&self) -> &Run {
        &self.session.runs[self.run_index]
    }

    pub fn run_mut(&mut self) -> &mut Run {
        &mut self.session.runs[self.run_index]
    }

    pub fn flow(&self) -> Option<&'a Flow> {
        self.assets.flow(&self.run().flow.uuid)
    }

    /// The context a template can see: only the top-level entries it names.
    fn context_for(&self, template: &str) -> Object {
        self.context_for_lower(&template.to_lowercase())
    }

    /// As [`Sprinter::context_for`], given the template in lower case.
    fn context_for_lower(&self, lower: &str) -> Object {
        context::build_for(self.assets, self.session, self.run_index, &self.env, &|key| {
            lower.contains(key)
        })
    }

    /// Evaluates a template to text; each expression error becomes an
    /// `error` event and renders as nothing.
    pub fn template(&mut self, template: &str) -> String {
        if !template.contains('@') {
            return template.to_owned();
        }
        let lower = template.to_lowercase();
        self.warn_deprecated(&lower);
        let ctx = self.context_for_lower(&lower);
        let (mut text, errors) = evaluate_template(template, &ctx, &self.env);
        for e in errors {
            self.error(e);
        }
        if text.chars().count() > MAX_TEMPLATE_CHARS {
            // Cut texts end in an ellipsis, within the limit.
            text = text.chars().take(MAX_TEMPLATE_CHARS - 3).collect();
            text.push_str("...");
        }
        text
    }

    /// Evaluates a contact query template: each inserted value becomes a
    /// quoted string, so values can't change the query's shape.
    pub fn template_query(&mut self, template: &str) -> String {
        if !template.contains('@') {
            return template.to_owned();
        }
        let ctx = self.context_for(template);
        let quote = |v: &str| format!("\"{}\"", v.replace('"', "\\\""));
        let (text, errors) =
            crate::flow::expressions::evaluate_template_escaped(template, &ctx, &self.env, Some(&quote));
        for e in errors {
            self.error(e);
        }
        text
    }

    /// As [`Sprinter::template`], but `None` when any expression failed: the
    /// action is then skipped (its errors are already reported).
    pub fn template_ok(&mut self, template: &str) -> Option<String> {
        let before = self.events.len();
        let text = self.template(template);
        let failed = self.events[before..]
            .iter()
            .any(|e| matches!(e.kind, EventKind::Error { .. }));
        (!failed).then_some(text)
    }

    /// Warns (a `warning` event) when a template (given in lower case) reads
    /// a context value kept only for old flows, so authors can update them.
    fn warn_deprecated(&mut self, lower: &str) {
        for (path, advice) in DEPRECATED_CONTEXT {
            if lower.contains(path) {
                self.emit(EventKind::Warning {
                    text: format!("deprecated context value accessed: {advice}"),
                });
            }
        }
        let recreates_webhook = names_top_level(lower, "webhook")
            && self.session.webhook.is_none()
            && crate::flow::context::webhook_from_results(self.run()).is_some();
        if recreates_webhook {
            self.emit(EventKind::Warning {
                text: "deprecated context value accessed: webhook recreated from extra".to_owned(),
            });
        }
    }

    /// Evaluates a template keeping the type of a lone expression.
    pub fn template_value(&mut self, template: &str) -> Value {
        let lower = template.to_lowercase();
        self.warn_deprecated(&lower);
        let ctx = self.context_for_lower(&lower);
        let (value, errors) = evaluate_template_value(template, &ctx, &self.env);
        for e in errors {
            self.error(e);
        }
        value
    }

    /// The languages to try for translations, best first, and the flow's own.
    pub fn languages(&self) -> Vec<String> {
        let mut langs = Vec::new();
        let contact_lang = &self.session.contact.language;
        if !contact_lang.is_empty() && self.env.allowed_languages.iter().any(|l| l == contact_lang) {
            langs.push(contact_lang.clone());
        }
        if let Some(default) = self.env.allowed_languages.first() {
            if !langs.contains(default) {
                langs.push(default.clone());
            }
        }
        langs
    }

    /// A localizable property: its translation in the first language that has
    /// a non-empty one, else the definition's own, with the language used.
    pub fn localized(&self, uuid: &str, property: &str, base: &[String]) -> (Vec<String>, String) {
        let Some(flow) = self.flow() else {
            return (base.to_vec(), String::new());
        };
        if flow.localization.is_empty() {
            // Nothing translated: skip working out the language order.
            return (base.to_vec(), flow.language.clone());
        }
        for lang in self.languages() {
            if lang == flow.language {
                break;
            }
            if let Some(t) = flow.translation(&lang, uuid, property) {
                if !t.is_empty() && t.iter().any(|s| !s.is_empty()) {
                    return (t.to_vec(), lang);
                }
            }
        }
        (base.to_vec(), flow.language.clone())
    }

    /// Starts a new run in `flow_ref` (a child of `parent` if given).
    pub fn start_flow(&mut self, flow_ref: &FlowRef, parent: Option<usize>) {
        let Some(flow) = self.assets.flow(&flow_ref.uuid) else {
            self.fail(format!("unable to find flow with UUID {}", flow_ref.uuid));
            return;
        };
        if self.session.runs.is_empty() && self.session.resumes == 0 {
            // The contact's query groups are brought up to date as the
            // session starts, before its first run.
            self.refresh_groups();
        }
        let created_on = self.now();
        let run = Run {
            uuid: crate::flow::ids::new_uuid(),
            flow: FlowRef {
                uuid: flow.uuid.clone(),
                name: flow.name.clone(),
            },
            status: RunStatus::Active,
            path: Vec::new(),
            results: Default::default(),
            locals: Default::default(),
            modified_on: Some(created_on.clone()),
            created_on,
            exited_on: None,
            parent_uuid: parent.map(|p| self.session.runs[p].uuid.clone()),
        };
        self.session.runs.push(run);
        self.run_index = self.session.runs.len() - 1;
        self.session.status = SessionStatus::Active;
        match flow.nodes.first() {
            Some(node) => {
                let uuid = node.uuid.clone();
                self.walk(uuid, false, RouteBy::Operand);
            }
            None => self.end_run(RunStatus::Completed),
        }
    }

    /// Continues the waiting run with a resume.
    pub fn resume(&mut self, wait: &WaitState, resume: Resume, refreshed: Vec<EventKind>) {
        let Some(index) = self.session.runs.iter().position(|r| r.uuid == wait.run_uuid) else {
            self.fail(format!("waiting run {} is missing", wait.run_uuid));
            return;
        };
        self.run_index = index;
        self.step_uuid = self.run().path.last().map(|s| s.uuid.clone());
        for event in refreshed {
            self.emit(event);
        }
        self.session.wait = None;
        self.session.status = SessionStatus::Active;
        let mut resume_json = serde_json::json!({"type": resume.type_name()});
        // What ended the wait is reported before the run is active again;
        // a message is received by the active run.
        let (route, msg) = match resume.kind {
            ResumeKind::Msg { msg } => (RouteBy::Operand, Some(msg)),
            ResumeKind::WaitTimeout {} => {
                self.emit(EventKind::WaitTimedOut {});
                self.timed_out_on = self
                    .events
                    .last()
                    .and_then(|e| DateTime::parse_from_rfc3339(&e.created_on).ok())
                    .map(|t| t.with_timezone(&Utc));
                (RouteBy::Timeout, None)
            }
            ResumeKind::Dial { dial } => {
                resume_json["dial"] = serde_json::to_value(&dial).unwrap_or_default();
                self.emit(EventKind::DialEnded {
                    dial: resume_json["dial"].clone(),
                });
                (RouteBy::Operand, None)
            }
            ResumeKind::RunExpiration {} => {
                self.exit_run(RunStatus::Expired);
                let run_uuid = self.run().uuid.clone();
                self.emit(EventKind::RunExpired { run_uuid });
                self.after_exit(RunStatus::Expired);
                return;
            }
        };
        // The run is active again now.
        let now = self.now();
        let run = self.run_mut();
        run.status = RunStatus::Active;
        run.modified_on = Some(now.clone());
        resume_json["resumed_on"] = serde_json::Value::String(now.clone());
        if let Some(msg) = msg {
            self.session.input = Some(msg.clone());
            let seen_on = seen_at(resume.resumed_on.as_deref()).unwrap_or_else(|| now.clone());
            self.session.contact.last_seen_on = Some(seen_on);
            self.session.input_received_on = Some(now);
            self.emit(EventKind::MsgReceived { msg });
        }
        self.session.last_resume = Some(resume_json);
        self.walk(wait.node_uuid.clone(), true, route);
    }

    /// Ends the current run; a child's end continues its parent's router.
    fn end_run(&mut self, status: RunStatus) {
        self.exit_run(status);
        self.after_exit(status);
    }

    /// Marks the current run as ended now.
    fn exit_run(&mut self, status: RunStatus) {
        let now = self.now();
        let run = self.run_mut();
        run.status = status;
        run.exited_on = Some(now.clone());
        run.modified_on = Some(now);
    }

    /// After the current run ended: its parent continues at its router, or
    /// the session ends with the last run.
    fn after_exit(&mut self, status: RunStatus) {
        let parent = self.run().parent_uuid.clone();
        let parent_index = parent.and_then(|p| self.session.runs.iter().position(|r| r.uuid == p));
        match parent_index {
            Some(p) if !self.session.runs[p].status.is_done() => {
                self.run_index = p;
                self.run_mut().status = RunStatus::Active;
                self.step_uuid = self.run().path.last().map(|s| s.uuid.clone());
                match self.run().current_node().map(str::to_owned) {
                    Some(node) => self.walk(node, true, RouteBy::Operand),
                    None => self.end_run(RunStatus::Completed),
                }
            }
            _ => {
                if self.session.runs.iter().all(|r| r.status.is_done()) {
                    self.session.status = match status {
                        RunStatus::Failed => SessionStatus::Failed,
                        RunStatus::Interrupted => SessionStatus::Interrupted,
                        _ => SessionStatus::Completed,
                    };
                }
            }
        }
    }

    /// Walks from `node_uuid` until a wait, the end, or a subflow.
    /// `arrived` means the run is already at the node (resumed or back from
    /// a subflow): its actions do not run again.
    fn walk(&mut self, mut node_uuid: String, mut arrived: bool, mut route_by: RouteBy) {
        loop {
            if self.session.status == SessionStatus::Failed {
                return;
            }
            self.steps += 1;
            if self.steps > MAX_STEPS_PER_SPRINT {
                self.fail(format!(
                    "reached maximum number of steps per sprint ({MAX_STEPS_PER_SPRINT})"
                ));
                return;
            }
            let Some(flow) = self.flow() else {
                self.fail(format!("unable to find flow with UUID {}", self.run().flow.uuid));
                return;
            };
            let Some(node) = flow.node(&node_uuid) else {
                self.fail(format!("unable to find node with UUID {node_uuid}"));
                return;
            };
            if !arrived {
                let step = Step {
                    uuid: crate::flow::ids::new_uuid(),
                    node_uuid: node_uuid.clone(),
                    arrived_on: self.now(),
                    exit_uuid: None,
                };
                self.step_uuid = Some(step.uuid.clone());
                self.run_mut().path.push(step);
                if self.is_session_first_step() {
                    if let TriggerKind::Msg { msg, .. } = &self.session.trigger.kind {
                        let msg = msg.clone();
                        self.emit(EventKind::MsgReceived { msg });
                    }
                }
                // A subflow entered by an action starts once the node's
                // other actions have run, as the reference engine does.
                let mut entered = None;
                for action in &node.actions {
                    match exec::execute(self, flow, action) {
                        Outcome::Continue => {}
                        Outcome::EnterFlow {
                            flow: child,
                            terminal,
                        } => {
                            entered.get_or_insert((child, terminal));
                        }
                    }
                    if self.session.status == SessionStatus::Failed {
                        return;
                    }
                }
                if let Some((child, terminal)) = entered {
                    if terminal {
                        self.exit_run(RunStatus::Completed);
                        self.start_flow(&child, None);
                    } else {
                        let parent = self.run_index;
                        self.start_flow(&child, Some(parent));
                    }
                    return;
                }
            }
            let category = match &node.router {
                None => None,
                Some(router) => {
                    if !arrived {
                        if let Some(wait) = &router.base().wait {
                            if !self.can_skip_wait(wait) && self.begin_wait(flow, node, wait) {
                                return;
                            }
                        }
                    }
                    match self.route(flow, node, router, route_by) {
                        Some(c) => Some(c),
                        None => {
                            self.fail(format!(
                                "router on node[uuid={}] failed to pick a category",
                                node.uuid
                            ));
                            return;
                        }
                    }
                }
            };
            let exit_uuid = match category {
                Some(c) => c.exit_uuid.clone(),
                None => node.exits.first().map(|e| e.uuid.clone()).unwrap_or_default(),
            };
            if let Some(step) = self.run_mut().path.last_mut() {
                step.exit_uuid = Some(exit_uuid.clone());
            }
            match node.exit(&exit_uuid).and_then(|e| e.destination_uuid.clone()) {
                Some(dest) => {
                    // The run moves on now.
                    self.touch();
                    node_uuid = dest;
                    arrived = false;
                    route_by = RouteBy::Operand;
                }
                None => {
                    self.end_run(RunStatus::Completed);
                    return;
                }
            }
        }
    }

    /// True at the very first step of a session's first sprint.
    fn is_session_first_step(&self) -> bool {
        self.run_index == 0
            && self.session.runs.len() == 1
            && self.run().path.len() == 1
            && self.session.resumes == 0
    }

    /// Re-evaluates query-based groups after a contact change.
    pub fn refresh_groups(&mut self) {
        if let Some(event) = crate::flow::smart_groups::refresh(self.assets, &mut self.session.contact) {
            self.emit(event);
        }
    }

    /// A msg trigger answers the first wait of the first run.
    fn can_skip_wait(&mut self, wait: &Wait) -> bool {
        let is_msg_trigger = matches!(self.session.trigger.kind, TriggerKind::Msg { .. });
        if is_msg_trigger
            && matches!(wait, Wait::Msg(_))
            && self.run_index == 0
            && self.run().path.len() == 1
            && !self.trigger_input_used
            && self.session.resumes == 0
        {
            self.trigger_input_used = true;
            return true;
        }
        false
    }

    /// Starts waiting at `node`; `false` when the wait can't begin (a dial
    /// to a number that can't exist), and the router then routes at once.
    fn begin_wait(&mut self, flow: &Flow, node: &Node, wait: &Wait) -> bool {
        // The wait expires this long after it begins (read once it does).
        let expires = chrono::Duration::minutes(i64::from(flow.expiry_minutes()));
        let (wait_type, timeout_seconds) = match wait {
            Wait::Msg(w) => {
                let timeout_seconds = w.timeout.as_ref().map(|t| t.seconds);
                let expires_on = self.env.now().checked_add_signed(expires).map(stamp);
                self.emit(EventKind::MsgWait {
                    timeout_seconds,
                    expires_on,
                    hint: w.hint.clone(),
                });
                ("msg", timeout_seconds)
            }
            Wait::Dial(w) => {
                let phone = self.template(&w.phone);
                let urn = match crate::core::urn::Urn::parse(
                    &format!("tel:{}", phone.trim()),
                    self.env.default_country.as_deref(),
                ) {
                    Ok(urn) => urn.to_string(),
                    Err(_) => {
                        self.error("not a possible number");
                        return false;
                    }
                };
                let expires_on = self.env.now().checked_add_signed(expires).map(stamp);
                self.emit(EventKind::DialWait {
                    urn,
                    dial_limit_seconds: Some(w.dial_limit_seconds.unwrap_or(DEFAULT_DIAL_LIMIT_SECONDS)),
                    call_limit_seconds: Some(w.call_limit_seconds.unwrap_or(DEFAULT_CALL_LIMIT_SECONDS)),
                    expires_on,
                });
                ("dial", None)
            }
        };
        self.run_mut().status = RunStatus::Waiting;
        self.touch();
        self.session.status = SessionStatus::Waiting;
        self.session.wait = Some(WaitState {
            run_uuid: self.run().uuid.clone(),
            node_uuid: node.uuid.clone(),
            wait_type: wait_type.to_owned(),
            timeout_seconds,
        });
        true
    }

    /// Picks the router's category and saves its result.
    fn route<'f>(
        &mut self,
        flow: &'f Flow,
        node: &Node,
        router: &'f Router,
        by: RouteBy,
    ) -> Option<&'f Category> {
        let (category_uuid, value, input, extra) = match (router, by) {
            (_, RouteBy::Timeout) => {
                let timeout = match &router.base().wait {
                    Some(Wait::Msg(w)) => w.timeout.as_ref().map(|t| t.category_uuid.clone()),
                    _ => None,
                };
                // A timed-out result holds when it timed out: the time of
                // its `wait_timed_out` event.
                let at = self.timed_out_on.unwrap_or_else(|| self.env.now());
                let at = Value::DateTime(at.with_timezone(&chrono_tz::UTC)).to_text(&self.env);
                (timeout, at, None, None)
            }
            (Router::Random(r), RouteBy::Operand) => {
                let n = r.base.categories.len().max(1);
                let pick: f64 = rand::random();
                let index = ((pick * n as f64) as usize).min(n - 1);
                let uuid = r.base.categories.get(index).map(|c| c.uuid.clone());
                (uuid, index.to_string(), Some(pick.to_string()), None)
            }
            (Router::Switch(s), RouteBy::Operand) => {
                let operand = if s.operand.is_empty() {
                    Value::Null
                } else {
                    self.template_value(&s.operand)
                };
                let input = operand.to_text(&self.env);
                let mut found = None;
                for case in &s.cases {
                    let (args, _) = self.localized(&case.uuid, "arguments", &case.arguments);
                    let args: Vec<Value> = args.iter().map(|a| Value::text(self.template(a))).collect();
                    match evaluate_case(&case.test, &operand, &args, &self.env) {
                        CaseResult::Matched { value, extra } => {
                            let extra = extra.map(|o| RawJson::from_value(&Value::Object(o).to_json()));
                            found = Some((Some(case.category_uuid.clone()), value.to_text(&self.env), extra));
                            break;
                        }
                        CaseResult::NoMatch => {}
                        CaseResult::Error(e) => self.error(e),
                    }
                }
                match found {
                    Some((c, v, x)) => (c, v, Some(input), x),
                    None => (
                        s.default_category_uuid.clone().filter(|d| !d.is_empty()),
                        input.clone(),
                        Some(input),
                        None,
                    ),
                }
            }
        };
        let category = category_uuid.as_deref().and_then(|c| router.category(c))?;
        let name = &router.base().result_name;
        if !name.is_empty() {
            let (localized, lang) =
                self.localized(&category.uuid, "name", std::slice::from_ref(&category.name));
            let category_localized = if lang != flow.language {
                localized.first().cloned().unwrap_or_default()
            } else {
                String::new()
            };
            self.save_result(
                name,
                value,
                category.name.clone(),
                category_localized,
                input,
                extra,
                &node.uuid,
            );
        }
        Some(category)
    }

    /// Saves a result on the current run and reports it.
    #[allow(clippy::too_many_arguments)]
    pub fn save_result(
        &mut self,
        name: &str,
        value: String,
        category: String,
        category_localized: String,
        input: Option<String>,
        extra: Option<RawJson>,
        node_uuid: &str,
    ) {
        let result = RunResult {
            name: name.to_owned(),
            value: value.clone(),
            category: category.clone(),
            category_localized: category_localized.clone(),
            node_uuid: node_uuid.to_owned(),
            input: input.clone(),
            extra: extra.clone(),
            created_on: self.now(),
        };
        let previous = self
            .run_mut()
            .results
            .insert(result_key(name), result)
            .map(|p| serde_json::json!({"value": p.value, "category": p.category}));
        self.touch();
        self.emit(EventKind::RunResultChanged {
            name: name.to_owned(),
            value,
            category,
            extra: extra.as_ref().map(RawJson::value),
            previous,
        });
    }

    /// The node the current step is at.
    pub fn current_node_uuid(&self) -> String {
        self.run().current_node().unwrap_or_default().to_owned()
    }
}

#[cfg(test)]
mod stamp_tests {
    use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

    #[test]
    fn stamps_match_chronos_rfc3339() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let cases = [
            at("2026-12-06T09:10:11.123456789Z"),
            at("1970-01-01T00:00:00Z"),
            at("0001-02-03T04:05:06.000000007Z"),
            at("9999-12-31T23:59:59.999999999Z"),
            Utc.with_ymd_and_hms(2024, 2, 29, 12, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0).unwrap(),
        ];
        for t in cases {
            assert_eq!(super::stamp(t), t.to_rfc3339_opts(SecondsFormat::Nanos, true));
        }
    }
}
