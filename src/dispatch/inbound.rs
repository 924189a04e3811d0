//! Inbound messages: persist first (then the link may acknowledge the
//! carrier), then opt-out words ([`super::optout`]), then keyword triggers with RapidPro's
//! matching rules (first word or only word, case and punctuation ignored,
//! group filters scored, catch-all last).

use std::sync::Arc;

use tokio::sync::mpsc;

use super::engine::{msg_in, FlowError, Sprinted, StartOpts, StartReason};
use super::mo_parts;
use super::optout;
use super::outbox::Record;
use super::supervise::catch;
use super::Gateway;
use crate::config::MatchType;
use crate::core::time::{HistogramTimer, Millis};
use crate::core::{Contact, ContactStatus, HandledBy, LinkEvent, Priority, Urn};
use crate::flow::resume::ResumeKind;
use crate::flow::trigger::KeywordMatch;
use crate::store::{NewInbound, PendingInbound, StoreError, TriggerRow, WaitingSession};

/// Inbound messages are handled by this many tasks, each owning the
/// contacts whose number hashes to it: one contact's messages stay in
/// order while different contacts' flows run side by side.
const SHARDS: usize = 8;
/// Inbound messages waiting per shard.
const SHARD_QUEUE: usize = 1_000;

/// What a shard works on: a message a link just delivered, or one a crash
/// left persisted but not acted on.
enum Job {
    Link(LinkEvent),
    Recovered(PendingInbound),
}

/// `pending`: inbound messages the last run persisted and did not act on.
/// `rx` is held outside the task so a restart takes over what is queued.
pub(super) async fn run(
    gw: Arc<Gateway>,
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<LinkEvent>>>,
    pending: Vec<PendingInbound>,
) {
    let mut rx = rx.lock().await;
    let mut shards = Vec::with_capacity(SHARDS);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..SHARDS {
        let (tx, shard_rx) = mpsc::channel(SHARD_QUEUE);
        shards.push(tx);
        tasks.spawn(shard(gw.clone(), shard_rx));
    }
    // What the last run acknowledged but did not act on goes first, so each
    // contact's messages keep their order.
    if !pending.is_empty() {
        tracing::info!(
            count = pending.len(),
            "acting on inbound messages persisted before a restart"
        );
    }
    for p in pending {
        let i = shard_of(p.urn.path(), SHARDS);
        if shards[i].send(Job::Recovered(p)).await.is_err() {
            return;
        }
    }
    while let Some(ev) = rx.recv().await {
        match ev {
            LinkEvent::Inbound { ref from, .. } | LinkEvent::InboundPart { ref from, .. } => {
                let i = shard_of(from.path(), SHARDS);
                if shards[i].send(Job::Link(ev)).await.is_err() {
                    break;
                }
            }
            LinkEvent::Report {
                link,
                external_id,
                report,
            } => {
                let _ = gw
                    .outcomes
                    .send(Record::Report {
                        link,
                        external_id,
                        report,
                    })
                    .await;
            }
        }
    }
    drop(shards);
    while tasks.join_next().await.is_some() {}
}

fn shard_of(key: &str, n: usize) -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    (h.finish() as usize) % n
}

async fn shard(gw: Arc<Gateway>, mut rx: mpsc::Receiver<Job>) {
    while let Some(job) = rx.recv().await {
        // A panic on one message costs that message (its carrier is not
        // acknowledged, or it stays `pending` for the next start), not the
        // messages queued behind it in this shard.
        if let Err(e) = catch(handle_job(&gw, job)).await {
            gw.health.failed("inbound", &e);
        }
    }
}

