//! The seam between our session layer and the `rusmpp` PDU codec: our own
//! small PDU types (only what the session uses), framing on
//! `tokio_util::codec`, and conversion to and from `rusmpp`'s types. If
//! `rusmpp` churns, only this file changes. Knows nothing of binds or links.

use std::str::FromStr;

use bytes::{Buf, BufMut, BytesMut};
use rusmpp::decode::DecodeWithLength;
use rusmpp::pdus::{
    BindReceiver, BindReceiverResp, BindTransceiver, BindTransceiverResp, BindTransmitter,
    BindTransmitterResp, DataSm, DataSmResp, DeliverSm, DeliverSmResp, SubmitSm, SubmitSmResp,
};
use rusmpp::tlvs::{MessageDeliveryRequestTlvValue, MessageSubmissionRequestTlvValue, TlvValue};
use rusmpp::types::{COctetString, EmptyOrFullCOctetString, OctetString};
use rusmpp::values::{
    DataCoding, EsmClass, InterfaceVersion, MessagePayload, MessageState, Npi, RegisteredDelivery,
    ServiceType, Ton,
};
use rusmpp::{Command, CommandStatus, Pdu as RPdu};
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

fn field<T, E: std::fmt::Debug>(field: &'static str, r: Result<T, E>) -> Result<T, CodecError> {
    r.map_err(|e| CodecError::Field {
        field,
        reason: format!("{e:?}"),
    })
}

fn cstr<const MIN: usize, const MAX: usize>(
    name: &'static str,
    s: &str,
) -> Result<COctetString<MIN, MAX>, CodecError> {
    field(name, COctetString::from_str(s))
}

