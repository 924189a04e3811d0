//! One call's outgoing RTP as the media clock sends it: the queue of prompt
//! audio (already encoded, shared `Arc` slices, so a tick only copies 160
//! bytes), silence when the queue is empty (carriers and NATs drop calls that
//! go quiet), sequence, timestamp and marker, and the call's own socket (a
//! duplicate of the receiving one, so the peer sees one address: symmetric
//! RTP). The call steers it through a bounded [`PlayoutCommand`] queue that
//! the clock drains at each of the call's ticks, without ever waiting on the
//! call. Knows nothing of SIP dialogs, tokio's scheduling or flows.

use std::collections::VecDeque;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::sip::media::codec::Codec;
use crate::sip::media::rtp::RtpPacket;
use crate::sip::media::SAMPLE_RATE;
use crate::sip::rtp_session::{MediaEvent, RtpStats};
use crate::sip::send_clock::{first_tick, SEND_CLOCK};

/// How far behind its grid a call may fall before the clock stops catching
/// up frame by frame: after a stall this long (a suspended VM, a starved
/// thread) a burst of stale audio helps nobody, so the gap is skipped and
/// the timestamp jump tells the receiver where the audio resumes.
const MAX_CATCH_UP: Duration = Duration::from_millis(200);

/// What a call asks of its outgoing audio.
#[derive(Debug)]
pub enum PlayoutCommand {
    /// Queue encoded audio (in the call's codec) after what is queued.
    Play(Arc<[u8]>),
    /// Barge-in: drop everything queued; silence follows at the next tick.
    ClearQueue,
    /// Send to this address from now on (latching, or a re-INVITE).
    Remote(SocketAddr),
}

/// The negotiated parameters of a call's outgoing stream.
#[derive(Debug, Clone)]
pub struct PlayoutConfig {
    pub codec: Codec,
    pub payload_type: u8,
    pub ssrc: u32,
    pub ptime: Duration,
    pub remote: Option<SocketAddr>,
}

/// Scratch buffers the clock reuses for every frame of every call.
#[derive(Debug)]
pub struct FrameBuffers {
    payload: Vec<u8>,
    datagram: Vec<u8>,
}

impl FrameBuffers {
    pub fn new(capacity: usize) -> Self {
        FrameBuffers {
            payload: Vec::with_capacity(capacity),
            datagram: Vec::with_capacity(capacity),
        }
    }
}

/// One call's sending side, owned by the media clock thread.
#[derive(Debug)]
pub struct Playout {
    socket: UdpSocket,
    config: PlayoutConfig,
    commands: Receiver<PlayoutCommand>,
    events: mpsc::Sender<MediaEvent>,
    stats: Arc<RtpStats>,
    remote: Option<SocketAddr>,
    queue: VecDeque<(Arc<[u8]>, usize)>,
    playing: bool,
    sequence: u16,
    timestamp: u32,
    first_packet: bool,
    samples: usize,
    /// The grid instant of this call's next frame.
    due: Instant,
    /// When the previous packet left, to time the send clock.
    last_send: Option<Instant>,
}

impl Playout {
    pub fn new(
        socket: UdpSocket,
        config: PlayoutConfig,
        commands: Receiver<PlayoutCommand>,
        events: mpsc::Sender<MediaEvent>,
        stats: Arc<RtpStats>,
    ) -> Self {
        let samples = (u128::from(SAMPLE_RATE) * config.ptime.as_millis() / 1000) as usize;
        Playout {
            socket,
            remote: config.remote,
            // RFC 3550 asks for random initial sequence and timestamp; the SSRC makes them unique enough.
            sequence: (config.ssrc >> 16) as u16,
            timestamp: config.ssrc.rotate_left(7),
            due: first_tick(config.ptime, config.ssrc),
            config,
            commands,
            events,
            stats,
            queue: VecDeque::new(),
            playing: false,
            first_packet: true,
            samples,
            last_send: None,
        }
    }

    /// When this call's next frame is due.
    pub fn due(&self) -> Instant {
        self.due
    }

    /// Apply what the call asked since its last tick; false once the call has
    /// ended (its session dropped the command sender).
    pub fn take_commands(&mut self) -> bool {
        loop {
            match self.commands.try_recv() {
                Ok(PlayoutCommand::Play(audio)) => {
                    self.queue.push_back((audio, 0));
                    self.playing = true;
                }
                Ok(PlayoutCommand::ClearQueue) => {
                    self.queue.clear();
                    self.playing = false;
                }
                Ok(PlayoutCommand::Remote(remote)) => self.remote = Some(remote),
                Err(TryRecvError::Empty) => return true,
                Err(TryRecvError::Disconnected) => return false,
            }
        }
    }

    /// Send the frame due at [`Playout::due`] and move to the next grid instant.
    pub fn tick(&mut self, buffers: &mut FrameBuffers) {
        self.send_frame(buffers);
        self.due += self.config.ptime;
        let behind = Instant::now().saturating_duration_since(self.due);
        if behind > MAX_CATCH_UP {
            let ptime = self.config.ptime.as_nanos().max(1);
            let skipped = u32::try_from(behind.as_nanos() / ptime + 1).unwrap_or(u32::MAX);
            self.due += self.config.ptime * skipped;
            self.timestamp = self
                .timestamp
                .wrapping_add((self.samples as u32).wrapping_mul(skipped));
            tracing::debug!(skipped, "media clock fell behind; frames skipped");
        }
    }

