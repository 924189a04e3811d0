//! `random`: pick one of the categories uniformly at random.

use serde::{Deserialize, Serialize};

use super::RouterBase;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomRouter {
    #[serde(flatten)]
    pub base: RouterBase,
}
