//! Why a message failed, in words. A stored `failure_reason` is what the
//! link said: an SMPP `command_status` refusing a `submit_sm` (named as
//! `ESME_RINVDSTADR (0x0B)` or `0x0000000B`), a delivery receipt's state
//! and `err:` code (`undeliverable (err 001)`, `expired`, `rejected`), or
//! the gateway's own words ("no usable link"). [`describe`] sorts a reason
//! into a kind with a sentence for ministry officers: the console shows the
//! kind's Fluent string (`failure-<key>`), the API the English sentence
//! beside the raw reason. The codes are those of SMPP 3.4 §5.1.3 and the
//! receipt states of its appendix B.

/// A failure reason sorted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Described {
    /// The kind, the end of its Fluent key (`failure-invalid-number`).
    pub key: &'static str,
    /// The SMPP command status as `0x0B`, when the reason names one.
    pub code: Option<String>,
    /// The sentence in English.
    pub sentence: String,
}

/// Kinds of SMPP command status: (status values, key, English sentence
/// with `{code}`).
const SMPP: &[(&[u32], &str, &str)] = &[
    (
        &[0x0B, 0x50, 0x51, 0x33],
        "invalid-number",
        "the carrier refused the number as invalid ({code})",
    ),
    (
        &[0x0A, 0x48, 0x49],
        "invalid-sender",
        "the carrier refused the sender name or number ({code})",
    ),
    (
        &[0x58],
        "throttled",
        "the carrier said we were sending too fast ({code})",
    ),
    (&[0x14], "queue-full", "the carrier's queue was full ({code})"),
    (
        &[0x45, 0x44],
        "submit-failed",
        "the carrier could not take the message ({code})",
    ),
    (
        &[0x08, 0x64, 0x65, 0x66],
        "system-error",
        "the carrier had a fault in its system ({code})",
    ),
    (
        &[
            0x01, 0x06, 0x07, 0x15, 0x43, 0x61, 0x62, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4,
        ],
        "bad-message",
        "the carrier refused the message's length or settings ({code})",
    ),
    (
        &[0x04, 0x0D, 0x0E, 0x0F, 0x53],
        "not-connected",
        "the gateway was not connected to the carrier properly ({code})",
    ),
    (
        &[0xFE],
        "delivery-failed",
        "the carrier could not deliver it ({code})",
    ),
];

/// The sentence for a status no kind lists.
const SMPP_OTHER: (&str, &str) = ("carrier-refused", "the carrier refused it (code {code})");

/// Receipt states (as the SMPP link stores them) and their kinds.
const RECEIPTS: &[(&str, &str, &str)] = &[
    (
        "expired",
        "expired",
        "the phone could not be reached before the message expired",
    ),
    (
        "undeliverable",
        "undeliverable",
        "the carrier could not deliver it to the phone",
    ),
    ("rejected", "rejected", "the carrier rejected the message"),
    (
        "deleted",
        "deleted",
        "the carrier deleted the message before it was delivered",
    ),
    (
        "unknown",
        "unknown-state",
        "the carrier does not know what became of it",
    ),
];

/// The gateway's own reasons, by how they start.
const OWN: &[(&str, &str, &str)] = &[
    (
        "SMPP cannot reach",
        "unreachable",
        "this kind of address cannot be reached by text message",
    ),
    ("no usable link", "no-link", "no carrier link could send it"),
    ("broadcast cancelled", "cancelled", "the send was cancelled"),
];

/// Sort a stored failure reason (see the module doc).
pub fn describe(reason: &str) -> Described {
    let lower = reason.trim().to_ascii_lowercase();
    if let Some((_, key, sentence)) = RECEIPTS.iter().find(|(state, _, _)| lower.starts_with(state)) {
        return Described {
            key,
            code: None,
            sentence: (*sentence).to_string(),
        };
    }
    if let Some(status) = smpp_status(reason) {
        let code = format!("0x{status:02X}");
        let (key, sentence) = SMPP
            .iter()
            .find(|(codes, _, _)| codes.contains(&status))
            .map(|(_, k, s)| (*k, *s))
            .unwrap_or(SMPP_OTHER);
        return Described {
            key,
            sentence: sentence.replace("{code}", &code),
            code: Some(code),
        };
    }
    if let Some((_, key, sentence)) = OWN.iter().find(|(start, _, _)| reason.starts_with(start)) {
        return Described {
            key,
            code: None,
            sentence: (*sentence).to_string(),
        };
    }
    Described {
        key: "other",
        code: None,
        sentence: format!("it could not be sent: {reason}"),
    }
}

/// The command status a reason names: `… (0x0B)` or a bare `0x0000000B`.
fn smpp_status(reason: &str) -> Option<u32> {
    let at = reason.find("0x")?;
    let hex: String = reason[at + 2..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    if hex.is_empty() || hex.len() > 8 {
        return None;
    }
    u32::from_str_radix(&hex, 16).ok()
}

/// Every kind's key, for the check that each has its Fluent string.
pub fn keys() -> Vec<&'static str> {
    let mut k: Vec<&str> = SMPP.iter().map(|(_, k, _)| *k).collect();
    k.push(SMPP_OTHER.0);
    k.extend(RECEIPTS.iter().map(|(_, k, _)| *k));
    k.extend(OWN.iter().map(|(_, k, _)| *k));
    k.push("other");
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smpp_statuses_and_receipts_in_words() {
        let d = describe("ESME_RINVDSTADR (0x0B)");
        assert_eq!(d.key, "invalid-number");
        assert_eq!(d.sentence, "the carrier refused the number as invalid (0x0B)");
        assert_eq!(describe("0x0000000B").code.as_deref(), Some("0x0B"));
        assert_eq!(describe("ESME_RTHROTTLED (0x58)").key, "throttled");
        assert_eq!(describe("0x00000045").key, "submit-failed");
        let other = describe("0x00000401");
        assert_eq!(other.key, "carrier-refused");
        assert_eq!(other.sentence, "the carrier refused it (code 0x401)");
        assert_eq!(describe("undeliverable (err 001)").key, "undeliverable");
        assert_eq!(describe("expired").key, "expired");
        assert_eq!(describe("rejected (err 0x0B)").key, "rejected");
        assert_eq!(describe("no usable link for route default").key, "no-link");
        let d = describe("simulated permanent failure");
        assert_eq!(
            (d.key, d.sentence.as_str()),
            ("other", "it could not be sent: simulated permanent failure")
        );
    }
}
