//! Where the flow engine meets the store: start a flow for a contact or
//! resume their waiting session, turn the sprint's events into one
//! [`SprintWrite`] (session, runs, results, contact changes, outbox rows,
//! follow-up starts and broadcasts) committed in one transaction, and only
//! then wake the links to send.
//!
//! The engine is pure and synchronous; it runs on a blocking thread so a
//! webhook call inside a flow never stalls the runtime.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::DateTime;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use super::Gateway;
use crate::core::time::{now_ms, Millis};
use crate::core::{segments, Contact, ContactStatus, Priority, Urn};
use crate::flow::assets::NamedRef;
use crate::flow::clock;
use crate::flow::contact::{Contact as FlowContact, FieldValue as FlowField};
use crate::flow::events::{Event, EventKind, MsgIn};
use crate::flow::resume::{Resume, ResumeKind};
use crate::flow::run::RunResult;
use crate::flow::session::{self, EngineError, Session, SessionStatus};
use crate::flow::session_assets::SessionAssets;
use crate::flow::trigger::{KeywordMatch, Trigger, TriggerKind};
use crate::store::{
    Applied, Completion, ContactChanges, FollowUpStart, NewBroadcast, NewOutMsg, Recipients, ResultWrite,
    RunWrite, SessionWrite, SprintWrite, StoreError, TriggerRow, WaitingSession,
};

/// How long assets are trusted before the store is asked whether flows,
/// fields or groups changed (another node may have imported a flow).
const ASSETS_RECHECK: Duration = Duration::from_secs(2);
/// Times a sprint is redone when another writer changed the session first.
const STALE_RETRIES: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("flow {0} is not loaded")]
    NoFlow(String),
    #[error("engine: {0}")]
    Engine(#[from] EngineError),
    #[error("stored session {0} is unreadable: {1}")]
    BadSession(String, String),
    #[error("the engine task failed: {0}")]
    Join(String),
    #[error("voice flow {0} needs a SIP trunk to call over, and none is configured")]
    NoTrunk(String),
    #[error("voice flow {0}: the contact has no phone number to call")]
    NoPhone(String),
}

/// The flows, fields and groups sessions run against, rebuilt when the
/// store says they changed.
#[derive(Default)]
pub struct AssetsCache {
    inner: Mutex<Option<Cached>>,
}

struct Cached {
    version: String,
    checked: Instant,
    assets: Arc<SessionAssets>,
    languages: Vec<String>,
}

/// Why a flow starts for a contact.
#[derive(Debug, Clone)]
pub enum StartReason {
    Msg {
        msg: MsgIn,
        keyword: Option<KeywordMatch>,
    },
    Manual {
        params: Option<Value>,
    },
    Campaign {
        event: Value,
    },
    FlowAction {
        run_summary: Value,
    },
}

/// What else rides in a start's transaction.
#[derive(Debug, Clone, Default)]
pub struct StartOpts {
    pub start_id: Option<i64>,
    pub completions: Vec<Completion>,
    /// The inbound message the sprint acts on: marked handled in the
    /// sprint's transaction, so a restart neither skips nor repeats it.
    pub handled_msg: Option<i64>,
}

/// What a start or resume came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sprinted {
    /// Written; the session is `status` and queued `msgs` messages.
    Done { status: String, msgs: usize },
    /// Another writer got there first (the session moved on, or the
    /// completion was already recorded); nothing was written.
    Stale,
}

impl AssetsCache {
    pub async fn get(&self, gw: &Gateway) -> Result<(Arc<SessionAssets>, Vec<String>), FlowError> {
        if let Some(c) = self.inner.lock().await.as_ref() {
            if c.checked.elapsed() < ASSETS_RECHECK {
                return Ok((c.assets.clone(), c.languages.clone()));
            }
        }
        // Ask the store without holding the lock: other sprints go on with
        // the assets they have meanwhile.
        let version = gw.store.assets_version().await?;
        let mut guard = self.inner.lock().await;
        if let Some(c) = guard.as_mut() {
            if c.version == version {
                c.checked = Instant::now();
                return Ok((c.assets.clone(), c.languages.clone()));
            }
        }
        let (assets, languages) = build_assets(gw).await?;
        *guard = Some(Cached {
            version,
            checked: Instant::now(),
            assets: assets.clone(),
            languages: languages.clone(),
        });
        Ok((assets, languages))
    }

