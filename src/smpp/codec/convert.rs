//! Conversion between our PDU types and `rusmpp`'s: the only file that
//! names `rusmpp` types beyond the framing.

use std::str::FromStr;

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

use super::{Address, Bind, BindKind, CodecError, Frame, Pdu, Sm, Version};
use crate::smpp::encoding::Concat;
use crate::smpp::secret::Secret;

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

pub(super) fn to_rusmpp(frame: Frame) -> Result<Command, CodecError> {
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

pub(super) fn from_rusmpp(cmd: &Command) -> Result<Pdu, String> {
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
