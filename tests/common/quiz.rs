//! The shipped training quiz (`flows/training_quiz.json`, keyword QUIZ) as
//! a conversation many phones hold at once: what each phone says, turn by
//! turn (every answer right), and everything it must receive, in flow order
//! (two messages a turn: the intro then question 1, each feedback then the
//! next question, the last feedback then the score).

use std::time::{Duration, Instant};

use serde_json::json;

use super::Api;

/// Conversations held at once.
pub const PHONES: usize = 50;
/// Longest wait for one turn's replies to reach every phone: at 20 msg/s a
/// turn of 50 phones is 100 messages, five seconds of sending.
pub const TURN_SECS: u64 = 90;

/// The number of phone `k`.
pub fn number(k: usize) -> String {
    format!("+2557110{k:05}")
}

/// Config that imports the quiz at start.
pub fn imported() -> String {
    format!(
        "[flows]\nimports = [\"{}/flows/training_quiz.json\"]\n",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// What a phone says, one turn at a time.
pub const TURNS: [&str; 6] = ["QUIZ", "2", "1", "3", "2", "1"];

/// Messages the flow sends per turn.
pub const PER_TURN: usize = 2;

/// Everything a phone receives over the whole quiz, in flow order.
pub const RECEIVED: [&str; 12] = [
    "Malaria case management quiz: 5 questions. Reply with the number of your answer (1, 2 or 3; A, B or C also work).",
    "Q1 of 5: A patient has fever. What should you do before giving malaria treatment?\n1) Treat without testing\n2) Test with an RDT or microscopy\n3) Wait three days",
    "Correct! Always confirm malaria with an RDT or microscopy before treating.",
    "Q2 of 5: What is the first-line treatment for uncomplicated falciparum malaria?\n1) An ACT such as artemether-lumefantrine\n2) Chloroquine\n3) Paracetamol only",
    "Correct! An ACT such as artemether-lumefantrine is the first-line treatment.",
    "Q3 of 5: Which of these is a danger sign of severe malaria?\n1) Mild headache\n2) Runny nose\n3) Convulsions",
    "Correct! Convulsions are a danger sign: give pre-referral treatment and refer urgently.",
    "Q4 of 5: A child under 6 with severe malaria cannot reach a hospital quickly. What should you give before referral?\n1) An oral ACT\n2) Rectal artesunate\n3) Antibiotics only",
    "Correct! Give rectal artesunate, then refer the child immediately.",
    "Q5 of 5: How should artemether-lumefantrine be taken?\n1) Twice a day for 3 days, with food or milk\n2) One single dose\n3) Only when the fever returns",
    "Correct! Twice a day for 3 days, with food or milk, and finish every dose.",
    "You scored 5 out of 5. Text LEARN to take the quiz again.",
];

/// Panics unless `got` is exactly the quiz in flow order, naming the phone
/// and the first message out of place.
pub fn assert_in_flow_order(phone: &str, got: &[String]) {
    if let Some(i) = (0..RECEIVED.len().max(got.len()))
        .find(|i| got.get(*i).map(String::as_str) != RECEIVED.get(*i).copied())
    {
        panic!(
            "{phone} received the quiz out of order or incomplete: message {i} is {:?}, expected {:?}; all: {got:#?}",
            got.get(i),
            RECEIVED.get(i)
        );
    }
}

/// Every phone takes the quiz through the simulator API, one turn at a
/// time: all say their answer at once, then each waits for the turn's
/// messages. `apis` are the nodes phones text through, in turn.
pub async fn over_the_simulator(apis: &[Api]) {
    let phones: Vec<String> = (0..PHONES).map(number).collect();
    for (turn, said) in TURNS.iter().enumerate() {
        let says = phones.iter().enumerate().map(|(k, phone)| {
            let api = apis[k % apis.len()].clone();
            async move {
                let (s, v) = api
                    .post("/simulator/inbound", json!({"from": phone, "text": said}))
                    .await;
                assert_eq!(s, 201, "{phone} said {said:?}: {v}");
            }
        });
        futures::future::join_all(says).await;
        let want = PER_TURN * (turn + 1);
        let deadline = Instant::now() + Duration::from_secs(TURN_SECS);
        let mut waiting: Vec<&String> = phones.iter().collect();
        while !waiting.is_empty() {
            let mut still = Vec::new();
            for phone in waiting {
                if apis[0].sim_received(phone).await.len() < want {
                    still.push(phone);
                }
            }
            waiting = still;
            if !waiting.is_empty() {
                assert!(
                    Instant::now() < deadline,
                    "turn {turn}: {} phones still wait for {want} messages, e.g. {}",
                    waiting.len(),
                    waiting[0]
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
    for phone in &phones {
        assert_in_flow_order(phone, &apis[0].sim_received(phone).await);
    }
}
