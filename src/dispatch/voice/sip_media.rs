//! A voice flow's media over a SIP call: prompts from recordings or
//! text-to-speech played as RTP, keys from RFC 4733, in-band tones and SIP
//! INFO gathered with the call's timeouts, spoken answers recorded to WAV.
//! The runner drives it through [`CallMedia`].

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::audio::AudioSource;
use super::media::{Answer, CallMedia, DigitsWanted, MediaSummary};
use crate::flow::events::MsgOut;
use crate::sip::gather::{Gather, GatherSpec};
use crate::sip::recording::{RecordSpec, Recorder};
use crate::sip::trunk::{ActiveCall, CallEvent, HangupBy};

/// After the last prompt of a finished flow, how long past its own length we
/// wait for it to play out before hanging up anyway.
const PLAYOUT_GRACE: Duration = Duration::from_secs(2);
/// Recording frames waiting for the recorder: two seconds of 20 ms frames.
const TAP_QUEUE: usize = 100;
/// How often recorded frames are taken from the tap; well inside `TAP_QUEUE`.
const RECORD_POLL: Duration = Duration::from_millis(100);

/// How a call gathers and records.
#[derive(Debug, Clone)]
pub struct IvrSettings {
    pub first_digit_timeout: Duration,
    pub inter_digit_timeout: Duration,
    pub recordings_dir: PathBuf,
    pub record: RecordSpec,
}

/// One answered SIP call as the runner's media.
pub struct SipMedia<'a> {
    call: &'a mut ActiveCall,
    audio: &'a AudioSource,
    settings: &'a IvrSettings,
    digits: String,
    recordings: Vec<String>,
    /// When what is queued will have played, if anything is.
    playing_until: Option<Instant>,
}

impl<'a> SipMedia<'a> {
    pub fn new(call: &'a mut ActiveCall, audio: &'a AudioSource, settings: &'a IvrSettings) -> Self {
        SipMedia {
            call,
            audio,
            settings,
            digits: String::new(),
            recordings: Vec::new(),
            playing_until: None,
        }
    }
}

#[async_trait]
impl CallMedia for SipMedia<'_> {
    fn call_id(&self) -> &str {
        &self.call.call_id
    }

    async fn say(&mut self, msg: &MsgOut) {
        match self.audio.for_msg(msg).await {
            Ok(prompt) => {
                let start = self
                    .playing_until
                    .map_or(Instant::now(), |t| t.max(Instant::now()));
                self.playing_until = Some(start + prompt.duration());
                if let Err(err) = self.call.play(prompt.audio(self.call.codec())).await {
                    tracing::debug!(%err, "media ended before a prompt");
                }
            }
            Err(err) => tracing::warn!(call = %self.call.call_id, %err, "prompt not played"),
        }
    }

    async fn play_out(&mut self) {
        let Some(until) = self.playing_until.take() else {
            return;
        };
        let deadline = until + PLAYOUT_GRACE;
        loop {
            match self.call.next_event(Some(deadline)).await {
                CallEvent::PlaybackFinished | CallEvent::Deadline | CallEvent::Ended(_) => return,
                CallEvent::Digit { .. } => {}
            }
        }
    }

    /// The prompt is interruptible: the first key stops it.
    async fn gather(&mut self, wanted: DigitsWanted) -> Answer {
        let started = Instant::now();
        let mut gather = Gather::new(GatherSpec {
            count: wanted.count,
            finish_key: wanted.finish_key,
            first_digit_timeout: self.settings.first_digit_timeout,
            inter_digit_timeout: self.settings.inter_digit_timeout,
        });
        if self.playing_until.is_none() {
            gather.prompt_finished(Duration::ZERO);
        }
        loop {
            let deadline = gather.deadline().map(|d| started + d);
            match self.call.next_event(deadline).await {
                CallEvent::Digit { digit, source } => {
                    tracing::debug!(call = %self.call.call_id, digit = %digit.as_char(), ?source, "key");
                    self.digits.push(digit.as_char());
                    if self.playing_until.take().is_some() {
                        self.call.stop_playback().await.ok();
                    }
                    if let Some(got) = gather.on_digit(digit, started.elapsed()) {
                        return Answer::Text(got.digits);
                    }
                }
                CallEvent::PlaybackFinished => {
                    self.playing_until = None;
                    gather.prompt_finished(started.elapsed());
                }
                CallEvent::Deadline => {
                    if let Some(got) = gather.poll(started.elapsed()) {
                        return Answer::Text(got.digits);
                    }
                }
                CallEvent::Ended(_) => return Answer::CallEnded,
            }
        }
    }

    /// Records from the end of the prompt until silence, the maximum length or a key.
    async fn record(&mut self) -> Answer {
        // The prompt plays out first: its audio is ours, not the caller's answer.
        while self.playing_until.is_some() {
            match self
                .call
                .next_event(self.playing_until.map(|t| t + PLAYOUT_GRACE))
                .await
            {
                CallEvent::PlaybackFinished | CallEvent::Deadline => self.playing_until = None,
                CallEvent::Digit { .. } => {
                    self.playing_until = None;
                    self.call.stop_playback().await.ok();
                }
                CallEvent::Ended(_) => return Answer::CallEnded,
            }
        }
        let (tap, mut frames) = mpsc::channel(TAP_QUEUE);
        if self.call.rtp().tap(Some(tap)).await.is_err() {
            return Answer::CallEnded;
        }
        let mut recorder = Recorder::new(self.settings.record);
        let hard_stop = Instant::now() + self.settings.record.max_len + PLAYOUT_GRACE;
        // Frames are drained between call events rather than raced against
        // them, so an in-dialog request is never dropped half-answered.
        let ended = loop {
            let now = Instant::now();
            if now >= hard_stop {
                break false;
            }
            match self
                .call
                .next_event(Some((now + RECORD_POLL).min(hard_stop)))
                .await
            {
                CallEvent::Digit { digit, .. } => {
                    self.digits.push(digit.as_char());
                    break false;
                }
                CallEvent::Ended(_) => break true,
                CallEvent::Deadline | CallEvent::PlaybackFinished => {}
            }
            let mut full = false;
            while let Ok(frame) = frames.try_recv() {
                if recorder.push(&frame).is_some() {
                    full = true;
                    break;
                }
            }
            if full {
                break false;
            }
        };
        self.call.rtp().tap(None).await.ok();
        let n = self.recordings.len() + 1;
        let path = self
            .settings
            .recordings_dir
            .join(format!("{}-{n}.wav", sanitize(&self.call.call_id)));
        let saved = std::fs::create_dir_all(&self.settings.recordings_dir)
            .map_err(|e| e.to_string())
            .and_then(|()| recorder.write_wav(&path).map_err(|e| e.to_string()));
        match saved {
            Ok(()) => self.recordings.push(path.display().to_string()),
            Err(err) => tracing::error!(call = %self.call.call_id, %err, "recording lost"),
        }
        if ended {
            return Answer::CallEnded;
        }
        Answer::Recording(path.display().to_string())
    }

    async fn finish(&mut self) -> MediaSummary {
        let hangup_by = match self.call.ended() {
            Some(by) => by,
            None => {
                self.call.hangup().await;
                HangupBy::Us
            }
        };
        MediaSummary {
            digits: std::mem::take(&mut self.digits),
            recordings: std::mem::take(&mut self.recordings),
            hangup_by,
        }
    }
}

/// A Call-ID as a file name: carriers put `@host` and other characters in it.
fn sanitize(call_id: &str) -> String {
    call_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
