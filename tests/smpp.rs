//! The SMPP link against an independent SMPP implementation: the node-smpp
//! SMSC simulator in tests/peers/smsc, on loopback. Install it first with
//! `npm ci` in that folder.

mod smpp_support;

use std::time::Duration;

use mhero::core::link::{DeliveryReport, Link, LinkEvent, MoPart, SendOutcome};
use mhero::smpp::encoding::reassembly;
use serde_json::json;
use smpp_support::{config, msg, reassemble, send_until_sent, Harness, Smsc};
use tokio::sync::oneshot;

fn expect_report(ev: LinkEvent) -> (String, DeliveryReport) {
    match ev {
        LinkEvent::Report {
            external_id, report, ..
        } => (external_id, report),
        other => panic!("expected a report, got {other:?}"),
    }
}

type Ack = oneshot::Sender<Result<(), String>>;

/// The next event, which must be one part of a concatenated MO.
async fn next_part(h: &mut Harness) -> (String, MoPart, Ack) {
    match h.next_event().await {
        LinkEvent::InboundPart { from, part, ack, .. } => (from.path().to_string(), part, ack.unwrap()),
        other => panic!("expected a message part, got {other:?}"),
    }
}

/// Plays the gateway for `n` parts: each is "persisted" (acknowledged) as it
/// comes, and the parts are joined once all are in.
async fn persist_and_join(h: &mut Harness, n: usize) -> String {
    let mut parts = Vec::new();
    for _ in 0..n {
        let (_, part, ack) = next_part(h).await;
        ack.send(Ok(())).unwrap();
        parts.push(part);
    }
    let total = parts[0].total;
    assert_eq!(usize::from(total), n, "{parts:?}");
    let joined = reassembly::join(total, &parts);
    assert!(joined.missing.is_empty(), "{joined:?}");
    joined.text
}

#[tokio::test]
async fn binds_of_each_kind_come_up_and_sends_go_only_to_senders() {
    let smsc = Smsc::start(&[]);
    let cfg = config(
        smsc.port,
        r#"binds = [{ kind = "transmitter" }, { kind = "receiver" }, { kind = "transceiver" }]"#,
    );
    let h = Harness::start(cfg).await;
    let binds = smsc.wait_for("bind", 3).await;
    let mut kinds: Vec<String> = binds
        .iter()
        .map(|b| b["kind"].as_str().unwrap().to_string())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["bind_receiver", "bind_transceiver", "bind_transmitter"]);
    assert!(binds.iter().all(|b| b["ok"] == true));
    h.until_healthy().await;
    assert_eq!(
        h.link.max_in_flight(),
        40,
        "two sending binds, each with a window of 10 outstanding and 10 queued"
    );
    for i in 0..6 {
        send_until_sent(&h.link, &msg(i, "hello")).await;
    }
    let details = h.link.details();
    let counts: Vec<u64> = (0..3)
        .map(|i| details["binds"][i]["counters"]["accepted"].as_u64().unwrap())
        .collect();
    assert_eq!(counts[1], 0, "nothing goes through the receiver: {details}");
    assert_eq!(counts[0] + counts[2], 6);
    assert!(
        counts[0] > 0 && counts[2] > 0,
        "round robin over both senders: {counts:?}"
    );
}

