//! Outbound calls: INVITE with our SDP offer (digest auth answered by the
//! stack), provisional responses followed until the ring timeout, then
//! CANCEL; the final response is mapped to a [`CallOutcome`].

use std::sync::Arc;
use std::time::Duration;

use rsipstack::dialog::dialog::DialogState;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::sip::Uri;
use rsipstack::transport::SipAddr;
use tokio::sync::mpsc;

use super::call::{ActiveCall, CallParts};
use super::inbound::MEDIA_EVENTS;
use super::{Shared, TrunkError};
use crate::sip::outcome::CallOutcome;
use crate::sip::rtp_session::{self, RtpConfig};
use crate::sip::sdp::answer::{accept_answer, offer, LocalMedia};
use crate::sip::sdp::SessionDescription;

/// A call that was not answered: its outcome class, the SIP status if one came.
#[derive(Debug)]
pub struct OutboundFailure {
    pub outcome: CallOutcome,
    pub status: Option<u16>,
    pub reason: String,
}

impl OutboundFailure {
    fn local(outcome: CallOutcome, err: impl std::fmt::Display) -> OutboundFailure {
        OutboundFailure {
            outcome,
            status: None,
            reason: err.to_string(),
        }
    }
}

impl From<TrunkError> for OutboundFailure {
    fn from(err: TrunkError) -> Self {
        let outcome = match err {
            TrunkError::Full(_) => CallOutcome::Congestion,
            _ => CallOutcome::Failed,
        };
        OutboundFailure::local(outcome, err)
    }
}

fn uri(text: &str) -> Result<Uri, TrunkError> {
    Uri::try_from(text).map_err(|_| TrunkError::BadUri(text.to_owned()))
}

pub(super) async fn place_call(
    shared: &Arc<Shared>,
    number: &str,
    ring_timeout: Duration,
) -> Result<ActiveCall, OutboundFailure> {
    let settings = &shared.settings;
    let slot = Arc::clone(&shared.slots)
        .try_acquire_owned()
        .map_err(|_| TrunkError::Full(settings.max_calls))?;
    let (socket, lease) = shared.ports.bind().map_err(TrunkError::from)?;
    socket.set_nonblocking(true).map_err(TrunkError::from)?;
    let mut local_media = LocalMedia {
        address: settings.media_address,
        port: lease.port(),
        session_id: u64::from(rand::random::<u32>()),
        session_version: 1,
        codecs: settings.codecs.clone(),
    };
    let number = number.trim_start_matches("tel:");
    let callee = uri(&format!("sip:{number}@{}", settings.domain))?;
    let caller = uri(&format!("sip:{}@{}", settings.caller_id, settings.domain))?;
    let contact = shared
        .dialogs
        .build_local_contact(Some(settings.caller_id.clone()), None)
        .map_err(TrunkError::from)?;
    let option = InviteOption {
        callee,
        caller,
        contact,
        destination: Some(SipAddr::from(settings.next_hop())),
        content_type: Some("application/sdp".to_owned()),
        offer: Some(offer(&local_media).to_string().into_bytes()),
        credential: settings.credential(),
        ..Default::default()
    };
    let (state_tx, mut states) = shared.dialogs.new_dialog_state_channel();
    let (dialog, mut result) = shared
        .dialogs
        .do_invite_async(option, state_tx)
        .map_err(TrunkError::from)?;
    let ring_end = tokio::time::Instant::now() + ring_timeout;
    let mut cancelled = false;
    let finished = loop {
        tokio::select! {
            done = &mut result => break done,
            state = states.recv(), if !cancelled => {
                if let Some(DialogState::Early(_, response)) = state {
                    tracing::debug!(number, status = response.status_code.code(), "call progressing");
                }
            }
            _ = tokio::time::sleep_until(ring_end), if !cancelled => {
                tracing::info!(number, "no answer before the ring timeout; CANCEL");
                cancelled = true;
                if let Err(err) = dialog.cancel().await {
                    tracing::debug!(%err, "CANCEL failed");
                }
            }
        }
    };
    let response = match finished {
        Ok(Ok((_, Some(response)))) => response,
        Ok(Ok((_, None))) => {
            let outcome = if cancelled {
                CallOutcome::NoAnswer
            } else {
                CallOutcome::Failed
            };
            return Err(OutboundFailure::local(
                outcome,
                "INVITE ended without a final response",
            ));
        }
        Ok(Err(err)) => {
            let outcome = if cancelled {
                CallOutcome::NoAnswer
            } else {
                CallOutcome::Failed
            };
            return Err(OutboundFailure::local(outcome, err));
        }
        Err(join) => return Err(OutboundFailure::local(CallOutcome::Failed, join)),
    };
    let code = response.status_code.code();
    let outcome = CallOutcome::from_status(code, cancelled);
    if outcome != CallOutcome::Answered || matches!(dialog.state(), DialogState::Terminated(..)) {
        return Err(OutboundFailure {
            outcome: if outcome == CallOutcome::Answered {
                CallOutcome::NoAnswer
            } else {
                outcome
            },
            status: Some(code),
            reason: response.status_code.to_string(),
        });
    }
    let answer_text = String::from_utf8_lossy(&response.body).into_owned();
    let negotiated = match SessionDescription::parse(&answer_text)
        .map_err(|e| e.to_string())
        .and_then(|sdp| accept_answer(&sdp, &local_media).map_err(|e| e.to_string()))
    {
        Ok(negotiated) => negotiated,
        Err(err) => {
            dialog.hangup().await.ok();
            shared.dialogs.remove_dialog(&dialog.id());
            return Err(OutboundFailure {
                outcome: CallOutcome::Failed,
                status: Some(code),
                reason: format!("unusable SDP answer: {err}"),
            });
        }
    };
    local_media.codecs = vec![negotiated.codec];
    let (events_tx, media) = mpsc::channel(MEDIA_EVENTS);
    let rtp_socket = tokio::net::UdpSocket::from_std(socket).map_err(TrunkError::from)?;
    let rtp = rtp_session::spawn(
        rtp_socket,
        RtpConfig {
            codec: negotiated.codec,
            payload_type: negotiated.payload_type,
            telephone_event: negotiated.telephone_event,
            remote: negotiated.remote,
            ptime_ms: negotiated.ptime_ms,
            ssrc: rand::random(),
        },
        events_tx,
    )
    .map_err(TrunkError::from)?;
    tracing::info!(number, codec = ?negotiated.codec, "outbound call answered");
    Ok(ActiveCall::new(CallParts {
        call_id: dialog.id().call_id.clone(),
        remote_number: number.to_owned(),
        local_number: settings.caller_id.clone(),
        dialog,
        dialogs: Arc::clone(&shared.dialogs),
        states,
        rtp,
        media,
        codec: negotiated.codec,
        local_media,
        max_call: settings.max_call,
        lease,
        slot,
    }))
}
