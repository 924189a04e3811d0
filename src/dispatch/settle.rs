//! Completes broadcasts whose messages are all settled (see
//! `store::settle`). How long a sent message may still get its receipt is
//! its link's `receipt_wait_secs`; an SMPP link that asks for no receipts
//! (`registered_delivery = false`) settles its sent messages at once.
//! Several nodes may run this loop: the completion is a conditional update.

use std::sync::Arc;
use std::time::Duration;

use super::Gateway;
use crate::config::{Config, LinkKindName, DEFAULT_RECEIPT_WAIT_SECS};
use crate::core::time::{now_ms, Millis};
use crate::store::ReceiptWaits;

/// How often open broadcasts are checked. Completion is bookkeeping, not
/// on any message's path: a couple of seconds late costs nothing, and each
/// check reads every open broadcast's messages by index.
const SWEEP: Duration = Duration::from_secs(2);

pub(super) async fn run(gw: Arc<Gateway>) {
    let waits = receipt_waits(&gw.config);
    loop {
        match gw.store.complete_settled_broadcasts(now_ms(), &waits).await {
            Ok(done) => {
                for id in done {
                    tracing::info!(broadcast = id, "broadcast completed");
                }
            }
            Err(e) => tracing::warn!(error = %e, "completing broadcasts failed; will retry"),
        }
        tokio::select! {
            _ = gw.cancel.cancelled() => return,
            _ = tokio::time::sleep(SWEEP) => {}
        }
    }
}

fn secs(s: u64) -> Millis {
    Millis::try_from(s.saturating_mul(1000)).unwrap_or(Millis::MAX)
}

/// Each configured link's receipt wait.
pub(super) fn receipt_waits(config: &Config) -> ReceiptWaits {
    let per_link = config
        .links
        .iter()
        .map(|l| {
            let asks_receipts = match l.kind {
                LinkKindName::Smpp => l.smpp.as_ref().is_none_or(|s| s.registered_delivery),
                LinkKindName::Simulator => true,
            };
            let wait = if asks_receipts {
                secs(l.receipt_wait_secs)
            } else {
                0
            };
            (l.name.clone(), wait)
        })
        .collect();
    ReceiptWaits {
        per_link,
        default: secs(DEFAULT_RECEIPT_WAIT_SECS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_without_receipts_settles_sent_messages_at_once() {
        let config = crate::config::load_str(
            r#"
[[links]]
name = "quick"
kind = "simulator"
receipt_wait_secs = 5

[[links]]
name = "carrier"
kind = "smpp"
[links.smpp]
host = "127.0.0.1"
port = 2775
system_id = "mhero"
password = "secret"
registered_delivery = false

[[routes]]
links = ["quick", "carrier"]
"#,
            std::iter::empty(),
        )
        .expect("config");
        let waits = receipt_waits(&config);
        assert_eq!(waits.per_link["quick"], 5_000);
        assert_eq!(waits.per_link["carrier"], 0);
        assert_eq!(waits.default, 172_800_000);
    }
}
