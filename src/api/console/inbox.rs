//! The inbox: health workers' messages as they arrive, those nothing
//! answered ("not understood": no keyword trigger, no waiting flow) apart
//! and first, each with a reply form for senders. New ones appear at the
//! top live (`/inbox/events`, Server-Sent Events of rendered rows, read by
//! `console.js`); without JavaScript the page is read whole and refreshed
//! by a link. Backed by the store reads `GET /api/v1/messages` makes, the
//! poll `GET /api/v1/messages/events` streams and the send
//! `POST /api/v1/messages` does.

use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

use super::form::{FieldErrors, Form};
use super::page::{self, redirect_with, render, Ctx};
use crate::api::message_events::{self, Watch};
use crate::api::{messages, ApiState};
use crate::config::Role;
use crate::dispatch::SendTo;
use crate::store::{MsgFilter, MsgRow, Paging, StoreError};

/// Messages in the "not understood" list: the ones waiting for a person.
const UNMATCHED_ROWS: i64 = 20;
/// Messages per page of "all replies".
const ALL_ROWS: i64 = 50;
/// A live stream ends after this and the browser opens it again, so the
/// session (logout, expiry, a changed role) is checked again.
const STREAM_LIFETIME: Duration = Duration::from_secs(300);

#[derive(Debug, Default, serde::Deserialize)]
pub struct InboxQuery {
    /// Older replies: the `next` cursor of the page before.
    pub before: Option<i64>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    pub text: String,
    /// The list the form was in (`u` or `a`), to show a refusal there.
    #[serde(default)]
    pub list: String,
}

/// A refused reply: shown again beside the message it answers.
struct Refused {
    msg: String,
    list: String,
    text: String,
    errors: FieldErrors,
}

/// One message of the inbox, rendered alone: on the page and in the live
/// stream. `list` names the list it is in, so ids stay unique on the page.
#[derive(Template)]
#[template(path = "inbox_item.html")]
pub struct InboxItem<'a> {
    pub ctx: &'a Ctx,
    pub m: &'a MsgRow,
    pub list: &'static str,
    pub can_reply: bool,
    /// The reply typed, when it was refused.
    pub text: &'a str,
    pub errors: Option<&'a FieldErrors>,
}

impl InboxItem<'_> {
    /// The health worker: the name, or else the number.
    pub fn who(&self) -> &str {
        self.m
            .contact_name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| self.number())
    }

    pub fn number(&self) -> &str {
        self.m.urn.split_once(':').map_or(self.m.urn.as_str(), |(_, p)| p)
    }

    /// The element id of this item's part `part`.
    pub fn id(&self, part: &str) -> String {
        format!("{}-{part}-{}", self.list, self.m.uuid)
    }
}

#[derive(Template)]
#[template(path = "inbox.html")]
pub struct InboxPage {
    pub ctx: Ctx,
    pub unmatched: Vec<String>,
    pub all: Vec<String>,
    /// The live stream's address (on the newest page only).
    pub live: Option<String>,
    pub older: Option<i64>,
    pub before: Option<i64>,
}

fn can_reply(ctx: &Ctx) -> bool {
    ctx.role().is_some_and(|r| r >= Role::Sender)
}

fn item(ctx: &Ctx, m: &MsgRow, list: &'static str, refused: Option<&Refused>) -> String {
    let mine = refused.filter(|r| r.msg == m.uuid && r.list == list);
    let it = InboxItem {
        ctx,
        m,
        list,
        can_reply: can_reply(ctx),
        text: mine.map_or("", |r| r.text.as_str()),
        errors: mine.map(|r| &r.errors),
    };
    it.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "an inbox item failed to render");
        String::new()
    })
}

fn inbound(unmatched: bool, page: Paging) -> MsgFilter {
    MsgFilter {
        direction: Some("in".into()),
        unmatched,
        page,
        ..MsgFilter::default()
    }
}

