//! The voice quiz over a SIP trunk against SIPp 3.6.1 (Debian `sip-tester`) on
//! loopback: inbound callers keying answers as RFC 4733 events or in-band tones,
//! a caller hanging up mid-quiz, an outbound call answered by a SIPp UAS that
//! keys the answers, busy and unanswered calls scheduling retries, and the
//! audio the far end receives compared with the prompt. The gateway side is
//! the real trunk, runner and store (SQLite in a temporary directory). Every
//! SIPp process listens on 127.0.0.1 and is stopped by its PID.

mod sipp_support;

use std::path::Path;
use std::time::Duration;

use mhero::core::time::now_ms;
use mhero::dispatch::voice::{queue_voice_call, Ivr};
use mhero::dispatch::{Gateway as Dispatch, Running};
use mhero::sip::media::codec::Codec;
use mhero::sip::media::digit::Digit;
use mhero::sip::media::rtp::RtpPacket;
use mhero::sip::prompts::{read_wav, Prompt};
use mhero::store::{CallRow, NewContact, Paging, Store};
use sipp_support::{
    finished, free_rtp_base, free_udp_port, manifest, run, scenario, sipp, workdir, Run, Sipp,
};

/// Bound on one call: prompts of about 20 s in all plus SIPp's pauses.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
const QUIZ_FLOW_NAME: &str = "Voice Quiz";
/// A voice flow that records the caller's spoken answer, and the number that starts it.
const MESSAGE_FLOW: &str = "tests/peers/sipp/flows/voice_message.json";
const MESSAGE_NUMBER: &str = "5552000";

struct Gateway {
    ivr: Ivr,
    store: Store,
    /// The gateway the calls' results go through (no SMS links).
    _running: Running,
    sip_port: u16,
    peer_port: u16,
    _dir: tempfile::TempDir,
}

/// A trunk on a free port, whose carrier is `peer_port`, with the quiz on 5551000.
async fn gateway(extra: &str) -> Gateway {
    gateway_with(free_udp_port(), 0, extra).await
}

/// A trunk whose carrier is `peer_port`, pinging it every `options_secs` (0: never).
async fn gateway_with(peer_port: u16, options_secs: u64, extra: &str) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let sip_port = free_udp_port();
    let recordings = dir.path().join("recordings");
    let flow = manifest("flows/voice_quiz.json");
    let toml = format!(
        r#"
        [database]
        url = "sqlite://{db}"
        [[trunks]]
        name = "carrier"
        bind = "127.0.0.1:{sip_port}"
        peer = "127.0.0.1:{peer_port}"
        options_interval_secs = {options_secs}
        max_calls = 8
        calls_per_second = 20
        rtp_port_start = {rtp}
        ring_timeout_secs = 2
        digit_timeout_secs = 3
        inter_digit_timeout_secs = 2
        retry_minutes = [30, 60]
        prompts_dir = "{prompts}"
        recordings_dir = "{recordings}"
        inbound = [
            {{ number = "5551000", flow = "{flow}#{QUIZ_FLOW_NAME}" }},
            {{ number = "{MESSAGE_NUMBER}", flow = "{message}" }},
        ]
        {extra}
        "#,
        db = dir.path().join("mhero.db").display(),
        rtp = free_rtp_base(),
        prompts = manifest("prompts").display(),
        recordings = recordings.display(),
        flow = flow.display(),
        message = manifest(MESSAGE_FLOW).display(),
    );
    let config = mhero::config::load_str(&toml, std::iter::empty()).unwrap();
    let store = Store::open(config.database.url.expose(), 4).await.unwrap();
    let trunks = config.trunks.clone();
    let running = Dispatch::start(config, store.clone()).await.unwrap();
    let ivr = Ivr::start(&trunks, running.gateway.clone()).await.unwrap();
    Gateway {
        ivr,
        store,
        _running: running,
        sip_port,
        peer_port,
        _dir: dir,
    }
}

