//! `[[trunks]]`: SIP trunks to carriers for IVR calls, and `[sip]`: what all
//! trunks share (the media clock). Parsed once here; `sip::trunk` reads the
//! typed struct and never sees TOML.

use std::net::SocketAddr;

use serde::Deserialize;

use super::Secret;

/// One SIP trunk: where we listen, where the carrier is, how we authenticate,
/// and the limits and schedule of the calls placed through it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrunkConfig {
    pub name: String,
    /// Local SIP address (UDP), e.g. `127.0.0.1:5070`.
    pub bind: SocketAddr,
    /// The carrier's SIP address: requests go here (or to `outbound_proxy`).
    pub peer: SocketAddr,
    /// Domain used in request URIs and From/To; defaults to the peer's address.
    #[serde(default)]
    pub domain: Option<String>,
    /// Send every request here instead of `peer` (an SBC in front of the carrier).
    #[serde(default)]
    pub outbound_proxy: Option<SocketAddr>,
    /// Our number or user part in From.
    #[serde(default = "default_caller")]
    pub caller_id: String,
    /// Digest registration; without it the trunk is IP-authenticated (static).
    #[serde(default)]
    pub register: Option<RegisterConfig>,
    /// Seconds between OPTIONS pings to the carrier; 0 turns them off.
    #[serde(default = "default_options_interval")]
    pub options_interval_secs: u64,
    /// Calls up at once, inbound and outbound together; sizes the RTP port range.
    #[serde(default = "default_max_calls")]
    pub max_calls: u32,
    /// New outbound calls per second (carriers reject bursts).
    #[serde(default = "default_cps")]
    pub calls_per_second: f64,
    /// First port of the RTP range; the range holds `max_calls` pairs plus headroom.
    #[serde(default = "default_rtp_port")]
    pub rtp_port_start: u16,
    /// Address written into SDP and bound for RTP; defaults to the bind address.
    #[serde(default)]
    pub media_address: Option<std::net::IpAddr>,
    /// Seconds an outbound call may ring before we CANCEL it (no answer).
    #[serde(default = "default_ring_timeout")]
    pub ring_timeout_secs: u64,
    /// Milliseconds an inbound call rings (180) before we answer; 0 answers at once.
    #[serde(default)]
    pub answer_after_ms: u64,
    /// Seconds a caller may take to press the first key after a prompt.
    #[serde(default = "default_digit_timeout")]
    pub digit_timeout_secs: u64,
    /// Seconds allowed between keys of a multi-digit answer.
    #[serde(default = "default_inter_digit")]
    pub inter_digit_timeout_secs: u64,
    /// Where recordings of spoken answers are written.
    #[serde(default = "default_recordings")]
    pub recordings_dir: std::path::PathBuf,
    /// Directory of `<lang>/<name>.wav` prompts.
    #[serde(default = "default_prompts")]
    pub prompts_dir: std::path::PathBuf,
    /// Text-to-speech command for `say_msg` text without a recording: `{lang}`
    /// `{voice}` (espeak-ng voice) and `{out}` (an 8 kHz WAV to write) are
    /// replaced; the text comes on stdin. Empty: no speech.
    #[serde(default = "default_tts")]
    pub tts_command: String,
    /// Longest call; the gateway hangs up after it (runaway flows, stuck callers).
    #[serde(default = "default_max_call")]
    pub max_call_secs: u64,
    /// Local hours outbound calls may start, `HH:MM-HH:MM` in the recipient's
    /// time zone (the contact's, else `contacts.default_timezone`). Empty: any time.
    #[serde(default)]
    pub calling_window: String,
    /// `calling_window` once validated.
    #[serde(skip)]
    pub parsed_window: Option<crate::core::time::SendingHours>,
    /// Minutes to wait before each retry of a busy or unanswered call, e.g.
    /// `[30, 60, 1440]`; its length is the number of retries.
    #[serde(default = "default_retry")]
    pub retry_minutes: Vec<f64>,
    /// Flows started by calls to our numbers.
    #[serde(default)]
    pub inbound: Vec<InboundRoute>,
    /// Default language of prompts when the contact has none.
    #[serde(default = "default_language")]
    pub language: String,
}

/// `[sip]`: settings of the process-wide media path, shared by every trunk.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SipConfig {
    /// Run the media clock threads (which send every call's RTP frames)
    /// under SCHED_FIFO at this priority, 1-99, so no ordinary thread delays
    /// the 20 ms packet clock. Needs CAP_SYS_NICE or `LimitRTPRIO=`; when the
    /// OS refuses, a warning is logged and the clock runs at normal priority.
    /// Unset: normal priority.
    pub media_realtime_priority: Option<u8>,
}

