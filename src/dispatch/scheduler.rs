//! Fires sends when they are due: broadcasts as soon as they are accepted,
//! scheduled ones at their time, recurring ones at each occurrence; and
//! scheduled or recurring flow starts, handed to the start worker. Several
//! nodes may run this loop; conditional updates in the store make each
//! firing happen once.

use std::sync::Arc;
use std::time::Duration;

use super::Gateway;
use crate::core::time::now_ms;
use crate::store::MaterializeParams;

/// How often due sends are looked for.
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
    for due in gw.store.due_broadcasts(now_ms()).await? {
        let target = if due.is_recurring() {
            let next = due.next(now_ms(), gw.default_tz);
            match gw.store.fire_recurring(due.id, due.fire_on, next).await? {
                Some(child) => child,
                None => continue,
            }
        } else {
            due.id
        };
        if let Some(n) = gw.store.materialize_broadcast(target, &params).await? {
            tracing::info!(broadcast = target, recipients = n, "broadcast queued");
            gw.wake();
        }
    }
    let mut fired = false;
    for due in gw.store.due_flow_starts(now_ms()).await? {
        let next = due.next(now_ms(), gw.default_tz);
        if gw.store.fire_flow_start(&due, next).await? {
            tracing::info!(start = due.id, recurring = due.is_recurring(), "flow start fired");
            fired = true;
        }
    }
    if fired {
        gw.wake_starts();
    }
    Ok(())
}
