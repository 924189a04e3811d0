//! Which voice flow a call runs and who for. A flow reference is a flow in
//! the store, by UUID or name (imported through `POST /flows` or
//! `[flows] imports`, run against the same assets as SMS flows, and re-read
//! when another import changes them), or an export file, optionally `#` the
//! flow's UUID or name (`flows/quiz.json#Voice Quiz`; read once and kept).
//! The flow contact and trigger are built from the stored contact.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use thiserror::Error;

use crate::flow::definition::FlowType;
use crate::flow::session_assets::SessionAssets;
use crate::flow::trigger::Trigger;

#[derive(Debug, Error)]
pub enum FlowLoadError {
    #[error("reading flow export {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("flow export {path}: {message}")]
    Invalid { path: String, message: String },
    #[error("no voice flow {wanted:?} in {path}")]
    NoVoiceFlow { path: String, wanted: String },
    #[error("no voice flow {0:?} among the imported flows")]
    NotImported(String),
    #[error("the imported flows could not be read: {0}")]
    Assets(String),
}

/// Whether a reference names an export file rather than an imported flow.
pub fn is_file_reference(reference: &str) -> bool {
    let path = reference.split_once('#').map_or(reference, |(p, _)| p);
    reference.contains('#') || path.contains('/') || path.ends_with(".json")
}

/// The voice flow `reference` names: from its export file, or from the
/// flows imported into the store.
pub async fn resolve(
    files: &FlowCache,
    gw: &crate::dispatch::Gateway,
    reference: &str,
) -> Result<VoiceFlow, FlowLoadError> {
    if is_file_reference(reference) {
        return files.voice_flow(reference);
    }
    let (assets, _) = gw
        .assets
        .get(gw)
        .await
        .map_err(|e| FlowLoadError::Assets(e.to_string()))?;
    let wanted = reference.trim();
    let found = assets
        .flows
        .iter()
        .filter(|f| f.flow_type == FlowType::Voice)
        .find(|f| f.uuid == wanted || f.name.eq_ignore_ascii_case(wanted))
        .map(|f| (f.uuid.clone(), f.name.clone(), languages_of(f)))
        .ok_or_else(|| FlowLoadError::NotImported(wanted.to_owned()))?;
    let (uuid, name, languages) = found;
    Ok(VoiceFlow {
        assets,
        uuid,
        name,
        languages,
    })
}

/// The flow's base language and every language it is translated to.
fn languages_of(flow: &crate::flow::definition::Flow) -> Vec<String> {
    let mut languages = vec![flow.language.clone()];
    languages.extend(flow.localization.keys().filter(|l| **l != flow.language).cloned());
    languages
}

/// A loaded export and the voice flow chosen from it.
#[derive(Debug, Clone)]
pub struct VoiceFlow {
    pub assets: Arc<SessionAssets>,
    pub uuid: String,
    pub name: String,
    pub languages: Vec<String>,
}

/// Exports read so far, by file.
#[derive(Debug, Default)]
pub struct FlowCache {
    loaded: Mutex<HashMap<String, Arc<SessionAssets>>>,
}

impl FlowCache {
    /// The voice flow a reference names (the first voice flow of the file
    /// when no UUID or name follows `#`).
    pub fn voice_flow(&self, reference: &str) -> Result<VoiceFlow, FlowLoadError> {
        let (path, wanted) = reference.split_once('#').unwrap_or((reference, ""));
        let assets = self.assets(path)?;
        let flow = assets
            .flows
            .iter()
            .filter(|f| f.flow_type == FlowType::Voice)
            .find(|f| wanted.is_empty() || f.uuid == wanted || f.name.eq_ignore_ascii_case(wanted))
            .ok_or_else(|| FlowLoadError::NoVoiceFlow {
                path: path.to_owned(),
                wanted: wanted.to_owned(),
            })?;
        Ok(VoiceFlow {
            uuid: flow.uuid.clone(),
            name: flow.name.clone(),
            languages: languages_of(flow),
            assets: Arc::clone(&assets),
        })
    }

    fn assets(&self, path: &str) -> Result<Arc<SessionAssets>, FlowLoadError> {
        if let Some(hit) = self.lock().get(path) {
            return Ok(Arc::clone(hit));
        }
        let text = std::fs::read_to_string(Path::new(path)).map_err(|source| FlowLoadError::Read {
            path: path.to_owned(),
            source,
        })?;
        let invalid = |message: String| FlowLoadError::Invalid {
            path: path.to_owned(),
            message,
        };
        let raw: serde_json::Value = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let assets = Arc::new(SessionAssets::from_value(raw).map_err(|e| invalid(e.to_string()))?);
        self.lock().insert(path.to_owned(), Arc::clone(&assets));
        Ok(assets)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<SessionAssets>>> {
        // A cache: a panic mid-insert leaves at worst a missing entry.
        self.loaded.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The trigger that starts `flow` for a stored contact on a call. Inbound
/// calls start with a `channel` trigger (an incoming call event), outbound
/// ones with `manual`, as RapidPro's voice hosts do.
pub fn trigger_for(
    flow: &VoiceFlow,
    contact: &crate::core::contact::Contact,
    urn: &str,
    inbound: bool,
    default_language: &str,
) -> Result<Trigger, String> {
    let fields: serde_json::Map<String, serde_json::Value> = contact
        .fields
        .iter()
        .map(|(k, v)| {
            let text = v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
            (k.clone(), serde_json::json!({ "text": text }))
        })
        .collect();
    let mut urns: Vec<String> = vec![urn.to_owned()];
    urns.extend(contact.urns.iter().map(|u| u.to_string()).filter(|u| u != urn));
    let language = contact
        .language
        .clone()
        .unwrap_or_else(|| default_language.to_owned());
    let mut raw = serde_json::json!({
        "flow": {"uuid": flow.uuid, "name": flow.name},
        "contact": {
            "uuid": contact.uuid.to_string(),
            "id": contact.id,
            "name": contact.name.clone().unwrap_or_default(),
            "language": language,
            "timezone": contact.timezone.clone().unwrap_or_default(),
            "urns": urns,
            "fields": fields,
        },
        "environment": {"allowed_languages": flow.languages},
    });
    if inbound {
        raw["type"] = "channel".into();
        raw["event"] = serde_json::json!({"type": "incoming_call"});
    } else {
        raw["type"] = "manual".into();
    }
    Trigger::read(&raw)
}
