//! The voice simulator's media: instead of RTP, what the caller would hear
//! is written down (prompt name, text, language), and keys come from an API
//! client one wait at a time. Each time the flow waits, the prompts heard
//! since the last wait and what the wait expects are published as the
//! call's [`Progress`]; the
//! keys given in answer are gathered by the same rules as a real call's
//! (count, finish key), a pause after them ending the entry as a real
//! caller's silence would. Keys beyond what a wait takes are kept for the
//! next wait, as a caller typing ahead. A wait for a spoken answer hears
//! silence: the simulator has no microphone. A client that stays away for
//! [`IDLE_LIMIT`] has hung up.

use std::collections::VecDeque;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{mpsc, watch};

use super::audio::prompt_name;
use super::media::{Answer, CallMedia, DigitsWanted, MediaSummary};
use crate::flow::events::MsgOut;
use crate::sip::gather::{Gather, GatherSpec};
use crate::sip::media::digit::Digit;
use crate::sip::trunk::HangupBy;

/// How long a simulated call waits for the client's keys before the caller
/// counts as gone: a person trying the quiz by hand takes seconds a step, a
/// client that has not answered in ten minutes has left.
pub const IDLE_LIMIT: Duration = Duration::from_secs(600);

/// One prompt the caller heard.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Heard {
    /// The recording's name (`quiz_q1`), when the prompt has one.
    pub prompt: Option<String>,
    pub text: String,
    pub language: String,
}

/// What a wait expects from the caller.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Expects {
    /// `digits`, or `recording` for a spoken answer (the simulator records silence).
    pub kind: &'static str,
    /// Keys that complete the entry (a menu is 1); none: any number.
    pub digits: Option<usize>,
    /// The key that ends the entry, not part of the answer.
    pub finish_key: Option<char>,
    /// Seconds a real caller gets for the first key; in the simulator the
    /// wait lasts until keys come (or [`IDLE_LIMIT`]).
    pub timeout: u64,
}

/// Where a simulated call is, as its client sees it: what has been heard,
/// how much of it the latest step brought, and what the flow waits for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Every prompt heard so far, in order.
    pub heard: Vec<Heard>,
    /// How many of `heard` (the last ones) came with the latest step.
    pub latest: usize,
    /// What the flow waits for; `None` once the call has ended.
    pub expects: Option<Expects>,
    /// The call is over and stored.
    pub ended: bool,
}

impl Progress {
    /// The prompts the latest step brought.
    pub fn latest_heard(&self) -> &[Heard] {
        &self.heard[self.heard.len().saturating_sub(self.latest)..]
    }

    /// A new step: `heard` since the last one, and the wait (none: ended).
    pub fn step(&mut self, heard: Vec<Heard>, expects: Option<Expects>) {
        self.latest = heard.len();
        self.heard.extend(heard);
        self.ended = expects.is_none();
        self.expects = expects;
    }
}

/// The simulator's side of one call.
pub struct SimulatedMedia {
    call_id: String,
    default_language: String,
    /// How long a real caller gets for the first key, shown in [`Expects`].
    digit_timeout: Duration,
    heard: Vec<Heard>,
    progress: watch::Sender<Progress>,
    keys: mpsc::Receiver<String>,
    typed_ahead: VecDeque<Digit>,
    pressed: String,
    hung_up: bool,
}

impl SimulatedMedia {
    pub fn new(
        call_id: String,
        default_language: String,
        digit_timeout: Duration,
        progress: watch::Sender<Progress>,
        keys: mpsc::Receiver<String>,
    ) -> Self {
        SimulatedMedia {
            call_id,
            default_language,
            digit_timeout,
            heard: Vec::new(),
            progress,
            keys,
            typed_ahead: VecDeque::new(),
            pressed: String::new(),
            hung_up: false,
        }
    }

    /// The call is over and stored: the last prompts and the end go to the client.
    pub fn ended(&mut self) {
        let heard = std::mem::take(&mut self.heard);
        self.progress.send_modify(|p| p.step(heard, None));
    }

    /// Tell the client what was heard and what the wait expects, then wait
    /// for its keys. `None`: the caller is gone.
    async fn ask(&mut self, expects: Expects) -> Option<String> {
        let heard = std::mem::take(&mut self.heard);
        self.progress.send_modify(|p| p.step(heard, Some(expects)));
        match tokio::time::timeout(IDLE_LIMIT, self.keys.recv()).await {
            Ok(Some(keys)) => Some(keys),
            Ok(None) | Err(_) => {
                tracing::info!(call = %self.call_id, "simulated caller gone");
                self.hung_up = true;
                None
            }
        }
    }
}

#[async_trait]
impl CallMedia for SimulatedMedia {
    fn call_id(&self) -> &str {
        &self.call_id
    }

    async fn say(&mut self, msg: &MsgOut) {
        let prompt = msg.attachments.iter().find_map(|a| {
            a.strip_prefix("audio:")
                .or_else(|| a.split_once(':').map(|(_, u)| u))
                .map(|url| prompt_name(url).to_owned())
        });
        let language = msg
            .locale
            .as_deref()
            .and_then(|l| l.split(['-', '_']).next())
            .filter(|l| !l.is_empty())
            .unwrap_or(&self.default_language)
            .to_owned();
        self.heard.push(Heard {
            prompt,
            text: msg.text.clone(),
            language,
        });
    }

