//! Sends: broadcasts and flow starts in one list, newest first, and each
//! send's page: its funnel (overall and per carrier link), live through
//! Server-Sent Events (`console.js`; without JavaScript the figures of the
//! moment and a refresh link), pause / resume / cancel / retry the failed
//! ones for senders, and failures grouped by reason in words. Backed by
//! the store functions `/api/v1/broadcasts` and `/api/v1/flow_starts`
//! call; the live figures are the same stream as
//! `GET /api/v1/broadcasts/{uuid}/events`.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::form::{FieldErrors, Form};
use super::page::{self, redirect_with, render, Ctx};
use crate::api::audit::Audit;
use crate::api::ApiState;
use crate::config::Role;
use crate::store::{Broadcast, FailureGroup, FlowStart, LinkFunnel, Paging, StoreError};

/// Sends listed, of each kind.
const LISTED: i64 = 50;

/// One line of the list.
pub struct SendRow {
    pub uuid: String,
    /// `broadcast` or `flow`.
    pub kind: &'static str,
    pub what: String,
    pub state: &'static str,
    pub total: i64,
    /// Delivered messages, or contacts started.
    pub done: i64,
    pub failed: i64,
    pub created_on: String,
}

#[derive(Template)]
#[template(path = "sends.html")]
pub struct SendsPage {
    pub ctx: Ctx,
    pub sends: Vec<SendRow>,
}

/// One bar of a funnel: the progress fields it sums (as the API names
/// them, for `console.js`) and their sum now.
pub struct Stage {
    pub key: &'static str,
    pub fields: &'static str,
    pub n: i64,
}

/// Failures of one reason, in words.
pub struct FailureView {
    pub sentence: String,
    pub reason: String,
    pub count: i64,
}

#[derive(Template)]
#[template(path = "send.html")]
pub struct SendPage {
    pub ctx: Ctx,
    pub uuid: String,
    pub kind: &'static str,
    pub what: String,
    pub state: &'static str,
    pub next_fire: Option<String>,
    pub created_on: String,
    pub note: Option<String>,
    pub total: i64,
    pub stages: Vec<Stage>,
    pub per_link: Vec<(String, Vec<Stage>)>,
    pub failures: Vec<FailureView>,
    pub failed: i64,
    /// The account may change sends.
    pub sender: bool,
    /// States in the page's language, for the live status.
    pub states: Vec<(&'static str, String)>,
    /// The text in the edit form of a scheduled broadcast.
    pub edit_text: String,
    pub errors: FieldErrors,
}

impl SendPage {
    /// The string `prefix-<kind>` (broadcast or flow).
    pub fn tk(&self, prefix: &str) -> String {
        self.ctx.t(&format!("{prefix}-{}", self.kind))
    }

    pub fn stage_name(&self, key: &str) -> String {
        self.ctx.t(&format!("stage-{key}"))
    }

    pub fn state_name(&self) -> String {
        self.ctx.t(&format!("send-state-{}", self.state))
    }

    pub fn can_pause(&self) -> bool {
        self.state == "sending"
    }

    pub fn can_resume(&self) -> bool {
        self.state == "paused"
    }

    pub fn can_cancel(&self) -> bool {
        matches!(self.state, "scheduled" | "sending" | "paused")
    }

    pub fn can_edit(&self) -> bool {
        self.kind == "broadcast" && self.state == "scheduled"
    }

    pub fn can_retry(&self) -> bool {
        self.kind == "broadcast" && self.failed > 0 && self.state != "cancelled"
    }

    /// The bar's length as a share of the total (a `<progress>` needs a
    /// maximum above 0).
    pub fn max(&self) -> i64 {
        self.total.max(1)
    }
}

impl SendsPage {
    pub fn state_name(&self, state: &str) -> String {
        self.ctx.t(&format!("send-state-{state}"))
    }

