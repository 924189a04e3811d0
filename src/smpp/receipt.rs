//! Delivery receipts: recognising a receipt among deliver_sm / data_sm,
//! reading it from the `receipted_message_id` / `message_state` TLVs or the
//! text form (`id:… sub:… dlvrd:… stat:DELIVRD err:…`), and normalising
//! carrier message ids so the id in a receipt matches the id in the
//! submit_sm_resp. Knows nothing of links or the store.

use serde::Deserialize;

use super::codec::Sm;

/// `esm_class` message-type bits: 0x04 SMSC delivery receipt, 0x08 SME
/// delivery acknowledgement, 0x20 intermediate notification.
const ESM_TYPE_MASK: u8 = 0x3C;
const ESM_RECEIPT: u8 = 0x04;
const ESM_SME_ACK: u8 = 0x08;
const ESM_INTERMEDIATE: u8 = 0x20;

/// The state of a message at the handset, as carriers report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptState {
    Delivered,
    Undeliverable,
    Rejected,
    Expired,
    Deleted,
    Accepted,
    Enroute,
    Unknown,
    Other(String),
}

impl ReceiptState {
    fn from_stat(stat: &str) -> ReceiptState {
        match stat.to_ascii_uppercase().as_str() {
            "DELIVRD" | "DELIVERED" => ReceiptState::Delivered,
            "UNDELIV" | "UNDELIVERABLE" => ReceiptState::Undeliverable,
            "REJECTD" | "REJECTED" => ReceiptState::Rejected,
            "EXPIRED" => ReceiptState::Expired,
            "DELETED" => ReceiptState::Deleted,
            "ACCEPTD" | "ACCEPTED" => ReceiptState::Accepted,
            "ENROUTE" => ReceiptState::Enroute,
            "UNKNOWN" => ReceiptState::Unknown,
            other => ReceiptState::Other(other.to_string()),
        }
    }

    /// The `message_state` TLV values of SMPP 3.4 §5.2.28.
    fn from_tlv(v: u8) -> ReceiptState {
        match v {
            1 => ReceiptState::Enroute,
            2 => ReceiptState::Delivered,
            3 => ReceiptState::Expired,
            4 => ReceiptState::Deleted,
            5 => ReceiptState::Undeliverable,
            6 => ReceiptState::Accepted,
            7 => ReceiptState::Unknown,
            8 => ReceiptState::Rejected,
            other => ReceiptState::Other(format!("message_state {other}")),
        }
    }

    /// Whether this ends the message's life (ENROUTE and ACCEPTD do not).
    pub fn is_final(&self) -> bool {
        !matches!(self, ReceiptState::Enroute | ReceiptState::Accepted)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The carrier's message id, as received (not normalised).
    pub id: String,
    pub state: ReceiptState,
    /// The `err:` field of the text form, when present.
    pub err: Option<String>,
}

/// Reads a receipt from a deliver_sm / data_sm body, or `None` when the PDU
/// is an ordinary mobile-originated message. TLVs win over the text.
pub fn parse(sm: &Sm) -> Option<Receipt> {
    let kind = sm.esm_class & ESM_TYPE_MASK;
    let flagged = matches!(kind, ESM_RECEIPT | ESM_SME_ACK | ESM_INTERMEDIATE);
    if !flagged && sm.receipted_message_id.is_none() {
        return None;
    }
    let text = parse_text(&String::from_utf8_lossy(sm.user_data()));
    let id = sm
        .receipted_message_id
        .clone()
        .or_else(|| text.as_ref().map(|t| t.id.clone()))?;
    let state = match (sm.message_state, &text) {
        (Some(v), _) => ReceiptState::from_tlv(v),
        (None, Some(t)) => t.state.clone(),
        (None, None) => ReceiptState::Unknown,
    };
    Some(Receipt {
        id,
        state,
        err: text.and_then(|t| t.err),
    })
}

/// Reads the de-facto text form (SMPP 3.4 appendix B). Field names are
/// matched case-insensitively; `submit date`/`done date` contain a space.
pub fn parse_text(text: &str) -> Option<Receipt> {
    let lower = text.to_ascii_lowercase();
    let value = |key: &str| -> Option<String> {
        let at = lower.find(&format!("{key}:"))?;
        if at > 0 && !lower.as_bytes()[at - 1].is_ascii_whitespace() {
            return None;
        }
        let start = at + key.len() + 1;
        let rest = &text[start..];
        Some(rest.split_whitespace().next().unwrap_or("").to_string())
    };
    let id = value("id")?;
    if id.is_empty() {
        return None;
    }
    let state = value("stat").map_or(ReceiptState::Unknown, |s| ReceiptState::from_stat(&s));
    Some(Receipt {
        id,
        state,
        err: value("err"),
    })
}

/// How a carrier writes its message ids in one place (the submit_sm_resp
/// or the receipt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdBase {
    /// An opaque string: compared case-insensitively without leading zeros.
    #[default]
    Opaque,
    /// A hexadecimal number.
    Hex,
    /// A decimal number.
    Decimal,
}

