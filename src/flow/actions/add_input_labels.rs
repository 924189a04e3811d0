//! `add_input_labels`: label the message that resumed the run.

use serde::{Deserialize, Serialize};

use crate::flow::assets::LabelRef;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddInputLabels {
    pub uuid: String,
    pub labels: Vec<LabelRef>,
}
