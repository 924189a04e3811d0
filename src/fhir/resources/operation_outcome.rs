//! `OperationOutcome`: what a server says went wrong. `summary()` turns it
//! into one line fit for an error message and a log.

use serde::{Deserialize, Serialize};

use super::{impl_resource, CodeableConcept, Extra, Meta, TypeTag};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationOutcome {
    pub resource_type: TypeTag<OperationOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issue: Vec<Issue>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl_resource!(OperationOutcome);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    pub severity: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expression: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub location: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Issues listed in an error message before the rest are counted instead:
/// a 2,000-issue outcome must not become a 2,000-line log entry.
const SUMMARY_MAX_ISSUES: usize = 5;

impl OperationOutcome {
    /// Whether any issue is `error` or `fatal`.
    pub fn is_error(&self) -> bool {
        self.issue
            .iter()
            .any(|i| i.severity == "error" || i.severity == "fatal")
    }

    /// `"structure at Practitioner.name: Expected array; ..."`, errors first.
    pub fn summary(&self) -> String {
        let mut issues: Vec<&Issue> = self.issue.iter().collect();
        issues.sort_by_key(|i| !matches!(i.severity.as_str(), "fatal" | "error"));
        let mut parts: Vec<String> = issues
            .iter()
            .take(SUMMARY_MAX_ISSUES)
            .map(|i| i.describe())
            .collect();
        if issues.len() > SUMMARY_MAX_ISSUES {
            parts.push(format!("and {} more issue(s)", issues.len() - SUMMARY_MAX_ISSUES));
        }
        if parts.is_empty() {
            return "no issues given".to_string();
        }
        parts.join("; ")
    }
}

impl Issue {
    fn describe(&self) -> String {
        let text = self
            .diagnostics
            .as_deref()
            .or_else(|| self.details.as_ref().and_then(CodeableConcept::label))
            .unwrap_or("(no detail)");
        let at = self.expression.first().or(self.location.first());
        match at {
            Some(at) => format!("{} at {at}: {text}", self.code),
            None => format!("{}: {text}", self.code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::resources::tests::round_trip;

    #[test]
    fn validation_outcome_round_trips_and_summarises() {
        let oo: OperationOutcome = round_trip(
            r#"{"resourceType":"OperationOutcome","issue":[
            {"severity":"warning","code":"informational","diagnostics":"just saying"},
            {"severity":"error","code":"structure","details":{"text":"Missing required property"},"expression":["Basic.code"]}]}"#,
        );
        assert!(oo.is_error());
        assert_eq!(
            oo.summary(),
            "structure at Basic.code: Missing required property; informational: just saying"
        );
    }

    #[test]
    fn long_outcomes_are_truncated() {
        let issue = Issue {
            severity: "error".into(),
            code: "structure".into(),
            ..Issue::default()
        };
        let oo = OperationOutcome {
            issue: vec![issue; 9],
            ..OperationOutcome::default()
        };
        assert!(oo.summary().ends_with("and 4 more issue(s)"), "{}", oo.summary());
    }
}
