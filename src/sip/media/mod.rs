//! Pure media codecs for telephone audio: G.711 samples, RTP packets, RFC 4733
//! telephone events, in-band DTMF detection and the digit collector that
//! merges every DTMF path. No I/O, no clocks, no SIP: callers pass time in.

pub mod codec;
pub mod digit;
pub mod digit_collector;
pub mod dtmf_detector;
pub mod event_tracker;
pub mod pcma;
pub mod pcmu;
pub mod rtp;
pub mod telephone_event;

/// Audio sample rate of every narrowband codec we speak (G.711, telephone-event).
pub const SAMPLE_RATE: u32 = 8000;