    async fn gather(&mut self, wanted: DigitsWanted) -> Answer {
        // Time plays no part: keys come all at once, and when they run out
        // the entry ends as it would on a caller's pause.
        let mut gather = Gather::new(GatherSpec {
            count: wanted.count,
            finish_key: wanted.finish_key,
            first_digit_timeout: self.digit_timeout,
            inter_digit_timeout: self.digit_timeout,
        });
        gather.prompt_finished(Duration::ZERO);
        if self.typed_ahead.is_empty() {
            let expects = Expects {
                kind: "digits",
                digits: wanted.count,
                finish_key: wanted.finish_key.map(Digit::as_char),
                timeout: self.digit_timeout.as_secs(),
            };
            let Some(keys) = self.ask(expects).await else {
                return Answer::CallEnded;
            };
            self.typed_ahead.extend(keys.chars().filter_map(Digit::from_char));
        }
        while let Some(digit) = self.typed_ahead.pop_front() {
            self.pressed.push(digit.as_char());
            if let Some(got) = gather.on_digit(digit, Duration::ZERO) {
                return Answer::Text(got.digits);
            }
        }
        let silence = gather.deadline().unwrap_or(Duration::ZERO);
        Answer::Text(gather.poll(silence).map(|g| g.digits).unwrap_or_default())
    }

    async fn record(&mut self) -> Answer {
        let expects = Expects {
            kind: "recording",
            digits: None,
            finish_key: None,
            timeout: self.digit_timeout.as_secs(),
        };
        match self.ask(expects).await {
            // Any key ends a recording, as on a real call; nothing was recorded.
            Some(keys) => {
                self.pressed
                    .extend(keys.chars().filter(|c| Digit::from_char(*c).is_some()));
                Answer::Text(String::new())
            }
            None => Answer::CallEnded,
        }
    }

    async fn play_out(&mut self) {}

    async fn finish(&mut self) -> MediaSummary {
        MediaSummary {
            digits: std::mem::take(&mut self.pressed),
            recordings: Vec::new(),
            hangup_by: if self.hung_up {
                HangupBy::Caller
            } else {
                HangupBy::Us
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media() -> (SimulatedMedia, watch::Receiver<Progress>, mpsc::Sender<String>) {
        let (progress, watching) = watch::channel(Progress::default());
        let (keys, keys_rx) = mpsc::channel(4);
        let m = SimulatedMedia::new(
            "sim-1".into(),
            "eng".into(),
            Duration::from_secs(10),
            progress,
            keys_rx,
        );
        (m, watching, keys)
    }

    fn prompt(text: &str, audio: &str, locale: &str) -> MsgOut {
        serde_json::from_value(serde_json::json!({
            "uuid": "0b2f4c1e-8d7a-4e3b-9c6d-5a4f3e2d1c0b", "text": text,
            "attachments": [format!("audio:{audio}")], "locale": locale
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn keys_are_gathered_as_a_call_would_and_extra_keys_wait_for_the_next_wait() {
        let (mut m, mut progress, keys) = media();
        m.say(&prompt("Question one.", "https://x/quiz_q1.wav", "swa-TZ"))
            .await;
        keys.send("13#".into()).await.unwrap();
        let menu = DigitsWanted {
            count: Some(1),
            finish_key: None,
        };
        assert_eq!(m.gather(menu).await, Answer::Text("1".into()));
        let step = progress.borrow_and_update().clone();
        assert_eq!(
            step.latest_heard(),
            [Heard {
                prompt: Some("quiz_q1".into()),
                text: "Question one.".into(),
                language: "swa".into()
            }]
        );
        let expects = step.expects.unwrap();
        assert_eq!(
            (expects.kind, expects.digits, expects.timeout),
            ("digits", Some(1), 10)
        );
        // "3#" was typed ahead: the next entry takes it without asking.
        let number = DigitsWanted {
            count: None,
            finish_key: Digit::from_char('#'),
        };
        assert_eq!(m.gather(number).await, Answer::Text("3".into()));
        assert!(!progress.has_changed().unwrap(), "asked again");
        // Keys without the finish key end at the pause; no keys are silence.
        keys.send("42".into()).await.unwrap();
        assert_eq!(m.gather(number).await, Answer::Text("42".into()));
        keys.send(String::new()).await.unwrap();
        assert_eq!(m.gather(menu).await, Answer::Text(String::new()));
        let summary = m.finish().await;
        assert_eq!(summary.digits, "13#42");
        assert_eq!(summary.hangup_by, HangupBy::Us);
        m.ended();
        let end = progress.borrow_and_update().clone();
        assert!(end.ended && end.expects.is_none());
        assert_eq!(end.heard.len(), 1);
    }

    #[tokio::test]
    async fn a_client_that_goes_away_has_hung_up() {
        let (mut m, _progress, keys) = media();
        drop(keys);
        let menu = DigitsWanted {
            count: Some(1),
            finish_key: None,
        };
        assert_eq!(m.gather(menu).await, Answer::CallEnded);
        assert_eq!(m.finish().await.hangup_by, HangupBy::Caller);
    }
}
