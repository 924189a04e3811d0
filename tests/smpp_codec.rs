//! Round trips for every PDU the SMPP session layer uses, byte-exact checks
//! against hand-assembled PDUs, and the decoder's behaviour on broken input.

use bytes::BytesMut;
use mhero::smpp::codec::{
    encode_frame, raw_pdu, Address, Bind, BindKind, CodecError, Frame, Incoming, Pdu, Sm, SmppCodec, Version,
};
use mhero::smpp::encoding::Concat;
use mhero::smpp::secret::Secret;
use tokio_util::codec::Decoder;

fn decode_all(mut bytes: BytesMut) -> Vec<Incoming> {
    let mut out = Vec::new();
    while let Some(i) = SmppCodec.decode(&mut bytes).unwrap() {
        out.push(i);
    }
    assert!(bytes.is_empty(), "left {} bytes", bytes.len());
    out
}

fn round_trip(frame: Frame) {
    let bytes = encode_frame(frame.clone()).unwrap();
    assert_eq!(decode_all(bytes), vec![Incoming::Frame(frame)]);
}

fn sm() -> Sm {
    Sm {
        service_type: "CMT".into(),
        source: Address {
            ton: 5,
            npi: 0,
            addr: "MOH".into(),
        },
        dest: Address {
            ton: 1,
            npi: 1,
            addr: "255712345678".into(),
        },
        esm_class: 0x40,
        registered_delivery: 1,
        data_coding: 8,
        short_message: vec![5, 0, 3, 7, 2, 1, 0, 0x41, 0xD8, 0x3D, 0xDE, 0x00],
        ..Sm::default()
    }
}

#[test]
fn binds_of_every_kind_and_version_round_trip() {
    for kind in [BindKind::Transmitter, BindKind::Receiver, BindKind::Transceiver] {
        for version in [Version::V34, Version::V50] {
            round_trip(Frame {
                status: 0,
                sequence: 1,
                pdu: Pdu::Bind(Bind {
                    kind,
                    system_id: "mhero".into(),
                    password: Secret::new("s3cret"),
                    system_type: "VMA".into(),
                    version,
                    addr_ton: 1,
                    addr_npi: 1,
                    address_range: "^255".into(),
                }),
            });
            round_trip(Frame {
                status: 0,
                sequence: 1,
                pdu: Pdu::BindResp {
                    kind,
                    system_id: "SMSC".into(),
                },
            });
        }
    }
}

#[test]
fn session_pdus_round_trip() {
    for (i, pdu) in [
        Pdu::Unbind,
        Pdu::UnbindResp,
        Pdu::EnquireLink,
        Pdu::EnquireLinkResp,
        Pdu::GenericNack,
        Pdu::DeliverSmResp,
        Pdu::SubmitSmResp {
            message_id: "0A1b2C".into(),
        },
        Pdu::DataSmResp {
            message_id: "77".into(),
        },
    ]
    .into_iter()
    .enumerate()
    {
        round_trip(Frame {
            status: if i == 4 { 0x58 } else { 0 },
            sequence: 0x7FFF_FFF0 + i as u32,
            pdu,
        });
    }
}

#[test]
fn submit_deliver_and_data_sm_round_trip_with_tlvs() {
    round_trip(Frame {
        status: 0,
        sequence: 9,
        pdu: Pdu::SubmitSm(Box::new(sm())),
    });
    let sar = Sm {
        esm_class: 0,
        sar: Some(Concat {
            reference: 513,
            total: 3,
            seq: 2,
        }),
        ..sm()
    };
    round_trip(Frame {
        status: 0,
        sequence: 10,
        pdu: Pdu::SubmitSm(Box::new(sar.clone())),
    });
    let payload = Sm {
        short_message: vec![],
        message_payload: Some(vec![0x61; 600]),
        ..sm()
    };
    round_trip(Frame {
        status: 0,
        sequence: 11,
        pdu: Pdu::SubmitSm(Box::new(payload.clone())),
    });
    let receipt = Sm {
        esm_class: 0x04,
        short_message: b"id:0A1B sub:001 dlvrd:001 submit date:2611242200 done date:2611242201 stat:DELIVRD err:000 text:".to_vec(),
        receipted_message_id: Some("0A1B".into()),
        message_state: Some(2),
        ..sm()
    };
    round_trip(Frame {
        status: 0,
        sequence: 12,
        pdu: Pdu::DeliverSm(Box::new(receipt)),
    });
    round_trip(Frame {
        status: 0,
        sequence: 13,
        pdu: Pdu::DeliverSm(Box::new(sar)),
    });
    round_trip(Frame {
        status: 0,
        sequence: 14,
        pdu: Pdu::DataSm(Box::new(Sm {
            short_message: vec![],
            ..payload
        })),
    });
}

#[test]
fn enquire_link_matches_the_spec_bytes() {
    let bytes = encode_frame(Frame {
        status: 0,
        sequence: 7,
        pdu: Pdu::EnquireLink,
    })
    .unwrap();
    assert_eq!(&bytes[..], &[0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 7]);
}

