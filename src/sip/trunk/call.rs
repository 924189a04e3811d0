//! An answered call, either direction: its dialog, its RTP session and the
//! trunk slot it holds. [`ActiveCall::next_event`] merges what the caller
//! does (keys, hanging up) with what the media does (a prompt played out),
//! answers in-dialog requests itself (INFO keys, re-INVITE, OPTIONS) and ends
//! the call at the trunk's maximum length.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver, TerminatedReason};
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{Header, HeadersExt, StatusCode};
use tokio::sync::{mpsc, OwnedSemaphorePermit};
use tokio::time::Instant;

use crate::sip::dtmf_relay;
use crate::sip::media::codec::Codec;
use crate::sip::media::digit::Digit;
use crate::sip::media::digit_collector::DigitSource;
use crate::sip::port_pool::PortLease;
use crate::sip::rtp_session::{MediaEvent, RtpHandle, RtpSessionError};
use crate::sip::sdp::answer::{answer, LocalMedia};
use crate::sip::sdp::SessionDescription;

/// Who ended the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HangupBy {
    Caller,
    Us,
    /// The trunk's maximum call length.
    MaxLength,
}

/// What happened on the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    Digit {
        digit: Digit,
        source: DigitSource,
    },
    /// Everything queued has been played.
    PlaybackFinished,
    /// The caller hung up (BYE) or the call hit its maximum length.
    Ended(HangupBy),
    /// The deadline passed to [`ActiveCall::next_event`] was reached.
    Deadline,
}

/// An answered call.
pub struct ActiveCall {
    pub call_id: String,
    /// The other party's number (user part of From for inbound, To for outbound).
    pub remote_number: String,
    /// Our number as called (inbound) or our caller ID (outbound).
    pub local_number: String,
    dialog: InviteDialog,
    dialogs: Arc<DialogLayer>,
    states: DialogStateReceiver,
    rtp: RtpHandle,
    media: mpsc::Receiver<MediaEvent>,
    codec: Codec,
    local_media: LocalMedia,
    answered_at: Instant,
    max_call: Duration,
    ended: Option<HangupBy>,
    _lease: PortLease,
    _slot: OwnedSemaphorePermit,
}

impl std::fmt::Debug for ActiveCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActiveCall")
            .field("call_id", &self.call_id)
            .field("remote_number", &self.remote_number)
            .finish()
    }
}

/// The parts a call is made of, from the inbound or outbound set-up.
pub(super) struct CallParts {
    pub call_id: String,
    pub remote_number: String,
    pub local_number: String,
    pub dialog: InviteDialog,
    pub dialogs: Arc<DialogLayer>,
    pub states: DialogStateReceiver,
    pub rtp: RtpHandle,
    pub media: mpsc::Receiver<MediaEvent>,
    pub codec: Codec,
    pub local_media: LocalMedia,
    pub max_call: Duration,
    pub lease: PortLease,
    pub slot: OwnedSemaphorePermit,
}

impl ActiveCall {
    pub(super) fn new(p: CallParts) -> ActiveCall {
        ActiveCall {
            call_id: p.call_id,
            remote_number: p.remote_number,
            local_number: p.local_number,
            dialog: p.dialog,
            dialogs: p.dialogs,
            states: p.states,
            rtp: p.rtp,
            media: p.media,
            codec: p.codec,
            local_media: p.local_media,
            answered_at: Instant::now(),
            max_call: p.max_call,
            ended: None,
            _lease: p.lease,
            _slot: p.slot,
        }
    }

