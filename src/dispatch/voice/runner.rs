//! Runs one voice flow over one answered call: start the session, play what
//! each sprint says, gather keys (or record speech) as the wait's hint asks,
//! resume with what the caller gave, until the flow ends (we hang up) or the
//! caller hangs up. A caller who hangs up mid-flow leaves the session and its
//! waiting runs `interrupted` with the results given so far, as RapidPro's
//! host does when a call ends under a waiting voice session.

use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::audio::AudioSource;
use crate::flow::clock;
use crate::flow::events::{Event, EventKind, MsgIn};
use crate::flow::resume::{Resume, ResumeKind};
use crate::flow::run::RunStatus;
use crate::flow::services::NoServices;
use crate::flow::session::{self, EngineError, Session, SessionStatus};
use crate::flow::session_assets::SessionAssets;
use crate::flow::trigger::Trigger;
use crate::flow::waits::Hint;
use crate::sip::gather::{Gather, GatherSpec};
use crate::sip::media::digit::Digit;
use crate::sip::recording::{RecordSpec, Recorder};
use crate::sip::trunk::{ActiveCall, CallEvent, HangupBy};

/// After the last prompt of a finished flow, how long past its own length we
/// wait for it to play out before hanging up anyway.
const PLAYOUT_GRACE: Duration = Duration::from_secs(2);
/// Recording frames waiting for the recorder: two seconds of 20 ms frames.
const TAP_QUEUE: usize = 100;
/// How often recorded frames are taken from the tap; well inside `TAP_QUEUE`.
const RECORD_POLL: Duration = Duration::from_millis(100);

#[derive(Debug, Error)]
pub enum RunnerError {
    #[error("flow engine: {0}")]
    Engine(#[from] EngineError),
}

/// How a call gathers and records.
#[derive(Debug, Clone)]
pub struct IvrSettings {
    pub first_digit_timeout: Duration,
    pub inter_digit_timeout: Duration,
    pub recordings_dir: PathBuf,
    pub record: RecordSpec,
}

/// What the call did to the flow.
#[derive(Debug)]
pub struct VoiceRun {
    pub session: Session,
    /// Every event of every sprint, in order (contact changes, messages
    /// sent by the flow, results), for the store.
    pub events: Vec<Event>,
    /// Every key the caller pressed during waits, in order (finish keys included).
    pub digits: String,
    pub recordings: Vec<String>,
    pub hangup_by: HangupBy,
}

/// What a wait produced.
enum Answer {
    Text(String),
    Recording(String),
    CallEnded,
}

pub async fn run_voice_flow(
    call: &mut ActiveCall,
    audio: &AudioSource,
    settings: &IvrSettings,
    assets: &SessionAssets,
    trigger: Trigger,
) -> Result<VoiceRun, RunnerError> {
    let (mut session, mut events) = session::start(assets, &NoServices, trigger, clock::system())?;
    let mut run = Calling {
        call,
        audio,
        settings,
        digits: String::new(),
        recordings: Vec::new(),
        playing_until: None,
    };
    let mut all_events = Vec::new();
    loop {
        let hint = run.say(&events).await;
        all_events.append(&mut events);
        if !session.is_waiting() {
            run.play_out().await;
            break;
        }
        let answer = match hint {
            Some(Hint::Audio) => run.record().await,
            Some(Hint::Digits { count, terminated_by }) => {
                let finish = terminated_by
                    .as_deref()
                    .and_then(|t| t.chars().next())
                    .and_then(Digit::from_char);
                run.gather(count.map(|c| c as usize), finish).await
            }
            // A voice wait without a hint: one key, as a menu.
            _ => run.gather(Some(1), None).await,
        };
        let msg = match answer {
            Answer::Text(text) => MsgIn {
                uuid: uuid::Uuid::new_v4().to_string(),
                urn: session.contact.urns.first().cloned(),
                text,
                ..MsgIn::default()
            },
            Answer::Recording(path) => MsgIn {
                uuid: uuid::Uuid::new_v4().to_string(),
                urn: session.contact.urns.first().cloned(),
                attachments: vec![format!("audio/wav:{path}")],
                ..MsgIn::default()
            },
            Answer::CallEnded => {
                interrupt(&mut session);
                break;
            }
        };
        let resume = Resume {
            kind: ResumeKind::Msg { msg },
            contact: None,
            environment: None,
            resumed_on: None,
        };
        events = session::resume(assets, &NoServices, &mut session, resume, clock::system())?;
    }
    let hangup_by = match run.call.ended() {
        Some(by) => by,
        None => {
            run.call.hangup().await;
            HangupBy::Us
        }
    };
    Ok(VoiceRun {
        session,
        events: all_events,
        digits: run.digits,
        recordings: run.recordings,
        hangup_by,
    })
}

/// The caller left while the session waited: the session and every run not
/// yet done end `interrupted`; results already saved stay.
fn interrupt(session: &mut Session) {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    session.status = SessionStatus::Interrupted;
    session.wait = None;
    for run in &mut session.runs {
        if !run.status.is_done() {
            run.status = RunStatus::Interrupted;
            run.exited_on = Some(now.clone());
        }
    }
}

struct Calling<'a> {
    call: &'a mut ActiveCall,
    audio: &'a AudioSource,
    settings: &'a IvrSettings,
    digits: String,
    recordings: Vec<String>,
    /// When what is queued will have played, if anything is.
    playing_until: Option<Instant>,
}

impl Calling<'_> {
    /// Queue the sprint's audio; returns the hint of its wait, if any.
    async fn say(&mut self, events: &[Event]) -> Option<Hint> {
        let mut hint = None;
        for event in events {
            match &event.kind {
                EventKind::IvrCreated { msg } => match self.audio.for_msg(msg).await {
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
                },
                EventKind::MsgWait { hint: h, .. } => hint = h.clone(),
                EventKind::Error { text } | EventKind::Failure { text } => {
                    tracing::warn!(call = %self.call.call_id, %text, "flow problem")
                }
                _ => {}
            }
        }
        hint
    }

    /// Let the last prompts play, then return (the caller may hang up first).
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

    /// Keys for one wait. The prompt is interruptible: the first key stops it.
    async fn gather(&mut self, count: Option<usize>, finish_key: Option<Digit>) -> Answer {
        let started = Instant::now();
        let mut gather = Gather::new(GatherSpec {
            count,
            finish_key,
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

    /// A spoken answer: record from the end of the prompt until silence, the
    /// maximum length or a key.
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