/// Digest credentials for REGISTER (and INVITE challenges).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterConfig {
    pub username: String,
    pub password: Secret,
    /// Registrar URI; defaults to `sip:<domain>`.
    #[serde(default)]
    pub registrar: Option<String>,
    #[serde(default = "default_expires")]
    pub expires_secs: u32,
}

/// A called number and the voice flow that answers it (`*` matches any number).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundRoute {
    pub number: String,
    /// A RapidPro export file, and optionally the flow's UUID or name in it.
    pub flow: String,
    #[serde(default)]
    pub flow_name: Option<String>,
}

fn default_caller() -> String {
    "mhero".into()
}
fn default_options_interval() -> u64 {
    30
}
fn default_max_calls() -> u32 {
    100
}
fn default_cps() -> f64 {
    5.0
}
fn default_rtp_port() -> u16 {
    20000
}
fn default_ring_timeout() -> u64 {
    45
}
fn default_max_call() -> u64 {
    // RapidPro ends calls "ongoing for too long"; an IVR quiz takes minutes.
    1800
}
fn default_retry() -> Vec<f64> {
    vec![30.0, 60.0, 1440.0]
}
fn default_language() -> String {
    "eng".into()
}
fn default_digit_timeout() -> u64 {
    // FreeSWITCH's menu default; Twilio's 5 s is short for first-time callers.
    10
}
fn default_inter_digit() -> u64 {
    3
}
fn default_recordings() -> std::path::PathBuf {
    "recordings".into()
}
fn default_prompts() -> std::path::PathBuf {
    "prompts".into()
}
fn default_tts() -> String {
    crate::sip::prompts::DEFAULT_TTS.into()
}
fn default_expires() -> u32 {
    3600
}

/// Longest wait before retrying a call: a call placed a year after it
/// failed is not a retry, and the bound keeps the retry time in range.
pub const MAX_RETRY_MINUTES: f64 = 525_600.0;

/// Longest timer a trunk setting may ask for: no ring, call, key press or
/// keepalive sensibly lasts a day, and the bound keeps `Instant + timer`
/// (which panics past the clock's range) in range.
pub const MAX_TIMER_SECS: u64 = 86_400;

/// Every problem of the `[sip]` section, each with its path.
pub fn validate_sip(sip: &SipConfig, errors: &mut Vec<String>) {
    let range = crate::sip::media_clock::REALTIME_PRIORITIES;
    if let Some(p) = sip.media_realtime_priority {
        if !range.contains(&p) {
            errors.push(format!(
                "sip.media_realtime_priority: must be {}-{} (SCHED_FIFO), got {p}",
                range.start(),
                range.end()
            ));
        }
    }
}

