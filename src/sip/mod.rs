//! SIP trunks and RTP media for IVR: dialogs, SDP, G.711, DTMF (RFC 4733 and
//! in-band), prompts and recordings. Knows `core`, never flows or SQL.
//!
//! Layers, inner to outer: [`media`] (pure sample and packet codecs, no I/O),
//! [`sdp`] (audio-only offer/answer), [`rtp_session`] and [`port_pool`] (one
//! tokio task per call receiving on its UDP socket), [`media_clock`] and
//! [`playout`] (a thread per CPU sending every call's frames on the 20 ms grid),
//! [`prompts`] (WAV files encoded to G.711 once at load), [`dtmf_relay`]
//! (keys carried in SIP INFO bodies).

pub mod dtmf_relay;
pub mod gather;
pub mod media;
pub mod media_clock;
pub mod outcome;
pub mod playout;
pub mod port_pool;
pub mod prompts;
pub mod recording;
pub mod rtp_session;
pub mod sdp;
pub mod send_clock;
pub mod trunk;