    /// Forget the cache: the next use rebuilds (after an import).
    pub async fn invalidate(&self) {
        *self.inner.lock().await = None;
    }
}

/// Keyword triggers, read on every inbound message: kept in memory and
/// re-read after a local change or every [`TRIGGERS_RECHECK`] (another node
/// may have changed them).
#[derive(Default)]
pub struct TriggerCache {
    inner: Mutex<Option<(Instant, Arc<Vec<TriggerRow>>)>>,
}

const TRIGGERS_RECHECK: Duration = Duration::from_secs(1);

impl TriggerCache {
    pub async fn get(&self, gw: &Gateway) -> Result<Arc<Vec<TriggerRow>>, StoreError> {
        let mut guard = self.inner.lock().await;
        if let Some((at, list)) = guard.as_ref() {
            if at.elapsed() < TRIGGERS_RECHECK {
                return Ok(list.clone());
            }
        }
        let list = Arc::new(gw.store.list_triggers().await?);
        *guard = Some((Instant::now(), list.clone()));
        Ok(list)
    }

    pub async fn invalidate(&self) {
        *self.inner.lock().await = None;
    }
}

async fn build_assets(gw: &Gateway) -> Result<(Arc<SessionAssets>, Vec<String>), FlowError> {
    let mut flows = Vec::new();
    for def in gw.store.flow_definitions().await? {
        match serde_json::from_str::<Value>(&def) {
            Ok(v) => flows.push(v),
            Err(e) => tracing::error!(error = %e, "a stored flow definition is not JSON; skipped"),
        }
    }
    let fields: Vec<Value> = gw
        .store
        .list_fields()
        .await?
        .into_iter()
        .map(|f| {
            let ty = match f["type"].as_str() {
                Some("number") => "number",
                Some("datetime") => "datetime",
                _ => "text",
            };
            json!({"key": f["key"], "name": f["name"], "type": ty})
        })
        .collect();
    let groups: Vec<Value> = gw
        .store
        .list_groups()
        .await?
        .into_iter()
        .map(|g| json!({"uuid": g.uuid, "name": g.name, "query": g.query}))
        .collect();
    let raw = json!({"version": "13", "flows": flows, "fields": fields, "groups": groups});
    let assets = tokio::task::spawn_blocking(move || SessionAssets::from_value(raw))
        .await
        .map_err(|e| FlowError::Join(e.to_string()))?
        .map_err(|e| FlowError::NoFlow(format!("assets: {e}")))?;
    for p in &assets.broken {
        tracing::error!(problem = %p, "a stored flow does not load");
    }
    let mut languages: Vec<String> = Vec::new();
    for f in &assets.flows {
        for l in std::iter::once(&f.language).chain(f.localization.keys()) {
            if l != "und" && !languages.contains(l) {
                languages.push(l.clone());
            }
        }
    }
    Ok((Arc::new(assets), languages))
}

/// The contact as the engine sees it.
pub fn engine_contact(c: &Contact, assets: &SessionAssets) -> FlowContact {
    let mut fields = BTreeMap::new();
    for (k, v) in &c.fields {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Null => continue,
            other => other.to_string(),
        };
        let ty = assets.field(k).map(|f| f.value_type.as_str()).unwrap_or("text");
        fields.insert(
            k.clone(),
            FlowField {
                number: (ty == "number").then(|| Value::String(text.clone())),
                datetime: (ty == "datetime").then(|| text.clone()),
                text,
                ..Default::default()
            },
        );
    }
    FlowContact {
        uuid: c.uuid.to_string(),
        id: c.id,
        name: c.name.clone().unwrap_or_default(),
        language: c.language.clone().unwrap_or_default(),
        status: c.status.as_str().to_string(),
        timezone: c.timezone.clone().unwrap_or_default(),
        created_on: Some(c.created_on.clone()),
        last_seen_on: None,
        urns: c.urns.iter().map(|u| u.to_string()).collect(),
        groups: c
            .groups
            .iter()
            .map(|name| NamedRef {
                uuid: assets
                    .group_by_name(name)
                    .map(|g| g.uuid.clone())
                    .unwrap_or_default(),
                name: name.clone(),
            })
            .collect(),
        fields,
        ticket: None,
    }
}

