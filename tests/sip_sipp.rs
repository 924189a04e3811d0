//! Our RTP session against SIPp 3.6.1's own RTP (Debian `sip-tester`): a SIPp UAS
//! answers a SIPp UAC with SDP that points the caller's media at our session, and
//! the UAC replays SIPp's shipped pcaps at it (30 ms A-law frames, RFC 4733 digits
//! with SIPp's odd SSRC/sequence numbering, one pcap replayed twice). Both SIPp
//! processes listen on 127.0.0.1 and are stopped by PID.

use std::net::UdpSocket as StdUdpSocket;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::Duration;

use mhero::sip::media::codec::Codec;
use mhero::sip::media::digit::Digit;
use mhero::sip::media::digit_collector::DigitSource;
use mhero::sip::rtp_session::{self, MediaEvent, RtpConfig};
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Where Debian's sip-tester puts the pcaps it ships.
const SIPP_PCAPS: &str = "/usr/share/sip-tester";
/// Whole-call bound: the UAC scenario pauses about 4 s in all.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

fn scenario(name: &str) -> String {
    format!("{}/tests/peers/sipp/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn free_udp_port() -> u16 {
    StdUdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A SIPp process, killed by its PID when dropped.
struct Sipp(Child);

impl Drop for Sipp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sipp(args: &[&str], cwd: &Path) -> Sipp {
    let child = Command::new("sipp")
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("SIPp is needed for this test: apt-get install sip-tester");
    Sipp(child)
}

#[tokio::test]
async fn sipp_pcap_audio_and_rfc4733_digits_reach_our_session() {
    assert!(
        Path::new(SIPP_PCAPS).join("dtmf_2833_1.pcap").exists(),
        "SIPp pcaps missing: apt-get install sip-tester"
    );
    let work = tempfile::tempdir().unwrap();
    for pcap in ["g711a.pcap", "dtmf_2833_1.pcap", "dtmf_2833_pound.pcap"] {
        std::os::unix::fs::symlink(Path::new(SIPP_PCAPS).join(pcap), work.path().join(pcap)).unwrap();
    }

    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let rtp_port = socket.local_addr().unwrap().port().to_string();
    let (events_tx, mut events) = mpsc::channel(64);
    let config = RtpConfig {
        codec: Codec::Pcma,
        payload_type: 8,
        telephone_event: Some(101),
        remote: None,
        ptime_ms: 20,
        ssrc: 0x1234,
    };
    let session = rtp_session::spawn(socket, config, events_tx).unwrap();

    let uas_port = free_udp_port().to_string();
    let uas_scenario = scenario("uas_media_elsewhere.xml");
    let uas = sipp(
        &[
            "-sf",
            &uas_scenario,
            "-i",
            "127.0.0.1",
            "-p",
            &uas_port,
            "-set",
            "rtp_port",
            &rtp_port,
            "-m",
            "1",
            "-nostdin",
        ],
        work.path(),
    );

    let uac_port = free_udp_port().to_string();
    let uac_media_port = (free_udp_port() & !1).to_string();
    let uac_scenario = scenario("uac_pcap_dtmf.xml");
    let target = format!("127.0.0.1:{uas_port}");
    let mut uac = sipp(
        &[
            &target,
            "-sf",
            &uac_scenario,
            "-i",
            "127.0.0.1",
            "-p",
            &uac_port,
            "-mi",
            "127.0.0.1",
            "-mp",
            &uac_media_port,
            "-m",
            "1",
            "-nostdin",
            "-timeout",
            "25",
            "-timeout_error",
        ],
        work.path(),
    );

    let mut digits = Vec::new();
    let mut latched = None;
    let deadline = tokio::time::Instant::now() + CALL_TIMEOUT;
    while digits.len() < 3 {
        match timeout(
            deadline.saturating_duration_since(tokio::time::Instant::now()),
            events.recv(),
        )
        .await
        {
            Ok(Some(MediaEvent::Digit { digit, source })) => digits.push((digit, source)),
            Ok(Some(MediaEvent::Latched(addr))) => latched = Some(addr),
            Ok(Some(MediaEvent::PlaybackFinished)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    let status = tokio::task::spawn_blocking(move || {
        let status = uac.0.wait();
        let mut stderr = String::new();
        if let Some(mut pipe) = uac.0.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
        }
        (status, stderr)
    })
    .await
    .unwrap();
    drop(uas);

    assert!(
        status.0.as_ref().is_ok_and(|s| s.success()),
        "SIPp UAC failed: {:?} {}",
        status.0,
        status.1
    );
    assert_eq!(
        digits,
        vec![
            (Digit::D1, DigitSource::Rfc4733),
            (Digit::D1, DigitSource::Rfc4733),
            (Digit::Pound, DigitSource::Rfc4733)
        ],
        "the same pcap played twice is two presses; its end retransmissions are not"
    );
    let stats = session.stats();
    let received = stats.received.load(Ordering::Relaxed);
    // About 1.5 s of g711a.pcap's 30 ms packets (the next pcap cuts it off), then
    // three DTMF pcaps of 11 packets each.
    assert!(received >= 40 + 33, "received {received}");
    assert_eq!(stats.malformed.load(Ordering::Relaxed), 0);
    assert!(
        stats.ssrc_changes.load(Ordering::Relaxed) >= 1,
        "g711a.pcap and the DTMF pcaps use different SSRCs"
    );
    let latched = latched.expect("our session latched on to SIPp's media");
    assert_eq!(latched.ip().to_string(), "127.0.0.1");
    assert!(
        stats.sent.load(Ordering::Relaxed) > 0,
        "symmetric RTP: we sent back to SIPp"
    );
    session.stop().await.unwrap();
}
