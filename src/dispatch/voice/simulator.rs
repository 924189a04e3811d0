//! The voice simulator: try a voice flow without a carrier or a trunk. A
//! simulated call is stored like an outbound call (trunk `simulator`), runs
//! its flow through the same runner and the same store path as a SIP call
//! (so the call, its session, runs and results appear in `/calls` and the
//! flow's runs and results), with `SimulatedMedia` in place of RTP: each
//! step hands the API client what the caller would hear and what the flow
//! waits for, and the client answers with keys.
//!
//! Calls in progress live in this node's memory (a simulator, not a
//! service): a call whose node stops mid-call stays `active` in the store,
//! with no run, like a real call cut off by a crash. Knows nothing of HTTP.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use thiserror::Error;
use tokio::sync::{mpsc, watch};

use super::flows::{self, FlowCache, FlowLoadError};
use super::simulated::{Progress, SimulatedMedia};
use super::CallContext;
use crate::core::Urn;
use crate::dispatch::Gateway;
use crate::store::{call_status, NewCall, StoreError};

/// The trunk name simulated calls are stored under.
pub const SIMULATOR_TRUNK: &str = "simulator";
/// Simulated calls in progress at once on a node: each holds a task and a
/// session in memory until it ends or its client is idle for
/// `simulated::IDLE_LIMIT`.
pub const MAX_LIVE_CALLS: usize = 100;
/// Ended calls whose transcript stays readable here (the store keeps the
/// call itself for good).
const KEPT_ENDED_CALLS: usize = 100;
/// Keys waiting for the flow: one answer at a time is the normal case.
const KEY_QUEUE: usize = 4;
/// How long a request waits for the flow to reach its next wait or its end;
/// a voice flow's sprint takes milliseconds, so this only bounds a bug.
const STEP_WAIT: Duration = Duration::from_secs(30);
/// Seconds a caller gets for the first key when no trunk says otherwise.
const DEFAULT_DIGIT_TIMEOUT_SECS: u64 = 10;

#[derive(Debug, Error)]
pub enum SimulatorError {
    #[error(transparent)]
    Flow(#[from] FlowLoadError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("no simulated call {0} on this node")]
    NoCall(String),
    #[error("the call has ended")]
    Ended,
    #[error("{MAX_LIVE_CALLS} simulated calls are in progress; finish one first")]
    Full,
    #[error("the call's flow could not start: {0}")]
    Trigger(String),
    #[error("the flow did not reach its next step within {} s", STEP_WAIT.as_secs())]
    Stuck,
}

/// One simulated call in progress (or recently ended).
struct SimCall {
    uuid: String,
    keys: mpsc::Sender<String>,
    progress: watch::Receiver<Progress>,
    /// One request at a time per call, so each sees the step its keys caused.
    turn: tokio::sync::Mutex<()>,
}

/// A step as the API returns it: the call's UUID with its progress.
#[derive(Debug, Clone)]
pub struct SimStep {
    pub call: String,
    pub progress: Progress,
}

/// The simulated calls of this node.
#[derive(Default)]
pub struct VoiceSimulator {
    calls: Mutex<HashMap<String, Arc<SimCall>>>,
    /// Ended calls, oldest first, for eviction.
    ended: Mutex<VecDeque<String>>,
    files: FlowCache,
}

impl std::fmt::Debug for VoiceSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoiceSimulator")
            .field("calls", &self.lock_calls().len())
            .finish()
    }
}

/// What a simulated call is asked to do.
#[derive(Debug, Clone)]
pub struct NewSimCall {
    /// An imported voice flow's UUID or name, or an export file (`path#flow`).
    pub flow: String,
    /// Who is called; the contact is found or created by this number.
    pub to: Urn,
    /// The language the call is in, instead of the contact's.
    pub language: Option<String>,
}