fn millis(rfc: &str) -> Option<Millis> {
    DateTime::parse_from_rfc3339(rfc)
        .ok()
        .map(|t| t.timestamp_millis())
}

fn status_name(s: SessionStatus) -> &'static str {
    match s {
        SessionStatus::Active | SessionStatus::Waiting => "waiting",
        SessionStatus::Completed => "completed",
        SessionStatus::Interrupted => "interrupted",
        SessionStatus::Failed => "failed",
    }
}

impl Gateway {
    fn environment(&self, languages: &[String]) -> Value {
        json!({
            "date_format": "DD-MM-YYYY",
            "time_format": "tt:mm",
            "timezone": self.default_tz.name(),
            "default_country": self.config.contacts.default_country,
            "allowed_languages": languages,
        })
    }

    /// Start `flow_uuid` for a contact, ending any session they wait in.
    pub async fn start_flow(
        &self,
        contact: &Contact,
        flow_uuid: &str,
        reason: StartReason,
        opts: StartOpts,
    ) -> Result<Sprinted, FlowError> {
        let priority = match reason {
            StartReason::Msg { .. } => Priority::Reply,
            _ => Priority::Bulk,
        };
        for _ in 0..STALE_RETRIES {
            let (assets, languages) = self.assets.get(self).await?;
            let flow = assets
                .flow(flow_uuid)
                .ok_or_else(|| FlowError::NoFlow(flow_uuid.to_string()))?;
            if flow.flow_type == crate::flow::definition::FlowType::Voice {
                return self
                    .queue_voice_start(contact, &flow.uuid, &flow.name, &opts)
                    .await;
            }
            let kind = match &reason {
                StartReason::Msg { msg, keyword } => TriggerKind::Msg {
                    msg: msg.clone(),
                    keyword_match: keyword.clone(),
                    params: None,
                },
                StartReason::Manual { params } => TriggerKind::Manual {
                    params: params.clone(),
                    user: None,
                    origin: None,
                },
                StartReason::Campaign { event } => TriggerKind::Campaign { event: event.clone() },
                StartReason::FlowAction { run_summary } => TriggerKind::FlowAction {
                    run_summary: run_summary.clone(),
                },
            };
            let trigger = Trigger {
                kind,
                flow: crate::flow::assets::FlowRef {
                    uuid: flow.uuid.clone(),
                    name: flow.name.clone(),
                },
                contact: engine_contact(contact, &assets),
                environment: Some(self.environment(&languages)),
                triggered_on: Some(crate::core::time::rfc3339(now_ms())),
                batch: false,
            };
            let services = self.services.clone();
            let engine_assets = assets.clone();
            let (session, events) = tokio::task::spawn_blocking(move || {
                session::start(&engine_assets, &services, trigger, clock::system())
            })
            .await
            .map_err(|e| FlowError::Join(e.to_string()))??;
            let input_run = match reason {
                StartReason::Msg { .. } => session.runs.first().map(|r| r.uuid.clone()),
                _ => None,
            };
            let write = self.sprint_write(
                contact,
                &assets,
                &session,
                &events,
                None,
                &HashMap::new(),
                input_run,
                priority,
                &opts,
            );
            match self.store.apply_sprint(&write).await? {
                Applied::Written(_) => return Ok(self.after_sprint(contact, &session, &events, &write)),
                Applied::Stale if !opts.completions.is_empty() => return Ok(Sprinted::Stale),
                Applied::Stale => continue,
            }
        }
        Ok(Sprinted::Stale)
    }