    /// The codec prompts must be encoded in for this call.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    pub fn rtp(&self) -> &RtpHandle {
        &self.rtp
    }

    /// Time since the call was answered.
    pub fn talk_time(&self) -> Duration {
        self.answered_at.elapsed()
    }

    pub fn ended(&self) -> Option<HangupBy> {
        self.ended
    }

    /// Queue encoded audio after what is queued.
    pub async fn play(&self, audio: Arc<[u8]>) -> Result<(), RtpSessionError> {
        self.rtp.play(audio).await
    }

    /// Barge-in: stop the prompt now.
    pub async fn stop_playback(&self) -> Result<(), RtpSessionError> {
        self.rtp.clear_queue().await
    }

    /// Wait for the next thing that happens, or `deadline`. Never cancelled
    /// halfway: in-dialog requests are answered before it returns.
    pub async fn next_event(&mut self, deadline: Option<Instant>) -> CallEvent {
        if let Some(by) = self.ended {
            return CallEvent::Ended(by);
        }
        let max_end = self.answered_at + self.max_call;
        loop {
            let until = deadline.map_or(max_end, |d| d.min(max_end));
            tokio::select! {
                state = self.states.recv() => match state {
                    Some(state) => {
                        if let Some(event) = self.on_state(state).await {
                            return event;
                        }
                    }
                    None => return self.finish(HangupBy::Caller),
                },
                media = self.media.recv() => match media {
                    Some(MediaEvent::Digit { digit, source }) => return CallEvent::Digit { digit, source },
                    Some(MediaEvent::PlaybackFinished) => return CallEvent::PlaybackFinished,
                    Some(MediaEvent::Latched(from)) => tracing::debug!(call = %self.call_id, %from, "RTP latched"),
                    None => return self.finish(HangupBy::Caller),
                },
                _ = tokio::time::sleep_until(until) => {
                    if Instant::now() >= max_end {
                        tracing::info!(call = %self.call_id, "maximum call length reached; hanging up");
                        self.bye().await;
                        return self.finish(HangupBy::MaxLength);
                    }
                    return CallEvent::Deadline;
                }
            }
        }
    }

    async fn on_state(&mut self, state: DialogState) -> Option<CallEvent> {
        match state {
            DialogState::Terminated(_, reason) => {
                tracing::debug!(call = %self.call_id, ?reason, "dialog terminated");
                let by = match reason {
                    TerminatedReason::UacBye | TerminatedReason::UasBye | TerminatedReason::Timeout => {
                        HangupBy::Caller
                    }
                    _ => HangupBy::Us,
                };
                Some(self.finish(by))
            }
            DialogState::Info(_, request, handle) => {
                let content_type = request.header_value("Content-Type").unwrap_or_default();
                let body = String::from_utf8_lossy(&request.body).into_owned();
                match dtmf_relay::parse(&content_type, &body) {
                    Ok(info) => {
                        if let Err(err) = self.rtp.sip_info_digit(info.digit).await {
                            tracing::debug!(%err, "media ended before a SIP INFO key");
                        }
                        handle.reply(StatusCode::OK).await.ok();
                    }
                    Err(err) => {
                        tracing::info!(call = %self.call_id, %err, "SIP INFO we do not understand");
                        handle.reply(StatusCode::UnsupportedMediaType).await.ok();
                    }
                }
                None
            }
            DialogState::Updated(_, request, handle) => {
                self.on_reoffer(&request.body, handle).await;
                None
            }
            DialogState::Options(_, _, handle) => {
                handle.reply(StatusCode::OK).await.ok();
                None
            }
            DialogState::Message(_, _, handle)
            | DialogState::Notify(_, _, handle)
            | DialogState::Refer(_, _, handle)
            | DialogState::Publish(_, _, handle) => {
                handle.reply(StatusCode::NotImplemented).await.ok();
                None
            }
            _ => None,
        }
    }

    /// A re-INVITE or UPDATE: answer with our media again (hold, a new
    /// address), keeping the codec; one without SDP gets our current offer.
    async fn on_reoffer(&mut self, body: &[u8], handle: rsipstack::dialog::dialog::TransactionHandle) {
        self.local_media.session_version += 1;
        let text = String::from_utf8_lossy(body);
        let reply: Result<SessionDescription, String> = if text.trim().is_empty() {
            Ok(crate::sip::sdp::answer::offer(&self.local_media))
        } else {
            match SessionDescription::parse(&text) {
                Ok(offer) => {
                    let mut local = self.local_media.clone();
                    local.codecs = vec![self.codec];
                    match answer(&offer, &local) {
                        Ok((sdp, negotiated)) => {
                            if let Some(remote) = negotiated.remote {
                                self.rtp.set_remote(remote).await.ok();
                            }
                            Ok(sdp)
                        }
                        Err(e) => Err(e.to_string()),
                    }
                }
                Err(e) => Err(e.to_string()),
            }
        };
        match reply {
            Ok(sdp) => {
                let headers = vec![Header::ContentType("application/sdp".into())];
                handle
                    .respond(StatusCode::OK, Some(headers), Some(sdp.to_string().into_bytes()))
                    .await
                    .ok();
            }
            Err(error) => {
                tracing::info!(call = %self.call_id, %error, "re-INVITE offer refused");
                handle.reply(StatusCode::NotAcceptableHere).await.ok();
            }
        }
    }

    fn finish(&mut self, by: HangupBy) -> CallEvent {
        self.ended.get_or_insert(by);
        CallEvent::Ended(self.ended.unwrap_or(by))
    }

    async fn bye(&self) {
        if let Err(err) = self.dialog.hangup().await {
            tracing::debug!(call = %self.call_id, %err, "BYE failed");
        }
    }

    /// Hang up (BYE) unless the caller already did, and free the call's media.
    pub async fn hangup(&mut self) {
        if self.ended.is_none() {
            self.bye().await;
            self.ended = Some(HangupBy::Us);
        }
        self.rtp.stop().await.ok();
        self.dialogs.remove_dialog(&self.dialog.id());
    }

    /// Where our RTP is sent from (for tests and logs).
    pub fn rtp_local_addr(&self) -> SocketAddr {
        self.rtp.local_addr()
    }
}

impl Drop for ActiveCall {
    fn drop(&mut self) {
        // A call dropped without `hangup` (a panic, a cancelled task) must not
        // leave the carrier's side up: the dialog layer BYEs dialogs it removes.
        self.dialogs.remove_dialog(&self.dialog.id());
    }
}
