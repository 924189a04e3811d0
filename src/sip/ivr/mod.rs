//! IVR: voice flows over the SIP trunks. This is the one part of `sip` that
//! joins trunks with the flow engine and the store (the dispatch role for
//! voice): inbound calls to a configured number start a configured flow for
//! the caller (`inbound`); outbound calls are stored first and dialled by
//! a per-trunk dialer with its concurrency, calls-per-second, calling-window
//! and retry rules (`dialer`); each answered call runs its flow
//! ([`runner`]) and its record and results are stored in one transaction.

pub mod audio;
mod dialer;
pub mod flows;
mod inbound;
pub mod runner;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono_tz::Tz;
use thiserror::Error;

pub use dialer::queue_voice_call;

use self::audio::AudioSource;
use self::flows::FlowCache;
use self::runner::{IvrSettings, VoiceRun};
use crate::config::TrunkConfig;
use crate::core::time::now_ms;
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
    store: Store,
    node: String,
    default_timezone: Tz,
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
    pub async fn start(
        configs: &[TrunkConfig],
        store: Store,
        node: &str,
        default_timezone: Tz,
    ) -> Result<Ivr, IvrError> {
        let requeued = store.requeue_claimed_calls(node).await?;
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
                store,
                node: node.to_owned(),
                default_timezone,
                flows: FlowCache::default(),
                trunks,
            }),
        };
        for (name, calls) in incoming {
            tokio::spawn(inbound::serve(ivr.clone(), name.clone(), calls));
            tokio::spawn(dialer::run(ivr.clone(), name));
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
        &self.shared.store
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

    /// Run `flow` over an answered call and store what happened.
    async fn talk(
        &self,
        rt: &TrunkRuntime,
        call_row: i64,
        mut call: ActiveCall,
        flow: &flows::VoiceFlow,
        trigger: crate::flow::trigger::Trigger,
    ) {
        let answered_on = now_ms();
        let result = runner::run_voice_flow(&mut call, &rt.audio, &rt.settings, &flow.assets, trigger).await;
        call.hangup().await;
        let ended_on = now_ms();
        let (talk, runs) = match result {
            Ok(VoiceRun {
                session,
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
                let talk = CallTalk {
                    answered_on,
                    ended_on,
                    digits,
                    recordings,
                    hangup_by: format!("{hangup_by:?}").to_lowercase(),
                };
                (talk, vec![run])
            }
            Err(err) => {
                tracing::error!(call = %call.call_id, %err, "voice flow could not run");
                let talk = CallTalk {
                    answered_on,
                    ended_on,
                    digits: String::new(),
                    recordings: Vec::new(),
                    hangup_by: "us".into(),
                };
                (talk, Vec::new())
            }
        };
        if let Err(err) = self.shared.store.record_answered(call_row, &talk, &runs).await {
            tracing::error!(call = %call.call_id, %err, "call record not stored");
        }
    }
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