async fn handle_job(gw: &Gateway, job: Job) {
    match job {
        Job::Link(LinkEvent::Inbound {
            link,
            from,
            text,
            external_id,
            received_on,
            ack,
        }) => {
            // The carrier (or API caller) is answered once the message
            // is persisted, before the flow runs: a sprint's time is not
            // the SMSC's to wait for. A crash after this leaves the
            // message `pending`, and the next start acts on it.
            let stored = persist(gw, &link, &from, &text, external_id.as_deref(), received_on).await;
            if let Err(e) = &stored {
                tracing::warn!(link = %link, from = %from, error = %e, "inbound message not stored");
            }
            if let Some(ack) = ack {
                let _ = ack.send(stored.as_ref().map(|_| ()).map_err(|e| e.to_string()));
            }
            if let Ok((contact, id, waiting)) = stored {
                act_and_mark(
                    gw,
                    &contact,
                    &Received {
                        id,
                        from: &from,
                        text: &text,
                        external_id: external_id.as_deref(),
                        waiting: waiting.as_ref(),
                    },
                )
                .await;
            }
        }
        Job::Link(LinkEvent::InboundPart {
            link,
            from,
            part,
            ack,
        }) => {
            let res = mo_parts::handle_part(gw, &link, &from, &part).await;
            if let Err(e) = &res {
                tracing::warn!(link = %link, from = %from, seq = part.seq, total = part.total, error = %e, "inbound message part not stored");
            }
            if let Some(ack) = ack {
                let _ = ack.send(res.as_ref().map(|_| ()).map_err(|e| e.to_string()));
            }
            if let Ok(Some(d)) = res {
                act_and_mark(gw, &d.contact, &d.received(&from)).await;
            }
        }
        Job::Link(LinkEvent::Report { .. }) => {}
        Job::Recovered(p) => {
            let contact = match p.contact_id {
                Some(cid) => gw.store.get_contact_by_id(cid).await,
                None => gw.store.find_or_create_by_urn(&p.urn, None).await.map(|(c, _)| c),
            };
            match contact {
                Ok(contact) => {
                    act_and_mark(
                        gw,
                        &contact,
                        &Received {
                            id: p.id,
                            from: &p.urn,
                            text: &p.text,
                            external_id: p.external_id.as_deref(),
                            waiting: None,
                        },
                    )
                    .await
                }
                Err(e) => {
                    tracing::warn!(msg = p.id, error = %e, "pending inbound message left for the next start")
                }
            }
        }
    }
}

/// A persisted inbound message to act on.
#[derive(Clone, Copy)]
pub(super) struct Received<'a> {
    pub id: i64,
    pub from: &'a Urn,
    pub text: &'a str,
    pub external_id: Option<&'a str>,
    /// The contact's waiting session as read with the contact, when it
    /// was (`Some(None)`: none was waiting); `None` reads it when needed.
    pub waiting: Option<&'a Option<WaitingSession>>,
}

/// Act on a persisted inbound message, then mark it handled (with what
/// answered it) unless the action's own transaction already did. A failed
/// action is logged and marked too: the message stays in the inbox, and
/// retrying a flow that fails would fail again.
pub(super) async fn act_and_mark(gw: &Gateway, contact: &Contact, m: &Received<'_>) {
    let _acting = stage_timer("act");
    let acted = match act(gw, contact, m).await {
        Ok(acted) => acted,
        Err(e) => {
            tracing::warn!(contact = %contact.uuid, error = %e, "inbound message stored but not acted on");
            Acted::Unmarked(HandledBy::Failed)
        }
    };
    if let Acted::Unmarked(by) = acted {
        if let Err(e) = gw.store.mark_handled(m.id, by).await {
            tracing::warn!(msg = m.id, error = %e, "could not mark an inbound message handled");
        }
    }
}

/// What [`act`] did with an inbound message.
enum Acted {
    /// Its transaction marked the message handled (with what answered it).
    Marked,
    /// Still to be marked, answered by this.
    Unmarked(HandledBy),
}

