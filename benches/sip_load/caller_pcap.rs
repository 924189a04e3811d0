//! The load caller's media as a pcap for SIPp's `play_pcap_audio`: A-law
//! silence every 20 ms, and RFC 4733 key presses at given times in place of
//! the audio, the way a phone sends them (8 packets with growing duration,
//! the first with the marker bit, then the end packet three times).
//! SIPp rewrites addresses and ports; it keeps our SSRC, sequence and
//! timestamps and paces the packets by the pcap's own time stamps.

use mhero::sip::media::rtp::RtpPacket;
use mhero::sip::media::telephone_event::TelephoneEvent;

/// Payload types the load scenario offers (PCMA and telephone-event).
const PT_PCMA: u8 = 8;
const PT_EVENT: u8 = 101;
/// A-law silence (the code for sample 0).
const PCMA_SILENCE: u8 = 0xD5;
const FRAME_MS: u64 = 20;
const SAMPLES_PER_FRAME: u32 = 160;
/// Packets of a key press before its end packets: 160 ms of tone.
const EVENT_FRAMES: u16 = 8;
/// End packets are repeated for loss (RFC 4733 §2.5.1.4).
const END_REPEATS: usize = 3;
const SSRC: u32 = 0x4D48_4552;

/// Caller media lasting `length_ms`, with `keys` pressed at their offsets (ms).
pub fn caller_pcap(length_ms: u64, keys: &[(u64, char)]) -> Vec<u8> {
    let mut out = pcap_header();
    let mut sequence: u16 = 1000;
    let mut timestamp: u32 = 16_000;
    let mut frame = 0u64;
    let mut keys = keys.iter().peekable();
    while frame * FRAME_MS < length_ms {
        let at = frame * FRAME_MS;
        if let Some(&&(key_at, key)) = keys.peek() {
            if at >= key_at {
                keys.next();
                let event = key_code(key);
                let start = timestamp;
                for i in 0..EVENT_FRAMES + END_REPEATS as u16 {
                    let end = i >= EVENT_FRAMES;
                    let duration = SAMPLES_PER_FRAME as u16 * (i.min(EVENT_FRAMES - 1) + 1);
                    let payload = TelephoneEvent {
                        event,
                        end,
                        volume: 10,
                        duration,
                    }
                    .encode()
                    .expect("a digit event encodes");
                    let mut packet = RtpPacket::new(PT_EVENT, sequence, start, SSRC, &payload);
                    packet.marker = i == 0;
                    push_packet(&mut out, frame * FRAME_MS, &packet);
                    sequence = sequence.wrapping_add(1);
                    timestamp = timestamp.wrapping_add(SAMPLES_PER_FRAME);
                    frame += 1;
                }
                continue;
            }
        }
        let silence = [PCMA_SILENCE; SAMPLES_PER_FRAME as usize];
        let packet = RtpPacket::new(PT_PCMA, sequence, timestamp, SSRC, &silence);
        push_packet(&mut out, at, &packet);
        sequence = sequence.wrapping_add(1);
        timestamp = timestamp.wrapping_add(SAMPLES_PER_FRAME);
        frame += 1;
    }
    out
}

fn key_code(key: char) -> u8 {
    match key {
        '0'..='9' => key as u8 - b'0',
        '*' => 10,
        '#' => 11,
        other => panic!("not a key: {other}"),
    }
}

/// Classic pcap, little-endian, microsecond stamps, Ethernet links.
fn pcap_header() -> Vec<u8> {
    let mut h = Vec::with_capacity(24);
    h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&0i32.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    h.extend_from_slice(&65_535u32.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes());
    h
}

/// One Ethernet/IPv4/UDP frame carrying `packet`, stamped `at_ms` from the start.
fn push_packet(out: &mut Vec<u8>, at_ms: u64, packet: &RtpPacket<'_>) {
    let mut rtp = Vec::with_capacity(12 + 160);
    packet.encode_into(&mut rtp).expect("an RTP packet encodes");
    let udp_len = 8 + rtp.len();
    let ip_len = 20 + udp_len;
    let frame_len = 14 + ip_len;
    let stamp = 1_700_000_000_000_000u64 + at_ms * 1000;
    out.extend_from_slice(&((stamp / 1_000_000) as u32).to_le_bytes());
    out.extend_from_slice(&((stamp % 1_000_000) as u32).to_le_bytes());
    out.extend_from_slice(&(frame_len as u32).to_le_bytes());
    out.extend_from_slice(&(frame_len as u32).to_le_bytes());
    // Ethernet: two locally administered MACs, IPv4.
    out.extend_from_slice(&[0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&(ip_len as u16).to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&[127, 0, 0, 1]);
    ip[16..20].copy_from_slice(&[127, 0, 0, 1]);
    let checksum = !ip.chunks(2).fold(0u32, |sum, w| {
        let sum = sum + u32::from(u16::from_be_bytes([w[0], w[1]]));
        (sum & 0xffff) + (sum >> 16)
    }) as u16;
    ip[10..12].copy_from_slice(&checksum.to_be_bytes());
    out.extend_from_slice(&ip);
    // UDP: ports are rewritten by SIPp; a zero checksum means "none" in IPv4.
    out.extend_from_slice(&6000u16.to_be_bytes());
    out.extend_from_slice(&6000u16.to_be_bytes());
    out.extend_from_slice(&(udp_len as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&rtp);
}
