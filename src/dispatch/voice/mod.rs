//! Voice: flows over the SIP trunks, the dispatch role for calls (it joins
//! `sip` trunks with the flow engine and the store, as the rest of
//! `dispatch` does for messages). Inbound calls to a configured number start
//! a configured flow for the caller (`inbound`); outbound calls are stored
//! first (by `POST /calls`, or by a flow start, campaign event or trigger
//! whose flow is a voice flow) and dialled by a per-trunk dialer with its
//! concurrency, calls-per-second, calling-window and retry rules
//! (`dialer`); each answered call runs its flow ([`runner`]) over the
//! call's media ([`media::CallMedia`]: RTP over a trunk, or the voice
//! [`simulator`]'s API client), and the call record, the session, its runs
//! and results (the same `runs` and `run_results` SMS flows write) and the
//! contact changes are stored in one transaction. Voice flows come from the
//! store (imported like any flow) or from an export file ([`flows`]).

pub mod audio;
mod dialer;
pub mod flows;
mod inbound;
pub mod media;
pub mod runner;
mod simulated;
pub mod simulator;
mod sip_media;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

pub use dialer::queue_voice_call;

use self::audio::AudioSource;
use self::flows::FlowCache;
use self::media::CallMedia;
use self::runner::VoiceRun;
use self::sip_media::{IvrSettings, SipMedia};
use super::engine::StartOpts;
use super::supervise::{supervise, Backoff};
use super::Gateway;
use crate::config::TrunkConfig;
use crate::core::time::now_ms;
use crate::core::{Contact, Priority};
use crate::sip::prompts::PromptLibrary;
use crate::sip::recording::RecordSpec;
use crate::sip::trunk::{ActiveCall, Trunk, TrunkSettings};
use crate::store::{CallRunRow, CallTalk, Store};

/// Longest spoken answer a flow's audio wait records.
const RECORD_MAX: Duration = Duration::from_secs(120);
/// Silence that ends a spoken answer.
const RECORD_SILENCE: Duration = Duration::from_secs(4);

#[derive(Debug, Error)]
pub enum IvrError {
    #[error("trunk {trunk}: {source}")]
    Trunk {
        trunk: String,
        #[source]
        source: crate::sip::trunk::TrunkError,
    },
    #[error("trunk {trunk}: prompts: {source}")]
    Prompts {
        trunk: String,
        #[source]
        source: crate::sip::prompts::PromptError,
    },
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("no trunk named {0:?}")]
    NoTrunk(String),
}

/// One trunk with what its calls need.
struct TrunkRuntime {
    trunk: Trunk,
    config: TrunkConfig,
    audio: AudioSource,
    settings: IvrSettings,
}

struct Shared {
    gw: Arc<Gateway>,
    flows: FlowCache,
    trunks: HashMap<String, TrunkRuntime>,
}

