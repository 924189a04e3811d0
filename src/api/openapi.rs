//! The OpenAPI 3.1 document at `/api/v1/openapi.json`, built from one table
//! of endpoints. A test walks the table against the live router, so an
//! endpoint cannot be added without being documented (or the reverse).

use axum::Json;
use serde_json::{json, Value};

/// One documented endpoint: method, path, minimum role, summary, and the
/// request body schema if it takes one.
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub role: &'static str,
    pub summary: &'static str,
    pub body: Option<fn() -> Value>,
}

macro_rules! ep {
    ($m:literal, $p:literal, $r:literal, $s:literal) => {
        Endpoint {
            method: $m,
            path: $p,
            role: $r,
            summary: $s,
            body: None,
        }
    };
    ($m:literal, $p:literal, $r:literal, $s:literal, $b:expr) => {
        Endpoint {
            method: $m,
            path: $p,
            role: $r,
            summary: $s,
            body: Some($b),
        }
    };
}

pub const ENDPOINTS: &[Endpoint] = &[
    ep!(
        "get",
        "/contacts",
        "viewer",
        "List contacts (query=, group=, after=, limit=)"
    ),
    ep!("post", "/contacts", "operator", "Create a contact", new_contact),
    ep!(
        "post",
        "/contacts/import",
        "operator",
        "Create many contacts at once (all or nothing)",
        import
    ),
    ep!("get", "/contacts/{uuid}", "viewer", "Get a contact"),
    ep!(
        "patch",
        "/contacts/{uuid}",
        "operator",
        "Change a contact (fields set to null are cleared)",
        contact_patch
    ),
    ep!(
        "delete",
        "/contacts/{uuid}",
        "operator",
        "Delete a contact; its queued messages fail"
    ),
    ep!("get", "/fields", "viewer", "List custom fields"),
    ep!("post", "/fields", "operator", "Create a custom field", new_field),
    ep!("get", "/groups", "viewer", "List groups with member counts"),
    ep!(
        "post",
        "/groups",
        "operator",
        "Create a static group, or a smart group with a query",
        new_group
    ),
    ep!("get", "/groups/{group}", "viewer", "Get a group by UUID or name"),
    ep!(
        "patch",
        "/groups/{group}",
        "operator",
        "Rename a group or change a smart group's query",
        new_group
    ),
    ep!(
        "delete",
        "/groups/{group}",
        "operator",
        "Delete a group (not its contacts)"
    ),
    ep!(
        "post",
        "/groups/{group}/members",
        "operator",
        "Add contacts to a static group",
        members
    ),
    ep!(
        "post",
        "/groups/{group}/members/remove",
        "operator",
        "Remove contacts from a static group",
        members
    ),
    ep!(
        "get",
        "/messages",
        "viewer",
        "List messages (direction=, status=, contact=, broadcast=, urn=, after=, limit=)"
    ),
    ep!(
        "post",
        "/messages",
        "operator",
        "Send one message now, ahead of bulk traffic",
        send_msg
    ),
    ep!(
        "get",
        "/messages/{uuid}",
        "viewer",
        "Get a message with its full lifecycle"
    ),
    ep!("get", "/calls", "viewer", "List IVR calls, newest first (limit=)"),
    ep!(
        "post",
        "/calls",
        "operator",
        "Call contacts with a voice flow over a SIP trunk",
        new_calls
    ),
    ep!(
        "get",
        "/calls/{uuid}",
        "viewer",
        "Get an IVR call with its flow results"
    ),
    ep!("get", "/broadcasts", "viewer", "List broadcasts with progress"),
    ep!(
        "post",
        "/broadcasts",
        "operator",
        "Send or schedule a broadcast",
        new_broadcast
    ),
    ep!(
        "get",
        "/broadcasts/{uuid}",
        "viewer",
        "Get a broadcast and its progress counts"
    ),
    ep!(
        "post",
        "/broadcasts/{uuid}/cancel",
        "operator",
        "Cancel a broadcast; unsent messages fail"
    ),
    ep!("get", "/triggers", "viewer", "List keyword triggers"),
    ep!(
        "post",
        "/triggers",
        "admin",
        "Create a keyword or catch-all trigger",
        new_trigger
    ),
    ep!(
        "post",
        "/triggers/import",
        "admin",
        "Import the triggers of a RapidPro export",
        rapidpro_export
    ),
    ep!("delete", "/triggers/{uuid}", "admin", "Delete a trigger"),
    ep!("get", "/flows", "viewer", "List flows"),
    ep!(
        "post",
        "/flows",
        "admin",
        "Import a RapidPro export: flows, fields, groups, keyword triggers, campaigns",
        flow_export
    ),
    ep!("get", "/flows/{flow}", "viewer", "A flow and its run counts"),
    ep!(
        "get",
        "/flows/{flow}/runs",
        "viewer",
        "Runs with their results (after=, before=, group=, status=, after_id=, limit=)"
    ),
    ep!(
        "get",
        "/flows/{flow}/runs.csv",
        "viewer",
        "Runs as CSV, one value and category column per result (same filters)"
    ),
    ep!(
        "get",
        "/flows/{flow}/results",
        "viewer",
        "Per-category counts for every result (same filters; by_group=A,B splits them per group)"
    ),
    ep!("get", "/flow_starts", "viewer", "List flow starts with progress"),
    ep!(
        "post",
        "/flow_starts",
        "operator",
        "Start a flow for contacts, groups, a query or numbers, with exclusions",
        new_start
    ),
    ep!(
        "get",
        "/flow_starts/{uuid}",
        "viewer",
        "A flow start and its progress"
    ),
    ep!(
        "get",
        "/campaigns",
        "viewer",
        "List campaigns with their events and fire counts"
    ),
    ep!(
        "post",
        "/campaigns",
        "operator",
        "Create (or replace by uuid) a campaign: flows or messages at offsets from a date field",
        new_campaign
    ),
    ep!("get", "/campaigns/{uuid}", "viewer", "A campaign"),
    ep!(
        "delete",
        "/campaigns/{uuid}",
        "operator",
        "Delete a campaign and its pending fires"
    ),
    ep!(
        "get",
        "/links",
        "viewer",
        "Links: health, live rate, queue depth, routes served"
    ),
    ep!("get", "/links/{name}", "viewer", "One link"),
    ep!(
        "patch",
        "/links/{name}",
        "operator",
        "Change a link's rate or switch it off and on, live",
        link_patch
    ),
    ep!("get", "/nodes", "viewer", "Gateway nodes sharing the database"),
    ep!(
        "get",
        "/registries",
        "viewer",
        "Health-worker registries: practitioners linked, last sync"
    ),
    ep!(
        "get",
        "/registries/{name}/conflicts",
        "viewer",
        "HR update answers not applied because the registry changed the record after them"
    ),
    ep!(
        "get",
        "/registries/{name}/staffing",
        "viewer",
        "Per facility: workers in the registry, how many confirmed or corrected their record, and when"
    ),
    ep!(
        "post",
        "/simulator/inbound",
        "operator",
        "A simulated phone sends a message in",
        sim_inbound
    ),
    ep!(
        "get",
        "/simulator/phones/{number}/received",
        "viewer",
        "What a simulated phone received"
    ),
    ep!(
        "get",
        "/simulator/stats",
        "viewer",
        "Totals of what simulated phones received"
    ),
    ep!(
        "post",
        "/emNutt/fhir/CommunicationRequest",
        "operator",
        "emNutt-compatible send: a CommunicationRequest as iHRIS 5 posts it (also at /emNutt/fhir/..., basic auth)",
        communication_request
    ),
    ep!(
        "get",
        "/emNutt/fhir/getProgress",
        "viewer",
        "emNutt-compatible progress of sends (requestIDs=a,b)"
    ),
    ep!(
        "post",
        "/emNutt/fhir/cancelMessageSchedule",
        "operator",
        "emNutt-compatible cancel of a scheduled send ({\"reqID\": ...})"
    ),
    ep!(
        "post",
        "/emNutt/optout",
        "operator",
        "emNutt-compatible opt-out by Practitioner id (PUT as iHRIS sends it, or POST)",
        emnutt_entities
    ),
    ep!(
        "post",
        "/emNutt/undoOptout",
        "operator",
        "emNutt-compatible undo of an opt-out (PUT or POST)",
        emnutt_entities
    ),
];

