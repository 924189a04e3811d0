//! One call's RTP: a tokio task that owns the call's UDP socket for receiving,
//! latches onto the address the peer really sends from (symmetric RTP), and
//! turns what it hears into DTMF digits from RFC 4733 events and in-band
//! tones. Sending is not done here: the call's [`Playout`] (prompt queue,
//! silence fill, packet clock) belongs to the media clock threads
//! ([`crate::sip::media_clock`]), which this task steers through a bounded
//! queue. Driven through a cloneable [`RtpHandle`]. Knows nothing of SIP
//! dialogs, prompts on disk or flows.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::sip::media::codec::Codec;
use crate::sip::media::digit::Digit;
use crate::sip::media::digit_collector::{DigitCollector, DigitSource};
use crate::sip::media::dtmf_detector::DtmfDetector;
use crate::sip::media::event_tracker::EventTracker;
use crate::sip::media::rtp::RtpPacket;
use crate::sip::media::telephone_event::TelephoneEvent;
use crate::sip::media_clock::{self, MediaClockError};
use crate::sip::playout::{Playout, PlayoutCommand, PlayoutConfig};

/// Largest datagram we read: RTP for telephony fits one Ethernet MTU.
const MAX_DATAGRAM: usize = 1500;
/// Commands waiting for the media task; a call issues a handful per prompt.
const COMMAND_QUEUE: usize = 32;
/// Commands waiting for the media clock, which drains them every packet time.
const PLAYOUT_QUEUE: usize = 64;
/// Packet times we accept from SDP; outside this a carrier is misconfigured.
const PTIME_RANGE_MS: std::ops::RangeInclusive<u32> = 10..=60;

/// Why a session could not start.
#[derive(Debug, Error)]
pub enum RtpSessionError {
    #[error("packet time {0} ms is outside 10-60 ms")]
    BadPtime(u32),
    #[error("the RTP socket has no local address: {0}")]
    NoLocalAddress(std::io::Error),
    #[error("the RTP socket could not be shared with the media clock: {0}")]
    Socket(std::io::Error),
    #[error(transparent)]
    Clock(#[from] MediaClockError),
    #[error("the RTP media task has ended")]
    Ended,
}

/// What the session needs from the negotiated SDP.
#[derive(Debug, Clone)]
pub struct RtpConfig {
    pub codec: Codec,
    pub payload_type: u8,
    pub telephone_event: Option<u8>,
    /// Where to send until the peer's own packets tell us otherwise.
    pub remote: Option<SocketAddr>,
    pub ptime_ms: u32,
    pub ssrc: u32,
}

/// What the session reports to the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// A key press, de-duplicated across RFC 4733, in-band and SIP INFO.
    Digit { digit: Digit, source: DigitSource },
    /// The play queue ran dry (not sent after a barge-in clear).
    PlaybackFinished,
    /// Media now goes to a new peer address (first packet, or the peer moved).
    Latched(SocketAddr),
}

enum Command {
    Play(Arc<[u8]>),
    ClearQueue,
    SipInfoDigit(Digit),
    Tap(Option<mpsc::Sender<Vec<i16>>>),
    Remote(SocketAddr),
    Stop,
}

/// Counters readable while the call runs.
#[derive(Debug, Default)]
pub struct RtpStats {
    pub sent: AtomicU64,
    pub sent_silence: AtomicU64,
    pub received: AtomicU64,
    pub malformed: AtomicU64,
    pub ssrc_changes: AtomicU64,
}

/// Cloneable handle to one call's media task. The task stops on [`RtpHandle::stop`]
/// or when the last handle is dropped.
#[derive(Debug, Clone)]
pub struct RtpHandle {
    commands: mpsc::Sender<Command>,
    stats: Arc<RtpStats>,
    local: SocketAddr,
}

impl RtpHandle {
    /// Queue encoded audio (already in the session's codec) after what is queued.
    pub async fn play(&self, audio: Arc<[u8]>) -> Result<(), RtpSessionError> {
        self.send(Command::Play(audio)).await
    }

    /// Barge-in: drop everything queued; silence follows at the next tick.
    pub async fn clear_queue(&self) -> Result<(), RtpSessionError> {
        self.send(Command::ClearQueue).await
    }

