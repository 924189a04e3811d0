//! SIPp 3.6.1 (Debian `sip-tester`) as a test peer: free loopback ports, a
//! process killed by its PID when dropped, a wait that fails the test with
//! SIPp's own error output, and a work directory holding SIPp's RFC 4733 pcaps.

#![allow(dead_code)]

use std::net::UdpSocket as StdUdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Where the Debian package puts its pcaps (`dtmf_2833_<key>.pcap`).
pub const SIPP_PCAPS: &str = "/usr/share/sip-tester";

pub fn manifest(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A scenario file under `tests/peers/sipp`.
pub fn scenario(name: &str) -> String {
    manifest(&format!("tests/peers/sipp/{name}"))
        .display()
        .to_string()
}

pub fn free_udp_port() -> u16 {
    StdUdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A free even port with its odd partner free too (RTP ranges).
pub fn free_rtp_base() -> u16 {
    loop {
        let p = free_udp_port() & !1;
        if p > 1024
            && StdUdpSocket::bind(("127.0.0.1", p)).is_ok()
            && StdUdpSocket::bind(("127.0.0.1", p + 1)).is_ok()
        {
            return p;
        }
    }
}

/// A SIPp process, killed by its PID when dropped.
pub struct Sipp(Child);

impl Drop for Sipp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start SIPp in `cwd` (where it looks for pcaps and audio files).
pub fn sipp(args: &[&str], cwd: &Path) -> Sipp {
    let child = Command::new("sipp")
        .args(args)
        .arg("-nostdin")
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("SIPp is needed for this test: apt-get install sip-tester");
    Sipp(child)
}

/// SIPp on loopback running `scenario` (a path) as `calls` calls, failing
/// after `timeout_secs`: as a caller when `to` is the gateway's SIP address
/// (and `number` the number it dials), as a callee on `port` otherwise.
#[allow(dead_code)]
pub struct Run<'a> {
    pub scenario: &'a str,
    pub to: Option<(&'a str, &'a str)>,
    pub port: u16,
    pub calls: &'a str,
    pub timeout_secs: &'a str,
    pub extra: &'a [&'a str],
}

#[allow(dead_code)]
pub fn run(r: &Run<'_>, cwd: &Path) -> Sipp {
    let port = r.port.to_string();
    let media = free_rtp_base().to_string();
    let mut args: Vec<&str> = Vec::new();
    if let Some((target, number)) = r.to {
        args.extend([target, "-s", number]);
    }
    args.extend([
        "-sf",
        r.scenario,
        "-i",
        "127.0.0.1",
        "-p",
        &port,
        "-mi",
        "127.0.0.1",
        "-mp",
        &media,
        "-m",
        r.calls,
        "-timeout",
        r.timeout_secs,
        "-timeout_error",
    ]);
    args.extend_from_slice(r.extra);
    sipp(&args, cwd)
}

/// Wait for SIPp to finish and require success.
pub async fn finished(mut sipp: Sipp) {
    let (status, stderr) = tokio::task::spawn_blocking(move || {
        let status = sipp.0.wait();
        let mut stderr = String::new();
        if let Some(mut pipe) = sipp.0.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
        }
        (status, stderr)
    })
    .await
    .unwrap();
    assert!(
        status.as_ref().is_ok_and(|s| s.success()),
        "SIPp failed: {status:?}\n{stderr}"
    );
}

/// A work directory with SIPp's pcaps linked in (SIPp reads them relative to it).
pub fn workdir() -> tempfile::TempDir {
    assert!(
        Path::new(SIPP_PCAPS).join("dtmf_2833_1.pcap").exists(),
        "SIPp pcaps missing: apt-get install sip-tester"
    );
    let work = tempfile::tempdir().unwrap();
    for d in ["1", "2", "3", "pound"] {
        let pcap = format!("dtmf_2833_{d}.pcap");
        std::os::unix::fs::symlink(Path::new(SIPP_PCAPS).join(&pcap), work.path().join(&pcap)).unwrap();
    }
    work
}