/// Per-carrier id normalisation, so "00B8BE19" in the resp and "12107289"
/// in the receipt meet as the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub struct IdNormalisation {
    #[serde(default)]
    pub submit_id: IdBase,
    #[serde(default)]
    pub receipt_id: IdBase,
}

impl IdNormalisation {
    pub fn submit(&self, id: &str) -> String {
        normalise(id, self.submit_id)
    }

    pub fn receipt(&self, id: &str) -> String {
        normalise(id, self.receipt_id)
    }
}

/// The canonical form: numbers as decimal, anything else lower-cased without
/// leading zeros. An id that does not parse in its declared base falls back
/// to the opaque form rather than being lost.
pub fn normalise(id: &str, base: IdBase) -> String {
    let id = id.trim();
    let radix = match base {
        IdBase::Hex => Some(16),
        IdBase::Decimal => Some(10),
        IdBase::Opaque => None,
    };
    if let Some(n) = radix.and_then(|r| u128::from_str_radix(id, r).ok()) {
        return n.to_string();
    }
    let stripped = id.trim_start_matches('0');
    let stripped = if stripped.is_empty() && !id.is_empty() {
        "0"
    } else {
        stripped
    };
    stripped.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smpp::codec::Sm;

    const TEXT: &str =
        "id:0A1B2C sub:001 dlvrd:001 submit date:2611242200 done date:2611242201 stat:DELIVRD err:000 text:Hello";

    #[test]
    fn the_text_form_is_read() {
        let r = parse_text(TEXT).unwrap();
        assert_eq!(
            r,
            Receipt {
                id: "0A1B2C".into(),
                state: ReceiptState::Delivered,
                err: Some("000".into())
            }
        );
        let r = parse_text("ID:77 SUB:001 DLVRD:000 STAT:undeliv ERR:034").unwrap();
        assert_eq!((r.id.as_str(), r.state), ("77", ReceiptState::Undeliverable));
        assert_eq!(parse_text("hello there").map(|r| r.id), None);
        // "id:" inside another word is not the id field.
        assert_eq!(parse_text("paid:5 stat:DELIVRD"), None);
    }

    #[test]
    fn tlvs_win_over_text_and_ordinary_mo_is_not_a_receipt() {
        let sm = Sm {
            esm_class: 0x04,
            short_message: TEXT.as_bytes().to_vec(),
            receipted_message_id: Some("ABC".into()),
            message_state: Some(5),
            ..Sm::default()
        };
        let r = parse(&sm).unwrap();
        assert_eq!((r.id.as_str(), r.state), ("ABC", ReceiptState::Undeliverable));
        let text_only = Sm {
            receipted_message_id: None,
            message_state: None,
            ..sm.clone()
        };
        assert_eq!(parse(&text_only).unwrap().state, ReceiptState::Delivered);
        let mo = Sm {
            esm_class: 0,
            short_message: b"id: not a receipt".to_vec(),
            ..Sm::default()
        };
        assert_eq!(parse(&mo), None);
    }

    #[test]
    fn ids_meet_across_bases_zeros_and_case() {
        let n = IdNormalisation {
            submit_id: IdBase::Hex,
            receipt_id: IdBase::Decimal,
        };
        assert_eq!(n.submit("00B8BE19"), n.receipt("12107289"));
        let o = IdNormalisation::default();
        assert_eq!(o.submit("00B8BE19"), o.receipt("b8be19"));
        assert_eq!(o.submit("1101C1-C9D03D-F000"), o.receipt("1101c1-c9d03d-f000"));
        assert_eq!(normalise("000", IdBase::Opaque), "0");
        // A non-number in a numeric base is kept, not dropped.
        assert_eq!(normalise("xyz-1", IdBase::Hex), "xyz-1");
    }

    #[test]
    fn only_final_states_end_a_message() {
        assert!(!ReceiptState::Enroute.is_final());
        assert!(!ReceiptState::Accepted.is_final());
        assert!(ReceiptState::Expired.is_final());
        assert!(ReceiptState::from_tlv(2).is_final());
    }
}
