//! `start_session`: ask the host to start other contacts in a flow.

use serde::{Deserialize, Serialize};

use crate::flow::assets::{FlowRef, Recipients};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Exclusions {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_a_flow: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartSession {
    pub uuid: String,
    pub flow: FlowRef,
    #[serde(flatten)]
    pub recipients: Recipients,
    #[serde(default)]
    pub exclusions: Exclusions,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_contact: bool,
}
