//! RapidPro flows ("workflows") as `Basic` resources with the
//! `mhero-workflows` profile, id = flow uuid. iHRIS lists flows with
//! `GET Basic?_profile=<WORKFLOWS_PROFILE>` and shows the `name` sub-extension.

use crate::fhir::resources::{find_extension, Basic, CodeableConcept, Coding, Extension, Meta};

pub const WORKFLOWS_PROFILE: &str = "http://mhero.org/fhir/StructureDefinition/mhero-workflows";
pub const WORKFLOWS_DETAILS_EXTENSION: &str =
    "http://mhero.org/fhir/StructureDefinition/mhero-workflows-details";
pub const RUN_SUMMARY_EXTENSION: &str = "http://mhero.org/fhir/StructureDefinition/mhero-run-summary";
/// Code system of `Basic.code` for mHero's own resource kinds.
pub const MHERO_RESOURCE_CODESYSTEM: &str = "http://mhero.org/fhir/CodeSystem/mhero-resource";
pub const WORKFLOWS_CODE: &str = "mHeroWorkflows";

/// Run counts by state, as RapidPro's `flows.json` gives them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub active: i64,
    pub completed: i64,
    pub interrupted: i64,
    pub expired: i64,
}

/// One flow as iHRIS's flow picker and reports see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkflowDetails {
    pub uuid: String,
    pub name: String,
    /// `message`, `voice`, `survey`, ... as RapidPro names the flow type.
    pub flow_type: Option<String>,
    pub archived: Option<bool>,
    /// Minutes of inactivity after which a run expires.
    pub expires: Option<i64>,
    pub created_on: Option<String>,
    pub modified_on: Option<String>,
    pub run_summary: Option<RunSummary>,
}

impl WorkflowDetails {
    /// A valid R4 `Basic` for this flow: unlike emNutt, the code goes in
    /// `Basic.code` (1..1), not in `meta.code` (which strict servers reject).
    pub fn to_basic(&self) -> Basic {
        let mut subs = vec![
            Extension::string("name", &self.name),
            Extension::string("uuid", &self.uuid),
        ];
        if let Some(t) = &self.flow_type {
            subs.push(Extension::string("flow_type", t));
        }
        if let Some(a) = self.archived {
            subs.push(Extension::boolean("archived", a));
        }
        if let Some(e) = self.expires {
            subs.push(Extension::integer("expires", e));
        }
        if let Some(c) = &self.created_on {
            subs.push(Extension::date_time("created_on", c));
        }
        if let Some(m) = &self.modified_on {
            subs.push(Extension::date_time("modified_on", m));
        }
        if let Some(r) = self.run_summary {
            subs.push(Extension::complex(
                RUN_SUMMARY_EXTENSION,
                vec![
                    Extension::integer("active", r.active),
                    Extension::integer("completed", r.completed),
                    Extension::integer("interrupted", r.interrupted),
                    Extension::integer("expired", r.expired),
                ],
            ));
        }
        Basic {
            id: Some(self.uuid.clone()),
            meta: Some(Meta::with_profile(WORKFLOWS_PROFILE)),
            code: Some(CodeableConcept::coded(Coding::new(
                MHERO_RESOURCE_CODESYSTEM,
                WORKFLOWS_CODE,
                None,
            ))),
            extension: vec![Extension::complex(WORKFLOWS_DETAILS_EXTENSION, subs)],
            ..Basic::default()
        }
    }

    /// The details of a workflow `Basic` (ours or emNutt's); `None` if it has
    /// no details extension. The uuid falls back to the resource id.
    pub fn of(basic: &Basic) -> Option<WorkflowDetails> {
        let ext = find_extension(&basic.extension, WORKFLOWS_DETAILS_EXTENSION)?;
        let text = |url: &str| ext.sub(url).and_then(Extension::value_text).map(str::to_string);
        let summary = ext.sub(RUN_SUMMARY_EXTENSION).map(|s| {
            let n = |url: &str| s.sub(url).and_then(Extension::value_i64).unwrap_or(0);
            RunSummary {
                active: n("active"),
                completed: n("completed"),
                interrupted: n("interrupted"),
                expired: n("expired"),
            }
        });
        Some(WorkflowDetails {
            uuid: text("uuid").or_else(|| basic.id.clone())?,
            name: text("name").unwrap_or_default(),
            flow_type: text("flow_type"),
            archived: ext.sub("archived").and_then(Extension::value_bool),
            expires: ext.sub("expires").and_then(Extension::value_i64),
            created_on: text("created_on"),
            modified_on: text("modified_on"),
            run_summary: summary,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::resources::basic_fixtures::EMNUTT_WORKFLOW;

    #[test]
    fn reads_emnutt_workflow_and_writes_valid_r4() {
        let emnutt: Basic = serde_json::from_str(EMNUTT_WORKFLOW).expect("fixture parses");
        let details = WorkflowDetails::of(&emnutt).expect("has details");
        assert_eq!(details.name, "Weekly stock report");
        assert_eq!(details.expires, Some(10080));
        assert_eq!(details.run_summary.map(|r| r.completed), Some(40));
        let ours = details.to_basic();
        assert_eq!(ours.extension, emnutt.extension, "same extension iHRIS reads");
        assert!(ours.code.is_some());
        assert_eq!(WorkflowDetails::of(&ours), Some(details));
    }
}
