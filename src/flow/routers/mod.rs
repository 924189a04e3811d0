//! Routers: after a node's actions, a router (optionally after a wait) picks
//! a category, and the category picks the exit. `switch` tests the operand
//! against cases; `random` picks uniformly. This module must not know how
//! the run is stored.

pub mod random;
pub mod switch;

use serde::{Deserialize, Serialize};

use crate::flow::waits::Wait;

pub use random::RandomRouter;
pub use switch::{Case, SwitchRouter};

/// Routers with more categories than this are rejected (reference limit).
pub const MAX_CATEGORIES: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Router {
    Switch(SwitchRouter),
    Random(RandomRouter),
}

/// What every router carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouterBase {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<Wait>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub result_name: String,
    pub categories: Vec<Category>,
}

/// A named outcome of a router, leading to one of the node's exits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub uuid: String,
    #[serde(default)]
    pub name: String,
    pub exit_uuid: String,
}

impl Router {
    pub fn base(&self) -> &RouterBase {
        match self {
            Router::Switch(r) => &r.base,
            Router::Random(r) => &r.base,
        }
    }

    pub fn base_mut(&mut self) -> &mut RouterBase {
        match self {
            Router::Switch(r) => &mut r.base,
            Router::Random(r) => &mut r.base,
        }
    }

    pub fn category(&self, uuid: &str) -> Option<&Category> {
        self.base().categories.iter().find(|c| c.uuid == uuid)
    }

    /// Checks the router against the exits of its node, in the reference
    /// engine's wording.
    pub fn validate(&self, exit_uuids: &[&str]) -> Result<(), String> {
        let base = self.base();
        if base.categories.len() > MAX_CATEGORIES {
            return Err(format!("router can't have more than {MAX_CATEGORIES} categories"));
        }
        for c in &base.categories {
            if !exit_uuids.contains(&c.exit_uuid.as_str()) {
                return Err(format!("category exit {} is not a valid exit", c.exit_uuid));
            }
        }
        if let Some(crate::flow::waits::Wait::Msg(w)) = &base.wait {
            if let Some(t) = &w.timeout {
                if self.category(&t.category_uuid).is_none() {
                    return Err(format!(
                        "timeout category {} is not a valid category",
                        t.category_uuid
                    ));
                }
            }
        }
        match self {
            Router::Switch(r) => r.validate(self),
            Router::Random(_) => Ok(()),
        }
    }
}