/// Every problem of the trunk section, each with its path.
pub fn validate(trunks: &mut [TrunkConfig], errors: &mut Vec<String>) {
    let mut names = std::collections::HashSet::new();
    for (i, t) in trunks.iter_mut().enumerate() {
        if t.name.trim().is_empty() {
            errors.push(format!("trunks[{i}].name: must not be empty"));
        }
        if !names.insert(t.name.clone()) {
            errors.push(format!("trunks[{i}].name: duplicate trunk name {:?}", t.name));
        }
        if t.max_calls == 0 {
            errors.push(format!("trunks[{i}].max_calls: must be at least 1"));
        }
        if let Err(e) = crate::core::rate::CALLS_PER_SECOND.check(t.calls_per_second) {
            errors.push(format!("trunks[{i}].calls_per_second: {e}"));
        }
        if t.ring_timeout_secs == 0 || t.max_call_secs == 0 {
            errors.push(format!(
                "trunks[{i}].ring_timeout_secs/max_call_secs: must be at least 1"
            ));
        }
        for (key, secs) in [
            ("options_interval_secs", t.options_interval_secs),
            ("ring_timeout_secs", t.ring_timeout_secs),
            ("max_call_secs", t.max_call_secs),
            ("digit_timeout_secs", t.digit_timeout_secs),
            ("inter_digit_timeout_secs", t.inter_digit_timeout_secs),
            ("answer_after_ms", t.answer_after_ms.div_ceil(1000)),
        ] {
            if secs > MAX_TIMER_SECS {
                errors.push(format!(
                    "trunks[{i}].{key}: must be at most a day ({MAX_TIMER_SECS} s)"
                ));
            }
        }
        if crate::sip::port_pool::PortPool::for_concurrency(t.bind.ip(), t.rtp_port_start, t.max_calls)
            .is_err()
        {
            errors.push(format!(
                "trunks[{i}].rtp_port_start: {} calls from port {} run past 65535",
                t.max_calls, t.rtp_port_start
            ));
        }
        if !t.calling_window.trim().is_empty() {
            t.parsed_window = super::load::parse_hours(&t.calling_window);
        }
        if !t.calling_window.trim().is_empty() && t.parsed_window.is_none() {
            errors.push(format!(
                "trunks[{i}].calling_window: expected HH:MM-HH:MM, got {:?}",
                t.calling_window
            ));
        }
        if !t
            .retry_minutes
            .iter()
            .all(|m| (0.0..=MAX_RETRY_MINUTES).contains(m))
        {
            errors.push(format!(
                "trunks[{i}].retry_minutes: must be minutes, 0 to {MAX_RETRY_MINUTES} (a year)"
            ));
        }
        for (j, r) in t.inbound.iter().enumerate() {
            if r.number.trim().is_empty() || r.flow.trim().is_empty() {
                errors.push(format!(
                    "trunks[{i}].inbound[{j}]: number and flow must not be empty"
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn trunk_section_parses_and_reports_every_bad_field() {
        let good = r#"
            [[trunks]]
            name = "carrier"
            bind = "127.0.0.1:5070"
            peer = "127.0.0.1:5080"
            calling_window = "08:00-19:00"
            inbound = [{ number = "5551000", flow = "flows/voice_quiz.json" }]
        "#;
        let c = crate::config::load_str(good, std::iter::empty()).unwrap();
        let t = &c.trunks[0];
        assert_eq!((t.max_calls, t.retry_minutes.len()), (100, 3));
        assert!(t.parsed_window.is_some());
        let bad = r#"
            [[trunks]]
            name = "carrier"
            bind = "127.0.0.1:5070"
            peer = "127.0.0.1:5080"
            max_calls = 0
            calls_per_second = -1
            calling_window = "late"
            retry_minutes = [-5]
            rtp_port_start = 65000
        "#;
        let errors = crate::config::load_str(bad, std::iter::empty()).unwrap_err().0;
        for want in ["max_calls", "calls_per_second", "calling_window", "retry_minutes"] {
            assert!(errors.iter().any(|e| e.contains(want)), "{want} in {errors:?}");
        }
    }

    #[test]
    fn rates_and_retries_that_would_overflow_a_timer_are_refused() {
        let trunk = |extra: &str| {
            format!("[[trunks]]\nname = \"c\"\nbind = \"127.0.0.1:5070\"\npeer = \"127.0.0.1:5080\"\n{extra}")
        };
        for (extra, key) in [
            (
                "calls_per_second = 1e-300",
                "trunks[0].calls_per_second: must be between 0.001 and 1000",
            ),
            (
                "calls_per_second = 0",
                "trunks[0].calls_per_second: must be between",
            ),
            (
                "calls_per_second = 1e6",
                "trunks[0].calls_per_second: must be between",
            ),
            (
                "retry_minutes = [30, 1e300]",
                "trunks[0].retry_minutes: must be minutes, 0 to 525600",
            ),
            (
                "ring_timeout_secs = 9223372036854775807",
                "trunks[0].ring_timeout_secs: must be at most a day",
            ),
            (
                "options_interval_secs = 86401",
                "trunks[0].options_interval_secs: must be at most a day",
            ),
            (
                "answer_after_ms = 86400001",
                "trunks[0].answer_after_ms: must be at most a day",
            ),
        ] {
            let errors = crate::config::load_str(&trunk(extra), std::iter::empty())
                .unwrap_err()
                .0;
            assert!(errors.iter().any(|e| e.starts_with(key)), "{extra}: {errors:?}");
        }
        let ok = crate::config::load_str(
            &trunk("calls_per_second = 0.001\nretry_minutes = [0, 525600]"),
            std::iter::empty(),
        );
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn sip_section_takes_a_realtime_priority_in_the_sched_fifo_range() {
        let c = crate::config::load_str("[sip]\nmedia_realtime_priority = 10", std::iter::empty()).unwrap();
        assert_eq!(c.sip.media_realtime_priority, Some(10));
        assert_eq!(
            crate::config::load_str("", std::iter::empty())
                .unwrap()
                .sip
                .media_realtime_priority,
            None
        );
        let env = [("MHERO_SIP__MEDIA_REALTIME_PRIORITY".to_string(), "20".to_string())];
        assert_eq!(
            crate::config::load_str("", env)
                .unwrap()
                .sip
                .media_realtime_priority,
            Some(20)
        );
        for bad in [
            "media_realtime_priority = 0",
            "media_realtime_priority = 100",
            "media_priority = 1",
        ] {
            let errors = crate::config::load_str(&format!("[sip]\n{bad}"), std::iter::empty())
                .unwrap_err()
                .0;
            assert!(errors.iter().all(|e| e.starts_with("sip.")), "{bad}: {errors:?}");
        }
    }
}