    fn send_frame(&mut self, buffers: &mut FrameBuffers) {
        let samples = self.samples;
        let payload = &mut buffers.payload;
        payload.clear();
        while payload.len() < samples {
            let Some((audio, offset)) = self.queue.front_mut() else {
                break;
            };
            let take = (samples - payload.len()).min(audio.len() - *offset);
            payload.extend_from_slice(&audio[*offset..*offset + take]);
            *offset += take;
            if *offset == audio.len() {
                self.queue.pop_front();
            }
        }
        let silent = payload.is_empty();
        payload.resize(samples, self.config.codec.silence());
        if self.playing && self.queue.is_empty() {
            self.playing = false;
            self.emit(MediaEvent::PlaybackFinished);
        }

        let mut packet = RtpPacket::new(
            self.config.payload_type,
            self.sequence,
            self.timestamp,
            self.config.ssrc,
            payload,
        );
        packet.marker = self.first_packet;
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(samples as u32);
        let Some(remote) = self.remote else { return };
        buffers.datagram.clear();
        if let Err(err) = packet.encode_into(&mut buffers.datagram) {
            tracing::warn!(%err, "RTP packet not encodable");
            return;
        }
        // The socket is non-blocking: a full send buffer drops this frame
        // rather than holding up every other call's.
        match self.socket.send_to(&buffers.datagram, remote) {
            Ok(_) => {
                let now = Instant::now();
                if let Some(last) = self.last_send.replace(now) {
                    SEND_CLOCK.record(now - last, self.config.ptime);
                }
                self.first_packet = false;
                self.stats.sent.fetch_add(1, Ordering::Relaxed);
                if silent {
                    self.stats.sent_silence.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(err) => tracing::debug!(%err, %remote, "RTP send failed"),
        }
    }

    fn emit(&self, event: MediaEvent) {
        if let Err(err) = self.events.try_send(event) {
            tracing::warn!(%err, "call is not reading media events; one dropped");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::sync_channel;

    use super::*;

    fn playout() -> (
        Playout,
        std::sync::mpsc::SyncSender<PlayoutCommand>,
        UdpSocket,
        mpsc::Receiver<MediaEvent>,
    ) {
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let (commands, received) = sync_channel(8);
        let (events_tx, events) = mpsc::channel(8);
        let config = PlayoutConfig {
            codec: Codec::Pcmu,
            payload_type: 0,
            ssrc: 0x0102_0304,
            ptime: Duration::from_millis(20),
            remote: Some(peer.local_addr().unwrap()),
        };
        let stats = Arc::new(RtpStats::default());
        (
            Playout::new(socket, config, received, events_tx, stats),
            commands,
            peer,
            events,
        )
    }

    fn next_packet(peer: &UdpSocket) -> (u16, u32, bool, Vec<u8>) {
        // A bound on a hang, not a timing check: loopback delivers at once.
        peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buffer = [0u8; 1500];
        let len = peer.recv(&mut buffer).unwrap();
        let packet = RtpPacket::decode(&buffer[..len]).unwrap();
        (
            packet.sequence,
            packet.timestamp,
            packet.marker,
            packet.payload.to_vec(),
        )
    }

    #[test]
    fn a_prompt_goes_out_frame_by_frame_then_silence_and_finishes_once() {
        let (mut playout, commands, peer, mut events) = playout();
        let prompt: Arc<[u8]> = (0..400u16).map(|i| (i % 200) as u8).collect::<Vec<_>>().into();
        commands.send(PlayoutCommand::Play(Arc::clone(&prompt))).unwrap();
        let mut buffers = FrameBuffers::new(1500);
        let mut heard = Vec::new();
        let mut first = None;
        for frame in 0..4u16 {
            assert!(playout.take_commands());
            playout.tick(&mut buffers);
            let (sequence, timestamp, marker, payload) = next_packet(&peer);
            let (seq0, ts0) = *first.get_or_insert((sequence, timestamp));
            assert_eq!(sequence, seq0.wrapping_add(frame));
            assert_eq!(timestamp, ts0.wrapping_add(160 * u32::from(frame)));
            assert_eq!(marker, frame == 0);
            assert_eq!(payload.len(), 160);
            heard.extend(payload);
        }
        // 400 bytes of prompt, the rest of frame 3 and all of frame 4 silence.
        assert_eq!(&heard[..400], &prompt[..]);
        assert!(heard[400..].iter().all(|b| *b == Codec::Pcmu.silence()));
        assert_eq!(events.try_recv().unwrap(), MediaEvent::PlaybackFinished);
        assert!(events.try_recv().is_err());
        assert_eq!(playout.stats.sent.load(Ordering::Relaxed), 4);
        assert_eq!(playout.stats.sent_silence.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_cleared_queue_goes_silent_without_finishing_and_a_dropped_sender_ends_the_call() {
        let (mut playout, commands, peer, mut events) = playout();
        commands
            .send(PlayoutCommand::Play(vec![7u8; 1600].into()))
            .unwrap();
        commands.send(PlayoutCommand::ClearQueue).unwrap();
        let mut buffers = FrameBuffers::new(1500);
        assert!(playout.take_commands());
        playout.tick(&mut buffers);
        let (_, _, _, payload) = next_packet(&peer);
        assert!(payload.iter().all(|b| *b == Codec::Pcmu.silence()));
        assert!(events.try_recv().is_err());
        // A new remote is where the next frame goes.
        let moved = UdpSocket::bind("127.0.0.1:0").unwrap();
        commands
            .send(PlayoutCommand::Remote(moved.local_addr().unwrap()))
            .unwrap();
        assert!(playout.take_commands());
        playout.tick(&mut buffers);
        next_packet(&moved);
        drop(commands);
        assert!(!playout.take_commands());
    }
}
