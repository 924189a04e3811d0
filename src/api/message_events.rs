//! New messages as they are stored, for `GET /api/v1/messages/events`
//! (Server-Sent Events, JSON) and the console's inbox (the same rows,
//! rendered). The store is polled by row id, so a message stored on any
//! node reaches every node's listeners, and a listener that reconnects
//! with the last id it saw misses nothing.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use tokio_util::sync::CancellationToken;

use super::list::Params;
use super::{ApiError, ApiState};
use crate::core::HandledBy;
use crate::dispatch::Gateway;
use crate::store::{MsgFilter, MsgRow, Paging, StoreError};

/// How often the store is asked for new rows: "live" for a person reading,
/// one small indexed query a second per listener.
const POLL: Duration = Duration::from_secs(1);
/// Rows read per poll; more wait for the next one.
const BATCH: i64 = 100;
/// An inbound message is shown once it is handled (what answered it is
/// known then), and the ones after it wait behind it to keep their order;
/// one still pending after this long (its node stopped mid-way) is shown as
/// it is.
const PENDING_WAIT: Duration = Duration::from_secs(10);

/// Which messages a listener wants.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Watch {
    /// `in` or `out`; both when absent.
    pub direction: Option<String>,
    /// Only inbound messages nothing answered.
    #[serde(default)]
    pub unmatched: bool,
    /// Only messages after this id (a row's SSE `id`); by default the ones
    /// stored from now on. `Last-Event-ID` overrides it on a reconnection.
    pub after: Option<i64>,
}

impl Watch {
    pub fn wants(&self, m: &MsgRow) -> bool {
        !self.unmatched || m.handled_by.as_deref() == Some(HandledBy::None.as_str())
    }

    fn filter(&self, after: i64) -> MsgFilter {
        MsgFilter {
            direction: if self.unmatched {
                Some("in".into())
            } else {
                self.direction.clone()
            },
            // The hold-back reads every row of the direction in order;
            // `wants` picks the unmatched ones after.
            unmatched: false,
            page: Paging::new(Some(after), None, false, Some(BATCH)),
            ..MsgFilter::default()
        }
    }
}

/// The id new rows are counted from: `after`, or the newest row now.
pub async fn start_after(gw: &Gateway, w: &Watch, last_event_id: Option<i64>) -> Result<i64, StoreError> {
    if let Some(a) = last_event_id.or(w.after) {
        return Ok(a);
    }
    let newest = gw
        .store
        .list_msgs(&MsgFilter {
            page: Paging::new(None, None, true, Some(1)),
            ..MsgFilter::default()
        })
        .await?;
    Ok(newest.first().map_or(0, |m| m.id))
}

/// The id a reconnecting `EventSource` sends.
pub fn last_event_id(headers: &HeaderMap) -> Option<i64> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

struct Cursor {
    gw: Arc<Gateway>,
    end: CancellationToken,
    watch: Watch,
    after: i64,
    ready: std::collections::VecDeque<MsgRow>,
    /// The pending row the stream waits on, and since when.
    waiting: Option<(i64, Instant)>,
    first: bool,
}

/// The rows `w` wants stored after `after`, in id order, one poll per
/// [`POLL`]. Ends when `end` is cancelled (the server stops) or the store
/// fails (a listener reconnects from its last id).
pub fn watch(
    gw: Arc<Gateway>,
    end: CancellationToken,
    w: Watch,
    after: i64,
) -> impl Stream<Item = MsgRow> + Send + 'static {
    let cursor = Cursor {
        gw,
        end,
        watch: w,
        after,
        ready: Default::default(),
        waiting: None,
        first: true,
    };
    futures::stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(m) = c.ready.pop_front() {
                return Some((m, c));
            }
            if !c.first {
                tokio::select! {
                    _ = tokio::time::sleep(POLL) => {}
                    _ = c.end.cancelled() => return None,
                }
            }
            c.first = false;
            if c.end.is_cancelled() {
                return None;
            }
            let rows = match c.gw.store.list_msgs(&c.watch.filter(c.after)).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "a message listener's poll failed; it ends");
                    return None;
                }
            };
            for m in rows {
                if m.status == "pending" {
                    let since = match c.waiting {
                        Some((id, since)) if id == m.id => since,
                        _ => {
                            c.waiting = Some((m.id, Instant::now()));
                            break;
                        }
                    };
                    if since.elapsed() < PENDING_WAIT {
                        break;
                    }
                }
                c.waiting = None;
                c.after = m.id;
                if c.watch.wants(&m) {
                    c.ready.push_back(m);
                }
            }
        }
    })
}

/// `GET /api/v1/messages/events`: each new message as an SSE event
/// `message` whose data is the message as `GET /messages/{uuid}` answers
/// it and whose id is the cursor to reconnect from.
pub async fn events(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Params(w): Params<Watch>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    if let Some(d) = w.direction.as_deref() {
        d.parse::<crate::core::Direction>()
            .map_err(|e| ApiError::field(StatusCode::BAD_REQUEST, "direction", e))?;
    }
    let after = start_after(&s.gw, &w, last_event_id(&headers)).await?;
    let gw = s.gw.clone();
    let stream = futures::StreamExt::map(
        watch(s.gw.clone(), s.streams_end.clone(), w, after),
        move |mut m| {
            gw.explain_waiting(std::slice::from_mut(&mut m));
            let ev = Event::default().event("message").id(m.id.to_string());
            Ok(ev
                .json_data(&m)
                .unwrap_or_else(|_| Event::default().comment("unserialisable")))
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
