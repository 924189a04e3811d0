//! The seam between the voice flow runner and what carries the call: the
//! runner asks for prompts to be heard and for keys (or a spoken answer) to
//! be collected, and never sees how. Over a SIP trunk that is RTP, prompts
//! and a digit collector (`sip_media`); in the voice simulator it
//! is an API client pressing keys (`simulated`). Knows nothing of
//! the store.

use async_trait::async_trait;

use crate::flow::events::MsgOut;
use crate::sip::media::digit::Digit;
use crate::sip::trunk::HangupBy;

/// What one wait for keys asks for (from the wait's hint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigitsWanted {
    /// Stop after this many keys (a menu is 1); none: until the finish key
    /// or a pause.
    pub count: Option<usize>,
    /// Stop at this key, which is not part of the answer.
    pub finish_key: Option<Digit>,
}

/// What a wait produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Keys (possibly none: the caller stayed silent).
    Text(String),
    /// A spoken answer, as the path of its recording.
    Recording(String),
    /// The caller hung up.
    CallEnded,
}

/// How the call went, once the flow is done with it.
#[derive(Debug, Clone)]
pub struct MediaSummary {
    /// Every key the caller pressed during waits, in order (finish keys included).
    pub digits: String,
    pub recordings: Vec<String>,
    pub hangup_by: HangupBy,
}

#[async_trait]
pub trait CallMedia: Send {
    /// The call's id, for logs.
    fn call_id(&self) -> &str;
    /// Queue one prompt of the flow (an `ivr_created` message).
    async fn say(&mut self, msg: &MsgOut);
    /// Keys for one wait; a prompt still playing is interrupted by the first.
    async fn gather(&mut self, wanted: DigitsWanted) -> Answer;
    /// A spoken answer, after the prompts have played.
    async fn record(&mut self) -> Answer;
    /// The flow has ended: let the last prompts play (the caller may hang up first).
    async fn play_out(&mut self);
    /// The flow is done with the call: hang up unless the caller did.
    async fn finish(&mut self) -> MediaSummary;
}