    pub fn kind_name(&self, kind: &str) -> String {
        self.ctx.t(&format!("sends-kind-{kind}"))
    }
}

const STATES: [&str; 6] = [
    "scheduled",
    "sending",
    "paused",
    "completed",
    "cancelled",
    "failed",
];

fn text_of(b: &Broadcast) -> String {
    b.translations
        .get(&b.base_language)
        .or_else(|| b.translations.values().next())
        .cloned()
        .unwrap_or_default()
}

fn broadcast_stages(p: &crate::store::BroadcastProgress) -> Vec<Stage> {
    let s = |key, fields, n| Stage { key, fields, n };
    vec![
        s("waiting", "queued errored", p.queued + p.errored),
        s("paused", "paused", p.paused),
        s("wired", "wired", p.wired),
        s("sent", "sent", p.sent),
        s("delivered", "delivered", p.delivered),
        s("failed", "failed", p.failed),
        s("cancelled", "cancelled", p.cancelled),
    ]
}

fn start_stages(p: &crate::store::StartProgress) -> Vec<Stage> {
    let s = |key, fields, n| Stage { key, fields, n };
    vec![
        s("to-start", "remaining", p.remaining),
        s("started", "started", p.started),
        s("skipped", "skipped", p.skipped),
        s("cancelled", "cancelled", p.cancelled),
    ]
}

async fn flow_names(s: &ApiState, starts: &[FlowStart]) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for st in starts {
        if !names.contains_key(&st.flow) {
            let name = match s.gw.store.get_flow(&st.flow).await {
                Ok(f) => f.name,
                Err(_) => st.flow.clone(),
            };
            names.insert(st.flow.clone(), name);
        }
    }
    names
}

pub async fn list(State(s): State<ApiState>, ctx: Ctx) -> Response {
    let newest = Paging::new(None, None, true, Some(LISTED));
    let broadcasts = match s.gw.store.list_broadcasts(&newest).await {
        Ok(b) => b,
        Err(e) => return page::store_failed(ctx, e),
    };
    let starts = match s.gw.store.list_flow_starts(&newest).await {
        Ok(b) => b,
        Err(e) => return page::store_failed(ctx, e),
    };
    let names = flow_names(&s, &starts).await;
    let mut sends: Vec<SendRow> = broadcasts
        .iter()
        .map(|b| SendRow {
            uuid: b.uuid.clone(),
            kind: "broadcast",
            what: text_of(b),
            state: b.state,
            total: b.progress.total,
            done: b.progress.delivered,
            failed: b.progress.failed,
            created_on: b.created_on.clone(),
        })
        .chain(starts.iter().map(|st| SendRow {
            uuid: st.uuid.clone(),
            kind: "flow",
            what: names.get(&st.flow).cloned().unwrap_or_default(),
            state: st.state,
            total: st.contact_count,
            done: st.progress.started,
            failed: 0,
            created_on: st.created_on.clone(),
        }))
        .collect();
    // RFC 3339 in UTC sorts as text.
    sends.sort_by(|a, b| b.created_on.cmp(&a.created_on));
    let page = SendsPage { ctx, sends };
    render(&page.ctx, StatusCode::OK, &page)
}

/// A send by its UUID: a broadcast or a flow start.
enum Send {
    Broadcast(Box<Broadcast>),
    Flow(Box<FlowStart>),
}

async fn find(s: &ApiState, uuid: &str) -> Result<Send, StoreError> {
    match s.gw.store.get_broadcast(uuid).await {
        Ok(b) => Ok(Send::Broadcast(Box::new(b))),
        Err(StoreError::NotFound(_)) => Ok(Send::Flow(Box::new(s.gw.store.get_flow_start(uuid).await?))),
        Err(e) => Err(e),
    }
}

fn failed_answer(ctx: Ctx, e: StoreError) -> Response {
    match e {
        StoreError::NotFound(_) => page::not_found(ctx),
        e => page::store_failed(ctx, e),
    }
}

pub async fn show(State(s): State<ApiState>, ctx: Ctx, Path(uuid): Path<String>) -> Response {
    send_page(&s, ctx, uuid, StatusCode::OK, None).await
}