impl VoiceSimulator {
    fn lock_calls(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<SimCall>>> {
        // A registry: a panic mid-insert leaves at worst a missing entry.
        self.calls.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn call(&self, uuid: &str) -> Result<Arc<SimCall>, SimulatorError> {
        self.lock_calls()
            .get(uuid)
            .cloned()
            .ok_or_else(|| SimulatorError::NoCall(uuid.to_owned()))
    }

    /// Remember that `uuid` ended; forget the oldest ended calls past the limit.
    fn retire(&self, uuid: &str) {
        let mut ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
        ended.push_back(uuid.to_owned());
        while ended.len() > KEPT_ENDED_CALLS {
            if let Some(old) = ended.pop_front() {
                self.lock_calls().remove(&old);
            }
        }
    }

    fn live_calls(&self) -> usize {
        self.lock_calls()
            .values()
            .filter(|c| !c.progress.borrow().ended)
            .count()
    }

    /// The call's progress so far: every prompt heard, and what it waits for.
    pub fn get(&self, uuid: &str) -> Result<SimStep, SimulatorError> {
        let call = self.call(uuid)?;
        let progress = call.progress.borrow().clone();
        Ok(SimStep {
            call: call.uuid.clone(),
            progress,
        })
    }
}

/// Place a simulated call: store it, start its flow, and return its first
/// step (what the caller heard up to the first wait, or the whole call).
pub async fn start(gw: &Arc<Gateway>, new: NewSimCall) -> Result<SimStep, SimulatorError> {
    let sim = &gw.voice_simulator;
    if sim.live_calls() >= MAX_LIVE_CALLS {
        return Err(SimulatorError::Full);
    }
    let flow = flows::resolve(&sim.files, gw, &new.flow).await?;
    let (contact, _) = gw.store.find_or_create_by_urn(&new.to, None).await?;
    let default_language = gw.config.contacts.default_language.clone();
    // The call's language is the trigger's; the contact record keeps its own.
    let mut caller = contact.clone();
    if let Some(language) = &new.language {
        caller.language = Some(language.clone());
    }
    let urn = new.to.to_string();
    let trigger = flows::trigger_for(&flow, &caller, &urn, false, &default_language)
        .map_err(SimulatorError::Trigger)?;
    let stored_flow = if flows::is_file_reference(&new.flow) {
        new.flow.clone()
    } else {
        flow.uuid.clone()
    };
    let id = gw
        .store
        .insert_call(&NewCall {
            trunk: SIMULATOR_TRUNK.to_owned(),
            direction: "out",
            contact_id: Some(contact.id),
            urn,
            flow: stored_flow,
            status: call_status::ACTIVE,
            next_attempt_on: None,
        })
        .await?;
    let uuid = gw.store.get_call(id).await?.uuid;
    let (progress_tx, progress) = watch::channel(Progress::default());
    let (keys, keys_rx) = mpsc::channel(KEY_QUEUE);
    let call = Arc::new(SimCall {
        uuid: uuid.clone(),
        keys,
        progress,
        turn: tokio::sync::Mutex::new(()),
    });
    sim.lock_calls().insert(uuid.clone(), Arc::clone(&call));
    let digit_timeout = gw
        .config
        .trunks
        .first()
        .map_or(DEFAULT_DIGIT_TIMEOUT_SECS, |t| t.digit_timeout_secs);
    let mut watching = call.progress.clone();
    watching.mark_unchanged();
    let task_gw = Arc::clone(gw);
    let task_uuid = uuid.clone();
    tokio::spawn(async move {
        let mut media = SimulatedMedia::new(
            task_uuid.clone(),
            default_language,
            Duration::from_secs(digit_timeout),
            progress_tx,
            keys_rx,
        );
        let ctx = CallContext {
            flow,
            contact,
            trigger,
        };
        super::converse(&task_gw, &mut media, id, ctx).await;
        // Only now is the call stored: a client told "completed" finds it.
        media.ended();
        task_gw.voice_simulator.retire(&task_uuid);
    });
    let _turn = call.turn.lock().await;
    next_step(&call, watching).await
}

/// The caller presses `keys` (`0`-`9`, `*`, `#`; empty: silence until the
/// wait times out); returns the step they lead to.
pub async fn press(gw: &Gateway, uuid: &str, keys: &str) -> Result<SimStep, SimulatorError> {
    let call = gw.voice_simulator.call(uuid)?;
    let _turn = call.turn.lock().await;
    let mut watching = call.progress.clone();
    if watching.borrow_and_update().ended {
        return Err(SimulatorError::Ended);
    }
    call.keys
        .send(keys.to_owned())
        .await
        .map_err(|_| SimulatorError::Ended)?;
    next_step(&call, watching).await
}

/// Wait for the flow's next step after the one `watching` has seen.
async fn next_step(
    call: &SimCall,
    mut watching: watch::Receiver<Progress>,
) -> Result<SimStep, SimulatorError> {
    let changed = tokio::time::timeout(STEP_WAIT, watching.changed()).await;
    let progress = watching.borrow().clone();
    match changed {
        Ok(Ok(())) => {}
        // The call's task is gone: fine if it said the call ended first.
        Ok(Err(_)) if progress.ended => {}
        Ok(Err(_)) | Err(_) => return Err(SimulatorError::Stuck),
    }
    Ok(SimStep {
        call: call.uuid.clone(),
        progress,
    })
}