fn communication_request() -> Value {
    json!({"type": "object", "description": "FHIR R4 CommunicationRequest (payload.contentString or contentReference Basic/<flow>)",
           "properties": {"resourceType": {"const": "CommunicationRequest"}}, "required": ["resourceType", "payload", "recipient"]})
}
fn emnutt_entities() -> Value {
    json!({"type": "array", "items": obj(json!({"entitytype": {"type": "string"}, "globalid": {"type": "string"}}), &["globalid"])})
}

fn obj(props: Value, required: &[&str]) -> Value {
    json!({"type": "object", "additionalProperties": false, "properties": props, "required": required})
}
fn strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}
fn new_contact() -> Value {
    obj(
        json!({"name": {"type": "string"}, "language": {"type": "string"}, "timezone": {"type": "string"},
               "urns": strings(), "fields": {"type": "object"}, "groups": strings()}),
        &[],
    )
}
fn import() -> Value {
    obj(
        json!({"contacts": {"type": "array", "items": new_contact()}}),
        &["contacts"],
    )
}
fn contact_patch() -> Value {
    obj(
        json!({"name": {"type": "string"}, "language": {"type": "string"}, "timezone": {"type": "string"},
               "status": {"enum": ["active", "blocked", "stopped"]}, "urns": strings(),
               "fields": {"type": "object"}, "groups": strings()}),
        &[],
    )
}
fn new_field() -> Value {
    obj(
        json!({"key": {"type": "string"}, "name": {"type": "string"},
               "type": {"enum": ["text", "number", "datetime", "location"]}}),
        &["key", "type"],
    )
}
fn new_group() -> Value {
    obj(
        json!({"name": {"type": "string"}, "query": {"type": "string"}}),
        &["name"],
    )
}
fn members() -> Value {
    obj(json!({"contacts": strings()}), &["contacts"])
}
fn send_msg() -> Value {
    obj(
        json!({"contact": {"type": "string"}, "urn": {"type": "string"}, "text": {"type": "string"}}),
        &["text"],
    )
}
fn new_calls() -> Value {
    obj(
        json!({"contacts": strings(), "flow": {"type": "string"}, "trunk": {"type": "string"}}),
        &["contacts", "flow"],
    )
}