    /// A voice flow starts by calling the contact: the call is stored for the
    /// first trunk's dialer, with the start's bookkeeping, in one transaction;
    /// the flow runs when the call is answered.
    async fn queue_voice_start(
        &self,
        contact: &Contact,
        flow_uuid: &str,
        flow_name: &str,
        opts: &StartOpts,
    ) -> Result<Sprinted, FlowError> {
        let trunk = self
            .config
            .trunks
            .first()
            .ok_or_else(|| FlowError::NoTrunk(flow_name.to_owned()))?;
        let urn = contact
            .urns
            .iter()
            .find(|u| u.scheme() == "tel")
            .ok_or_else(|| FlowError::NoPhone(flow_name.to_owned()))?;
        let call = crate::store::NewCall {
            trunk: trunk.name.clone(),
            direction: "out",
            contact_id: Some(contact.id),
            urn: urn.to_string(),
            flow: flow_uuid.to_owned(),
            status: crate::store::call_status::QUEUED,
            next_attempt_on: Some(now_ms()),
        };
        match self
            .store
            .insert_call_completing(&call, &opts.completions)
            .await?
        {
            Some(id) => {
                tracing::info!(contact = %contact.uuid, flow = flow_name, call = id, "voice flow call queued");
                Ok(Sprinted::Done {
                    status: "call_queued".into(),
                    msgs: 0,
                })
            }
            None => Ok(Sprinted::Stale),
        }
    }

    /// Resume a contact's waiting session. `Stale` when the session was
    /// resumed or ended by someone else meanwhile (the caller reloads).
    pub async fn resume_flow(
        &self,
        contact: &Contact,
        waiting: &WaitingSession,
        kind: ResumeKind,
        priority: Priority,
        handled_msg: Option<i64>,
    ) -> Result<Sprinted, FlowError> {
        let (assets, languages) = self.assets.get(self).await?;
        let mut sess: Session = serde_json::from_str(&waiting.state)
            .map_err(|e| FlowError::BadSession(waiting.uuid.clone(), e.to_string()))?;
        let before: HashMap<String, BTreeMap<String, RunResult>> = sess
            .runs
            .iter()
            .map(|r| (r.uuid.clone(), r.results.clone()))
            .collect();
        let input_run = match kind {
            ResumeKind::Msg { .. } => sess.wait.as_ref().map(|w| w.run_uuid.clone()),
            _ => None,
        };
        let resume = Resume {
            kind,
            contact: Some(engine_contact(contact, &assets)),
            environment: Some(self.environment(&languages)),
            resumed_on: Some(crate::core::time::rfc3339(now_ms())),
        };
        let services = self.services.clone();
        let engine_assets = assets.clone();
        let (sess, events) = tokio::task::spawn_blocking(move || {
            let events = session::resume(&engine_assets, &services, &mut sess, resume, clock::system())?;
            Ok::<_, EngineError>((sess, events))
        })
        .await
        .map_err(|e| FlowError::Join(e.to_string()))??;
        let write = self.sprint_write(
            contact,
            &assets,
            &sess,
            &events,
            Some((waiting.id, waiting.version)),
            &before,
            input_run,
            priority,
            &StartOpts {
                handled_msg,
                ..StartOpts::default()
            },
        );
        match self.store.apply_sprint(&write).await? {
            Applied::Written(_) => Ok(self.after_sprint(contact, &sess, &events, &write)),
            Applied::Stale => Ok(Sprinted::Stale),
        }
    }

    fn after_sprint(
        &self,
        contact: &Contact,
        session: &Session,
        events: &[Event],
        write: &SprintWrite,
    ) -> Sprinted {
        for e in events {
            match &e.kind {
                EventKind::Error { text } => {
                    tracing::warn!(contact = %contact.uuid, session = %session.uuid, error = %text, "flow error")
                }
                EventKind::Failure { text } => {
                    tracing::warn!(contact = %contact.uuid, session = %session.uuid, failure = %text, "flow failed")
                }
                _ => {}
            }
        }
        metrics::counter!("mhero_flow_sprints_total", "status" => write.session.status.clone()).increment(1);
        if !write.msgs.is_empty() {
            self.wake();
        }
        Sprinted::Done {
            status: write.session.status.clone(),
            msgs: write.msgs.len(),
        }
    }

