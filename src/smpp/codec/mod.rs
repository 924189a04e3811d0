//! The seam between our session layer and the `rusmpp` PDU codec: our own
//! small PDU types (only what the session uses), framing on
//! `tokio_util::codec`, and conversion to and from `rusmpp`'s types. If
//! `rusmpp` churns, only this module changes (`convert` holds the mapping). Knows nothing of binds or links.

mod convert;

use bytes::{Buf, BufMut, BytesMut};
use rusmpp::decode::DecodeWithLength;
use rusmpp::Command;
use serde::Deserialize;
use thiserror::Error;
use tokio_util::codec::{Decoder, Encoder};

use super::encoding::Concat;
use super::secret::Secret;

/// command_length (4) + command_id (4) + command_status (4) + sequence_number (4).
pub const HEADER_LEN: usize = 16;
/// Largest PDU we accept: a deliver_sm with a full 64 KiB message_payload
/// fits; anything bigger is a broken peer, not a message.
pub const MAX_PDU_LEN: usize = 70_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BindKind {
    Transmitter,
    Receiver,
    Transceiver,
}

impl BindKind {
    pub fn can_send(self) -> bool {
        matches!(self, BindKind::Transmitter | BindKind::Transceiver)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Version {
    #[default]
    #[serde(rename = "3.4")]
    V34,
    #[serde(rename = "5.0")]
    V50,
}

/// An SME address: type of number, numbering plan, digits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    pub ton: u8,
    pub npi: u8,
    pub addr: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    pub kind: BindKind,
    pub system_id: String,
    pub password: Secret,
    pub system_type: String,
    pub version: Version,
    pub addr_ton: u8,
    pub addr_npi: u8,
    pub address_range: String,
}

/// The body shared by submit_sm, deliver_sm and data_sm (data_sm has no
/// `short_message`; its text travels in `message_payload`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sm {
    pub service_type: String,
    pub source: Address,
    pub dest: Address,
    pub esm_class: u8,
    pub registered_delivery: u8,
    pub data_coding: u8,
    pub short_message: Vec<u8>,
    pub sar: Option<Concat>,
    pub message_payload: Option<Vec<u8>>,
    pub receipted_message_id: Option<String>,
    pub message_state: Option<u8>,
}

impl Sm {
    /// The user data: `message_payload` when present, else `short_message`.
    pub fn user_data(&self) -> &[u8] {
        self.message_payload.as_deref().unwrap_or(&self.short_message)
    }
}

/// The PDUs our session layer speaks. Everything else is `Other`, answered
/// with generic_nack when it is a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pdu {
    Bind(Bind),
    BindResp { kind: BindKind, system_id: String },
    Unbind,
    UnbindResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    SubmitSm(Box<Sm>),
    SubmitSmResp { message_id: String },
    DeliverSm(Box<Sm>),
    DeliverSmResp,
    DataSm(Box<Sm>),
    DataSmResp { message_id: String },
    Other { command_id: u32 },
}

impl Pdu {
    /// Responses have the top bit of command_id set.
    pub fn is_response(&self) -> bool {
        match self {
            Pdu::Other { command_id } => command_id & 0x8000_0000 != 0,
            Pdu::BindResp { .. }
            | Pdu::UnbindResp
            | Pdu::EnquireLinkResp
            | Pdu::GenericNack
            | Pdu::SubmitSmResp { .. }
            | Pdu::DeliverSmResp
            | Pdu::DataSmResp { .. } => true,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub status: u32,
    pub sequence: u32,
    pub pdu: Pdu,
}

/// What the decoder yields: a PDU, or a well-framed PDU whose body we could
/// not read (answered with generic_nack; the session carries on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    Frame(Frame),
    Malformed {
        command_id: u32,
        sequence: u32,
        reason: String,
    },
}

#[derive(Debug, Error)]
pub enum CodecError {
    #[error("PDU length {0} is outside {HEADER_LEN}..={MAX_PDU_LEN}: the stream cannot be resynchronised")]
    BadLength(usize),
    #[error("field {field} cannot be encoded: {reason}")]
    Field { field: &'static str, reason: String },
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// Frames PDUs on a byte stream. Length errors are fatal to the stream;
/// a body that does not parse is reported as [`Incoming::Malformed`].
#[derive(Debug, Default)]
pub struct SmppCodec;

impl Decoder for SmppCodec {
    type Item = Incoming;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Incoming>, CodecError> {
        if src.len() < 4 {
            return Ok(None);
        }
        let len = u32::from_be_bytes([src[0], src[1], src[2], src[3]]) as usize;
        if !(HEADER_LEN..=MAX_PDU_LEN).contains(&len) {
            return Err(CodecError::BadLength(len));
        }
        if src.len() < len {
            src.reserve(len - src.len());
            return Ok(None);
        }
        let mut frame = src.split_to(len);
        frame.advance(4);
        Ok(Some(decode_body(frame)))
    }
}

/// Decodes one PDU without its length prefix. Never panics on any input.
pub fn decode_body(mut body: BytesMut) -> Incoming {
    let header = |b: &BytesMut, at: usize| u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    if body.len() < HEADER_LEN - 4 {
        return Incoming::Malformed {
            command_id: 0,
            sequence: 0,
            reason: "short header".into(),
        };
    }
    let (command_id, sequence) = (header(&body, 0), header(&body, 8));
    let len = body.len();
    match Command::decode(&mut body, len) {
        Ok((cmd, _)) => match convert::from_rusmpp(&cmd) {
            Ok(pdu) => Incoming::Frame(Frame {
                status: u32::from(cmd.status()),
                sequence,
                pdu,
            }),
            Err(reason) => Incoming::Malformed {
                command_id,
                sequence,
                reason,
            },
        },
        Err(e) => Incoming::Malformed {
            command_id,
            sequence,
            reason: e.to_string(),
        },
    }
}

impl Encoder<Frame> for SmppCodec {
    type Error = CodecError;

    fn encode(&mut self, frame: Frame, dst: &mut BytesMut) -> Result<(), CodecError> {
        let cmd = convert::to_rusmpp(frame)?;
        let mut inner = rusmpp::tokio_codec::CommandCodec::new();
        inner
            .encode(cmd, dst)
            .map_err(|e| CodecError::Io(std::io::Error::other(e.to_string())))
    }
}

/// Encodes one frame to bytes (length prefix included).
pub fn encode_frame(frame: Frame) -> Result<BytesMut, CodecError> {
    let mut out = BytesMut::new();
    SmppCodec.encode(frame, &mut out)?;
    Ok(out)
}

/// A raw PDU with an arbitrary header and body (tests and nack replies).
pub fn raw_pdu(command_id: u32, status: u32, sequence: u32, body: &[u8]) -> BytesMut {
    let mut b = BytesMut::with_capacity(HEADER_LEN + body.len());
    b.put_u32((HEADER_LEN + body.len()) as u32);
    b.put_u32(command_id);
    b.put_u32(status);
    b.put_u32(sequence);
    b.put_slice(body);
    b
}
