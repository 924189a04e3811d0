//! RTP sessions over real loopback sockets: two of our sessions talking to each
//! other, and a raw UDP peer that behaves like carriers and SIPp do (SSRC
//! changes, sequence jumps, 30 ms frames, repeated events, junk datagrams).

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use mhero::sip::media::codec::Codec;
use mhero::sip::media::digit::Digit;
use mhero::sip::media::digit_collector::DigitSource;
use mhero::sip::media::rtp::RtpPacket;
use mhero::sip::media::telephone_event::TelephoneEvent;
use mhero::sip::port_pool::PortPool;
use mhero::sip::rtp_session::{self, MediaEvent, RtpConfig, RtpHandle};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::timeout;

const TELEPHONE_EVENT: u8 = 101;
/// Generous bound for an event that should arrive within a few packet times.
const WAIT: Duration = Duration::from_secs(3);

fn config(codec: Codec, remote: Option<SocketAddr>, ssrc: u32) -> RtpConfig {
    RtpConfig {
        codec,
        payload_type: codec.static_payload_type(),
        telephone_event: Some(TELEPHONE_EVENT),
        remote,
        ptime_ms: 20,
        ssrc,
    }
}

async fn session(pool: &Arc<PortPool>, config: RtpConfig) -> (RtpHandle, mpsc::Receiver<MediaEvent>) {
    let (socket, lease) = pool.bind().unwrap();
    socket.set_nonblocking(true).unwrap();
    // Leases outlive the test body: the ports go back when the process exits.
    std::mem::forget(lease);
    let (events_tx, events) = mpsc::channel(64);
    let handle = rtp_session::spawn(UdpSocket::from_std(socket).unwrap(), config, events_tx).unwrap();
    (handle, events)
}

fn pool() -> Arc<PortPool> {
    // A private range per test binary, picked from an ephemeral port so parallel runs do not collide.
    let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let base = probe.local_addr().unwrap().port().min(60000);
    PortPool::new("127.0.0.1".parse().unwrap(), base, base + 40).unwrap()
}

async fn next_digit(events: &mut mpsc::Receiver<MediaEvent>) -> (Digit, DigitSource) {
    loop {
        match timeout(WAIT, events.recv())
            .await
            .expect("no digit in time")
            .expect("media task ended")
        {
            MediaEvent::Digit { digit, source } => return (digit, source),
            _ => continue,
        }
    }
}

async fn expect_event(
    events: &mut mpsc::Receiver<MediaEvent>,
    wanted: impl Fn(&MediaEvent) -> bool,
) -> MediaEvent {
    loop {
        let event = timeout(WAIT, events.recv())
            .await
            .expect("event not seen in time")
            .expect("media task ended");
        if wanted(&event) {
            return event;
        }
    }
}

/// The two tones of a key at about -10 dBm0 each, as linear PCM.
fn dtmf(digit: Digit, ms: usize) -> Vec<i16> {
    let rows = [697.0f32, 770.0, 852.0, 941.0];
    let columns = [1209.0f32, 1336.0, 1477.0, 1633.0];
    let (r, c) = digit.keypad_position();
    (0..ms * 8)
        .map(|n| {
            let t = n as f32 / 8000.0;
            let w = 2.0 * std::f32::consts::PI;
            (7000.0 * (w * rows[r] * t).sin() + 7000.0 * (w * columns[c] * t).sin()) as i16
        })
        .collect()
}

fn encode(codec: Codec, samples: &[i16]) -> Vec<u8> {
    let mut out = Vec::new();
    codec.encode_into(samples, &mut out);
    out
}

#[tokio::test]
async fn two_sessions_latch_play_and_hear_in_band_digits() {
    let pool = pool();
    // B does not know A's address yet: it must learn it from A's packets (symmetric RTP).
    let (b, mut b_events) = session(&pool, config(Codec::Pcma, None, 0xB)).await;
    let (a, mut a_events) = session(&pool, config(Codec::Pcma, Some(b.local_addr()), 0xA)).await;

    let latched = expect_event(&mut b_events, |e| matches!(e, MediaEvent::Latched(_))).await;
    assert_eq!(latched, MediaEvent::Latched(a.local_addr()));

    let mut keys = Vec::new();
    for digit in [Digit::D1, Digit::Pound] {
        keys.extend(dtmf(digit, 80));
        keys.extend(vec![0i16; 8 * 80]);
    }
    a.play(encode(Codec::Pcma, &keys).into()).await.unwrap();
    assert_eq!(next_digit(&mut b_events).await, (Digit::D1, DigitSource::Inband));
    assert_eq!(
        next_digit(&mut b_events).await,
        (Digit::Pound, DigitSource::Inband)
    );
    expect_event(&mut a_events, |e| *e == MediaEvent::PlaybackFinished).await;

    let stats = b.stats();
    assert!(
        stats.received.load(Ordering::Relaxed) >= 16,
        "B heard A's 320 ms of keys"
    );
    assert!(
        stats.sent_silence.load(Ordering::Relaxed) > 0,
        "B sent silence while idle"
    );
    assert_eq!(stats.malformed.load(Ordering::Relaxed), 0);
    assert!(
        a.stats().received.load(Ordering::Relaxed) > 0,
        "B's silence reached A once B had latched"
    );
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test]
async fn barge_in_clears_the_queue_and_silence_follows() {
    let pool = pool();
    let (b, _b_events) = session(&pool, config(Codec::Pcmu, None, 0xB)).await;
    let (a, mut a_events) = session(&pool, config(Codec::Pcmu, Some(b.local_addr()), 0xA)).await;
    let ten_seconds: Arc<[u8]> = vec![0x55u8; 8000 * 10].into();
    a.play(ten_seconds).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let silence_before = a.stats().sent_silence.load(Ordering::Relaxed);
    a.clear_queue().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let silence_after = a.stats().sent_silence.load(Ordering::Relaxed);
    assert!(
        silence_after >= silence_before + 5,
        "silence {silence_before} -> {silence_after}"
    );
    // A cleared queue is not a finished playback.
    while let Ok(event) = a_events.try_recv() {
        assert_ne!(event, MediaEvent::PlaybackFinished);
    }
}

