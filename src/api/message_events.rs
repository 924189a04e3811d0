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
use crate::core::{HandledBy, MsgStatus};
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
    hold: HoldBack,
    first: bool,
}

/// Keeps inbound messages in order while the first of them is still
/// pending (see [`PENDING_WAIT`]).
#[derive(Debug, Default)]
struct HoldBack {
    /// The pending row the stream waits on, and since when.
    waiting: Option<(i64, Instant)>,
}

impl HoldBack {
    /// The rows of one poll (in id order) that may go out at `now`: those
    /// before the first one still pending, that one too once it has been
    /// pending for [`PENDING_WAIT`].
    fn pass(&mut self, rows: Vec<MsgRow>, now: Instant) -> Vec<MsgRow> {
        let mut out = Vec::with_capacity(rows.len());
        for m in rows {
            if m.status == MsgStatus::Pending.as_str() {
                match self.waiting {
                    Some((id, since)) if id == m.id && now.duration_since(since) >= PENDING_WAIT => {}
                    Some((id, _)) if id == m.id => break,
                    _ => {
                        self.waiting = Some((m.id, now));
                        break;
                    }
                }
            }
            self.waiting = None;
            out.push(m);
        }
        out
    }
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
        hold: HoldBack::default(),
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
            for m in c.hold.pass(rows, Instant::now()) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, status: &str, handled_by: Option<&str>) -> MsgRow {
        MsgRow {
            handled_by: handled_by.map(str::to_string),
            ..MsgRow::example(id, "in", status)
        }
    }

    fn ids(rows: &[MsgRow]) -> Vec<i64> {
        rows.iter().map(|m| m.id).collect()
    }

    #[test]
    fn a_pending_message_holds_back_the_ones_after_it_until_it_is_handled() {
        let mut hold = HoldBack::default();
        let t0 = Instant::now();
        let poll = |p: &str| {
            vec![
                row(1, "handled", Some("none")),
                row(2, p, None),
                row(3, "handled", Some("flow")),
            ]
        };
        assert_eq!(ids(&hold.pass(poll("pending"), t0)), vec![1]);
        assert_eq!(
            ids(&hold.pass(poll("pending")[1..].to_vec(), t0 + POLL)),
            Vec::<i64>::new()
        );
        assert_eq!(
            ids(&hold.pass(poll("handled")[1..].to_vec(), t0 + POLL * 2)),
            vec![2, 3]
        );
        assert_eq!(hold.waiting, None);
    }

    #[test]
    fn a_message_left_pending_goes_out_after_the_wait() {
        let mut hold = HoldBack::default();
        let t0 = Instant::now();
        let rows = || vec![row(7, "pending", None), row(8, "handled", Some("none"))];
        assert!(hold.pass(rows(), t0).is_empty());
        assert!(hold.pass(rows(), t0 + PENDING_WAIT / 2).is_empty());
        assert_eq!(ids(&hold.pass(rows(), t0 + PENDING_WAIT)), vec![7, 8]);
    }

    #[test]
    fn unmatched_listeners_get_only_what_nothing_answered() {
        let w = Watch {
            unmatched: true,
            ..Watch::default()
        };
        assert!(w.wants(&row(1, "handled", Some("none"))));
        assert!(!w.wants(&row(2, "handled", Some("trigger"))));
        assert!(!w.wants(&row(3, "pending", None)));
        assert!(Watch::default().wants(&row(2, "handled", Some("trigger"))));
        assert_eq!(w.filter(5).direction.as_deref(), Some("in"));
        assert!(!w.filter(5).unmatched, "the hold-back reads every inbound row");
    }
}
