//! `call_llm` (spec 14): ask a language model through `Services`; the answer
//! lands in `@locals.<output_local>`.

use serde::{Deserialize, Serialize};

use crate::flow::assets::NamedRef;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallLlm {
    pub uuid: String,
    pub llm: NamedRef,
    pub instructions: String,
    #[serde(default)]
    pub input: String,
    pub output_local: String,
}