/// The running IVR side of the gateway. Cloneable.
#[derive(Clone)]
pub struct Ivr {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Ivr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ivr")
            .field("trunks", &self.shared.trunks.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Ivr {
    /// Start every configured trunk, its inbound loop and its dialer. Calls a
    /// previous run of this node left mid-attempt are queued again first.
    pub async fn start(configs: &[TrunkConfig], gw: Arc<Gateway>) -> Result<Ivr, IvrError> {
        let requeued = gw.store.requeue_claimed_calls(&gw.node).await?;
        if requeued > 0 {
            tracing::info!(requeued, "calls cut short by the last stop queued again");
        }
        let mut trunks = HashMap::new();
        let mut incoming = Vec::new();
        for config in configs {
            let failed = |source| IvrError::Trunk {
                trunk: config.name.clone(),
                source,
            };
            let prompts = PromptLibrary::load(&config.prompts_dir).map_err(|source| IvrError::Prompts {
                trunk: config.name.clone(),
                source,
            })?;
            let audio = AudioSource::new(
                prompts,
                &config.language,
                &config.tts_command,
                config.recordings_dir.join("tts-cache"),
            );
            let (trunk, calls) = Trunk::start(TrunkSettings::from_config(config))
                .await
                .map_err(failed)?;
            let settings = IvrSettings {
                first_digit_timeout: Duration::from_secs(config.digit_timeout_secs),
                inter_digit_timeout: Duration::from_secs(config.inter_digit_timeout_secs),
                recordings_dir: config.recordings_dir.clone(),
                record: RecordSpec {
                    max_len: RECORD_MAX,
                    silence_end: RECORD_SILENCE,
                },
            };
            incoming.push((config.name.clone(), calls));
            trunks.insert(
                config.name.clone(),
                TrunkRuntime {
                    trunk,
                    config: config.clone(),
                    audio,
                    settings,
                },
            );
        }
        let ivr = Ivr {
            shared: Arc::new(Shared {
                gw,
                flows: FlowCache::default(),
                trunks,
            }),
        };
        for (name, calls) in incoming {
            let Some(rt) = ivr.runtime(&name) else { continue };
            let stop = rt.trunk.shut_down_token();
            let health = ivr.shared.gw.health.clone();
            // The calls' receiver lives outside the task, so calls waiting
            // in it survive a restart.
            let calls = Arc::new(tokio::sync::Mutex::new(calls));
            let (ivr2, name2) = (ivr.clone(), name.clone());
            tokio::spawn(supervise(
                health.clone(),
                stop.clone(),
                format!("calls:{name}"),
                Backoff::default(),
                move || inbound::serve(ivr2.clone(), name2.clone(), calls.clone()),
            ));
            let (ivr2, name2) = (ivr.clone(), name.clone());
            tokio::spawn(supervise(
                health,
                stop,
                format!("dialer:{name}"),
                Backoff::default(),
                move || dialer::run(ivr2.clone(), name2.clone()),
            ));
        }
        Ok(ivr)
    }

    /// The trunk named `name`.
    pub fn trunk(&self, name: &str) -> Option<&Trunk> {
        self.shared.trunks.get(name).map(|t| &t.trunk)
    }

    pub fn trunk_names(&self) -> Vec<String> {
        self.shared.trunks.keys().cloned().collect()
    }

    pub fn store(&self) -> &Store {
        &self.shared.gw.store
    }

    fn gateway(&self) -> &Gateway {
        &self.shared.gw
    }

    /// The voice flow a reference names: an export file (`path#name`), or a
    /// flow imported into the store, by UUID or name.
    pub async fn voice_flow(&self, reference: &str) -> Result<flows::VoiceFlow, flows::FlowLoadError> {
        flows::resolve(&self.shared.flows, self.gateway(), reference).await
    }

    /// Stop every trunk; calls in progress end with them.
    pub fn shutdown(&self) {
        for t in self.shared.trunks.values() {
            t.trunk.shutdown();
        }
    }

    fn runtime(&self, trunk: &str) -> Option<&TrunkRuntime> {
        self.shared.trunks.get(trunk)
    }

    /// Run `flow` over an answered SIP call and store what happened.
    async fn talk(&self, rt: &TrunkRuntime, call_row: i64, mut call: ActiveCall, ctx: CallContext) {
        let mut media = SipMedia::new(&mut call, &rt.audio, &rt.settings);
        converse(self.gateway(), &mut media, call_row, ctx).await;
    }
}

/// Run a voice flow over an answered call's media (a SIP call or the
/// simulator's) and store what happened: the call record, and the session
/// with its runs and results as any flow's, in one transaction.
async fn converse(gw: &Gateway, media: &mut dyn CallMedia, call_row: i64, ctx: CallContext) {
    let CallContext {
        flow,
        contact,
        trigger,
    } = ctx;
    let call_id = media.call_id().to_owned();
    let answered_on = now_ms();
    let result = runner::run_voice_flow(media, &flow.assets, trigger).await;
    let (talk, runs, sprint) = match result {
        Ok(VoiceRun {
            session,
            events,
            digits,
            recordings,
            hangup_by,
        }) => {
            let run = CallRunRow {
                session_uuid: session.uuid.clone(),
                flow_uuid: flow.uuid.clone(),
                status: format!("{:?}", session.status).to_lowercase(),
                results: results_of(&session),
                session: serde_json::to_value(&session).unwrap_or_default(),
            };
            // The caller's keys and recordings are the input of the first run.
            let input_run = (!digits.is_empty() || !recordings.is_empty())
                .then(|| session.runs.first().map(|r| r.uuid.clone()))
                .flatten();
            let mut sprint = gw.sprint_write(
                &contact,
                &flow.assets,
                &session,
                &events,
                None,
                &Default::default(),
                input_run,
                Priority::Bulk,
                &StartOpts::default(),
            );
            // A call does not end a conversation the contact has going by SMS.
            sprint.interrupt_waiting = false;
            let talk = CallTalk {
                answered_on,
                ended_on: now_ms(),
                digits,
                recordings,
                hangup_by: format!("{hangup_by:?}").to_lowercase(),
            };
            (talk, vec![run], Some(sprint))
        }
        Err(err) => {
            tracing::error!(call = %call_id, %err, "voice flow could not run");
            media.finish().await;
            let talk = CallTalk {
                answered_on,
                ended_on: now_ms(),
                digits: String::new(),
                recordings: Vec::new(),
                hangup_by: "us".into(),
            };
            (talk, Vec::new(), None)
        }
    };
    match gw
        .store
        .record_answered(call_row, &talk, &runs, sprint.as_ref())
        .await
    {
        Ok(()) => {
            if sprint.is_some_and(|s| !s.msgs.is_empty()) {
                gw.wake();
            }
        }
        Err(err) => tracing::error!(call = %call_id, %err, "call record not stored"),
    }
}

/// What an answered call runs, for whom.
struct CallContext {
    flow: flows::VoiceFlow,
    contact: Contact,
    trigger: crate::flow::trigger::Trigger,
}

/// Every run's results by key: value, category, node and time.
fn results_of(session: &crate::flow::session::Session) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for run in &session.runs {
        for (key, result) in &run.results {
            out.insert(key.clone(), serde_json::to_value(result).unwrap_or_default());
        }
    }
    serde_json::Value::Object(out)
}