fn new_broadcast() -> Value {
    obj(
        json!({
            "text": {"oneOf": [{"type": "string"}, {"type": "object", "additionalProperties": {"type": "string"}}]},
            "base_language": {"type": "string"},
            "contacts": strings(), "groups": strings(), "query": {"type": "string"}, "urns": strings(),
            "schedule": {"oneOf": [
                obj(json!({"repeat": {"const": "once"}, "at": {"type": "string", "format": "date-time"}}), &["repeat", "at"]),
                obj(json!({"repeat": {"const": "daily"}, "time": {"type": "string"}, "timezone": {"type": "string"}}), &["repeat", "time"]),
                obj(json!({"repeat": {"const": "weekly"}, "days": strings(), "time": {"type": "string"}, "timezone": {"type": "string"}}), &["repeat", "days", "time"]),
                obj(json!({"repeat": {"const": "cron"}, "expr": {"type": "string", "description": "five-field cron (minute hour day month weekday), in local time"}, "timezone": {"type": "string"}}), &["repeat", "expr"]),
            ]},
            "respect_hours": {"type": "boolean", "default": true}
        }),
        &["text"],
    )
}
fn new_trigger() -> Value {
    obj(
        json!({"keywords": strings(), "match": {"enum": ["first", "only"]}, "reply": {"type": "string"},
               "flow": {"type": "string"}, "groups": strings(), "exclude_groups": strings()}),
        &[],
    )
}
fn rapidpro_export() -> Value {
    json!({"type": "object", "properties": {"triggers": {"type": "array"}}})
}
fn flow_export() -> Value {
    json!({"type": "object", "properties": {"version": {}, "flows": {"type": "array"}, "fields": {"type": "array"},
           "groups": {"type": "array"}, "triggers": {"type": "array"}, "campaigns": {"type": "array"}}})
}
fn new_start() -> Value {
    obj(
        json!({"flow": {"type": "string"}, "contacts": strings(), "groups": strings(), "query": {"type": "string"},
               "urns": strings(), "params": {"type": "object"},
               "exclusions": obj(json!({"in_a_flow": {"type": "boolean"}, "started_previously_days": {"type": "integer", "minimum": 0}}), &[])}),
        &["flow"],
    )
}
fn new_campaign() -> Value {
    let event = obj(
        json!({"uuid": {"type": "string"}, "relative_to": {"type": "string"},
               "offset": {"type": "integer", "description": "Within 100 years either way in its unit: ±52596000 M, ±876600 H, ±36525 D, ±5217 W"},
               "unit": {"enum": ["M", "H", "D", "W"]}, "delivery_hour": {"type": "integer", "minimum": -1, "maximum": 23},
               "flow": {"type": "string"}, "message": {"type": "object", "additionalProperties": {"type": "string"}},
               "base_language": {"type": "string"}, "start_mode": {"enum": ["I", "S", "P"]}}),
        &["relative_to", "offset", "unit"],
    );
    obj(
        json!({"uuid": {"type": "string"}, "name": {"type": "string"}, "group": {"type": "string"},
               "events": {"type": "array", "items": event}}),
        &["name", "group", "events"],
    )
}
fn link_patch() -> Value {
    obj(
        json!({"rate": {"type": "number", "minimum": 0, "maximum": 1_000_000,
                        "description": "Segments per second: 0 for no limit, else 0.001 to 1000000 (422 otherwise)"},
               "enabled": {"type": "boolean"}}),
        &[],
    )
}
fn sim_inbound() -> Value {
    obj(
        json!({"from": {"type": "string"}, "text": {"type": "string"}, "link": {"type": "string"}}),
        &["from", "text"],
    )
}

pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for e in ENDPOINTS {
        let params: Vec<Value> = e
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut op = json!({
            "summary": e.summary,
            "description": format!("Needs the `{}` role.", e.role),
            "security": [{"bearer": []}],
            "parameters": params,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {}}},
                "4XX": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
        });
        if let Some(b) = e.body {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": b()}}});
        }
        let entry = paths
            .entry(format!("/api/v1{}", e.path))
            .or_insert_with(|| json!({}));
        entry[e.method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "mHero gateway", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Outside /api/v1, without a token: `GET /healthz` answers 200 {\"status\": \"ok\"}, \
                                 or 200 {\"status\": \"degraded\", \"tasks\": [{\"task\", \"failures\", \"down\", \"last_error\"}]} \
                                 while a gateway task is down or failed in the last minute, or 503 when stopping or \
                                 without its database; `GET /metrics` is Prometheus text."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": obj(json!({"error": {"type": "string"}, "field": {"type": "string"}}), &["error"])}
        }
    })
}

pub async fn serve() -> Json<Value> {
    Json(document())
}