/// Wait until the call leaves the `active`/`queued` states.
async fn settled(store: &Store, pick: impl Fn(&CallRow) -> bool) -> CallRow {
    let deadline = tokio::time::Instant::now() + CALL_TIMEOUT;
    loop {
        // Newest first: the call just placed.
        let calls = store
            .list_calls(&Paging::new(None, None, true, Some(10)))
            .await
            .unwrap();
        if let Some(call) = calls.into_iter().find(|c| pick(c)) {
            return call;
        }
        assert!(tokio::time::Instant::now() < deadline, "no settled call in time");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn finished_call(c: &CallRow) -> bool {
    !matches!(c.status.as_str(), "active" | "queued")
}

/// The results of the call's one flow run: (value, category) by key.
async fn results(store: &Store, call: &CallRow) -> (String, serde_json::Value) {
    let runs = store.call_runs(call.id).await.unwrap();
    assert_eq!(runs.len(), 1, "one flow session per call");
    (runs[0].status.clone(), runs[0].results.clone())
}

fn answer(results: &serde_json::Value, key: &str) -> (String, String) {
    let r = &results[key];
    (
        r["value"].as_str().unwrap_or_default().to_owned(),
        r["category"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn inbound_call(gw: &Gateway, scenario_name: &str, work: &Path) -> Sipp {
    call_number(gw, scenario_name, "5551000", work)
}

/// SIPp calls `number` at the gateway with `scenario_name`.
fn call_number(gw: &Gateway, scenario_name: &str, number: &str, work: &Path) -> Sipp {
    let target = format!("127.0.0.1:{}", gw.sip_port);
    run(
        &Run {
            scenario: &scenario(scenario_name),
            to: Some((&target, number)),
            port: free_udp_port(),
            calls: "1",
            timeout_secs: "60",
            extra: &[],
        },
        work,
    )
}

#[tokio::test]
async fn inbound_caller_keys_quiz_answers_as_rfc4733() {
    let work = workdir();
    let gw = gateway("").await;
    finished(inbound_call(&gw, "uac_quiz_rfc4733.xml", work.path()).await).await;
    let call = settled(&gw.store, finished_call).await;
    assert_eq!(call.direction, "in");
    assert_eq!(call.status, "completed");
    assert_eq!(call.outcome.as_deref(), Some("answered"));
    assert_eq!(call.urn, "tel:+255712345678");
    assert_eq!(call.digits, "13#");
    assert_eq!(call.hangup_by.as_deref(), Some("us"));
    assert!(call.duration_ms > 2000, "talk time {} ms", call.duration_ms);
    let (status, results) = results(&gw.store, &call).await;
    assert_eq!(status, "completed");
    assert_eq!(answer(&results, "question_1"), ("1".into(), "Correct".into()));
    assert_eq!(answer(&results, "question_2"), ("3".into(), "Correct".into()));
    gw.ivr.shutdown();
}

/// Headerless A-law: silence, then each key as a 120 ms tone pair at about
/// -7 dBm0 per tone, each followed by silence.
fn inband_keys(keys: &str, lead_ms: usize, gap_ms: usize) -> Vec<u8> {
    let rate = 8000.0;
    let mut samples: Vec<i16> = vec![0; lead_ms * 8];
    for c in keys.chars() {
        let digit = Digit::from_char(c).unwrap();
        let (row, col) = digit.keypad_position();
        let (low, high) = (
            [697.0, 770.0, 852.0, 941.0][row],
            [1209.0, 1336.0, 1477.0, 1633.0][col],
        );
        for i in 0..960 {
            let t = i as f64 / rate;
            let v = 7000.0
                * ((2.0 * std::f64::consts::PI * low * t).sin()
                    + (2.0 * std::f64::consts::PI * high * t).sin());
            samples.push(v as i16);
        }
        samples.extend(std::iter::repeat_n(0, gap_ms * 8));
    }
    let mut out = Vec::new();
    Codec::Pcma.encode_into(&samples, &mut out);
    out
}

#[tokio::test]
async fn inbound_caller_keys_quiz_answers_as_inband_tones() {
    let work = workdir();
    // 1 during the first prompts (barge-in), then 3 and # for question 2, then
    // silence while the goodbye plays.
    let mut audio = inband_keys("1", 1500, 1500);
    audio.extend(inband_keys("3#", 0, 400));
    audio.extend(inband_keys("", 6000, 0));
    std::fs::write(work.path().join("quiz_inband.al"), audio).unwrap();
    let gw = gateway("").await;
    finished(inbound_call(&gw, "uac_quiz_inband.xml", work.path()).await).await;
    let call = settled(&gw.store, finished_call).await;
    assert_eq!(call.digits, "13#");
    let (status, results) = results(&gw.store, &call).await;
    assert_eq!(status, "completed");
    assert_eq!(answer(&results, "question_1"), ("1".into(), "Correct".into()));
    assert_eq!(answer(&results, "question_2"), ("3".into(), "Correct".into()));
    gw.ivr.shutdown();
}

#[tokio::test]
async fn caller_hanging_up_mid_quiz_leaves_an_interrupted_partial_run() {
    let work = workdir();
    let gw = gateway("").await;
    finished(inbound_call(&gw, "uac_quiz_hangup.xml", work.path()).await).await;
    let call = settled(&gw.store, finished_call).await;
    assert_eq!(call.status, "completed");
    assert_eq!(call.hangup_by.as_deref(), Some("caller"));
    assert_eq!(call.digits, "2");
    let runs = gw.store.call_runs(call.id).await.unwrap();
    let run = &runs[0];
    assert_eq!(run.status, "interrupted");
    assert_eq!(answer(&run.results, "question_1"), ("2".into(), "Wrong".into()));
    assert!(run.results.get("question_2").is_none(), "no answer to question 2");
    let flow_run = &run.session["runs"][0];
    assert_eq!(flow_run["status"], "interrupted");
    assert!(flow_run["exited_on"].is_string());
    gw.ivr.shutdown();
}

async fn contact(store: &Store, phone: &str) -> mhero::core::contact::Contact {
    store
        .create_contact(
            NewContact {
                name: Some("Asha".into()),
                language: Some("eng".into()),
                urns: vec![format!("tel:{phone}")],
                ..NewContact::default()
            },
            None,
        )
        .await
        .unwrap()
}

fn quiz_ref() -> String {
    format!("{}#{QUIZ_FLOW_NAME}", manifest("flows/voice_quiz.json").display())
}

fn uas(gw: &Gateway, scenario_name: &str, work: &Path, extra: &[&str]) -> Sipp {
    run(
        &Run {
            scenario: scenario_name,
            to: None,
            port: gw.peer_port,
            calls: "1",
            timeout_secs: "60",
            extra,
        },
        work,
    )
}

#[tokio::test]
async fn outbound_call_answered_by_sipp_completes_the_quiz() {
    let work = workdir();
    let gw = gateway("").await;
    let scen = scenario("uas_quiz_rfc4733.xml");
    let phone = uas(&gw, &scen, work.path(), &[]);
    let c = contact(&gw.store, "+255712000001").await;
    let id = queue_voice_call(&gw.store, "carrier", c.id, "tel:+255712000001", &quiz_ref())
        .await
        .unwrap();
    finished(phone).await;
    let call = settled(&gw.store, |c| c.id == id && finished_call(c)).await;
    assert_eq!(call.direction, "out");
    assert_eq!(
        (call.status.as_str(), call.outcome.as_deref()),
        ("completed", Some("answered"))
    );
    assert_eq!(call.attempts, 1);
    assert_eq!(call.digits, "13#");
    let (status, results) = results(&gw.store, &call).await;
    assert_eq!(status, "completed");
    assert_eq!(answer(&results, "question_1"), ("1".into(), "Correct".into()));
    assert_eq!(answer(&results, "question_2"), ("3".into(), "Correct".into()));
    gw.ivr.shutdown();
}

async fn unanswered(scenario_name: &str, outcome: &str, code: i64) {
    let work = workdir();
    let gw = gateway("").await;
    let scen = scenario(scenario_name);
    let phone = uas(&gw, &scen, work.path(), &[]);
    let c = contact(&gw.store, "+255712000002").await;
    let before = now_ms();
    let id = queue_voice_call(&gw.store, "carrier", c.id, "tel:+255712000002", &quiz_ref())
        .await
        .unwrap();
    finished(phone).await;
    let call = settled(&gw.store, |c| c.id == id && finished_call(c)).await;
    assert_eq!(call.status, "retry_wait");
    assert_eq!(call.outcome.as_deref(), Some(outcome));
    assert_eq!(call.sip_status, Some(code));
    assert_eq!(call.attempts, 1);
    // The first step of the schedule is 30 minutes from the failed attempt.
    let next = call.next_attempt_on.unwrap();
    assert!(
        next >= before + 30 * 60_000 && next <= now_ms() + 30 * 60_000,
        "retry at {next}"
    );
    gw.ivr.shutdown();
}

#[tokio::test]
async fn busy_callee_schedules_a_retry() {
    unanswered("uas_busy.xml", "busy", 486).await;
}

#[tokio::test]
async fn unanswered_call_is_cancelled_at_the_ring_timeout_and_retried_later() {
    unanswered("uas_no_answer.xml", "no_answer", 487).await;
}

#[tokio::test]
async fn far_end_hears_the_prompt() {
    let work = workdir();
    let gw = gateway("").await;
    // The callee's SDP sends our RTP to this socket, which records it.
    let ear = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let ear_port = ear.local_addr().unwrap().port().to_string();
    let scen = scenario("uas_media_elsewhere.xml");
    let phone = uas(&gw, &scen, work.path(), &["-set", "rtp_port", &ear_port]);
    let c = contact(&gw.store, "+255712000003").await;
    queue_voice_call(&gw.store, "carrier", c.id, "tel:+255712000003", &quiz_ref())
        .await
        .unwrap();
    // Two seconds of what arrives: the welcome prompt, after any leading silence.
    let mut heard = Vec::new();
    let mut buf = [0u8; 1500];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while heard.len() < 16000 {
        let (n, _) = tokio::time::timeout_at(deadline, ear.recv_from(&mut buf))
            .await
            .expect("RTP from the gateway")
            .unwrap();
        let packet = RtpPacket::decode(&buf[..n]).unwrap();
        assert_eq!(packet.payload_type, 8, "PCMA as the callee's answer chose");
        if heard.is_empty() && packet.payload.iter().all(|&b| b == Codec::Pcma.silence()) {
            continue;
        }
        heard.extend_from_slice(packet.payload);
    }
    let prompt = Prompt::from_samples(&read_wav(&manifest("prompts/eng/quiz_welcome.wav")).unwrap());
    let sent = prompt.audio(Codec::Pcma);
    // The prompt may itself open with silence: align on its first sound.
    let start = sent.iter().position(|&b| b != Codec::Pcma.silence()).unwrap();
    let h0 = heard.iter().position(|&b| b != Codec::Pcma.silence()).unwrap();
    let heard = &heard[h0..];
    let n = heard.len().min(sent.len() - start);
    assert!(n > 8000, "at least a second of prompt compared");
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    Codec::Pcma.decode_into(&sent[start..start + n], &mut ours);
    Codec::Pcma.decode_into(&heard[..n], &mut theirs);
    assert_eq!(ours, theirs, "the far end hears the prompt sample for sample");
    drop(phone);
    gw.ivr.shutdown();
}

/// Start a SIPp UAS on a free port for `scenario_name`; returns it and its port.
async fn carrier(scenario_name: &str, work: &Path) -> (Sipp, u16) {
    let peer_port = free_udp_port();
    let scen = scenario(scenario_name);
    let port = peer_port.to_string();
    let peer = sipp(
        &[
            "-sf",
            &scen,
            "-i",
            "127.0.0.1",
            "-p",
            &port,
            "-m",
            "1",
            "-timeout",
            "30",
            "-timeout_error",
        ],
        work,
    );
    // SIPp must listen before the trunk sends its first request.
    tokio::time::sleep(Duration::from_millis(300)).await;
    (peer, peer_port)
}

#[tokio::test]
async fn trunk_registers_with_digest_auth() {
    let work = workdir();
    let (registrar, peer_port) = carrier("uas_registrar.xml", work.path()).await;
    let gw = gateway_with(
        peer_port,
        0,
        r#"register = { username = "alice", password = "s3cret" }"#,
    )
    .await;
    finished(registrar).await;
    let trunk = gw.ivr.trunk("carrier").unwrap();
    for _ in 0..30 {
        if trunk.health().registered == Some(true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let health = trunk.health();
    assert_eq!(health.registered, Some(true), "{health:?}");
    gw.ivr.shutdown();
}

#[tokio::test]
async fn trunk_pings_the_carrier_with_options() {
    let work = workdir();
    let (peer, peer_port) = carrier("uas_options.xml", work.path()).await;
    let gw = gateway_with(peer_port, 1, "").await;
    finished(peer).await;
    // SIPp exits as it sends the 200; give our side a moment to read it.
    let trunk = gw.ivr.trunk("carrier").unwrap();
    for _ in 0..30 {
        if trunk.health().options_answered > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let health = trunk.health();
    assert_eq!(health.registered, None, "IP-authenticated trunk");
    assert!(
        health.options_sent >= 1 && health.options_answered >= 1,
        "{health:?}"
    );
    assert_eq!(health.options_status, Some(200));
    gw.ivr.shutdown();
}

#[tokio::test]
async fn caller_cancelling_while_it_rings_gets_487_and_leaves_an_unanswered_call() {
    let work = workdir();
    // Ring for three seconds before answering; the caller gives up after half a second.
    let gw = gateway("answer_after_ms = 3000").await;
    finished(inbound_call(&gw, "uac_cancel_ringing.xml", work.path()).await).await;
    let call = settled(&gw.store, finished_call).await;
    assert_eq!(call.direction, "in");
    assert_eq!(call.urn, "tel:+255712345679");
    assert_eq!(
        (call.status.as_str(), call.outcome.as_deref()),
        ("failed", Some("no_answer"))
    );
    assert_eq!(call.answered_on, None);
    assert!(
        gw.store.call_runs(call.id).await.unwrap().is_empty(),
        "no flow ran"
    );
    let trunk = gw.ivr.trunk("carrier").unwrap();
    assert_eq!(trunk.active_calls(), 0, "the cancelled call's slot is free again");
    gw.ivr.shutdown();
}

#[tokio::test]
async fn hold_and_resume_by_re_invite_mid_quiz_keeps_the_flow_going() {
    let work = workdir();
    let gw = gateway("").await;
    // The scenario itself fails unless each re-INVITE's 200 mirrors the
    // direction (recvonly for hold, sendrecv for resume).
    finished(inbound_call(&gw, "uac_quiz_hold.xml", work.path()).await).await;
    let call = settled(&gw.store, finished_call).await;
    assert_eq!(call.status, "completed");
    assert_eq!(call.digits, "13#");
    assert_eq!(call.hangup_by.as_deref(), Some("us"));
    let (status, results) = results(&gw.store, &call).await;
    assert_eq!(status, "completed");
    assert_eq!(answer(&results, "question_1"), ("1".into(), "Correct".into()));
    assert_eq!(answer(&results, "question_2"), ("3".into(), "Correct".into()));
    gw.ivr.shutdown();
}

/// A voiced sound: harmonics of 140 Hz under two formants, at a steady level
/// well above the recorder's silence threshold and nothing like a key.
fn spoken(len_ms: usize) -> Vec<i16> {
    (0..len_ms * 8)
        .map(|n| {
            let t = n as f64 / 8000.0;
            let v: f64 = (1..=25)
                .map(|h| {
                    let f = 140.0 * f64::from(h);
                    let formant = |c: f64| 1.0 / (1.0 + ((f - c) / 90.0).powi(2));
                    (formant(650.0) + 0.6 * formant(1700.0) + 0.05)
                        * (2.0 * std::f64::consts::PI * f * t).sin()
                })
                .sum();
            (v * 2500.0).clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

#[tokio::test]
async fn a_spoken_answer_is_recorded_as_the_audio_the_caller_sent() {
    const LEAD_MS: usize = 2500; // while the 1.7 s prompt plays
    const MESSAGE_MS: usize = 2000;
    const TAIL_MS: usize = 5000; // more than the 4 s silence that ends a recording
    let work = workdir();
    let speech = spoken(MESSAGE_MS);
    let mut linear = vec![0i16; LEAD_MS * 8];
    linear.extend_from_slice(&speech);
    linear.extend(std::iter::repeat_n(0, TAIL_MS * 8));
    let mut alaw = Vec::new();
    Codec::Pcma.encode_into(&linear, &mut alaw);
    std::fs::write(work.path().join("message.al"), &alaw).unwrap();
    // What our side decodes from the message, sample for sample.
    let mut sent = Vec::new();
    Codec::Pcma.decode_into(&alaw[LEAD_MS * 8..(LEAD_MS + MESSAGE_MS) * 8], &mut sent);

    let gw = gateway("").await;
    finished(call_number(&gw, "uac_record.xml", MESSAGE_NUMBER, work.path())).await;
    let call = settled(&gw.store, finished_call).await;
    assert_eq!(call.status, "completed");
    assert_eq!(call.recordings.len(), 1, "{:?}", call.recordings);
    let mut wav = hound::WavReader::open(&call.recordings[0]).unwrap();
    let spec = wav.spec();
    assert_eq!(
        (
            spec.channels,
            spec.sample_rate,
            spec.bits_per_sample,
            spec.sample_format
        ),
        (1, 8000, 16, hound::SampleFormat::Int),
        "8 kHz mono 16-bit PCM"
    );
    let recorded: Vec<i16> = wav.samples::<i16>().map(Result::unwrap).collect();
    // The message sits between silences: find it by level, in both.
    let loud = |s: &i16| s.unsigned_abs() > 200;
    let first = |x: &[i16]| x.iter().position(loud).unwrap();
    let last = |x: &[i16]| x.iter().rposition(loud).unwrap();
    let (r0, r1) = (first(&recorded), last(&recorded));
    let (s0, s1) = (first(&sent), last(&sent));
    assert_eq!(r1 - r0, s1 - s0, "the message lasts as long as what was sent");
    assert_eq!(
        &recorded[r0..=r1],
        &sent[s0..=s1],
        "the recording holds the sent message sample for sample"
    );
    // The recording stopped on the silence cut-off: 4 s after the message, give or take a frame.
    let after_ms = (recorded.len() - r1) / 8;
    assert!(
        (3980..=4100).contains(&after_ms),
        "{after_ms} ms recorded after the message"
    );
    let (status, results) = results(&gw.store, &call).await;
    assert_eq!(status, "completed");
    let message = &results["message"];
    assert_eq!(message["category"], "All Responses", "{results}");
    gw.ivr.shutdown();
}
