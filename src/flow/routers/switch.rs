//! `switch`: test the evaluated operand against each case in order; the
//! first match picks its category, otherwise the default category.

use serde::{Deserialize, Serialize};

use super::{Router, RouterBase};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwitchRouter {
    #[serde(flatten)]
    pub base: RouterBase,
    #[serde(default)]
    pub operand: String,
    #[serde(default)]
    pub cases: Vec<Case>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_category_uuid: Option<String>,
}

/// One test of a switch: the router test named by `type` called with the
/// operand and the (localizable) arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub uuid: String,
    #[serde(rename = "type")]
    pub test: String,
    #[serde(default)]
    pub arguments: Vec<String>,
    pub category_uuid: String,
}

impl SwitchRouter {
    pub(super) fn validate(&self, router: &Router) -> Result<(), String> {
        if let Some(d) = self.default_category_uuid.as_ref().filter(|d| !d.is_empty()) {
            if router.category(d).is_none() {
                return Err(format!("default category {d} is not a valid category"));
            }
        }
        for case in &self.cases {
            if router.category(&case.category_uuid).is_none() {
                return Err(format!(
                    "case category {} is not a valid category",
                    case.category_uuid
                ));
            }
            if !crate::flow::eval::is_router_test(&case.test) {
                return Err(format!(
                    "case test {} is not a registered test function",
                    case.test
                ));
            }
        }
        Ok(())
    }
}