/// A raw UDP peer standing in for a carrier.
struct RawPeer {
    socket: UdpSocket,
    to: SocketAddr,
}

impl RawPeer {
    async fn send(&self, pt: u8, seq: u16, ts: u32, ssrc: u32, marker: bool, payload: &[u8]) {
        let mut packet = RtpPacket::new(pt, seq, ts, ssrc, payload);
        packet.marker = marker;
        let mut wire = Vec::new();
        packet.encode_into(&mut wire).unwrap();
        self.socket.send_to(&wire, self.to).await.unwrap();
    }

    /// One key press the way SIPp's pcaps carry it: 8 growing packets, then the end 3 times.
    async fn press(&self, digit: Digit, seq: u16, ts: u32, ssrc: u32) {
        for i in 0..8u16 {
            let event = TelephoneEvent {
                event: digit.event_code(),
                end: false,
                volume: 10,
                duration: 320 * (i + 1),
            };
            self.send(
                TELEPHONE_EVENT,
                seq.wrapping_add(i),
                ts,
                ssrc,
                i == 0,
                &event.encode().unwrap(),
            )
            .await;
        }
        let end = TelephoneEvent {
            event: digit.event_code(),
            end: true,
            volume: 10,
            duration: 2560,
        };
        for _ in 0..3 {
            // Same sequence number each time, as some senders do for the retransmitted end.
            self.send(
                TELEPHONE_EVENT,
                seq.wrapping_add(8),
                ts,
                ssrc,
                false,
                &end.encode().unwrap(),
            )
            .await;
        }
    }
}

#[tokio::test]
async fn rfc4733_from_a_carrier_like_peer_survives_ssrc_changes_jumps_and_junk() {
    let pool = pool();
    let peer_socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (b, mut events) = session(&pool, config(Codec::Pcmu, None, 0xB)).await;
    let peer = RawPeer {
        socket: peer_socket,
        to: b.local_addr(),
    };

    peer.press(Digit::D1, 7984, 1000, 0x0E05_384E).await;
    assert_eq!(next_digit(&mut events).await, (Digit::D1, DigitSource::Rfc4733));
    // Junk and a bad telephone-event payload are counted and dropped, nothing else is lost.
    peer.socket
        .send_to(b"not rtp at all", b.local_addr())
        .await
        .unwrap();
    peer.send(TELEPHONE_EVENT, 9000, 2000, 0x0E05_384E, true, &[1, 2, 3])
        .await;
    // New SSRC, sequence jump backwards, timestamp jump: a new press all the same.
    peer.press(Digit::D2, 100, 0xFFFF_FF00, 0xCA11_0000).await;
    assert_eq!(next_digit(&mut events).await, (Digit::D2, DigitSource::Rfc4733));
    // The dialog relays a SIP INFO for the same press: merged, not repeated.
    b.sip_info_digit(Digit::D2).await.unwrap();
    peer.press(Digit::Pound, 8436, 5000, 0x0E05_384E).await;
    assert_eq!(
        next_digit(&mut events).await,
        (Digit::Pound, DigitSource::Rfc4733)
    );
    // A SIP INFO on its own is a digit.
    b.sip_info_digit(Digit::Star).await.unwrap();
    assert_eq!(next_digit(&mut events).await, (Digit::Star, DigitSource::SipInfo));

    let stats = b.stats();
    assert_eq!(stats.malformed.load(Ordering::Relaxed), 2);
    assert!(stats.ssrc_changes.load(Ordering::Relaxed) >= 2);
    // B latched on to the peer and sends it silence.
    let mut buffer = [0u8; 1500];
    let (len, from) = timeout(WAIT, peer.socket.recv_from(&mut buffer))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(from, b.local_addr());
    let packet = RtpPacket::decode(&buffer[..len]).unwrap();
    assert_eq!(packet.payload_type, 0);
    assert_eq!(packet.payload.len(), 160);
}

#[tokio::test]
async fn in_band_tones_in_10ms_and_30ms_frames_with_a_sequence_jump_are_heard() {
    let pool = pool();
    for frame_len in [80usize, 240] {
        let peer_socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (b, mut events) = session(&pool, config(Codec::Pcma, None, 0xB)).await;
        let peer = RawPeer {
            socket: peer_socket,
            to: b.local_addr(),
        };
        let mut audio = dtmf(Digit::D7, 90);
        audio.extend(vec![0i16; 8 * 90]);
        audio.extend(dtmf(Digit::D9, 90));
        audio.extend(vec![0i16; 8 * 90]);
        let coded = encode(Codec::Pcma, &audio);
        let frames = coded.len().div_ceil(frame_len);
        for (i, frame) in coded.chunks(frame_len).enumerate() {
            // The sequence jumps by 1000 half-way, as after a carrier's media server switch.
            let seq = if i < frames / 2 { i as u16 } else { 1000 + i as u16 };
            peer.send(8, seq, (frame_len * i) as u32, 0xA, i == 0, frame)
                .await;
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert_eq!(
            next_digit(&mut events).await,
            (Digit::D7, DigitSource::Inband),
            "{frame_len}-sample frames"
        );
        assert_eq!(
            next_digit(&mut events).await,
            (Digit::D9, DigitSource::Inband),
            "{frame_len}-sample frames"
        );
        b.stop().await.unwrap();
    }
}
