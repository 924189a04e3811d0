//! The property both the `smpp_decode` fuzz target and the stable mutation
//! test check: any bytes from a peer go through framing → PDU → our types →
//! receipt parsing → text decoding → joining parts without a panic, and every
//! PDU we decode re-encodes to something that decodes to the same PDU.

use bytes::BytesMut;
use mhero::core::link::MoPart;
use mhero::smpp::codec::{encode_frame, Incoming, Pdu, SmppCodec};
use mhero::smpp::encoding::{self, reassembly, Packing, ESM_UDHI};
use mhero::smpp::receipt;
use tokio_util::codec::Decoder;

/// Returns how many PDUs decoded cleanly.
pub fn check(data: &[u8]) -> usize {
    let mut buf = BytesMut::from(data);
    let mut parts: Vec<MoPart> = Vec::new();
    let mut frames = 0;
    loop {
        match SmppCodec.decode(&mut buf) {
            Ok(Some(Incoming::Frame(f))) => {
                frames += 1;
                if let Pdu::SubmitSm(sm) | Pdu::DeliverSm(sm) | Pdu::DataSm(sm) = &f.pdu {
                    let _ = receipt::parse(sm);
                    for packing in [Packing::Unpacked, Packing::Packed] {
                        let udhi = sm.esm_class & ESM_UDHI != 0;
                        let _ = encoding::decode(sm.data_coding, udhi, sm.user_data(), sm.sar, packing);
                        if let Ok(raw) =
                            encoding::read_part(sm.data_coding, udhi, sm.user_data(), sm.sar, packing)
                        {
                            if let Some(c) = raw.concat {
                                parts.push(MoPart {
                                    reference: c.reference,
                                    total: c.total,
                                    seq: c.seq,
                                    data_coding: raw.data_coding,
                                    payload: raw.payload,
                                    received_on: 0,
                                    expires_on: 0,
                                });
                            }
                        }
                    }
                }
                if let Ok(bytes) = encode_frame(f.clone()) {
                    let mut again = bytes;
                    match SmppCodec.decode(&mut again) {
                        Ok(Some(Incoming::Frame(g))) => assert_eq!(g, f, "re-encoding changed the PDU"),
                        other => panic!("our own encoding of {f:?} did not decode: {other:?}"),
                    }
                }
            }
            Ok(Some(Incoming::Malformed { .. })) => {}
            Ok(None) | Err(_) => break,
        }
    }
    // Parts of any message, joined whatever total they claim.
    let totals: std::collections::BTreeSet<u8> = parts.iter().map(|p| p.total).collect();
    for total in totals {
        let _ = reassembly::join(total, &parts);
    }
    let _ = receipt::parse_text(&String::from_utf8_lossy(data));
    frames
}