fn text<const MIN: usize, const MAX: usize>(s: &COctetString<MIN, MAX>) -> String {
    s.as_str().to_string()
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
        Ok((cmd, _)) => match from_rusmpp(&cmd) {
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
        let cmd = to_rusmpp(frame)?;
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

/// The SAR and message_payload TLVs of an [`Sm`], as `$ty` TLV values.
macro_rules! common_tlvs {
    ($ty:ident, $sm:expr) => {{
        let mut tlvs = Vec::new();
        if let Some(c) = $sm.sar {
            tlvs.push($ty::SarMsgRefNum(c.reference));
            tlvs.push($ty::SarTotalSegments(c.total));
            tlvs.push($ty::SarSegmentSeqnum(c.seq));
        }
        if let Some(p) = &$sm.message_payload {
            tlvs.push($ty::MessagePayload(MessagePayload::new(
                rusmpp::types::AnyOctetString::from_slice(p),
            )));
        }
        tlvs
    }};
}

/// submit_sm and deliver_sm share their mandatory fields.
macro_rules! sm_new {
    ($ty:ident, $f:expr, $tlvs:expr) => {{
        let f = $f;
        $ty::new(
            f.service_type,
            f.source.0,
            f.source.1,
            f.source.2,
            f.dest.0,
            f.dest.1,
            f.dest.2,
            f.esm_class,
            0,
            Default::default(),
            EmptyOrFullCOctetString::empty(),
            EmptyOrFullCOctetString::empty(),
            f.registered_delivery,
            Default::default(),
            f.data_coding,
            0,
            f.short_message,
            $tlvs,
        )
    }};
}

fn to_rusmpp(frame: Frame) -> Result<Command, CodecError> {
    let status = CommandStatus::from(frame.status);
    let pdu: RPdu = match frame.pdu {
        Pdu::Bind(b) => {
            let version = match b.version {
                Version::V34 => InterfaceVersion::Smpp3_4,
                Version::V50 => InterfaceVersion::Smpp5_0,
            };
            let (sid, pwd, st, ar) = (
                cstr("system_id", &b.system_id)?,
                cstr("password", b.password.expose())?,
                cstr("system_type", &b.system_type)?,
                cstr("address_range", &b.address_range)?,
            );
            let (ton, npi) = (Ton::from(b.addr_ton), Npi::from(b.addr_npi));
            match b.kind {
                BindKind::Transmitter => BindTransmitter::new(sid, pwd, st, version, ton, npi, ar).into(),
                BindKind::Receiver => BindReceiver::new(sid, pwd, st, version, ton, npi, ar).into(),
                BindKind::Transceiver => BindTransceiver::new(sid, pwd, st, version, ton, npi, ar).into(),
            }
        }
        Pdu::BindResp { kind, system_id } => {
            let sid = cstr("system_id", &system_id)?;
            match kind {
                BindKind::Transmitter => BindTransmitterResp::new(sid, None).into(),
                BindKind::Receiver => BindReceiverResp::new(sid, None).into(),
                BindKind::Transceiver => BindTransceiverResp::new(sid, None).into(),
            }
        }
        Pdu::Unbind => RPdu::Unbind,
        Pdu::UnbindResp => RPdu::UnbindResp,
        Pdu::EnquireLink => RPdu::EnquireLink,
        Pdu::EnquireLinkResp => RPdu::EnquireLinkResp,
        Pdu::GenericNack => RPdu::GenericNack,
        Pdu::SubmitSm(sm) => {
            let tlvs = common_tlvs!(MessageSubmissionRequestTlvValue, sm);
            sm_new!(SubmitSm, Fields::of(&sm)?, tlvs).into()
        }
        Pdu::DeliverSm(sm) => {
            let mut tlvs = common_tlvs!(MessageDeliveryRequestTlvValue, sm);
            if let Some(id) = &sm.receipted_message_id {
                tlvs.push(MessageDeliveryRequestTlvValue::ReceiptedMessageId(cstr(
                    "receipted_message_id",
                    id,
                )?));
            }
            if let Some(s) = sm.message_state {
                tlvs.push(MessageDeliveryRequestTlvValue::MessageState(MessageState::from(
                    s,
                )));
            }
            sm_new!(DeliverSm, Fields::of(&sm)?, tlvs).into()
        }
        Pdu::DataSm(sm) => {
            let f = Fields::of(&sm)?;
            let mut d = DataSm::builder()
                .service_type(f.service_type)
                .source_addr_ton(f.source.0)
                .source_addr_npi(f.source.1)
                .source_addr(f.source.2)
                .dest_addr_ton(f.dest.0)
                .dest_addr_npi(f.dest.1)
                .destination_addr(f.dest.2)
                .esm_class(f.esm_class)
                .registered_delivery(f.registered_delivery)
                .data_coding(f.data_coding);
            d = d.tlvs(common_tlvs!(MessageSubmissionRequestTlvValue, sm));
            d.build().into()
        }
        Pdu::SubmitSmResp { message_id } => {
            SubmitSmResp::new(cstr("message_id", &message_id)?, Vec::new()).into()
        }
        Pdu::DeliverSmResp => DeliverSmResp::new(COctetString::empty(), Vec::new()).into(),
        Pdu::DataSmResp { message_id } => {
            DataSmResp::new(cstr("message_id", &message_id)?, Vec::new()).into()
        }
        Pdu::Other { command_id } => {
            return Err(CodecError::Field {
                field: "command_id",
                reason: format!("cannot encode 0x{command_id:08X}"),
            })
        }
    };
    Ok(Command::new(status, frame.sequence, pdu))
}

/// The converted fixed fields of an [`Sm`].
struct Fields {
    service_type: ServiceType,
    source: (Ton, Npi, COctetString<1, 21>),
    dest: (Ton, Npi, COctetString<1, 21>),
    esm_class: EsmClass,
    registered_delivery: RegisteredDelivery,
    data_coding: DataCoding,
    short_message: OctetString<0, 255>,
}

impl Fields {
    fn of(sm: &Sm) -> Result<Fields, CodecError> {
        Ok(Fields {
            service_type: ServiceType::new(cstr("service_type", &sm.service_type)?),
            source: (
                Ton::from(sm.source.ton),
                Npi::from(sm.source.npi),
                cstr("source_addr", &sm.source.addr)?,
            ),
            dest: (
                Ton::from(sm.dest.ton),
                Npi::from(sm.dest.npi),
                cstr("destination_addr", &sm.dest.addr)?,
            ),
            esm_class: EsmClass::from(sm.esm_class),
            registered_delivery: RegisteredDelivery::from(sm.registered_delivery),
            data_coding: DataCoding::from(sm.data_coding),
            short_message: field("short_message", OctetString::from_slice(&sm.short_message))?,
        })
    }
}

fn read_tlvs<'a>(sm: &mut Sm, tlvs: impl Iterator<Item = &'a TlvValue>) {
    let (mut r, mut t, mut s) = (None, None, None);
    for v in tlvs {
        match v {
            TlvValue::SarMsgRefNum(x) => r = Some(*x),
            TlvValue::SarTotalSegments(x) => t = Some(*x),
            TlvValue::SarSegmentSeqnum(x) => s = Some(*x),
            TlvValue::MessagePayload(p) => sm.message_payload = Some(p.value.clone().into_vec()),
            TlvValue::ReceiptedMessageId(id) => sm.receipted_message_id = Some(text(id)),
            TlvValue::MessageState(st) => sm.message_state = Some(u8::from(*st)),
            _ => {}
        }
    }
    if let (Some(reference), Some(total), Some(seq)) = (r, t, s) {
        if total > 0 && seq > 0 && seq <= total {
            sm.sar = Some(Concat {
                reference,
                total,
                seq,
            });
        }
    }
}

macro_rules! sm_from {
    ($p:expr) => {{
        let p = $p;
        Sm {
            service_type: text(p.service_type.value()),
            source: Address {
                ton: u8::from(p.source_addr_ton),
                npi: u8::from(p.source_addr_npi),
                addr: text(&p.source_addr),
            },
            dest: Address {
                ton: u8::from(p.dest_addr_ton),
                npi: u8::from(p.dest_addr_npi),
                addr: text(&p.destination_addr),
            },
            esm_class: u8::from(p.esm_class),
            registered_delivery: u8::from(p.registered_delivery),
            data_coding: u8::from(p.data_coding),
            ..Sm::default()
        }
    }};
}

fn from_rusmpp(cmd: &Command) -> Result<Pdu, String> {
    let Some(pdu) = cmd.pdu() else {
        // Bodiless responses with an error status (a failed bind_resp, say).
        return Ok(match u32::from(cmd.id()) {
            0x8000_0001 => Pdu::BindResp {
                kind: BindKind::Receiver,
                system_id: String::new(),
            },
            0x8000_0002 => Pdu::BindResp {
                kind: BindKind::Transmitter,
                system_id: String::new(),
            },
            0x8000_0009 => Pdu::BindResp {
                kind: BindKind::Transceiver,
                system_id: String::new(),
            },
            0x8000_0004 => Pdu::SubmitSmResp {
                message_id: String::new(),
            },
            0x8000_0005 => Pdu::DeliverSmResp,
            0x8000_0103 => Pdu::DataSmResp {
                message_id: String::new(),
            },
            other => Pdu::Other { command_id: other },
        });
    };
    macro_rules! bind {
        ($kind:expr, $b:expr) => {{
            let b = $b;
            Pdu::Bind(Bind {
                kind: $kind,
                system_id: text(&b.system_id),
                password: Secret::new(text(&b.password)),
                system_type: text(&b.system_type),
                version: if b.interface_version == InterfaceVersion::Smpp5_0 {
                    Version::V50
                } else {
                    Version::V34
                },
                addr_ton: u8::from(b.addr_ton),
                addr_npi: u8::from(b.addr_npi),
                address_range: text(&b.address_range),
            })
        }};
    }
    Ok(match pdu {
        RPdu::BindTransmitter(b) => bind!(BindKind::Transmitter, b),
        RPdu::BindReceiver(b) => bind!(BindKind::Receiver, b),
        RPdu::BindTransceiver(b) => bind!(BindKind::Transceiver, b),
        RPdu::BindTransmitterResp(r) => Pdu::BindResp {
            kind: BindKind::Transmitter,
            system_id: text(&r.system_id),
        },
        RPdu::BindReceiverResp(r) => Pdu::BindResp {
            kind: BindKind::Receiver,
            system_id: text(&r.system_id),
        },
        RPdu::BindTransceiverResp(r) => Pdu::BindResp {
            kind: BindKind::Transceiver,
            system_id: text(&r.system_id),
        },
        RPdu::Unbind => Pdu::Unbind,
        RPdu::UnbindResp => Pdu::UnbindResp,
        RPdu::EnquireLink => Pdu::EnquireLink,
        RPdu::EnquireLinkResp => Pdu::EnquireLinkResp,
        RPdu::GenericNack => Pdu::GenericNack,
        RPdu::SubmitSm(p) => {
            let mut sm = sm_from!(p);
            sm.short_message = p.short_message().as_ref().to_vec();
            read_tlvs(&mut sm, p.tlvs().iter().filter_map(|t| t.value()));
            Pdu::SubmitSm(Box::new(sm))
        }
        RPdu::DeliverSm(p) => {
            let mut sm = sm_from!(p);
            sm.short_message = p.short_message().as_ref().to_vec();
            read_tlvs(&mut sm, p.tlvs().iter().filter_map(|t| t.value()));
            Pdu::DeliverSm(Box::new(sm))
        }
        RPdu::DataSm(p) => {
            let mut sm = sm_from!(p);
            read_tlvs(&mut sm, p.tlvs().iter().filter_map(|t| t.value()));
            Pdu::DataSm(Box::new(sm))
        }
        RPdu::SubmitSmResp(r) => Pdu::SubmitSmResp {
            message_id: text(r.message_id()),
        },
        RPdu::DeliverSmResp(_) => Pdu::DeliverSmResp,
        RPdu::DataSmResp(r) => Pdu::DataSmResp {
            message_id: text(r.message_id()),
        },
        _ => Pdu::Other {
            command_id: u32::from(cmd.id()),
        },
    })
}