#[tokio::test]
async fn a_5_0_bind_says_so() {
    let smsc = Smsc::start(&[]);
    let h = Harness::start(config(smsc.port, r#"version = "5.0""#)).await;
    let bind = &smsc.wait_for("bind", 1).await[0];
    assert_eq!(bind["version"], 0x50);
    h.until_healthy().await;
}

#[tokio::test]
async fn submit_and_tlv_receipt_report_under_the_sent_id() {
    let smsc = Smsc::start(&["--receipts", "tlv"]);
    let mut h = Harness::start(config(smsc.port, "")).await;
    h.until_healthy().await;
    let (ext, _) = send_until_sent(&h.link, &msg(1, "Chanjo kesho")).await;
    let submit = &smsc.wait_for("submit", 1).await[0];
    assert_eq!(submit["text"], "Chanjo kesho");
    assert_eq!(submit["dest"], "255712345678");
    assert_eq!(submit["source"], "15555");
    assert_eq!(submit["registered_delivery"], 1);
    assert_eq!(ext, submit["message_id"].as_str().unwrap());
    assert_eq!(
        expect_report(h.next_event().await),
        (ext, DeliveryReport::Delivered)
    );
}

#[tokio::test]
async fn text_receipts_with_hex_and_decimal_ids_meet_and_failures_are_reported() {
    let smsc = Smsc::start(&[
        "--receipts",
        "text",
        "--hex-ids",
        "--receipt-ids-decimal",
        "--receipt-stat",
        "UNDELIV",
    ]);
    let cfg = config(
        smsc.port,
        r#"dlr_ids = { submit_id = "hex", receipt_id = "decimal" }"#,
    );
    let mut h = Harness::start(cfg).await;
    h.until_healthy().await;
    let (ext, _) = send_until_sent(&h.link, &msg(1, "x")).await;
    let submit = &smsc.wait_for("submit", 1).await[0];
    let hex = submit["message_id"].as_str().unwrap();
    assert!(hex.starts_with("0000"), "zero-padded hex from the carrier: {hex}");
    assert_eq!(ext, u64::from_str_radix(hex, 16).unwrap().to_string());
    let (id, report) = expect_report(h.next_event().await);
    assert_eq!(id, ext);
    assert!(
        matches!(report, DeliveryReport::Failed { ref reason } if reason.contains("undeliverable")),
        "{report:?}"
    );
}

#[tokio::test]
async fn each_segment_receipt_is_reported_under_its_own_id_even_before_the_resp() {
    let smsc = Smsc::start(&["--receipts", "tlv", "--receipt-first"]);
    let mut h = Harness::start(config(smsc.port, "")).await;
    h.until_healthy().await;
    let long = "a".repeat(200);
    let (ext, _) = send_until_sent(&h.link, &msg(1, &long)).await;
    let mut segments: Vec<String> = ext.split(',').map(str::to_string).collect();
    assert_eq!(segments.len(), 2, "one carrier id per segment: {ext}");
    let mut reported = Vec::new();
    for _ in 0..2 {
        let (id, report) = expect_report(h.next_event().await);
        assert_eq!(report, DeliveryReport::Delivered);
        reported.push(id);
    }
    segments.sort();
    reported.sort();
    assert_eq!(reported, segments);
}

#[tokio::test]
async fn a_partly_accepted_long_message_resends_only_the_missing_segment() {
    // The second of three segments is refused with a temporary error.
    let smsc = Smsc::start(&["--receipts", "none", "--fail-submits", "2"]);
    let h = Harness::start(config(smsc.port, "window = 1")).await;
    h.until_healthy().await;
    let text = "Kliniki ya Mwenge itafunguliwa saa mbili asubuhi kesho. ".repeat(6);
    let m = msg(9, &text);
    let first = h.link.send(&m).await;
    assert!(matches!(first, SendOutcome::Retry { .. }), "{first:?}");
    assert_eq!(h.link.details()["partially_accepted"], 1);
    let (ext, _) = send_until_sent(&h.link, &m).await;
    let ids: Vec<&str> = ext.split(',').collect();
    assert_eq!(ids.len(), 3, "{ext}");
    let submits = smsc.wait_for("submit", 3).await;
    // Exactly three accepted submits: no segment went out twice…
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(smsc.events("submit").len(), 3);
    assert_eq!(smsc.events("submit_failed").len(), 1);
    // …all under one concatenation reference, so the handset joins them.
    let refs: std::collections::HashSet<String> = submits
        .iter()
        .map(|s| s["udh"].as_str().unwrap()[..s["udh"].as_str().unwrap().len() - 4].to_string())
        .collect();
    assert_eq!(refs.len(), 1, "{submits:?}");
    assert_eq!(reassemble(&submits), text);
    // The external id lists the segments in order, whatever order they were accepted in.
    let by_seq: Vec<String> = {
        let mut v: Vec<(String, String)> = submits
            .iter()
            .map(|s| {
                let udh = s["udh"].as_str().unwrap();
                (
                    udh[udh.len() - 2..].to_string(),
                    s["message_id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        v.sort();
        v.into_iter().map(|(_, id)| id.to_ascii_lowercase()).collect()
    };
    assert_eq!(ids, by_seq.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(h.link.details()["partially_accepted"], 0);
}

#[tokio::test]
async fn long_gsm_and_ucs2_messages_go_out_in_segments_the_smsc_reassembles() {
    let smsc = Smsc::start(&["--receipts", "none"]);
    let h = Harness::start(config(smsc.port, "")).await;
    h.until_healthy().await;
    let gsm = "Habari! Chanjo ya surua ni kesho saa 3 asubuhi kliniki ya Mwenge. [Leta kadi] ".repeat(5);
    let (ext, _) = send_until_sent(&h.link, &msg(1, &gsm)).await;
    let parts = ext.split(',').count();
    assert_eq!(parts, 3, "{} septets in 153-septet segments", gsm.len() + 10);
    let submits = smsc.wait_for("submit", parts).await;
    assert!(submits
        .iter()
        .all(|s| s["data_coding"] == 0 && s["esm_class"] == 0x40));
    assert_eq!(reassemble(&submits), gsm);

    let ucs2 = "Привет 😀 здоровье ".repeat(8);
    let (ext, _) = send_until_sent(&h.link, &msg(2, &ucs2)).await;
    let n = ext.split(',').count();
    let all = smsc.wait_for("submit", parts + n).await;
    let submits = &all[parts..];
    assert!(submits.iter().all(|s| s["data_coding"] == 8));
    assert_eq!(n, ucs2.encode_utf16().count().div_ceil(67));
    assert_eq!(reassemble(submits), ucs2);
}

#[tokio::test]
async fn sar_tlvs_carry_the_concatenation_when_configured() {
    let smsc = Smsc::start(&["--receipts", "none"]);
    let h = Harness::start(config(smsc.port, r#"encoding = { concatenation = "sar" }"#)).await;
    h.until_healthy().await;
    let text = "b".repeat(400);
    send_until_sent(&h.link, &msg(1, &text)).await;
    let submits = smsc.wait_for("submit", 3).await;
    assert!(submits
        .iter()
        .all(|s| s["esm_class"] == 0 && s["udh"] == "" && s["sar"]["total"] == 3));
    assert_eq!(reassemble(&submits), text);
}

#[tokio::test]
async fn mo_messages_arrive_and_are_acknowledged_only_after_persisting() {
    let mut smsc = Smsc::start(&[]);
    let mut h = Harness::start(config(smsc.port, "")).await;
    h.until_healthy().await;
    smsc.command(json!({"cmd": "mo", "from": "255712345678", "text": "STOP"}));
    let ev = h.next_event().await;
    let LinkEvent::Inbound { from, text, ack, .. } = ev else {
        panic!("{ev:?}")
    };
    assert_eq!((from.path(), text.as_str()), ("+255712345678", "STOP"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        smsc.events("mo_resp").is_empty(),
        "carrier acknowledged before the message was persisted"
    );
    ack.unwrap().send(Ok(())).unwrap();
    assert_eq!(smsc.wait_for("mo_resp", 1).await[0]["status"], 0);

    // A failed persist is a temporary error, so the carrier redelivers.
    smsc.command(json!({"cmd": "mo", "from": "255712345678", "text": "again"}));
    let LinkEvent::Inbound { ack, .. } = h.next_event().await else {
        panic!()
    };
    ack.unwrap().send(Err("disk full".into())).unwrap();
    assert_eq!(smsc.wait_for("mo_resp", 2).await[1]["status"], 0x64);
}

#[tokio::test]
async fn mo_as_data_sm_with_message_payload_arrives() {
    let mut smsc = Smsc::start(&[]);
    let mut h = Harness::start(config(smsc.port, "")).await;
    h.until_healthy().await;
    let text = "Ripoti: wagonjwa 12 wa homa, 3 wa kuhara. ".repeat(6);
    smsc.command(json!({"cmd": "data_sm", "from": "255700000002", "text": text}));
    let LinkEvent::Inbound {
        from, text: got, ack, ..
    } = h.next_event().await
    else {
        panic!()
    };
    assert_eq!((from.path(), got.as_str()), ("+255700000002", text.as_str()));
    ack.unwrap().send(Ok(())).unwrap();
    assert_eq!(smsc.wait_for("data_sm_resp", 1).await[0]["status"], 0);
}

#[tokio::test]
async fn a_stalled_consumer_of_inbound_messages_does_not_stall_sending() {
    let mut smsc = Smsc::start(&["--receipts", "none"]);
    // Nobody reads the events: the link's queues fill up.
    let h = Harness::with_event_capacity(config(smsc.port, ""), 1).await;
    h.until_healthy().await;
    for i in 0..300 {
        smsc.command(json!({"cmd": "mo", "from": "255700000003", "text": format!("mo {i}")}));
    }
    let resps = smsc.wait_for("mo_resp", 40).await;
    assert!(
        resps.iter().all(|r| r["status"] == 0x64),
        "overflow is refused as temporary: {resps:?}"
    );
    assert!(matches!(
        h.link.send(&msg(1, "still flowing")).await,
        SendOutcome::Sent { .. }
    ));
}

#[tokio::test]
async fn long_mo_in_gsm_and_ucs2_is_reassembled_from_parts_in_any_order() {
    let mut smsc = Smsc::start(&[]);
    let mut h = Harness::start(config(smsc.port, "")).await;
    h.until_healthy().await;
    let gsm = "Nimepokea dawa za malaria, asante sana kwa msaada wenu wa kila siku. ".repeat(6);
    smsc.command(json!({"cmd": "mo", "from": "255700000001", "text": gsm, "order": [3, 1, 2]}));
    assert_eq!(persist_and_join(&mut h, 3).await, gsm);

    let ucs2 = "Спасибо за помощь, всё хорошо. ".repeat(5);
    smsc.command(
        json!({"cmd": "mo", "from": "255700000001", "text": ucs2, "coding": "ucs2", "order": [3, 2, 1]}),
    );
    assert_eq!(persist_and_join(&mut h, 3).await, ucs2);
    let resps = smsc.wait_for("mo_resp", 6).await;
    assert!(resps.iter().all(|r| r["status"] == 0));
}

/// Concatenated MO (see `smpp` module docs): every part comes out as its
/// own event carrying the part as sent (reference, count, sequence, coding,
/// payload) and is answered only once its `ack` says it is persisted; a
/// failed persist answers that part as a temporary error so the carrier
/// redelivers it, and does not hold up the other parts.
#[tokio::test]
async fn each_mo_part_is_answered_only_after_it_is_persisted() {
    let mut smsc = Smsc::start(&[]);
    let mut h = Harness::start(config(smsc.port, "")).await;
    h.until_healthy().await;
    let text = "Wagonjwa watatu wa surua wameonekana leo katika kijiji cha Mbezi juu. ".repeat(5);
    smsc.command(json!({"cmd": "mo", "from": "255700000002", "text": text, "order": [2, 3, 1], "ref": 77}));
    let mut parts = Vec::new();
    for _ in 0..3 {
        parts.push(next_part(&mut h).await);
    }
    let seqs: Vec<u8> = parts.iter().map(|(_, p, _)| p.seq).collect();
    assert_eq!(seqs, vec![2, 3, 1]);
    for (from, p, _) in &parts {
        assert_eq!(from, "+255700000002");
        assert_eq!((p.reference, p.total, p.data_coding), (77, 3, 0));
        assert!(p.expires_on > p.received_on, "{p:?}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        smsc.events("mo_resp").is_empty(),
        "a part was answered before it was persisted"
    );
    let mut acks = parts.into_iter().map(|(_, p, ack)| (p, ack));
    let (p2, ack2) = acks.next().unwrap();
    ack2.send(Ok(())).unwrap();
    let resps = smsc.wait_for("mo_resp", 1).await;
    assert_eq!(
        (resps[0]["part"].as_u64(), resps[0]["status"].as_u64()),
        (Some(2), Some(0))
    );
    // The store refuses part 3: answered as a temporary error, so the
    // carrier keeps it and redelivers.
    let (p3, ack3) = acks.next().unwrap();
    ack3.send(Err("database is down".into())).unwrap();
    let resps = smsc.wait_for("mo_resp", 2).await;
    assert_eq!(resps[1]["part"], 3);
    assert_eq!(resps[1]["status"], 0x64, "ESME_RX_T_APPN: {resps:?}");
    let (p1, ack1) = acks.next().unwrap();
    ack1.send(Ok(())).unwrap();
    let resps = smsc.wait_for("mo_resp", 3).await;
    assert_eq!(
        (resps[2]["part"].as_u64(), resps[2]["status"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(reassembly::join(3, &[p1, p2, p3]).text, text);
}

#[tokio::test]
async fn enquire_link_is_sent_when_idle_and_answered_when_asked() {
    let mut smsc = Smsc::start(&[]);
    let cfg = config(smsc.port, "");
    let mut cfg = cfg;
    cfg.timeouts.enquire_link_ms = 200;
    let h = Harness::start(cfg).await;
    h.until_healthy().await;
    smsc.wait_for("enquire_link", 2).await;
    smsc.command(json!({"cmd": "enquire"}));
    assert_eq!(smsc.wait_for("enquire_link_resp", 1).await[0]["status"], 0);
    assert!(h.link.healthy());
}

#[tokio::test]
async fn an_smsc_restart_mid_send_loses_nothing() {
    let smsc = Smsc::start(&["--resp-delay-ms", "30", "--receipts", "none"]);
    let port = smsc.port;
    let h = Harness::start(config(port, "")).await;
    h.until_healthy().await;
    let link = h.link.clone();
    let sender = tokio::spawn(async move {
        let mut handles = Vec::new();
        for i in 0..40 {
            let link = link.clone();
            handles.push(tokio::spawn(async move {
                send_until_sent(&link, &msg(i, &format!("msg {i}"))).await
            }));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut retries = 0;
        for hd in handles {
            retries += hd.await.unwrap().1;
        }
        retries
    });
    smsc.wait_for("submit", 5).await;
    let mut smsc = smsc;
    let before: Vec<String> = smsc
        .events("submit")
        .iter()
        .map(|s| s["text"].as_str().unwrap().to_string())
        .collect();
    smsc.stop();
    let smsc2 = Smsc::start_on(port, &["--receipts", "none"]);
    let retries = tokio::time::timeout(Duration::from_secs(40), sender)
        .await
        .unwrap()
        .unwrap();
    assert!(retries > 0, "the restart should have forced retries");
    // Every message was acknowledged by one SMSC or the other; wait for the
    // simulator's event log to catch up with what the link already saw.
    let missing = |after: &[String]| -> Vec<String> {
        (0..40)
            .map(|i| format!("msg {i}"))
            .filter(|t| !before.contains(t) && !after.contains(t))
            .collect()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let after: Vec<String> = smsc2
            .events("submit")
            .iter()
            .map(|s| s["text"].as_str().unwrap().to_string())
            .collect();
        let gone = missing(&after);
        if gone.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never accepted by either SMSC: {gone:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        h.link.details()["binds"][0]["counters"]["reconnects"]
            .as_u64()
            .unwrap()
            >= 1
    );
}

#[tokio::test]
async fn throttling_above_the_carrier_rate_slows_down_and_drops_nothing() {
    let smsc = Smsc::start(&["--throttle-above", "20", "--receipts", "none"]);
    let cfg = config(smsc.port, "rate_per_bind = 100");
    let h = Harness::start(cfg).await;
    h.until_healthy().await;
    let mut handles = Vec::new();
    for i in 0..60 {
        let link = h.link.clone();
        handles.push(tokio::spawn(
            async move { link.send(&msg(i, &format!("t{i}"))).await },
        ));
    }
    for hd in handles {
        assert!(
            matches!(hd.await.unwrap(), SendOutcome::Sent { .. }),
            "throttled sends are retried by the bind, not bounced"
        );
    }
    assert!(
        !smsc.events("throttled").is_empty(),
        "the simulator should have throttled"
    );
    let mut texts: Vec<String> = smsc
        .wait_for("submit", 60)
        .await
        .iter()
        .map(|s| s["text"].as_str().unwrap().to_string())
        .collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), 60);
    let details = h.link.details();
    let rate = &details["binds"][0]["rate"];
    assert!(
        rate["current"].as_u64().unwrap() < 100,
        "the bind cut its rate after 0x58: {details}"
    );
    assert!(details["binds"][0]["counters"]["throttled"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn the_per_bind_rate_keeps_us_under_the_carrier_limit_and_changes_at_run_time() {
    let smsc = Smsc::start(&["--throttle-above", "25", "--receipts", "none"]);
    let h = Harness::start(config(smsc.port, "rate_per_bind = 20")).await;
    h.until_healthy().await;
    let mut handles = Vec::new();
    for i in 0..50 {
        let link = h.link.clone();
        handles.push(tokio::spawn(async move { link.send(&msg(i, "paced")).await }));
    }
    for hd in handles {
        assert!(matches!(hd.await.unwrap(), SendOutcome::Sent { .. }));
    }
    assert!(
        smsc.events("throttled").is_empty(),
        "paced at 20/s, the carrier's 25/s is never exceeded"
    );
    h.link.set_rates(Some(500), Some(400));
    let details = h.link.details();
    assert_eq!(details["binds"][0]["rate"]["configured"], 500);
    assert_eq!(details["rate_per_account"], 400);
}

#[tokio::test]
async fn slow_responses_fill_the_window_and_overdue_ones_are_requeued() {
    let smsc = Smsc::start(&["--resp-delay-ms", "300", "--receipts", "none"]);
    let mut cfg = config(smsc.port, "window = 4");
    cfg.timeouts.response_ms = 2_000;
    let h = Harness::start(cfg).await;
    h.until_healthy().await;
    let mut handles = Vec::new();
    for i in 0..8 {
        let link = h.link.clone();
        handles.push(tokio::spawn(async move { link.send(&msg(i, "slow")).await }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        h.link.details()["binds"][0]["in_flight"],
        4,
        "the window caps outstanding submits"
    );
    for hd in handles {
        assert!(matches!(hd.await.unwrap(), SendOutcome::Sent { .. }));
    }
    drop(h);

    let mut cfg = config(smsc.port, "");
    cfg.timeouts.response_ms = 100;
    let h = Harness::start(cfg).await;
    h.until_healthy().await;
    match h.link.send(&msg(9, "too slow")).await {
        SendOutcome::Retry { reason } => assert!(reason.contains("no submit_sm_resp"), "{reason}"),
        other => panic!("expected a retry, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_credentials_stop_the_bind_and_say_so() {
    let smsc = Smsc::start(&["--password", "other"]);
    let h = Harness::start(config(smsc.port, "")).await;
    smsc.wait_for("bind", 1).await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let details = h.link.details();
    assert_eq!(details["binds"][0]["state"]["state"], "rejected", "{details}");
    assert!(
        details["binds"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("ESME_RINVPASWD"),
        "{details}"
    );
    assert_eq!(smsc.events("bind").len(), 1, "no retry after a credentials error");
    assert!(!h.link.healthy());
    assert!(matches!(
        h.link.send(&msg(1, "x")).await,
        SendOutcome::Retry { .. }
    ));
    assert!(
        !format!("{details}").contains("secret"),
        "the password never shows"
    );
}

#[tokio::test]
async fn already_bound_is_retried_with_backoff_until_the_smsc_lets_go() {
    let smsc = Smsc::start(&["--already-bound", "2"]);
    let h = Harness::start(config(smsc.port, "")).await;
    h.until_healthy().await;
    let binds = smsc.wait_for("bind", 3).await;
    assert_eq!(binds.len(), 3, "two refusals, then bound: {binds:?}");
    assert_eq!(binds.iter().filter(|b| b["ok"] == true).count(), 1);
    let details = h.link.details();
    assert!(
        details["binds"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("ESME_RALYBND"),
        "{details}"
    );
    assert_eq!(details["binds"][0]["counters"]["reconnects"], 2);
}

#[tokio::test]
async fn a_full_carrier_queue_backs_off_and_resends_without_dropping() {
    let smsc = Smsc::start(&["--queue-full", "2", "--receipts", "none"]);
    let mut cfg = config(smsc.port, "");
    cfg.timeouts.queue_full_pause_ms = 300;
    let h = Harness::start(cfg).await;
    h.until_healthy().await;
    assert!(matches!(
        h.link.send(&msg(1, "patience")).await,
        SendOutcome::Sent { .. }
    ));
    assert_eq!(smsc.wait_for("queue_full", 2).await.len(), 2);
    assert_eq!(smsc.wait_for("submit", 1).await[0]["text"], "patience");
}

#[tokio::test]
async fn malformed_pdus_from_the_smsc_are_nacked_or_reset_the_bind_and_harm_nothing_else() {
    let mut smsc = Smsc::start(&["--receipts", "none"]);
    let h = Harness::start(config(smsc.port, "")).await;
    h.until_healthy().await;
    send_until_sent(&h.link, &msg(1, "before")).await;

    // A garbled body in a well-framed PDU: answered with generic_nack, the bind stays up.
    smsc.command(json!({"cmd": "malformed", "kind": "body"}));
    let nack = &smsc.wait_for("generic_nack", 1).await[0];
    assert_eq!(nack["status"], 2);
    // An unknown command: generic_nack ESME_RINVCMDID with its sequence number.
    smsc.command(json!({"cmd": "malformed", "kind": "unknown"}));
    let nacks = smsc.wait_for("generic_nack", 2).await;
    assert_eq!(
        (nacks[1]["status"].as_u64(), nacks[1]["seq"].as_u64()),
        (Some(3), Some(99))
    );
    send_until_sent(&h.link, &msg(2, "between")).await;
    assert_eq!(h.link.details()["binds"][0]["counters"]["reconnects"], 0);

    // An impossible length: the stream cannot be trusted, so the bind resets.
    smsc.command(json!({"cmd": "malformed", "kind": "length"}));
    smsc.wait_for("bind", 2).await;
    send_until_sent(&h.link, &msg(3, "after")).await;
    let details = h.link.details();
    assert_eq!(details["binds"][0]["counters"]["reconnects"], 1, "{details}");
    assert!(details["binds"][0]["counters"]["malformed"].as_u64().unwrap() >= 2);
    let texts: Vec<String> = smsc
        .wait_for("submit", 3)
        .await
        .iter()
        .map(|s| s["text"].as_str().unwrap().to_string())
        .collect();
    for t in ["before", "between", "after"] {
        assert!(texts.iter().any(|x| x == t), "{t} missing from {texts:?}");
    }
}

#[tokio::test]
async fn shutdown_unbinds_before_closing() {
    let smsc = Smsc::start(&[]);
    let h = Harness::start(config(smsc.port, "")).await;
    h.until_healthy().await;
    h.shutdown.cancel();
    smsc.wait_for("unbind", 1).await;
}