    /// Translate a sprint into the rows it writes.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn sprint_write(
        &self,
        contact: &Contact,
        assets: &SessionAssets,
        session: &Session,
        events: &[Event],
        prior: Option<(i64, i64)>,
        results_before: &HashMap<String, BTreeMap<String, RunResult>>,
        input_run: Option<String>,
        priority: Priority,
        opts: &StartOpts,
    ) -> SprintWrite {
        let now = now_ms();
        let status = status_name(session.status).to_string();
        let waiting = status == "waiting";
        let mut changes = ContactChanges::default();
        let mut msgs = Vec::new();
        let mut starts = Vec::new();
        let mut broadcasts = Vec::new();
        let mut expires_on = None;
        let sendable = contact.status == ContactStatus::Active;
        let default_urn = contact.urns.iter().find(|u| u.scheme() == "tel").cloned();
        for e in events {
            match &e.kind {
                EventKind::MsgCreated { msg } => {
                    let urn = msg
                        .urn
                        .as_deref()
                        .map(FlowContact::bare_urn)
                        .and_then(|u| Urn::parse(u, None).ok())
                        .or_else(|| default_urn.clone());
                    let Some(urn) = urn.filter(|_| sendable) else {
                        tracing::info!(contact = %contact.uuid, "flow message not sendable: no phone or not active");
                        continue;
                    };
                    let mut text = msg.text.clone();
                    for a in &msg.attachments {
                        let url = a.split_once(':').map(|(_, u)| u).unwrap_or(a);
                        text.push('\n');
                        text.push_str(url);
                    }
                    msgs.push(NewOutMsg {
                        contact_id: Some(contact.id),
                        route: self.links.route_for(urn.path()),
                        segments: segments::count(&text).1,
                        urn: urn.to_string(),
                        text,
                        priority,
                        next_attempt_on: now,
                        broadcast_id: None,
                        held_reason: None,
                    });
                }
                EventKind::MsgWait { expires_on: e, .. } | EventKind::DialWait { expires_on: e, .. } => {
                    expires_on = e.as_deref().and_then(millis);
                }
                EventKind::ContactNameChanged { name } => changes.name = Some(name.clone()),
                EventKind::ContactLanguageChanged { language } => changes.language = Some(language.clone()),
                EventKind::ContactTimezoneChanged { timezone } => changes.timezone = Some(timezone.clone()),
                EventKind::ContactStatusChanged { status } => {
                    changes.status = status.parse::<ContactStatus>().ok();
                }
                EventKind::ContactFieldChanged { field, value } => {
                    let v = value
                        .as_ref()
                        .map(|v| v.datetime.clone().unwrap_or_else(|| v.text.clone()));
                    changes.fields.insert(field.key.clone(), v);
                }
                EventKind::ContactUrnsChanged { urns } => {
                    changes.urns = Some(
                        urns.iter()
                            .filter_map(|u| Urn::parse(FlowContact::bare_urn(u), None).ok())
                            .collect(),
                    );
                }
                EventKind::ContactGroupsChanged {
                    groups_added,
                    groups_removed,
                } => {
                    changes
                        .groups_added
                        .extend(groups_added.iter().map(|g| g.name.clone()));
                    changes
                        .groups_removed
                        .extend(groups_removed.iter().map(|g| g.name.clone()));
                }
                EventKind::Service(v) => match v["type"].as_str() {
                    Some("session_triggered") => {
                        if let Some(flow) = v["flow"]["uuid"].as_str() {
                            starts.push(FollowUpStart {
                                flow_uuid: flow.to_string(),
                                recipients: recipients_of(v),
                                params: Some(
                                    json!({"run_summary": v["run_summary"], "exclusions": v["exclusions"]}),
                                ),
                                origin: "flow_action".into(),
                            });
                        }
                    }
                    Some("broadcast_created") => {
                        let base = v["base_language"].as_str().unwrap_or("eng").to_string();
                        let translations: BTreeMap<String, String> = v["translations"]
                            .as_object()
                            .map(|o| {
                                o.iter()
                                    .filter_map(|(l, t)| Some((l.clone(), t["text"].as_str()?.to_string())))
                                    .collect()
                            })
                            .unwrap_or_default();
                        if translations.contains_key(&base) {
                            broadcasts.push(NewBroadcast {
                                translations,
                                base_language: base,
                                recipients: recipients_of(v),
                                schedule: None,
                                respect_hours: false,
                            });
                        }
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        let flow_uuid = session
            .current_run_index()
            .and_then(|i| session.runs.get(i))
            .or_else(|| session.runs.first())
            .map(|r| r.flow.uuid.clone())
            .unwrap_or_default();
        if waiting && expires_on.is_none() {
            let minutes = assets
                .flow(&flow_uuid)
                .map(|f| f.expiry_minutes())
                .unwrap_or(10_080);
            expires_on = Some(now + i64::from(minutes) * 60_000);
        }
        let timeout_on = session
            .wait
            .as_ref()
            .filter(|_| waiting)
            .and_then(|w| w.timeout_seconds)
            .map(|s| now + i64::from(s) * 1000);
        let runs = session
            .runs
            .iter()
            .map(|r| {
                let before = results_before.get(&r.uuid);
                let results = r
                    .results
                    .iter()
                    .filter(|(k, v)| before.and_then(|b| b.get(*k)) != Some(*v))
                    .map(|(k, v)| ResultWrite {
                        key: k.clone(),
                        name: v.name.clone(),
                        value: v.value.clone(),
                        category: v.category.clone(),
                        input: v.input.clone(),
                        node_uuid: v.node_uuid.clone(),
                        created_on: millis(&v.created_on).unwrap_or(now),
                    })
                    .collect();
                RunWrite {
                    uuid: r.uuid.clone(),
                    flow_uuid: r.flow.uuid.clone(),
                    status: r.status.wire_name().to_string(),
                    responded: input_run.as_deref() == Some(r.uuid.as_str()),
                    created_on: millis(&r.created_on).unwrap_or(now),
                    exited_on: r.exited_on.as_deref().and_then(millis),
                    results,
                }
            })
            .collect();
        SprintWrite {
            contact_id: contact.id,
            session: SessionWrite {
                uuid: session.uuid.clone(),
                status,
                flow_uuid,
                state: waiting.then(|| serde_json::to_string(session).unwrap_or_default()),
                timeout_on,
                expires_on: expires_on.filter(|_| waiting),
                prior,
            },
            runs,
            contact: changes,
            msgs,
            interrupt_waiting: prior.is_none(),
            start_id: opts.start_id,
            completions: opts.completions.clone(),
            starts,
            broadcasts,
            handled_msg: opts.handled_msg,
        }
    }
}

/// The recipients of a `session_triggered` / `broadcast_created` event.
fn recipients_of(v: &Value) -> Recipients {
    let list = |k: &str, field: &str| -> Vec<String> {
        v[k].as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x[field].as_str().or_else(|| x.as_str()).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut groups = list("groups", "name");
    if groups.is_empty() {
        groups = list("groups", "uuid");
    }
    Recipients {
        contacts: list("contacts", "uuid"),
        groups,
        query: v["contact_query"]
            .as_str()
            .filter(|q| !q.is_empty())
            .map(str::to_owned),
        urns: list("urns", "urn"),
    }
}

/// A message as the engine reads it.
pub fn msg_in(urn: &Urn, text: &str, external_id: Option<&str>) -> MsgIn {
    MsgIn {
        uuid: uuid::Uuid::new_v4().to_string(),
        urn: Some(urn.to_string()),
        channel: None,
        text: text.to_string(),
        attachments: Vec::new(),
        external_id: external_id.map(str::to_owned),
    }
}
