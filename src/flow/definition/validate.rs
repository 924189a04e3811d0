//! Semantic checks on a typed flow: unique UUIDs, known destinations,
//! categories that exist, the reference engine's size limits, and actions
//! and waits allowed in the flow's type. Messages follow the reference
//! engine's wording so exports can be checked against it.

use std::collections::HashSet;

use super::{Flow, Node};
use crate::flow::actions::Action;

/// Flows with more nodes than this are rejected (reference limit).
pub const MAX_NODES: usize = 1000;

/// Nodes with more actions than this are rejected (reference limit).
pub const MAX_ACTIONS_PER_NODE: usize = 100;

/// Nodes with more exits than this are rejected (reference limit).
pub const MAX_EXITS_PER_NODE: usize = 100;

pub fn validate_flow(flow: &Flow) -> Result<(), String> {
    if flow.nodes.len() > MAX_NODES {
        return Err(format!("flow can't have more than {MAX_NODES} nodes"));
    }
    let mut seen = HashSet::new();
    for node in &flow.nodes {
        if !seen.insert(node.uuid.as_str()) {
            return Err(format!("node UUID {} isn't unique", node.uuid));
        }
    }
    for node in &flow.nodes {
        validate_node(flow, node, &seen).map_err(|e| format!("invalid node[uuid={}]: {e}", node.uuid))?;
    }
    Ok(())
}

fn validate_node(flow: &Flow, node: &Node, node_uuids: &HashSet<&str>) -> Result<(), String> {
    if node.actions.len() > MAX_ACTIONS_PER_NODE {
        return Err(format!(
            "node can't have more than {MAX_ACTIONS_PER_NODE} actions"
        ));
    }
    if node.exits.len() > MAX_EXITS_PER_NODE {
        return Err(format!("node can't have more than {MAX_EXITS_PER_NODE} exits"));
    }
    for action in &node.actions {
        validate_action(flow, action)?;
    }
    if let Some(router) = &node.router {
        let exits: Vec<&str> = node.exits.iter().map(|e| e.uuid.as_str()).collect();
        router
            .validate(&exits)
            .map_err(|e| format!("invalid router: {e}"))?;
        if let Some(wait) = &router.base().wait {
            if !wait.allowed().permits(flow.flow_type) {
                return Err(format!(
                    "invalid router: wait type '{}' is not allowed in a flow of type '{}'",
                    wait.type_name(),
                    flow.flow_type.wire_name()
                ));
            }
        }
    }
    for exit in &node.exits {
        if let Some(dest) = &exit.destination_uuid {
            if !node_uuids.contains(dest.as_str()) {
                return Err(format!(
                    "destination {dest} of exit[uuid={}] isn't a known node",
                    exit.uuid
                ));
            }
        }
    }
    Ok(())
}

fn validate_action(flow: &Flow, action: &Action) -> Result<(), String> {
    if !action.allowed().permits(flow.flow_type) {
        return Err(format!(
            "action type '{}' is not allowed in a flow of type '{}'",
            action.type_name(),
            flow.flow_type.wire_name()
        ));
    }
    action.validate().map_err(|e| {
        format!(
            "invalid action[uuid={}, type={}]: {e}",
            action.uuid(),
            action.type_name()
        )
    })
}
