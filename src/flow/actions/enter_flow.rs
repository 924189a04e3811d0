//! `enter_flow`: start a child run in another flow; the parent waits for it.

use serde::{Deserialize, Serialize};

use crate::flow::assets::FlowRef;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnterFlow {
    pub uuid: String,
    pub flow: FlowRef,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub terminal: bool,
}