#[test]
fn a_hand_assembled_submit_sm_resp_decodes() {
    let bytes = raw_pdu(0x8000_0004, 0, 42, b"ABC123\0");
    assert_eq!(
        decode_all(bytes),
        vec![Incoming::Frame(Frame {
            status: 0,
            sequence: 42,
            pdu: Pdu::SubmitSmResp {
                message_id: "ABC123".into()
            }
        })]
    );
}

#[test]
fn a_failed_bind_resp_without_body_decodes() {
    let bytes = raw_pdu(0x8000_0009, 0x0E, 1, b"");
    match &decode_all(bytes)[..] {
        [Incoming::Frame(Frame {
            status: 0x0E,
            pdu: Pdu::BindResp {
                kind: BindKind::Transceiver,
                ..
            },
            ..
        })] => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_frame_split_across_reads_waits_for_the_rest() {
    let whole = encode_frame(Frame {
        status: 0,
        sequence: 3,
        pdu: Pdu::SubmitSm(Box::new(sm())),
    })
    .unwrap();
    let mut buf = BytesMut::from(&whole[..10]);
    assert_eq!(SmppCodec.decode(&mut buf).unwrap(), None);
    buf.extend_from_slice(&whole[10..]);
    assert!(matches!(
        SmppCodec.decode(&mut buf).unwrap(),
        Some(Incoming::Frame(_))
    ));
}

#[test]
fn a_garbled_body_is_malformed_and_the_next_pdu_still_decodes() {
    // A submit_sm_resp whose message_id is not NUL-terminated.
    let mut bytes = raw_pdu(0x8000_0004, 0, 5, b"ABC");
    bytes.extend_from_slice(
        &encode_frame(Frame {
            status: 0,
            sequence: 6,
            pdu: Pdu::EnquireLink,
        })
        .unwrap(),
    );
    let out = decode_all(bytes);
    assert!(
        matches!(
            &out[0],
            Incoming::Malformed {
                command_id: 0x8000_0004,
                sequence: 5,
                ..
            }
        ),
        "{out:?}"
    );
    assert_eq!(
        out[1],
        Incoming::Frame(Frame {
            status: 0,
            sequence: 6,
            pdu: Pdu::EnquireLink
        })
    );
}

#[test]
fn an_unknown_command_is_kept_as_other() {
    let out = decode_all(raw_pdu(0x0000_0777, 0, 8, b""));
    assert!(
        matches!(
            &out[0],
            Incoming::Malformed {
                command_id: 0x777,
                ..
            } | Incoming::Frame(Frame {
                pdu: Pdu::Other { command_id: 0x777 },
                ..
            })
        ),
        "{out:?}"
    );
}

#[test]
fn impossible_lengths_break_the_stream() {
    for len in [0u32, 15, 1_000_000] {
        let mut b = BytesMut::from(&len.to_be_bytes()[..]);
        b.extend_from_slice(&[0; 12]);
        assert!(matches!(SmppCodec.decode(&mut b), Err(CodecError::BadLength(_))));
    }
}

#[test]
fn fields_over_their_spec_limits_are_refused_not_truncated() {
    let long = Sm {
        dest: Address {
            ton: 1,
            npi: 1,
            addr: "1".repeat(30),
        },
        ..sm()
    };
    let err = encode_frame(Frame {
        status: 0,
        sequence: 1,
        pdu: Pdu::SubmitSm(Box::new(long)),
    })
    .unwrap_err();
    assert!(err.to_string().contains("destination_addr"), "{err}");
}

#[path = "smpp_support/decode_check.rs"]
mod decode_check;

/// A stable-toolchain stand-in for the fuzz target: valid PDUs with bytes
/// flipped, cut and duplicated by a fixed pseudo-random sequence.
#[test]
fn mutated_pdus_never_panic_and_decoded_ones_round_trip() {
    let seeds: Vec<BytesMut> = vec![
        encode_frame(Frame {
            status: 0,
            sequence: 9,
            pdu: Pdu::SubmitSm(Box::new(sm())),
        })
        .unwrap(),
        encode_frame(Frame {
            status: 0,
            sequence: 10,
            pdu: Pdu::DeliverSm(Box::new(Sm {
                esm_class: 0x04,
                short_message: b"id:1 stat:DELIVRD".to_vec(),
                receipted_message_id: Some("1".into()),
                message_state: Some(2),
                sar: Some(Concat {
                    reference: 1,
                    total: 2,
                    seq: 1,
                }),
                ..sm()
            })),
        })
        .unwrap(),
        encode_frame(Frame {
            status: 0,
            sequence: 1,
            pdu: Pdu::BindResp {
                kind: BindKind::Receiver,
                system_id: "S".into(),
            },
        })
        .unwrap(),
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut decoded = 0;
    for round in 0..100_000 {
        let seed = &seeds[round % seeds.len()];
        let mut bytes = seed.to_vec();
        for _ in 0..(1 + next() % 4) {
            let at = (next() as usize) % bytes.len();
            match next() % 3 {
                0 => bytes[at] = next() as u8,
                1 => bytes.truncate(at.max(1)),
                _ => bytes.insert(at, next() as u8),
            }
        }
        decoded += decode_check::check(&bytes);
    }
    assert!(
        decoded > 1_000,
        "the mutations should leave many PDUs decodable, got {decoded}"
    );
}
