//! The property both the `smpp_decode` fuzz target and the stable mutation
//! test check: any bytes from a peer go through framing → PDU → our types →
//! receipt parsing → text decoding → reassembly without a panic, and every
//! PDU we decode re-encodes to something that decodes to the same PDU.

use bytes::BytesMut;
use mhero::smpp::codec::{encode_frame, Incoming, Pdu, SmppCodec};
use mhero::smpp::encoding::{self, reassembly::Reassembler, Packing, ESM_UDHI};
use mhero::smpp::receipt;
use tokio_util::codec::Decoder;

/// Returns how many PDUs decoded cleanly.
pub fn check(data: &[u8]) -> usize {
    let mut buf = BytesMut::from(data);
    let mut reassembler = Reassembler::new(1_000);
    let mut frames = 0;
    loop {
        match SmppCodec.decode(&mut buf) {
            Ok(Some(Incoming::Frame(f))) => {
                frames += 1;
                if let Pdu::SubmitSm(sm) | Pdu::DeliverSm(sm) | Pdu::DataSm(sm) = &f.pdu {
                    let _ = receipt::parse(sm);
                    for packing in [Packing::Unpacked, Packing::Packed] {
                        let udhi = sm.esm_class & ESM_UDHI != 0;
                        if let Ok(part) =
                            encoding::decode(sm.data_coding, udhi, sm.user_data(), sm.sar, packing)
                        {
                            if let Some(c) = part.concat {
                                let _ = reassembler.push(&sm.source.addr, c, part.text, 0);
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
    let _ = reassembler.expire(i64::MAX);
    let _ = receipt::parse_text(&String::from_utf8_lossy(data));
    frames
}
