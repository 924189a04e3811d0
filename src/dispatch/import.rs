//! Importing a RapidPro export into the running gateway: its fields and
//! groups first (flows refer to them), then the flows, keyword triggers and
//! campaigns. An export with a broken flow is refused whole, naming every
//! problem; importing the same export again changes nothing.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Gateway;
use crate::config::MatchType;
use crate::core::contact::FieldType;
use crate::flow::definition::export::Export;
use crate::store::{NewCampaign, NewEvent, NewFlow, NewTrigger, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("not a RapidPro export: {0}")]
    NotAnExport(String),
    #[error("{} flow(s) do not load: {}", .0.len(), .0.join("; "))]
    BrokenFlows(Vec<String>),
    #[error("{what}: {error}")]
    Part { what: String, error: StoreError },
}

/// What an import created or confirmed.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportSummary {
    pub flows: Vec<String>,
    pub fields: usize,
    pub groups_created: Vec<String>,
    pub triggers_created: usize,
    pub campaigns: Vec<String>,
    /// Parts of the export this gateway does not use, with the reason.
    pub skipped: Vec<String>,
}

fn part(what: impl Into<String>) -> impl FnOnce(StoreError) -> ImportError {
    let what = what.into();
    move |error| ImportError::Part { what, error }
}

/// Import an export (already parsed as JSON) from `source` (`config`, `api`).
pub async fn import_export(gw: &Gateway, raw: Value, source: &str) -> Result<ImportSummary, ImportError> {
    let parsed = {
        let raw = raw.clone();
        tokio::task::spawn_blocking(move || Export::from_value(raw))
            .await
            .map_err(|e| ImportError::NotAnExport(e.to_string()))?
            .map_err(|e| ImportError::NotAnExport(e.to_string()))?
    };
    if !parsed.problems.is_empty() {
        return Err(ImportError::BrokenFlows(
            parsed.problems.iter().map(|p| p.to_string()).collect(),
        ));
    }
    let mut summary = ImportSummary::default();

    for f in &parsed.fields {
        let ty = match f.value_type.as_str() {
            "numeric" | "number" => FieldType::Number,
            "datetime" => FieldType::Datetime,
            "state" | "district" | "ward" => FieldType::Location,
            _ => FieldType::Text,
        };
        let name = if f.name.is_empty() { &f.key } else { &f.name };
        gw.store
            .ensure_field(&f.key, name, ty)
            .await
            .map_err(part(format!("fields.{}", f.key)))?;
        summary.fields += 1;
    }
    for g in &parsed.groups {
        if gw.store.get_group(&g.name).await.is_ok() || gw.store.get_group(&g.uuid).await.is_ok() {
            continue;
        }
        gw.store
            .create_group_with_uuid(&g.uuid, &g.name, g.query.as_deref().filter(|q| !q.is_empty()))
            .await
            .map_err(part(format!("groups.{}", g.name)))?;
        summary.groups_created.push(g.name.clone());
    }

    // Flows: the definitions as exported (the engine migrates on load).
    let raw_flows: Vec<Value> = match &raw {
        Value::Object(o) if o.contains_key("flows") => o["flows"].as_array().cloned().unwrap_or_default(),
        other => vec![other.clone()],
    };
    let mut flows = Vec::new();
    for (raw_flow, flow) in raw_flows.iter().zip(&parsed.flows) {
        flows.push(NewFlow {
            uuid: flow.uuid.clone(),
            name: flow.name.clone(),
            flow_type: flow.flow_type.wire_name().to_string(),
            definition: raw_flow.to_string(),
        });
        summary.flows.push(flow.name.clone());
    }
    gw.store
        .upsert_flows(&flows, source)
        .await
        .map_err(part("flows"))?;
    gw.assets.invalidate().await;

    let existing = gw.store.list_triggers().await.map_err(part("triggers"))?;
    for (i, t) in parsed.triggers.iter().enumerate() {
        let kind = t.trigger_type.as_str();
        let Some(flow) = t.flow.as_ref().map(|f| f.uuid.clone()) else {
            summary.skipped.push(format!("triggers[{i}]: no flow"));
            continue;
        };
        if kind != "K" && kind != "C" {
            summary
                .skipped
                .push(format!("triggers[{i}]: trigger type {kind:?} is not supported"));
            continue;
        }
        let names = |v: &[crate::flow::assets::GroupRef]| -> Vec<String> {
            v.iter()
                .filter_map(|g| g.name.clone().or_else(|| g.uuid.clone()))
                .collect()
        };
        let new = NewTrigger {
            keywords: if kind == "C" {
                vec![]
            } else {
                t.all_keywords().iter().map(|k| k.trim().to_lowercase()).collect()
            },
            match_type: if t.match_type.as_deref() == Some("O") {
                MatchType::Only
            } else {
                MatchType::First
            },
            reply: None,
            flow: Some(flow),
            groups: names(&t.groups),
            exclude_groups: names(&t.exclude_groups),
        };
        let same = existing.iter().any(|e| {
            e.flow == new.flow
                && e.keywords == new.keywords
                && e.match_type == new.match_type
                && e.groups == new.groups
        });
        if same {
            continue;
        }
        gw.store
            .create_trigger(&new, if source == "config" { "import" } else { source })
            .await
            .map_err(part(format!("triggers[{i}]")))?;
        summary.triggers_created += 1;
    }

    for c in &parsed.campaigns {
        let mut events = Vec::new();
        for (i, e) in c.events.iter().enumerate() {
            match campaign_event(e) {
                Ok(ev) => events.push(ev),
                Err(why) => summary
                    .skipped
                    .push(format!("campaigns.{}.events[{i}]: {why}", c.name)),
            }
        }
        let group = c
            .group
            .name
            .clone()
            .or_else(|| c.group.uuid.clone())
            .unwrap_or_default();
        let new = NewCampaign {
            uuid: Some(c.uuid.clone()),
            name: c.name.clone(),
            group,
            events,
        };
        gw.store
            .upsert_campaign(&new)
            .await
            .map_err(part(format!("campaigns.{}", c.name)))?;
        summary.campaigns.push(c.name.clone());
    }
    Ok(summary)
}

/// A campaign event as RapidPro exports it.
fn campaign_event(e: &Value) -> Result<NewEvent, String> {
    let relative_to = e["relative_to"]["key"]
        .as_str()
        .ok_or("no relative_to.key")?
        .to_string();
    let base_language = e["base_language"].as_str().unwrap_or("eng").to_string();
    let (flow, message) = match e["event_type"].as_str() {
        Some("F") => (
            Some(
                e["flow"]["uuid"]
                    .as_str()
                    .ok_or("flow event without flow.uuid")?
                    .to_string(),
            ),
            None,
        ),
        Some("M") => {
            let m: BTreeMap<String, String> = match &e["message"] {
                Value::String(s) => BTreeMap::from([(base_language.clone(), s.clone())]),
                Value::Object(o) => o
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect(),
                _ => return Err("message event without message".into()),
            };
            (None, Some(m))
        }
        other => return Err(format!("event type {other:?} is not supported")),
    };
    Ok(NewEvent {
        uuid: e["uuid"].as_str().map(str::to_owned),
        relative_to,
        offset: e["offset"].as_i64().ok_or("no offset")?,
        unit: e["unit"].as_str().unwrap_or("D").to_string(),
        delivery_hour: e["delivery_hour"].as_i64().unwrap_or(-1),
        flow,
        message,
        base_language,
        start_mode: e["start_mode"].as_str().unwrap_or("I").to_string(),
    })
}
