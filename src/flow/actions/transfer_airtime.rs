//! `transfer_airtime`: send airtime to the contact through `Services`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferAirtime {
    pub uuid: String,
    pub amounts: BTreeMap<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub result_name: String,
}

impl TransferAirtime {
    pub fn validate(&self) -> Result<(), String> {
        super::check_optional_result_name(&self.result_name)
    }
}