    /// A digit the dialog received by SIP INFO, merged with the media paths.
    pub async fn sip_info_digit(&self, digit: Digit) -> Result<(), RtpSessionError> {
        self.send(Command::SipInfoDigit(digit)).await
    }

    /// Copy every decoded frame the peer sends to `tap` (recording), or stop
    /// copying with `None`. Frames are dropped when the tap is full.
    pub async fn tap(&self, tap: Option<mpsc::Sender<Vec<i16>>>) -> Result<(), RtpSessionError> {
        self.send(Command::Tap(tap)).await
    }

    /// The peer moved its media (re-INVITE); latching still follows its packets.
    pub async fn set_remote(&self, remote: SocketAddr) -> Result<(), RtpSessionError> {
        self.send(Command::Remote(remote)).await
    }

    pub async fn stop(&self) -> Result<(), RtpSessionError> {
        self.send(Command::Stop).await
    }

    pub fn stats(&self) -> &RtpStats {
        &self.stats
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    async fn send(&self, command: Command) -> Result<(), RtpSessionError> {
        self.commands
            .send(command)
            .await
            .map_err(|_| RtpSessionError::Ended)
    }
}

/// Start the media task on a bound socket, and hand the call's sending side
/// to the media clock on a duplicate of it. Events go to `events`; if the call
/// stops reading them they are dropped (and logged) rather than stalling the clock.
pub fn spawn(
    socket: UdpSocket,
    config: RtpConfig,
    events: mpsc::Sender<MediaEvent>,
) -> Result<RtpHandle, RtpSessionError> {
    if !PTIME_RANGE_MS.contains(&config.ptime_ms) {
        return Err(RtpSessionError::BadPtime(config.ptime_ms));
    }
    let local = socket.local_addr().map_err(RtpSessionError::NoLocalAddress)?;
    // Two descriptors of one socket: the clock sends from the call's port
    // while this task's copy stays registered with tokio for receiving.
    let socket = socket.into_std().map_err(RtpSessionError::Socket)?;
    let sender = socket.try_clone().map_err(RtpSessionError::Socket)?;
    let socket = UdpSocket::from_std(socket).map_err(RtpSessionError::Socket)?;
    let stats = Arc::new(RtpStats::default());
    let (playout, playout_commands) = sync_channel(PLAYOUT_QUEUE);
    media_clock::join(Playout::new(
        sender,
        PlayoutConfig {
            codec: config.codec,
            payload_type: config.payload_type,
            ssrc: config.ssrc,
            ptime: Duration::from_millis(u64::from(config.ptime_ms)),
            remote: config.remote,
        },
        playout_commands,
        events.clone(),
        Arc::clone(&stats),
    ))?;
    let (commands, receiver) = mpsc::channel(COMMAND_QUEUE);
    let session = Session::new(socket, config, events, Arc::clone(&stats), playout);
    tokio::spawn(session.run(receiver));
    Ok(RtpHandle {
        commands,
        stats,
        local,
    })
}

struct Session {
    socket: UdpSocket,
    config: RtpConfig,
    events: mpsc::Sender<MediaEvent>,
    stats: Arc<RtpStats>,
    /// The clock's end of this call; dropping it takes the call off the clock.
    playout: SyncSender<PlayoutCommand>,
    remote: Option<SocketAddr>,
    last_ssrc: Option<u32>,
    tracker: EventTracker,
    detector: DtmfDetector,
    collector: DigitCollector,
    started: Instant,
    pcm: Vec<i16>,
    tap: Option<mpsc::Sender<Vec<i16>>>,
}

impl Session {
    fn new(
        socket: UdpSocket,
        config: RtpConfig,
        events: mpsc::Sender<MediaEvent>,
        stats: Arc<RtpStats>,
        playout: SyncSender<PlayoutCommand>,
    ) -> Self {
        Session {
            socket,
            remote: config.remote,
            config,
            events,
            stats,
            playout,
            last_ssrc: None,
            tracker: EventTracker::new(),
            detector: DtmfDetector::new(),
            collector: DigitCollector::new(),
            started: Instant::now(),
            pcm: Vec::with_capacity(480),
            tap: None,
        }
    }

    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut buffer = vec![0u8; MAX_DATAGRAM];
        loop {
            tokio::select! {
                received = self.socket.recv_from(&mut buffer) => match received {
                    Ok((len, from)) => self.on_datagram(&buffer[..len], from),
                    // ICMP port unreachable surfaces here on Linux; the peer may come back.
                    Err(err) => tracing::debug!(%err, "RTP receive error"),
                },
                command = commands.recv() => {
                    let forwarded = match command {
                        Some(Command::Play(audio)) => self.to_clock(PlayoutCommand::Play(audio)).await,
                        Some(Command::ClearQueue) => self.to_clock(PlayoutCommand::ClearQueue).await,
                        Some(Command::Remote(remote)) => {
                            self.remote = Some(remote);
                            self.to_clock(PlayoutCommand::Remote(remote)).await
                        }
                        Some(Command::SipInfoDigit(digit)) => {
                            self.on_digit(digit, DigitSource::SipInfo);
                            true
                        }
                        Some(Command::Tap(tap)) => {
                            self.tap = tap;
                            true
                        }
                        Some(Command::Stop) | None => false,
                    };
                    if !forwarded {
                        break;
                    }
                }
            }
        }
    }

