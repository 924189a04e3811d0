//! Inbound calls: the called number picks the flow (`[[trunks]] inbound`),
//! the caller's number finds or makes the contact, the call is stored as
//! it is answered, and the flow runs over it. Calls to numbers with no
//! route are refused with 404.

use std::sync::Arc;

use tokio::sync::{mpsc, Mutex};

use super::{flows, Ivr};
use crate::core::urn::Urn;
use crate::sip::trunk::IncomingCall;
use crate::store::{call_status, NewCall};

/// `calls` is held outside the task so a restart takes over what is queued.
pub(super) async fn serve(ivr: Ivr, trunk: String, calls: Arc<Mutex<mpsc::Receiver<IncomingCall>>>) {
    let mut calls = calls.lock().await;
    while let Some(call) = calls.recv().await {
        let ivr = ivr.clone();
        let trunk = trunk.clone();
        tokio::spawn(async move { take(ivr, &trunk, call).await });
    }
}

/// Digits and `+` of a number as carriers write it in a SIP URI user part.
fn digits_of(number: &str) -> String {
    number
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect()
}

async fn take(ivr: Ivr, trunk: &str, call: IncomingCall) {
    let Some(rt) = ivr.runtime(trunk) else { return };
    let route = rt
        .config
        .inbound
        .iter()
        .find(|r| r.number == "*" || digits_of(&r.number) == digits_of(&call.to));
    let Some(route) = route else {
        tracing::info!(to = %call.to, "no flow for the called number; 404");
        call.reject(404);
        return;
    };
    let flow = match ivr.voice_flow(&route.flow).await {
        Ok(flow) => flow,
        Err(err) => {
            tracing::error!(%err, "inbound flow not loadable; 500");
            call.reject(500);
            return;
        }
    };
    let caller = digits_of(&call.from);
    let urn = match Urn::parse(&format!("tel:{caller}"), None) {
        Ok(urn) => urn,
        Err(err) => {
            // Withheld or odd caller IDs still get the flow, as an unknown caller.
            tracing::info!(from = %call.from, %err, "caller number not a phone number");
            match Urn::parse(&format!("ext:{}", uuid::Uuid::new_v4()), None) {
                Ok(urn) => urn,
                Err(_) => {
                    call.reject(500);
                    return;
                }
            }
        }
    };
    let store = ivr.store();
    let contact = match store.find_or_create_by_urn(&urn, Some(&rt.config.language)).await {
        Ok((contact, _)) => contact,
        Err(err) => {
            tracing::error!(%err, "caller's contact not stored; 503");
            call.reject(503);
            return;
        }
    };
    let trigger = match flows::trigger_for(&flow, &contact, &urn.to_string(), true, &rt.config.language) {
        Ok(trigger) => trigger,
        Err(err) => {
            tracing::error!(%err, "trigger not built; 500");
            call.reject(500);
            return;
        }
    };
    let row = NewCall {
        trunk: trunk.to_owned(),
        direction: "in",
        contact_id: Some(contact.id),
        urn: urn.to_string(),
        flow: route.flow.clone(),
        status: call_status::ACTIVE,
        next_attempt_on: None,
    };
    let id = match store.insert_call(&row).await {
        Ok(id) => id,
        Err(err) => {
            tracing::error!(%err, "call not stored; 503");
            call.reject(503);
            return;
        }
    };
    let active = match call.answer().await {
        Ok(active) => active,
        Err(err) => {
            tracing::info!(%err, "inbound call not answered");
            let outcome = match err {
                crate::sip::trunk::TrunkError::CallerCancelled => "no_answer",
                _ => "failed",
            };
            if let Err(err) = store.record_unanswered(id, outcome, None, None).await {
                tracing::error!(%err, "call outcome not stored");
            }
            return;
        }
    };
    let ctx = super::CallContext {
        flow,
        contact,
        trigger,
    };
    ivr.talk(rt, id, active, ctx).await;
}