/// Persist one inbound message and act on it before returning (the
/// simulator's API, where the caller waits for the flow). An error means it
/// was not persisted; failures after that are logged, since it is safe.
pub async fn handle(
    gw: &Gateway,
    link: &str,
    from: &Urn,
    text: &str,
    external_id: Option<&str>,
    received_on: Millis,
) -> Result<i64, StoreError> {
    let (contact, id, waiting) = persist(gw, link, from, text, external_id, received_on).await?;
    act_and_mark(
        gw,
        &contact,
        &Received {
            id,
            from,
            text,
            external_id,
            waiting: waiting.as_ref(),
        },
    )
    .await;
    Ok(id)
}

/// Persist one inbound message (`pending`) and return its contact (created
/// for a new number), its id, and the contact's waiting session when it was
/// read along with the contact. An error means it was not persisted.
async fn persist(
    gw: &Gateway,
    link: &str,
    from: &Urn,
    text: &str,
    external_id: Option<&str>,
    received_on: Millis,
) -> Result<(Contact, i64, Option<Option<WaitingSession>>), StoreError> {
    let _persisting = stage_timer("persist");
    // A known number (nearly every message) costs one query for the
    // contact and its waiting session.
    let (contact, created, waiting) = match gw.store.contact_by_urn_with_waiting(from).await? {
        Some((contact, waiting)) => (contact, false, Some(waiting)),
        None => {
            let (contact, created) = gw.store.find_or_create_by_urn(from, None).await?;
            (contact, created, None)
        }
    };
    let id = gw
        .store
        .insert_inbound(&NewInbound {
            contact_id: contact.id,
            urn: &from.to_string(),
            text,
            link,
            external_id,
            received_on,
            note: None,
            node: &gw.node,
        })
        .await?;
    stored(link, &contact, created);
    Ok((contact, id, waiting))
}

/// Times one stage of an inbound message (`persist`: the contact read and
/// the message committed; `act`: the flow or reply committed).
fn stage_timer(stage: &'static str) -> HistogramTimer {
    HistogramTimer::start(metrics::histogram!("mhero_inbound_stage_seconds", "stage" => stage))
}

/// Count a persisted inbound message (and note a new contact).
pub(super) fn stored(link: &str, contact: &Contact, created: bool) {
    metrics::counter!("mhero_inbound_total", "link" => link.to_string()).increment(1);
    if created {
        tracing::info!(contact = %contact.uuid, "new contact from an inbound message");
    }
}