/// A send's page; `edit` is the edit form as it came back refused.
async fn send_page(
    s: &ApiState,
    ctx: Ctx,
    uuid: String,
    status: StatusCode,
    edit: Option<(String, FieldErrors)>,
) -> Response {
    let send = match find(s, &uuid).await {
        Ok(f) => f,
        Err(e) => return failed_answer(ctx, e),
    };
    let sender = ctx.role().is_some_and(|r| r >= Role::Sender);
    let states = STATES
        .iter()
        .map(|st| (*st, ctx.t(&format!("send-state-{st}"))))
        .collect();
    let page = match send {
        Send::Broadcast(b) => {
            let f = match s.gw.store.broadcast_funnel(&uuid).await {
                Ok(f) => f,
                Err(e) => return failed_answer(ctx, e),
            };
            let per_link = f
                .per_link
                .iter()
                .map(|LinkFunnel { link, progress }| (link.clone(), broadcast_stages(progress)))
                .collect();
            let failures = f.failures.iter().map(|g| failure_view(&ctx, g)).collect();
            let (edit_text, errors) = edit.unwrap_or_else(|| (text_of(&b), FieldErrors::default()));
            SendPage {
                uuid,
                kind: "broadcast",
                what: text_of(&b),
                state: b.state,
                next_fire: b.next_fire.clone(),
                created_on: b.created_on.clone(),
                note: b.note.clone(),
                total: b.progress.total,
                stages: broadcast_stages(&b.progress),
                per_link,
                failures,
                failed: b.progress.failed,
                sender,
                states,
                edit_text,
                errors,
                ctx,
            }
        }
        Send::Flow(st) => {
            let names = flow_names(s, std::slice::from_ref(&*st)).await;
            SendPage {
                uuid,
                kind: "flow",
                what: names.get(&st.flow).cloned().unwrap_or_default(),
                state: st.state,
                next_fire: st.next_fire.clone(),
                created_on: st.created_on.clone(),
                note: st.note.clone(),
                total: st.contact_count,
                stages: start_stages(&st.progress),
                per_link: Vec::new(),
                failures: Vec::new(),
                failed: 0,
                sender,
                states,
                edit_text: String::new(),
                errors: FieldErrors::default(),
                ctx,
            }
        }
    };
    render(&page.ctx, status, &page)
}

fn failure_view(ctx: &Ctx, g: &FailureGroup) -> FailureView {
    let key = format!("failure-{}", g.described.key);
    let sentence = match &g.described.code {
        Some(code) => ctx.t1(&key, "code", code),
        None if g.described.key == "other" => ctx.t1(&key, "reason", &g.reason),
        None => ctx.t(&key),
    };
    FailureView {
        sentence,
        reason: g.reason.clone(),
        count: g.count,
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct EditForm {
    #[serde(default)]
    pub text: String,
}

/// Change the text of a broadcast not sent yet (`PATCH /api/v1/broadcasts/{uuid}`).
pub async fn edit(
    State(s): State<ApiState>,
    ctx: Ctx,
    Path(uuid): Path<String>,
    Form(f): Form<EditForm>,
) -> Response {
    let before = match s.gw.store.get_broadcast(&uuid).await {
        Ok(b) => b,
        Err(e) => return failed_answer(ctx, e),
    };
    match s
        .gw
        .store
        .edit_scheduled_broadcast(&uuid, Some(&f.text), None)
        .await
    {
        Ok(after) => (
            Audit::action("broadcast.edit")
                .target("broadcast", &uuid)
                .change(&before, &after),
            redirect_with(&format!("/sends/{uuid}"), "flash-send-edited"),
        )
            .into_response(),
        Err(StoreError::Conflict(_)) => redirect_with(&format!("/sends/{uuid}"), "flash-send-unchanged"),
        Err(e) => match FieldErrors::from_store(ctx.lang, e) {
            Ok(errors) => {
                send_page(
                    &s,
                    ctx,
                    uuid,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some((f.text, errors)),
                )
                .await
            }
            Err(e) => failed_answer(ctx, e),
        },
    }
}

/// The live figures, for `console.js`: the API's stream.
pub async fn events(State(s): State<ApiState>, ctx: Ctx, Path(uuid): Path<String>) -> Response {
    match find(&s, &uuid).await {
        Ok(Send::Broadcast(_)) => crate::api::broadcasts::broadcast_snapshots(&s, uuid),
        Ok(Send::Flow(_)) => crate::api::flows::start_snapshots(&s, uuid),
        Err(e) => failed_answer(ctx, e),
    }
}

/// What a button does.
#[derive(Clone, Copy)]
enum Action {
    Pause,
    Resume,
    Cancel,
    Retry,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Cancel => "cancel",
            Action::Retry => "retry_failed",
        }
    }
}

