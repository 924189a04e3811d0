//! Fires broadcasts when they are due: immediate ones as soon as they are
//! accepted, scheduled ones at their time, recurring ones at each
//! occurrence. Several nodes may run this loop; conditional updates in the
//! store make each firing happen once.

use std::sync::Arc;
use std::time::Duration;

use super::Gateway;
use crate::core::time::{now_ms, Schedule};
use crate::store::{MaterializeParams, Paging};

/// How often due broadcasts are looked for.
const TICK: Duration = Duration::from_millis(500);

pub(super) async fn run(gw: Arc<Gateway>) {
    loop {
        if let Err(e) = tick(&gw).await {
            tracing::warn!(error = %e, "scheduler tick failed; will retry");
        }
        tokio::select! {
            _ = gw.cancel.cancelled() => return,
            _ = tokio::time::sleep(TICK) => {}
        }
    }
}

async fn tick(gw: &Gateway) -> Result<(), crate::store::StoreError> {
    let route = |n: &str| gw.links.route_for(n);
    let params = MaterializeParams {
        route: &route,
        hours: gw.config.sending.window(),
        default_tz: gw.default_tz,
        default_country: gw.config.contacts.default_country.as_deref(),
    };
    for (id, status, fire_on) in gw.store.due_broadcasts(now_ms()).await? {
        let target = if status == "recurring" {
            let Some(b) = gw
                .store
                .list_broadcasts(&Paging::new(Some(id - 1), None, false, Some(1)))
                .await?
                .into_iter()
                .next()
            else {
                continue;
            };
            let next = b
                .schedule
                .as_ref()
                .and_then(|s: &Schedule| s.next_after(fire_on.max(now_ms()), gw.default_tz));
            match gw.store.fire_recurring(id, fire_on, next).await? {
                Some(child) => child,
                None => continue,
            }
        } else {
            id
        };
        if let Some(n) = gw.store.materialize_broadcast(target, &params).await? {
            tracing::info!(broadcast = target, recipients = n, "broadcast queued");
            gw.wake();
        }
    }
    Ok(())
}