/// Act on inbound message `id`.
async fn act(gw: &Gateway, contact: &Contact, m: &Received<'_>) -> Result<Acted, FlowError> {
    let unmarked = |by| Ok(Acted::Unmarked(by));
    let Received {
        id,
        from,
        text,
        external_id,
        waiting: mut prefetched,
    } = *m;
    if contact.status == ContactStatus::Blocked {
        return unmarked(HandledBy::Ignored);
    }
    let words = tokenize(text);
    let optout = &gw.config.optout;
    let default_language = &gw.config.contacts.default_language;
    let preferred = contact.language.as_deref().unwrap_or(default_language);
    if let [word] = words.as_slice() {
        let word = optout::fold(word);
        if let Some(word_language) = optout::language_of_word(&optout.stop_words, &word, preferred) {
            if contact.status != ContactStatus::Stopped {
                gw.store
                    .set_contact_status(contact.id, ContactStatus::Stopped)
                    .await?;
                // Opting out ends the conversation the contact was in.
                gw.store.interrupt_session(contact.id).await?;
                confirm(gw, contact, from, &optout.stop_reply, word_language).await?;
                tracing::info!(contact = %contact.uuid, "contact opted out");
            }
            return unmarked(HandledBy::Optout);
        }
        let start_language = optout::language_of_word(&optout.start_words, &word, preferred);
        if let (Some(word_language), ContactStatus::Stopped) = (start_language, contact.status) {
            gw.store
                .set_contact_status(contact.id, ContactStatus::Active)
                .await?;
            confirm(gw, contact, from, &optout.start_reply, word_language).await?;
            tracing::info!(contact = %contact.uuid, "contact opted back in");
            return unmarked(HandledBy::Optout);
        }
    }
    if contact.status == ContactStatus::Stopped {
        // Kept in the inbox; a stopped contact gets nothing until START.
        return unmarked(HandledBy::Ignored);
    }
    let triggers = gw.triggers.get(gw).await?;
    let trigger = best_trigger(&triggers, &words, &contact.groups);
    // RapidPro's order: a keyword trigger wins over the waiting session (it
    // starts its flow afresh); the waiting session takes the reply before a
    // catch-all; a catch-all applies only when nothing is waiting.
    let keyword = trigger.filter(|t| !t.keywords.is_empty());
    if keyword.is_none() {
        for _ in 0..3 {
            // The session read with the contact serves the first try; a
            // stale resume reads it again.
            let read;
            let waiting = match prefetched.take() {
                Some(w) => w.as_ref(),
                None => {
                    read = gw.store.waiting_session(contact.id).await?;
                    read.as_ref()
                }
            };
            let Some(waiting) = waiting else {
                break;
            };
            let resume = ResumeKind::Msg {
                msg: msg_in(from, text, external_id),
            };
            match gw
                .resume_flow(contact, waiting, resume, Priority::Reply, Some(id))
                .await
            {
                Ok(Sprinted::Stale) => continue,
                Ok(Sprinted::Done { .. }) => return Ok(Acted::Marked),
                Err(e) => {
                    tracing::warn!(contact = %contact.uuid, session = %waiting.uuid, error = %e, "resume failed; session ended");
                    gw.store.interrupt_session(contact.id).await?;
                    return Err(e);
                }
            }
        }
    }
    let Some(t) = trigger else {
        return unmarked(HandledBy::None);
    };
    if let Some(reply) = &t.reply {
        let queued = gw
            .send_to_contact(contact, Some(from), reply, Priority::Reply, false, Some(id))
            .await?;
        return Ok(match queued {
            Some(_) => Acted::Marked,
            None => Acted::Unmarked(HandledBy::Trigger),
        });
    } else if let Some(flow) = &t.flow {
        let keyword_match = words
            .first()
            .filter(|_| !t.keywords.is_empty())
            .map(|w| KeywordMatch {
                match_type: match t.match_type {
                    MatchType::First => "first_word".into(),
                    MatchType::Only => "only_word".into(),
                },
                keyword: w.clone(),
            });
        let reason = StartReason::Msg {
            msg: msg_in(from, text, external_id),
            keyword: keyword_match,
        };
        let opts = StartOpts {
            handled_msg: Some(id),
            ..StartOpts::default()
        };
        let sprinted = gw.start_flow(contact, flow, reason, opts).await?;
        return Ok(match sprinted {
            Sprinted::Done { .. } => Acted::Marked,
            _ => Acted::Unmarked(HandledBy::Flow),
        });
    }
    unmarked(HandledBy::None)
}

/// Send an opt-out or opt-in confirmation, in the language
/// [`optout::reply`] picks for the contact and the word it sent.
async fn confirm(
    gw: &Gateway,
    contact: &Contact,
    from: &Urn,
    replies: &std::collections::BTreeMap<String, String>,
    word_language: Option<&str>,
) -> Result<(), FlowError> {
    let default_language = &gw.config.contacts.default_language;
    let reply = optout::reply(
        replies,
        contact.language.as_deref(),
        word_language,
        default_language,
    );
    if let Some(reply) = reply {
        gw.send_to_contact(contact, Some(from), reply, Priority::Reply, true, None)
            .await?;
    }
    Ok(())
}

