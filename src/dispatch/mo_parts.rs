//! Concatenated inbound messages, part by part. Each `LinkEvent::InboundPart`
//! is persisted before its `ack` is answered (so the link answers the
//! carrier only then); the part that completes its message has the stored
//! parts joined (`smpp::encoding::reassembly::join`), the message inserted
//! and the parts marked used in one transaction, and the message acted on
//! like any other before the carrier hears back. A resent part is absorbed
//! by the parts table's key.
//!
//! A message whose parts stop coming is not kept waiting for ever: once its
//! first part is older than the link's `timeouts.mo_reassembly_ms`, what
//! arrived is delivered, marked (the message's `failure_reason` names the
//! missing parts) and logged, as Kannel and RapidPro do; nothing the
//! carrier was told we have is dropped. Any node may do this: joining takes
//! the parts' rows first, so two nodes cannot both deliver one message.

use std::sync::Arc;
use std::time::Duration;

use super::inbound::{act_and_mark, stored, Received};
use super::Gateway;
use crate::core::link::MoPart;
use crate::core::time::now_ms;
use crate::core::{Contact, Urn};
use crate::smpp::encoding::reassembly;
use crate::store::{Joined, MoGroup, PartStored, StoreError};

/// How often messages past their reassembly timeout are looked for (and
/// used parts past the duplicate window purged): a second is well inside
/// any timeout a carrier needs and costs one indexed query.
const POLL: Duration = Duration::from_secs(1);
/// Timed-out messages delivered per pass; the rest wait for the next one.
const BATCH: i64 = 100;

/// A message joined from its parts and stored `pending`, to be acted on.
pub(super) struct Delivered {
    pub contact: Contact,
    pub id: i64,
    pub text: String,
    pub note: Option<String>,
}

impl Delivered {
    pub fn received<'a>(&'a self, from: &'a Urn) -> Received<'a> {
        Received {
            id: self.id,
            from,
            text: &self.text,
            external_id: None,
            waiting: None,
        }
    }
}

/// Persists one part and, when it completes its message, stores the
/// message. `Ok` means the carrier may be answered; the caller then acts on
/// what was delivered.
pub(super) async fn handle_part(
    gw: &Gateway,
    link: &str,
    from: &Urn,
    part: &MoPart,
) -> Result<Option<Delivered>, StoreError> {
    let urn = from.to_string();
    let stored_as = gw.store.put_mo_part(link, &urn, part).await?;
    let mut delivered = None;
    let outcome = match stored_as {
        PartStored::Waiting { have } => {
            tracing::debug!(link, from = %from, reference = part.reference, seq = part.seq, have, total = part.total, "message part stored");
            "stored"
        }
        PartStored::Duplicate => {
            tracing::info!(link, from = %from, reference = part.reference, seq = part.seq, total = part.total, "resent part of a stored message absorbed");
            "duplicate"
        }
        PartStored::Complete => {
            delivered = deliver(gw, &MoGroup::of(link, &urn, part), from, false).await?;
            "completed"
        }
    };
    metrics::counter!("mhero_inbound_parts_total", "link" => link.to_string(), "outcome" => outcome)
        .increment(1);
    Ok(delivered)
}

/// Joins and stores the waiting parts of `group` (all of them, or with
/// `gaps_allowed` what arrived) as one `pending` message. Returns it, or
/// `None` when someone else had already joined it.
async fn deliver(
    gw: &Gateway,
    group: &MoGroup,
    from: &Urn,
    gaps_allowed: bool,
) -> Result<Option<Delivered>, StoreError> {
    let (contact, created) = gw.store.find_or_create_by_urn(from, None).await?;
    let total = group.total;
    let done = gw
        .store
        .complete_mo(
            group,
            contact.id,
            &gw.node,
            gaps_allowed,
            now_ms(),
            move |parts| {
                let a = reassembly::join(total, parts);
                let note = (!a.missing.is_empty()).then(|| {
                    let missing: Vec<String> = a.missing.iter().map(u8::to_string).collect();
                    let parts = if missing.len() == 1 { "part" } else { "parts" };
                    format!(
                        "incomplete: {parts} {} of {total} never arrived",
                        missing.join(", ")
                    )
                });
                Joined { text: a.text, note }
            },
        )
        .await?;
    let Some((id, joined)) = done else {
        return Ok(None);
    };
    stored(&group.link, &contact, created);
    Ok(Some(Delivered {
        contact,
        id,
        text: joined.text,
        note: joined.note,
    }))
}

/// Delivers what arrived of messages past their reassembly timeout, and
/// forgets used parts past the duplicate window.
pub(super) async fn run(gw: Arc<Gateway>) {
    loop {
        tokio::select! {
            _ = gw.cancel.cancelled() => break,
            _ = tokio::time::sleep(POLL) => {}
        }
        if let Err(e) = pass(&gw).await {
            tracing::warn!(error = %e, "pass over waiting message parts failed; will retry");
        }
    }
}

async fn pass(gw: &Gateway) -> Result<(), StoreError> {
    let now = now_ms();
    for group in gw.store.expired_mo_groups(now, BATCH).await? {
        if gw.is_stopping() {
            break;
        }
        let from = match Urn::parse(&group.urn, None) {
            Ok(u) => u,
            Err(e) => {
                tracing::error!(link = %group.link, urn = %group.urn, error = %e, "stored message parts have an unreadable sender; left in place");
                continue;
            }
        };
        let Some(d) = deliver(gw, &group, &from, true).await? else {
            continue;
        };
        match &d.note {
            Some(note) => {
                tracing::warn!(link = %group.link, from = %from, reference = group.reference, note = %note, "concatenated message timed out; delivered what arrived");
                metrics::counter!("mhero_inbound_incomplete_total", "link" => group.link.clone())
                    .increment(1);
            }
            None => {
                tracing::info!(link = %group.link, from = %from, reference = group.reference, "concatenated message complete at its timeout; delivered");
            }
        }
        act_and_mark(gw, &d.contact, &d.received(&from)).await;
    }
    let purged = gw.store.purge_mo_parts(now).await?;
    if purged > 0 {
        tracing::debug!(parts = purged, "used message parts forgotten");
    }
    metrics::gauge!("mhero_inbound_parts_waiting").set(gw.store.waiting_mo_parts().await? as f64);
    Ok(())
}