async fn page(
    s: &ApiState,
    ctx: Ctx,
    status: StatusCode,
    before: Option<i64>,
    refused: Option<Refused>,
) -> Response {
    let store = &s.gw.store;
    let unmatched = match store
        .list_msgs(&inbound(
            true,
            Paging::new(None, None, true, Some(UNMATCHED_ROWS)),
        ))
        .await
    {
        Ok(r) => r,
        Err(e) => return page::store_failed(ctx, e),
    };
    let paging = Paging::new(None, before, true, Some(ALL_ROWS));
    let all = match store.list_msgs(&inbound(false, paging)).await {
        Ok(r) => r,
        Err(e) => return page::store_failed(ctx, e),
    };
    // Live from the newest message shown, so none stored since is missed.
    let live = before
        .is_none()
        .then(|| format!("/inbox/events?after={}", all.first().map_or(0, |m| m.id)));
    let page = InboxPage {
        unmatched: unmatched
            .iter()
            .map(|m| item(&ctx, m, "u", refused.as_ref()))
            .collect(),
        all: all.iter().map(|m| item(&ctx, m, "a", refused.as_ref())).collect(),
        live,
        older: paging.next(&all, |m| m.id),
        before,
        ctx,
    };
    render(&page.ctx, status, &page)
}

pub async fn show(State(s): State<ApiState>, ctx: Ctx, Query(q): Query<InboxQuery>) -> Response {
    page(&s, ctx, StatusCode::OK, q.before, None).await
}

/// Reply to inbound message `uuid`: to its health worker, over the number
/// it came from.
pub async fn reply(
    State(s): State<ApiState>,
    ctx: Ctx,
    Path(uuid): Path<String>,
    Form(f): Form<ReplyForm>,
) -> Response {
    let m = match s.gw.store.get_msg(&uuid).await {
        Ok(m) if m.direction == "in" => m,
        Ok(_) | Err(StoreError::NotFound(_)) => return page::not_found(ctx),
        Err(e) => return page::store_failed(ctx, e),
    };
    let to = SendTo {
        contact: m.contact.as_deref(),
        urn: Some(&m.urn),
    };
    match s.gw.send_one(to, &f.text).await {
        Ok(row) => (messages::sent(&row), redirect_with("/inbox", "flash-reply-sent")).into_response(),
        Err(e) => match FieldErrors::from_store(ctx.lang, e) {
            Ok(errors) => {
                let refused = Refused {
                    msg: uuid,
                    list: f.list,
                    text: f.text,
                    errors,
                };
                page(&s, ctx, StatusCode::UNPROCESSABLE_ENTITY, None, Some(refused)).await
            }
            Err(e) => page::store_failed(ctx, e),
        },
    }
}

/// New inbound messages as rendered items: an event `unmatched` (when
/// nothing answered it) and an event `all`, whose id is the cursor the
/// browser reconnects from.
pub async fn events(
    State(s): State<ApiState>,
    ctx: Ctx,
    headers: HeaderMap,
    Query(q): Query<Watch>,
) -> Response {
    let w = Watch {
        direction: Some("in".into()),
        unmatched: false,
        after: q.after,
    };
    let after = match message_events::start_after(&s.gw, &w, message_events::last_event_id(&headers)).await {
        Ok(a) => a,
        Err(e) => return page::store_failed(ctx, e),
    };
    let stream = message_events::watch(s.gw.clone(), s.streams_end.clone(), w, after)
        .flat_map(move |m| futures::stream::iter(item_events(&ctx, &m)))
        .take_until(tokio::time::sleep(STREAM_LIFETIME));
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

fn item_events(ctx: &Ctx, m: &MsgRow) -> Vec<Result<Event, Infallible>> {
    let mut out = Vec::with_capacity(2);
    if m.handled_by.as_deref() == Some(crate::core::HandledBy::None.as_str()) {
        out.push(Ok(Event::default()
            .event("unmatched")
            .data(item(ctx, m, "u", None))));
    }
    out.push(Ok(Event::default()
        .event("all")
        .id(m.id.to_string())
        .data(item(ctx, m, "a", None))));
    out
}