/// Split into lower-case words; punctuation and spaces separate words and
/// are dropped, so "Report!", " report " and "¡report" all give "report".
pub fn tokenize(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// RapidPro's choice: keyword triggers that match (first word, or only word
/// for `only`), then catch-alls; among candidates the best group score wins
/// (+2 for matching include groups, +1 for having exclude groups that do not
/// apply); ties go to the oldest.
fn best_trigger<'a>(
    triggers: &'a [TriggerRow],
    words: &[String],
    groups: &[String],
) -> Option<&'a TriggerRow> {
    let in_group = |g: &String| groups.iter().any(|cg| cg.eq_ignore_ascii_case(g));
    let score = |t: &TriggerRow| -> Option<u32> {
        if !t.groups.is_empty() && !t.groups.iter().any(in_group) {
            return None;
        }
        if t.exclude_groups.iter().any(in_group) {
            return None;
        }
        Some(if t.groups.is_empty() { 0 } else { 2 } + if t.exclude_groups.is_empty() { 0 } else { 1 })
    };
    let keyword_match = |t: &TriggerRow| match words.first() {
        Some(first) if t.keywords.iter().any(|k| k == first) => {
            t.match_type == MatchType::First || words.len() == 1
        }
        _ => false,
    };
    let best = |pred: &dyn Fn(&TriggerRow) -> bool| {
        let mut best: Option<(&TriggerRow, u32)> = None;
        for t in triggers.iter().filter(|t| pred(t)) {
            if let Some(s) = score(t) {
                if best.is_none_or(|(_, b)| s > b) {
                    best = Some((t, s));
                }
            }
        }
        best.map(|(t, _)| t)
    };
    best(&|t| !t.keywords.is_empty() && keyword_match(t)).or_else(|| best(&|t| t.keywords.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trig(keywords: &[&str], m: MatchType, groups: &[&str], exclude: &[&str], reply: &str) -> TriggerRow {
        TriggerRow {
            id: 0,
            uuid: reply.into(),
            keywords: keywords.iter().map(|s| s.to_string()).collect(),
            match_type: m,
            reply: Some(reply.into()),
            flow: None,
            groups: groups.iter().map(|s| s.to_string()).collect(),
            exclude_groups: exclude.iter().map(|s| s.to_string()).collect(),
            source: "test".into(),
            created_on: String::new(),
        }
    }

    #[test]
    fn tokenizing_ignores_case_and_punctuation() {
        assert_eq!(tokenize("  Report!  5 cases"), vec!["report", "5", "cases"]);
        assert_eq!(tokenize("¡QUIZ?"), vec!["quiz"]);
        assert!(tokenize("...").is_empty());
    }

    #[test]
    fn first_word_only_word_and_catch_all() {
        let ts = vec![
            trig(&["report"], MatchType::First, &[], &[], "r"),
            trig(&["quiz"], MatchType::Only, &[], &[], "q"),
            trig(&[], MatchType::First, &[], &[], "catch"),
        ];
        let pick = |t: &str| best_trigger(&ts, &tokenize(t), &[]).map(|t| t.uuid.clone());
        assert_eq!(pick("REPORT 3 malaria").as_deref(), Some("r"));
        assert_eq!(pick("quiz.").as_deref(), Some("q"));
        assert_eq!(pick("quiz please").as_deref(), Some("catch"));
        assert_eq!(pick("hello").as_deref(), Some("catch"));
    }

    #[test]
    fn groups_score_and_exclude() {
        let ts = vec![
            trig(&["learn"], MatchType::First, &[], &[], "all"),
            trig(&["learn"], MatchType::First, &["Midwives"], &[], "midwives"),
            trig(
                &["learn"],
                MatchType::First,
                &[],
                &["Stopped Training"],
                "not-excluded",
            ),
        ];
        let pick = |g: &[&str]| {
            let g: Vec<String> = g.iter().map(|s| s.to_string()).collect();
            best_trigger(&ts, &tokenize("learn"), &g).map(|t| t.uuid.clone())
        };
        assert_eq!(pick(&["midwives"]).as_deref(), Some("midwives"));
        assert_eq!(pick(&[]).as_deref(), Some("not-excluded"));
        assert_eq!(pick(&["Stopped Training"]).as_deref(), Some("all"));
    }
}
