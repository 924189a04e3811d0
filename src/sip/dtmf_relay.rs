//! DTMF carried in SIP INFO bodies: `application/dtmf-relay` (`Signal=5`,
//! `Duration=160` lines, as Cisco and most carriers send) and `application/dtmf`
//! (the key alone). The dialog hands the key to the call's RTP session, whose
//! digit collector merges it with the RTP paths. Knows nothing of dialogs.

use thiserror::Error;

use crate::sip::media::digit::Digit;

/// An INFO body longer than this is not a key press.
pub const MAX_BODY_LEN: usize = 256;

/// Why an INFO body did not yield a key.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DtmfInfoError {
    #[error("INFO content type {0:?} does not carry DTMF")]
    NotDtmf(String),
    #[error("INFO body of {0} bytes is too long for a key press")]
    TooLong(usize),
    #[error("INFO body has no Signal= line")]
    NoSignal,
    #[error("INFO signal {0:?} is not a keypad key")]
    NotAKey(String),
    #[error("INFO Duration {0:?} is not a number of milliseconds")]
    BadDuration(String),
}

/// A key press from SIP INFO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfInfo {
    pub digit: Digit,
    pub duration_ms: Option<u32>,
}

/// Parse an INFO body given its `Content-Type` (parameters allowed, case-insensitive).
pub fn parse(content_type: &str, body: &str) -> Result<DtmfInfo, DtmfInfoError> {
    if body.len() > MAX_BODY_LEN {
        return Err(DtmfInfoError::TooLong(body.len()));
    }
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media_type.as_str() {
        "application/dtmf-relay" => parse_relay(body),
        "application/dtmf" => Ok(DtmfInfo {
            digit: key(body.trim())?,
            duration_ms: None,
        }),
        _ => Err(DtmfInfoError::NotDtmf(content_type.to_owned())),
    }
}

fn parse_relay(body: &str) -> Result<DtmfInfo, DtmfInfoError> {
    let mut digit = None;
    let mut duration_ms = None;
    for line in body.lines() {
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        if name.trim().eq_ignore_ascii_case("signal") {
            digit = Some(key(value)?);
        } else if name.trim().eq_ignore_ascii_case("duration") {
            duration_ms = Some(
                value
                    .parse()
                    .map_err(|_| DtmfInfoError::BadDuration(value.to_owned()))?,
            );
        }
    }
    Ok(DtmfInfo {
        digit: digit.ok_or(DtmfInfoError::NoSignal)?,
        duration_ms,
    })
}

/// A key as a character, or as its RFC 4733 event number (some gateways send `Signal=11` for `#`).
fn key(value: &str) -> Result<Digit, DtmfInfoError> {
    let mut chars = value.chars();
    let by_char = match (chars.next(), chars.next()) {
        (Some(c), None) => Digit::from_char(c),
        _ => None,
    };
    by_char
        .or_else(|| value.parse::<u8>().ok().and_then(Digit::from_event_code))
        .ok_or_else(|| DtmfInfoError::NotAKey(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_bodies_as_carriers_send_them() {
        let cases = [
            ("Signal=5\r\nDuration=160\r\n", Digit::D5, Some(160)),
            ("signal= #\nduration= 250", Digit::Pound, Some(250)),
            ("Signal=*\r\n", Digit::Star, None),
            ("Signal=11\r\nDuration=100\r\n", Digit::Pound, Some(100)),
            ("Signal=d\r\n", Digit::D, None),
        ];
        for (body, digit, duration_ms) in cases {
            assert_eq!(
                parse("application/dtmf-relay", body),
                Ok(DtmfInfo { digit, duration_ms }),
                "{body:?}"
            );
        }
    }

    #[test]
    fn every_key_round_trips_through_a_relay_body() {
        for digit in Digit::all() {
            let body = format!("Signal={digit}\r\nDuration=160\r\n");
            assert_eq!(
                parse("Application/DTMF-Relay; charset=utf-8", &body).map(|i| i.digit),
                Ok(digit)
            );
            assert_eq!(
                parse("application/dtmf", &format!("{digit}\r\n")).map(|i| i.digit),
                Ok(digit)
            );
        }
    }

    #[test]
    fn bodies_without_a_key_are_refused_with_the_reason() {
        assert_eq!(
            parse("application/sdp", "v=0"),
            Err(DtmfInfoError::NotDtmf("application/sdp".to_owned()))
        );
        assert_eq!(
            parse("application/dtmf-relay", "Duration=160"),
            Err(DtmfInfoError::NoSignal)
        );
        assert_eq!(
            parse("application/dtmf-relay", "Signal=16"),
            Err(DtmfInfoError::NotAKey("16".to_owned()))
        );
        assert_eq!(
            parse("application/dtmf-relay", "Signal=55"),
            Err(DtmfInfoError::NotAKey("55".to_owned()))
        );
        assert_eq!(
            parse("application/dtmf-relay", "Signal=1\nDuration=long"),
            Err(DtmfInfoError::BadDuration("long".to_owned()))
        );
        assert_eq!(
            parse("application/dtmf", ""),
            Err(DtmfInfoError::NotAKey(String::new()))
        );
        let long = "x".repeat(MAX_BODY_LEN + 1);
        assert_eq!(
            parse("application/dtmf", &long),
            Err(DtmfInfoError::TooLong(MAX_BODY_LEN + 1))
        );
    }
}