async fn act(s: ApiState, ctx: Ctx, uuid: String, action: Action) -> Response {
    let send = match find(&s, &uuid).await {
        Ok(f) => f,
        Err(e) => return failed_answer(ctx, e),
    };
    let store = &s.gw.store;
    let (kind, done) = match (&send, action) {
        (Send::Broadcast(_), Action::Pause) => {
            ("broadcast", store.pause_broadcast(&uuid).await.map(|b| json!(b)))
        }
        (Send::Broadcast(_), Action::Resume) => {
            ("broadcast", store.resume_broadcast(&uuid).await.map(|b| json!(b)))
        }
        (Send::Broadcast(_), Action::Cancel) => {
            ("broadcast", store.cancel_broadcast(&uuid).await.map(|b| json!(b)))
        }
        (Send::Broadcast(_), Action::Retry) => (
            "broadcast",
            store.retry_failed_broadcast(&uuid).await.map(|(b, n)| {
                let mut v = json!(b);
                v["retried"] = json!(n);
                v
            }),
        ),
        (Send::Flow(_), Action::Pause) => (
            "flow_start",
            store.pause_flow_start(&uuid).await.map(|f| json!(f)),
        ),
        (Send::Flow(_), Action::Resume) => {
            let r = store.resume_flow_start(&uuid).await.map(|f| json!(f));
            s.gw.wake_starts();
            ("flow_start", r)
        }
        (Send::Flow(_), Action::Cancel) => (
            "flow_start",
            store.cancel_flow_start(&uuid).await.map(|f| json!(f)),
        ),
        (Send::Flow(_), Action::Retry) => return page::not_found(ctx),
    };
    let to = format!("/sends/{uuid}");
    match done {
        Ok(after) => (
            Audit::action(&format!("{kind}.{}", action.name()))
                .target(kind, &uuid)
                .after(&after),
            redirect_with(&to, &format!("flash-send-{}", action.name().replace('_', "-"))),
        )
            .into_response(),
        // Another officer (or the send finishing) got there first.
        Err(StoreError::Conflict(_)) => redirect_with(&to, "flash-send-unchanged"),
        Err(e) => failed_answer(ctx, e),
    }
}

pub async fn pause(State(s): State<ApiState>, ctx: Ctx, Path(uuid): Path<String>) -> Response {
    act(s, ctx, uuid, Action::Pause).await
}

pub async fn resume(State(s): State<ApiState>, ctx: Ctx, Path(uuid): Path<String>) -> Response {
    act(s, ctx, uuid, Action::Resume).await
}

pub async fn cancel(State(s): State<ApiState>, ctx: Ctx, Path(uuid): Path<String>) -> Response {
    act(s, ctx, uuid, Action::Cancel).await
}

pub async fn retry_failed(State(s): State<ApiState>, ctx: Ctx, Path(uuid): Path<String>) -> Response {
    act(s, ctx, uuid, Action::Retry).await
}

#[cfg(test)]
mod tests {
    use super::super::i18n::Lang;
    use super::*;

    /// Keys made at run time (not found by the completeness test's scan).
    #[test]
    fn every_made_key_has_its_string() {
        let mut keys: Vec<String> = crate::core::failure::keys()
            .iter()
            .map(|k| format!("failure-{k}"))
            .collect();
        keys.extend(STATES.iter().map(|s| format!("send-state-{s}")));
        let stages = broadcast_stages(&Default::default())
            .into_iter()
            .chain(start_stages(&Default::default()));
        keys.extend(stages.map(|s| format!("stage-{}", s.key)));
        for kind in ["broadcast", "flow"] {
            keys.extend(["sends-kind", "send-total", "send-unit"].map(|k| format!("{k}-{kind}")));
        }
        for a in [Action::Pause, Action::Resume, Action::Cancel, Action::Retry] {
            keys.push(format!("flash-send-{}", a.name().replace('_', "-")));
        }
        keys.push("flash-send-edited".into());
        for k in &keys {
            assert_ne!(Lang::En.t(k), *k, "{k} has no English string");
        }
        for k in keys.iter().filter(|k| k.starts_with("flash-")) {
            assert!(page::FLASHES.contains(&k.as_str()), "{k} is not a flash");
        }
    }
}
