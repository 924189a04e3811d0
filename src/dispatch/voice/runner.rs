//! Runs one voice flow over one answered call: start the session, have the
//! call's media say what each sprint says, gather keys (or a spoken answer)
//! as the wait's hint asks, resume with what the caller gave, until the flow
//! ends (we hang up) or the caller hangs up. A caller who hangs up mid-flow
//! leaves the session and its waiting runs `interrupted` with the results
//! given so far, as RapidPro's host does when a call ends under a waiting
//! voice session. The media is a seam ([`CallMedia`]): a SIP call and the
//! voice simulator run this same loop.

use thiserror::Error;

use super::media::{Answer, CallMedia, DigitsWanted};
use crate::flow::clock;
use crate::flow::events::{Event, EventKind, MsgIn};
use crate::flow::resume::{Resume, ResumeKind};
use crate::flow::run::RunStatus;
use crate::flow::services::NoServices;
use crate::flow::session::{self, EngineError, Session, SessionStatus};
use crate::flow::session_assets::SessionAssets;
use crate::flow::trigger::Trigger;
use crate::flow::waits::Hint;
use crate::sip::media::digit::Digit;
use crate::sip::trunk::HangupBy;

#[derive(Debug, Error)]
pub enum RunnerError {
    #[error("flow engine: {0}")]
    Engine(#[from] EngineError),
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

pub async fn run_voice_flow(
    media: &mut dyn CallMedia,
    assets: &SessionAssets,
    trigger: Trigger,
) -> Result<VoiceRun, RunnerError> {
    let (mut session, mut events) = session::start(assets, &NoServices, trigger, clock::system())?;
    let mut all_events = Vec::new();
    loop {
        let hint = say(media, &events).await;
        all_events.append(&mut events);
        if !session.is_waiting() {
            media.play_out().await;
            break;
        }
        let answer = match hint {
            Some(Hint::Audio) => media.record().await,
            Some(Hint::Digits { count, terminated_by }) => {
                let finish_key = terminated_by
                    .as_deref()
                    .and_then(|t| t.chars().next())
                    .and_then(Digit::from_char);
                media
                    .gather(DigitsWanted {
                        count: count.map(|c| c as usize),
                        finish_key,
                    })
                    .await
            }
            // A voice wait without a hint: one key, as a menu.
            _ => {
                media
                    .gather(DigitsWanted {
                        count: Some(1),
                        finish_key: None,
                    })
                    .await
            }
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
    let ended = media.finish().await;
    Ok(VoiceRun {
        session,
        events: all_events,
        digits: ended.digits,
        recordings: ended.recordings,
        hangup_by: ended.hangup_by,
    })
}

/// Hand the sprint's prompts to the media; returns the hint of its wait, if any.
async fn say(media: &mut dyn CallMedia, events: &[Event]) -> Option<Hint> {
    let mut hint = None;
    for event in events {
        match &event.kind {
            EventKind::IvrCreated { msg } => media.say(msg).await,
            EventKind::MsgWait { hint: h, .. } => hint = h.clone(),
            EventKind::Error { text } | EventKind::Failure { text } => {
                tracing::warn!(call = %media.call_id(), %text, "flow problem")
            }
            _ => {}
        }
    }
    hint
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
