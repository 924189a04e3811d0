//! Inbound calls: a new INVITE becomes a dialog (100 Trying goes out at once
//! from the dialog's transaction) and an [`IncomingCall`] offered to the
//! application, which answers it (180, then 200 with our SDP answer) or
//! rejects it. A CANCEL before the answer ends it with 487.

use std::sync::Arc;
use std::time::Duration;

use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver, TerminatedReason};
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{Header, HeadersExt, StatusCode};
use rsipstack::transaction::transaction::Transaction;
use tokio::sync::{mpsc, OwnedSemaphorePermit};

use super::call::{ActiveCall, CallParts};
use super::{Shared, TrunkError};
use crate::sip::rtp_session::{self, RtpConfig};
use crate::sip::sdp::answer::{answer, LocalMedia};
use crate::sip::sdp::SessionDescription;

/// Media events a call may have waiting: keys and playback ends are rare,
/// so this only needs to cover a burst while the flow engine runs.
pub(super) const MEDIA_EVENTS: usize = 64;

/// A call ringing at our side, waiting for the application to pick it up.
pub struct IncomingCall {
    /// The caller's number (user part of From).
    pub from: String,
    /// The number called (user part of the request URI).
    pub to: String,
    pub call_id: String,
    shared: Arc<Shared>,
    dialog: InviteDialog,
    states: DialogStateReceiver,
    offer: String,
    slot: OwnedSemaphorePermit,
}

impl std::fmt::Debug for IncomingCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingCall")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("call_id", &self.call_id)
            .finish()
    }
}

fn user_of(uri: Option<rsipstack::sip::Uri>) -> String {
    uri.and_then(|u| u.auth.map(|a| a.user)).unwrap_or_default()
}

/// Turn a new INVITE into an offered call, or refuse it at once.
pub(super) fn offer(shared: &Arc<Shared>, mut tx: Transaction, calls: &mpsc::Sender<IncomingCall>) {
    let Ok(slot) = Arc::clone(&shared.slots).try_acquire_owned() else {
        tracing::warn!(trunk = %shared.settings.name, "trunk full; inbound call refused");
        tokio::spawn(async move { tx.reply(StatusCode::ServiceUnavailable).await.ok() });
        return;
    };
    let (state_tx, states) = shared.dialogs.new_dialog_state_channel();
    let contact = shared.dialogs.build_local_contact(None, None).ok();
    let mut dialog = match shared
        .dialogs
        .get_or_create_server_invite(&tx, state_tx, None, contact)
    {
        Ok(dialog) => dialog,
        Err(err) => {
            tracing::info!(%err, "INVITE refused: no dialog");
            tokio::spawn(async move { tx.reply(StatusCode::BadRequest).await.ok() });
            return;
        }
    };
    let call = IncomingCall {
        from: user_of(tx.original.from_header().ok().and_then(|h| h.uri().ok())),
        to: user_of(Some(tx.original.uri.clone())),
        call_id: tx
            .original
            .call_id_header()
            .map(|c| c.value().to_string())
            .unwrap_or_default(),
        shared: Arc::clone(shared),
        dialog: dialog.clone(),
        states,
        offer: String::from_utf8_lossy(&tx.original.body).into_owned(),
        slot,
    };
    // The INVITE transaction lives in its own task until ACK or CANCEL.
    tokio::spawn(async move {
        if let Err(err) = dialog.handle(&mut tx).await {
            tracing::debug!(%err, "INVITE transaction ended with an error");
        }
    });
    if let Err(err) = calls.try_send(call) {
        let call = err.into_inner();
        tracing::warn!(call = %call.call_id, "application not taking calls; 503");
        call.reject(StatusCode::ServiceUnavailable.code());
    }
}

impl IncomingCall {
    /// Refuse the call with a final status (486 busy, 404 unknown number…).
    pub fn reject(self, code: u16) {
        if let Err(err) = self.dialog.reject(Some(StatusCode::from(code)), None) {
            tracing::debug!(%err, "reject failed");
        }
        self.shared.dialogs.remove_dialog(&self.dialog.id());
    }

    /// Ring, then answer with our SDP and start the media.
    pub async fn answer(mut self) -> Result<ActiveCall, TrunkError> {
        let settings = &self.shared.settings;
        let offer = match SessionDescription::parse(&self.offer) {
            Ok(offer) => offer,
            Err(err) => {
                self.reject(StatusCode::NotAcceptableHere.code());
                return Err(TrunkError::Sdp(format!("inbound offer: {err}")));
            }
        };
        let (socket, lease) = self.shared.ports.bind()?;
        socket.set_nonblocking(true)?;
        let local_media = LocalMedia {
            address: settings.media_address,
            port: lease.port(),
            session_id: u64::from(rand::random::<u32>()),
            session_version: 1,
            codecs: settings.codecs.clone(),
        };
        let (sdp, negotiated) = match answer(&offer, &local_media) {
            Ok(agreed) => agreed,
            Err(err) => {
                self.reject(StatusCode::NotAcceptableHere.code());
                return Err(TrunkError::Sdp(err.to_string()));
            }
        };
        self.dialog.ringing(None, None)?;
        if !settings.answer_after.is_zero() {
            self.ring(settings.answer_after).await?;
        } else if let Ok(DialogState::Terminated(..)) = self.states.try_recv() {
            return Err(TrunkError::CallerCancelled);
        }
        let headers = vec![Header::ContentType("application/sdp".into())];
        self.dialog
            .accept(Some(headers), Some(sdp.to_string().into_bytes()))?;
        let (events_tx, media) = mpsc::channel(MEDIA_EVENTS);
        let rtp = rtp_session::spawn(
            tokio::net::UdpSocket::from_std(socket)?,
            RtpConfig {
                codec: negotiated.codec,
                payload_type: negotiated.payload_type,
                telephone_event: negotiated.telephone_event,
                remote: negotiated.remote,
                ptime_ms: negotiated.ptime_ms,
                ssrc: rand::random(),
            },
            events_tx,
        )?;
        tracing::info!(call = %self.call_id, from = %self.from, to = %self.to, codec = ?negotiated.codec, "inbound call answered");
        Ok(ActiveCall::new(CallParts {
            call_id: self.call_id.clone(),
            remote_number: self.from.clone(),
            local_number: self.to.clone(),
            dialog: self.dialog.clone(),
            dialogs: Arc::clone(&self.shared.dialogs),
            states: self.states,
            rtp,
            media,
            codec: negotiated.codec,
            local_media,
            max_call: self.shared.settings.max_call,
            lease,
            slot: self.slot,
        }))
    }

    /// Let it ring for `time`, watching for the caller's CANCEL.
    async fn ring(&mut self, time: Duration) -> Result<(), TrunkError> {
        let until = tokio::time::Instant::now() + time;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => return Ok(()),
                state = self.states.recv() => match state {
                    Some(DialogState::Terminated(_, reason)) => {
                        tracing::info!(call = %self.call_id, ?reason, "caller gave up while ringing");
                        if !matches!(reason, TerminatedReason::UacCancel) {
                            self.dialog.reject(None, None).ok();
                        }
                        self.shared.dialogs.remove_dialog(&self.dialog.id());
                        return Err(TrunkError::CallerCancelled);
                    }
                    Some(_) => {}
                    None => return Err(TrunkError::CallerCancelled),
                },
            }
        }
    }
}