    /// Pass a command to the clock, waiting a packet time while its queue is
    /// full (the clock drains it every tick); false if the clock has gone.
    async fn to_clock(&self, mut command: PlayoutCommand) -> bool {
        loop {
            match self.playout.try_send(command) {
                Ok(()) => return true,
                Err(TrySendError::Full(again)) => {
                    command = again;
                    tokio::time::sleep(Duration::from_millis(u64::from(self.config.ptime_ms))).await;
                }
                Err(TrySendError::Disconnected(_)) => {
                    tracing::warn!("the media clock has stopped; ending the call's media");
                    return false;
                }
            }
        }
    }

    fn on_datagram(&mut self, datagram: &[u8], from: SocketAddr) {
        let packet = match RtpPacket::decode(datagram) {
            Ok(packet) => packet,
            Err(err) => {
                self.stats.malformed.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%err, %from, "dropping a datagram that is not RTP");
                return;
            }
        };
        self.stats.received.fetch_add(1, Ordering::Relaxed);
        // If the clock's queue is full the latch is tried again on the next packet.
        if self.remote != Some(from) && self.playout.try_send(PlayoutCommand::Remote(from)).is_ok() {
            self.remote = Some(from);
            self.emit(MediaEvent::Latched(from));
        }
        if self.last_ssrc.is_some_and(|s| s != packet.ssrc) {
            self.stats.ssrc_changes.fetch_add(1, Ordering::Relaxed);
        }
        self.last_ssrc = Some(packet.ssrc);

        if Some(packet.payload_type) == self.config.telephone_event {
            match TelephoneEvent::decode(packet.payload) {
                Ok(event) => {
                    let at = self.started.elapsed();
                    if let Some(digit) = self.tracker.on_packet(packet.ssrc, packet.timestamp, &event, at) {
                        self.on_digit(digit, DigitSource::Rfc4733);
                    }
                }
                Err(err) => {
                    self.stats.malformed.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(%err, "dropping a bad telephone-event packet");
                }
            }
        } else if packet.payload_type == self.config.payload_type {
            // Frame size is whatever the peer sent: 10, 20 or 30 ms all decode the same way.
            self.pcm.clear();
            self.config.codec.decode_into(packet.payload, &mut self.pcm);
            if let Some(tap) = &self.tap {
                if tap.try_send(self.pcm.clone()).is_err() {
                    tracing::debug!("recording tap full or closed; frame dropped");
                }
            }
            for detected in self.detector.push(&self.pcm) {
                self.on_digit(detected.digit, DigitSource::Inband);
            }
        }
    }

    fn on_digit(&mut self, digit: Digit, source: DigitSource) {
        if let Some(digit) = self.collector.offer(digit, source, self.started.elapsed()) {
            self.emit(MediaEvent::Digit { digit, source });
        }
    }

    fn emit(&self, event: MediaEvent) {
        if let Err(err) = self.events.try_send(event) {
            tracing::warn!(%err, "call is not reading media events; one dropped");
        }
    }
}
