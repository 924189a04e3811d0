//! SMPP throughput: submit_sm per second through `SmppLink` (window 100, one
//! transceiver bind) against a sink on loopback, and the cost of encoding
//! text into segments. The sink is a minimal Rust SMSC on our codec by
//! default; set `MHERO_BENCH_SMSC=node` to use the node-smpp simulator in
//! tests/peers/smsc instead (its ceiling is about 35k submit_sm/s).
//!
//! Run: `cargo bench --bench smpp` (short: `-- --warm-up-time 1 --measurement-time 5`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures::{SinkExt, StreamExt};
use mhero::core::link::{Link, SendOutcome};
use mhero::core::{OutMsg, Priority, Urn};
use mhero::smpp::codec::{Frame, Incoming, Pdu, SmppCodec};
use mhero::smpp::encoding::{self, EncodeOptions};
use mhero::smpp::{SmppConfig, SmppLink};
use tokio::net::TcpListener;
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;

/// Outstanding submits per bind for the throughput run.
const WINDOW: usize = 100;

/// A sink SMSC: accepts any bind, answers every submit_sm at once.
async fn rust_sink() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut conn = Framed::new(sock, SmppCodec);
                let mut id = 0u64;
                while let Some(Ok(Incoming::Frame(f))) = conn.next().await {
                    let pdu = match f.pdu {
                        Pdu::Bind(b) => Pdu::BindResp {
                            kind: b.kind,
                            system_id: "SINK".into(),
                        },
                        Pdu::SubmitSm(_) => {
                            id += 1;
                            Pdu::SubmitSmResp {
                                message_id: id.to_string(),
                            }
                        }
                        Pdu::EnquireLink => Pdu::EnquireLinkResp,
                        Pdu::Unbind => Pdu::UnbindResp,
                        _ => continue,
                    };
                    if conn
                        .feed(Frame {
                            status: 0,
                            sequence: f.sequence,
                            pdu,
                        })
                        .await
                        .is_err()
                    {
                        break;
                    }
                    // Flush only when no more requests are already buffered.
                    if conn.read_buffer().is_empty() && conn.flush().await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

struct NodeSink(std::process::Child);

impl Drop for NodeSink {
    fn drop(&mut self) {
        // Stopped by its PID.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn node_sink() -> (u16, NodeSink) {
    use std::io::BufRead;
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/smsc");
    let mut child = std::process::Command::new("node")
        .arg(dir.join("smsc.js"))
        .args(["--port", "0", "--receipts", "none"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node and `npm ci` in tests/peers/smsc are needed for MHERO_BENCH_SMSC=node");
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let first = lines.next().unwrap().unwrap();
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    // Keep draining the event log so the simulator never blocks on stdout.
    std::thread::spawn(move || for _ in lines {});
    (v["port"].as_u64().unwrap() as u16, NodeSink(child))
}

fn msg(i: u64) -> OutMsg {
    OutMsg {
        id: i as i64,
        uuid: uuid::Uuid::new_v4(),
        urn: Urn::parse("tel:+255712345678", None).unwrap(),
        text: "Chanjo ya surua ni kesho saa 3 asubuhi.".into(),
        segments: 1,
        priority: Priority::Bulk,
        attempts: 0,
    }
}

fn submit_rate(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let use_node = std::env::var("MHERO_BENCH_SMSC").as_deref() == Ok("node");
    let (port, _node) = if use_node {
        let (p, n) = node_sink();
        (p, Some(n))
    } else {
        (rt.block_on(rust_sink()), None)
    };
    let text = format!(
        "host = \"127.0.0.1\"\nport = {port}\nsystem_id = \"mhero\"\npassword = \"secret\"\nwindow = {WINDOW}\nregistered_delivery = false"
    );
    let cfg: SmppConfig = toml::from_str(&text).unwrap();
    let shutdown = CancellationToken::new();
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let link: Arc<SmppLink> = rt.block_on(async {
        tokio::spawn(async move { while rx.recv().await.is_some() {} });
        let link = SmppLink::start("bench", cfg, tx, shutdown.clone());
        while !link.healthy() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        link
    });
    let mut group = c.benchmark_group("smpp_submit");
    group.throughput(Throughput::Elements(1));
    let sink = if use_node { "node_smpp" } else { "rust_sink" };
    group.bench_function(BenchmarkId::new("window_100", sink), |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let link = link.clone();
            async move {
                let start = Instant::now();
                let sent = futures::stream::iter(0..iters)
                    .map(|i| {
                        let link = link.clone();
                        async move { matches!(link.send(&msg(i)).await, SendOutcome::Sent { .. }) }
                    })
                    .buffer_unordered(WINDOW)
                    .filter(|ok| std::future::ready(*ok))
                    .count()
                    .await;
                assert_eq!(sent as u64, iters, "every submit must be accepted");
                start.elapsed()
            }
        })
    });
    group.finish();
    shutdown.cancel();
}

fn split_text(c: &mut Criterion) {
    let mut group = c.benchmark_group("smpp_encoding");
    for (name, text) in [
        ("gsm_3_segments", "a".repeat(450)),
        ("ucs2_3_segments", "ŵ".repeat(200)),
    ] {
        group.throughput(Throughput::Elements(1));
        group.bench_function(name, |b| {
            b.iter(|| encoding::split(&text, EncodeOptions::default(), 1))
        });
    }
    group.finish();
}

criterion_group!(benches, submit_rate, split_text);
criterion_main!(benches);
