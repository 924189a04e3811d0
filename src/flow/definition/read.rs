//! Reading a flow definition: raw JSON → migrations → required-field checks
//! (so errors name fields as exports spell them) → typed structs → semantic
//! validation. Errors use the reference engine's wording, prefixed with
//! where they happened.

use serde_json::Value;

use super::{migrations, validate, Flow, FlowType};
use crate::flow::actions::required_fields;

/// Why a flow definition could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// A required field is missing, null, empty, or has an invalid value.
    #[error("{0}")]
    Malformed(String),
    /// The definition parsed but breaks a rule (unknown exit, limits, …).
    #[error("{0}")]
    Invalid(String),
    /// The definition uses a format this engine cannot migrate.
    #[error("{0}")]
    Unsupported(String),
}

/// Reads, migrates and validates one flow definition.
pub fn read_flow(raw: &Value) -> Result<Flow, ReadError> {
    let migrated = migrations::migrate(raw.clone()).map_err(ReadError::Unsupported)?;
    check_required(&migrated).map_err(ReadError::Malformed)?;
    let flow: Flow = serde_path_to_error::deserialize(&migrated)
        .map_err(|e| ReadError::Malformed(format!("unable to read flow: {e}")))?;
    validate::validate_flow(&flow).map_err(ReadError::Invalid)?;
    Ok(flow)
}

/// True when `v` is absent in the reference engine's sense: missing, null,
/// or an empty string.
fn is_blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(_) => false,
    }
}

fn required(obj: &Value, field: &str) -> Result<(), String> {
    if is_blank(obj.get(field)) {
        return Err(format!("field '{field}' is required"));
    }
    Ok(())
}

fn check_required(flow: &Value) -> Result<(), String> {
    for field in ["uuid", "name", "spec_version", "type"] {
        required(flow, field)?;
    }
    let flow_type = flow.get("type").and_then(Value::as_str).unwrap_or_default();
    if FlowType::from_wire(flow_type).is_none() {
        return Err("field 'type' is not a valid flow type".to_owned());
    }
    let nodes = match flow.get("nodes") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(nodes)) => nodes,
        Some(_) => return Err("field 'nodes' must be a list".to_owned()),
    };
    for (i, node) in nodes.iter().enumerate() {
        if node.is_null() {
            return Err(format!("field 'nodes[{i}]' is required"));
        }
        check_node(node)?;
    }
    Ok(())
}

/// Node-level problems are prefixed "unable to read node"; those of its
/// actions and router carry their own prefix (the reference wording).
fn check_node(node: &Value) -> Result<(), String> {
    let node_error = |e: String| format!("unable to read node: {e}");
    required(node, "uuid").map_err(node_error)?;
    if let Some(Value::Array(actions)) = node.get("actions") {
        for action in actions {
            check_action(action).map_err(|e| format!("unable to read action: {e}"))?;
        }
    }
    if let Some(router) = node.get("router").filter(|r| !r.is_null()) {
        check_router(router).map_err(|e| format!("unable to read router: {e}"))?;
    }
    check_exits(node).map_err(node_error)
}

fn check_exits(node: &Value) -> Result<(), String> {
    match node.get("exits") {
        None | Some(Value::Null) => Err("field 'exits' is required".to_owned()),
        Some(Value::Array(exits)) if exits.is_empty() => {
            Err("field 'exits' must have a minimum of 1 items".to_owned())
        }
        Some(Value::Array(exits)) => {
            for (i, exit) in exits.iter().enumerate() {
                if exit.is_null() {
                    return Err(format!("field 'exits[{i}]' is required"));
                }
                required(exit, "uuid")?;
            }
            Ok(())
        }
        Some(_) => Err("field 'exits' must be a list".to_owned()),
    }
}

/// Checks one action's required fields on the raw JSON.
pub fn check_action(action: &Value) -> Result<(), String> {
    if action.is_null() {
        return Err("field 'type' is required".to_owned());
    }
    required(action, "type")?;
    required(action, "uuid")?;
    let action_type = action.get("type").and_then(Value::as_str).unwrap_or_default();
    for field in required_fields(action_type) {
        required(action, field)?;
    }
    Ok(())
}

/// Checks a router's required fields on the raw JSON.
pub fn check_router(router: &Value) -> Result<(), String> {
    required(router, "type")?;
    if let Some(Value::Array(categories)) = router.get("categories") {
        for category in categories {
            check_category(category).map_err(|e| format!("unable to read category: {e}"))?;
        }
    }
    Ok(())
}

fn check_category(category: &Value) -> Result<(), String> {
    required(category, "uuid")?;
    required(category, "exit_uuid")
}
