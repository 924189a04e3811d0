//! Joining the parts of an inbound concatenated message. The parts
//! themselves are persisted by the gateway as they arrive (each one before
//! its deliver_sm_resp, see `dispatch::mo_parts`); this is the pure step
//! that turns what was stored into text, complete or with gaps.

use crate::core::link::MoPart;

use super::decode_payload;

/// A message joined from its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assembled {
    pub text: String,
    /// Parts that never arrived (1-based), empty when complete.
    pub missing: Vec<u8>,
}

/// Joins the parts of one message of `total` parts. Neighbouring parts in
/// the same coding are joined before decoding, so a character split across
/// them (a UTF-16 surrogate pair, a GSM escape and its character) is read
/// whole; a repeated sequence number counts once (the first copy wins).
pub fn join(total: u8, parts: &[MoPart]) -> Assembled {
    let mut sorted: Vec<&MoPart> = parts.iter().filter(|p| p.seq >= 1 && p.seq <= total).collect();
    sorted.sort_by_key(|p| p.seq);
    sorted.dedup_by_key(|p| p.seq);
    let missing = (1..=total)
        .filter(|s| !sorted.iter().any(|p| p.seq == *s))
        .collect();
    let mut text = String::new();
    // A run of consecutive parts in one coding, decoded as one payload.
    let mut run: Vec<u8> = Vec::new();
    let mut run_coding = None;
    let mut last_seq = 0;
    for p in sorted {
        if run_coding != Some(p.data_coding) || p.seq != last_seq + 1 {
            if let Some(dc) = run_coding {
                text.push_str(&decode_payload(dc, &run));
            }
            run.clear();
            run_coding = Some(p.data_coding);
        }
        run.extend_from_slice(&p.payload);
        last_seq = p.seq;
    }
    if let Some(dc) = run_coding {
        text.push_str(&decode_payload(dc, &run));
    }
    Assembled { text, missing }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smpp::encoding::{DC_DEFAULT, DC_UCS2};

    fn part(total: u8, seq: u8, data_coding: u8, payload: &[u8]) -> MoPart {
        MoPart {
            reference: 7,
            total,
            seq,
            data_coding,
            payload: payload.to_vec(),
            received_on: 0,
            expires_on: 0,
        }
    }

    #[test]
    fn parts_in_any_order_join_in_sequence() {
        let parts = [
            part(3, 3, DC_DEFAULT, b"C"),
            part(3, 1, DC_DEFAULT, b"A"),
            part(3, 2, DC_DEFAULT, b"B"),
        ];
        assert_eq!(
            join(3, &parts),
            Assembled {
                text: "ABC".into(),
                missing: vec![]
            }
        );
    }

    #[test]
    fn a_repeated_part_counts_once() {
        let parts = [
            part(2, 1, DC_DEFAULT, b"x"),
            part(2, 1, DC_DEFAULT, b"y"),
            part(2, 2, DC_DEFAULT, b"z"),
        ];
        assert_eq!(join(2, &parts).text, "xz");
    }

    #[test]
    fn gaps_are_reported_and_what_arrived_is_kept() {
        let parts = [part(3, 3, DC_DEFAULT, b"C"), part(3, 1, DC_DEFAULT, b"A")];
        let a = join(3, &parts);
        assert_eq!((a.text.as_str(), a.missing), ("AC", vec![2]));
        assert_eq!(join(2, &[]).missing, vec![1, 2]);
    }

    #[test]
    fn a_surrogate_pair_split_across_parts_is_read_whole() {
        // U+1F600 is D83D DE00 in UTF-16: one half in each part.
        let parts = [
            part(2, 1, DC_UCS2, &[0x00, 0x61, 0xD8, 0x3D]),
            part(2, 2, DC_UCS2, &[0xDE, 0x00, 0x00, 0x62]),
        ];
        assert_eq!(join(2, &parts).text, "a😀b");
    }

    #[test]
    fn a_gsm_escape_split_across_parts_is_read_whole() {
        // 0x1B 0x65 is the euro sign.
        let parts = [
            part(2, 1, DC_DEFAULT, &[0x41, 0x1B]),
            part(2, 2, DC_DEFAULT, &[0x65]),
        ];
        assert_eq!(join(2, &parts).text, "A€");
    }

    #[test]
    fn parts_in_different_codings_are_decoded_each_in_its_own() {
        let parts = [part(2, 1, DC_DEFAULT, b"Hi "), part(2, 2, DC_UCS2, &[0x04, 0x1F])];
        assert_eq!(join(2, &parts).text, "Hi П");
    }

    #[test]
    fn sequence_numbers_outside_the_total_are_ignored() {
        let parts = [part(2, 0, DC_DEFAULT, b"?"), part(2, 3, DC_DEFAULT, b"!")];
        assert_eq!(join(2, &parts).missing, vec![1, 2]);
        assert_eq!(join(2, &parts).text, "");
    }
}
