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
        "List contacts (query=, group=; paged: after=, before=, order=asc|desc, limit=)"
    ),
    ep!("post", "/contacts", "sender", "Create a contact", new_contact),
    ep!(
        "post",
        "/contacts/import",
        "sender",
        "Import contacts or a roster again: a row matching a contact by a URN or external_id updates it, others are created (all or nothing; every bad row listed in errors[])",
        import
    ),
    ep!(
        "post",
        "/contacts/import/preview",
        "sender",
        "Read a CSV roster (text/csv, header line first): its columns, the guessed column mapping and the first rows; nothing is written"
    ),
    ep!(
        "post",
        "/contacts/import/csv",
        "sender",
        "Import a CSV roster (text/csv) with columns= naming what each column holds (name, phone, language, external_id, group, fields.<key>, or empty to skip); all or nothing like /contacts/import"
    ),
    ep!(
        "get",
        "/contacts/count",
        "viewer",
        "How many contacts match query= (all without it)"
    ),
    ep!(
        "get",
        "/contacts/{uuid}/runs",
        "viewer",
        "A contact's flow runs with their results (paged: after=, before=, order=, limit=)"
    ),
    ep!("get", "/contacts/{uuid}", "viewer", "Get a contact"),
    ep!(
        "patch",
        "/contacts/{uuid}",
        "sender",
        "Change a contact (fields set to null are cleared)",
        contact_patch
    ),
    ep!(
        "delete",
        "/contacts/{uuid}",
        "sender",
        "Delete a contact; its queued messages fail"
    ),
    ep!("get", "/fields", "viewer", "List custom fields"),
    ep!("post", "/fields", "sender", "Create a custom field", new_field),
    ep!("get", "/groups", "viewer", "List groups with member counts"),
    ep!(
        "post",
        "/groups",
        "sender",
        "Create a static group, or a smart group with a query",
        new_group
    ),
    ep!("get", "/groups/{group}", "viewer", "Get a group by UUID or name"),
    ep!(
        "patch",
        "/groups/{group}",
        "sender",
        "Rename a group or change a smart group's query",
        new_group
    ),
    ep!(
        "delete",
        "/groups/{group}",
        "sender",
        "Delete a group (not its contacts)"
    ),
    ep!(
        "post",
        "/groups/{group}/members",
        "sender",
        "Add contacts to a static group (each by UUID, or by a URN or phone number it owns)",
        members
    ),
    ep!(
        "post",
        "/groups/{group}/members/remove",
        "sender",
        "Remove contacts from a static group",
        members
    ),
    ep!(
        "get",
        "/messages",
        "viewer",
        "List messages (direction=, status= (also held), contact=, broadcast=, urn=, unmatched=true for inbound ones nothing answered; paged); an unsent one has next_attempt_on and waiting_reason, and is held while outside sending hours"
    ),
    ep!(
        "post",
        "/messages",
        "sender",
        "Send one message now, ahead of bulk traffic",
        send_msg
    ),
    ep!(
        "get",
        "/messages/events",
        "viewer",
        "New messages as Server-Sent Events (event message, data as GET /messages/{uuid}, id the cursor; direction=, unmatched=true, after=; Last-Event-ID resumes); an inbound one once handled, with handled_by"
    ),
    ep!(
        "get",
        "/messages/{uuid}",
        "viewer",
        "Get a message with its full lifecycle (held, next_attempt_on and waiting_reason while unsent)"
    ),
    ep!("get", "/calls", "viewer", "List IVR calls (paged; order=desc for newest first)"),
    ep!(
        "post",
        "/calls",
        "sender",
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
        "sender",
        "Send or schedule a broadcast; one to go now that reaches nobody is refused (422 naming why) unless allow_empty; the answer carries warnings",
        new_broadcast
    ),
    ep!(
        "post",
        "/broadcasts/preview",
        "sender",
        "What the same body as POST /broadcasts would send, without sending: recipients after exclusions (opted_out, blocked, no_phone, duplicate), segments per language with the encoding and the characters that force UCS-2, the routes' links and live rates, eta_seconds and eta_note (sending hours), cost when sending.price_per_segment is configured",
        new_broadcast
    ),
    ep!(
        "post",
        "/messages/segments",
        "sender",
        "Count a text: encoding (GSM-7 or UCS-2), segments, chars, units, per_segment and the ucs2_chars that force UCS-2",
        segments_text
    ),
    ep!(
        "post",
        "/flow_starts/preview",
        "sender",
        "Who the same body as POST /flow_starts would start, without starting anyone: recipients and excluded (opted_out, blocked, duplicate, already_in_flow)",
        new_start
    ),
    ep!(
        "get",
        "/broadcasts/{uuid}",
        "viewer",
        "Get a broadcast and its progress counts (status completed once every message is delivered, failed, cancelled, or sent past its link's receipt_wait_secs: counted in sent as sent, no receipt)"
    ),
    ep!(
        "post",
        "/broadcasts/{uuid}/cancel",
        "sender",
        "Cancel a broadcast and its later firings; messages not yet with a link (paused ones too) become cancelled"
    ),
    ep!(
        "patch",
        "/broadcasts/{uuid}",
        "sender",
        "Change a broadcast that has not fired yet: text (its base language) and/or schedule (409 once it has fired)"
    ),
    ep!(
        "post",
        "/broadcasts/{uuid}/pause",
        "sender",
        "Pause a sending broadcast: its messages not yet with a link wait as paused, none is lost (409 when it is not sending)"
    ),
    ep!(
        "post",
        "/broadcasts/{uuid}/resume",
        "sender",
        "Resume a paused broadcast: its paused messages are due again (409 when it is not paused)"
    ),
    ep!(
        "post",
        "/broadcasts/{uuid}/retry_failed",
        "sender",
        "Send a broadcast's failed messages again (retried says how many); the broadcast is open again until they settle"
    ),
    ep!(
        "get",
        "/broadcasts/{uuid}/funnel",
        "viewer",
        "A broadcast's messages by status overall and per link, and its failures grouped by reason (raw reason, kind, SMPP code, sentence in English)"
    ),
    ep!(
        "get",
        "/broadcasts/{uuid}/events",
        "viewer",
        "The funnel as Server-Sent Events: a funnel event at once, then each second when it changed; ends once the broadcast is finished"
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
        "Runs with their results (after=, before= as RFC 3339 times; group=, status=; paged by after_id=, before_id=, order=, limit=)"
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
        "sender",
        "Start a flow for contacts, groups, a query or numbers, with exclusions, now or on a schedule (each firing a start of its own); one to go now that reaches nobody is refused unless allow_empty",
        new_start
    ),
    ep!(
        "get",
        "/flow_starts/{uuid}",
        "viewer",
        "A flow start and its progress (completed once every contact is started or skipped, not waiting on delivery)"
    ),
    ep!(
        "post",
        "/flow_starts/{uuid}/cancel",
        "sender",
        "Cancel a flow start and its later firings; contacts not yet started are left out"
    ),
    ep!(
        "post",
        "/flow_starts/{uuid}/pause",
        "sender",
        "Pause a flow start not yet through its contacts: none more is started until it is resumed (409 when it is not pending or starting)"
    ),
    ep!(
        "post",
        "/flow_starts/{uuid}/resume",
        "sender",
        "Resume a paused flow start"
    ),
    ep!(
        "get",
        "/flow_starts/{uuid}/events",
        "viewer",
        "A flow start and its progress as Server-Sent Events, each second when it changed; ends once it is finished"
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
        "sender",
        "Create (or replace by uuid) a campaign: flows or messages at offsets from a date field",
        new_campaign
    ),
    ep!("get", "/campaigns/{uuid}", "viewer", "A campaign"),
    ep!(
        "delete",
        "/campaigns/{uuid}",
        "sender",
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
        "admin",
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
        "get",
        "/tokens",
        "admin",
        "API tokens: name, role, created time, source (config or database); never a secret"
    ),
    ep!(
        "post",
        "/tokens",
        "admin",
        "Make an API token; its secret is in this answer only",
        new_token
    ),
    ep!(
        "delete",
        "/tokens/{name}",
        "admin",
        "Revoke an API token made by the API or CLI (config-file tokens: edit the file)"
    ),
    ep!(
        "get",
        "/accounts",
        "admin",
        "Operator accounts: user name, display name, role, language, whether the password must be changed, times; never a password or its hash"
    ),
    ep!(
        "post",
        "/accounts",
        "admin",
        "Make an operator account with a first password (at least 10 characters, not the user name, not a common one) that it must change at its first login",
        new_account
    ),
    ep!(
        "patch",
        "/accounts/{username}",
        "viewer",
        "Change an account's role, language, display name or disabled state (admin); an account may change its own language. Disabling ends its sessions and stops its tokens",
        account_patch
    ),
    ep!(
        "post",
        "/accounts/{username}/password",
        "viewer",
        "Set a password: an admin resets another account's (to be changed at its next login); an account changes its own with current_password",
        account_password
    ),
    ep!(
        "get",
        "/audit",
        "admin",
        "The audit log of every state change through the console, the API and the CLI (actor=, action=, target_type=, target_id=, since=, until= as RFC 3339; paged)"
    ),
    ep!(
        "post",
        "/simulator/inbound",
        "sender",
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
        "/simulator/calls",
        "sender",
        "Place a simulated voice call (no carrier): returns what the caller hears up to the first wait and what it expects; stored as a real call",
        sim_call
    ),
    ep!(
        "get",
        "/simulator/calls/{uuid}",
        "viewer",
        "A simulated call: every prompt heard so far, what it waits for, and its results once ended"
    ),
    ep!(
        "post",
        "/simulator/calls/{uuid}/digits",
        "sender",
        "Press keys on a simulated call (empty: silence); returns the next step the same way",
        sim_digits
    ),
    ep!(
        "post",
        "/emNutt/fhir/CommunicationRequest",
        "sender",
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
        "sender",
        "emNutt-compatible cancel of a scheduled send ({\"reqID\": ...})"
    ),
    ep!(
        "post",
        "/emNutt/optout",
        "sender",
        "emNutt-compatible opt-out by Practitioner id (PUT as iHRIS sends it, or POST)",
        emnutt_entities
    ),
    ep!(
        "post",
        "/emNutt/undoOptout",
        "sender",
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
        json!({"external_id": {"type": "string", "description": "the id another system (an HR roster) knows the contact by; unique"},
               "name": {"type": "string"}, "language": {"type": "string"}, "timezone": {"type": "string"},
               "urns": {"type": "array", "items": {"type": "string"}, "minItems": 1},
               "fields": {"type": "object"}, "groups": strings()}),
        &["urns"],
    )
}
fn import_row() -> Value {
    let mut row = new_contact();
    row["required"] = json!([]);
    row["description"] =
        json!("a new contact needs a URN; a row matching a known one by a URN or external_id updates it");
    row
}
fn import() -> Value {
    obj(
        json!({"contacts": {"type": "array", "items": import_row()}}),
        &["contacts"],
    )
}
fn contact_patch() -> Value {
    obj(
        json!({"external_id": {"type": "string", "description": "\"\" clears it"},
               "name": {"type": "string"}, "language": {"type": "string"}, "timezone": {"type": "string"},
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

/// When a send fires: broadcasts and flow starts take the same shape.
fn schedule() -> Value {
    json!({"oneOf": [
        obj(json!({"repeat": {"const": "once"}, "at": {"type": "string", "format": "date-time"}}), &["repeat", "at"]),
        obj(json!({"repeat": {"const": "daily"}, "time": {"type": "string"}, "timezone": {"type": "string"}}), &["repeat", "time"]),
        obj(json!({"repeat": {"const": "weekly"}, "days": strings(), "time": {"type": "string"}, "timezone": {"type": "string"}}), &["repeat", "days", "time"]),
        obj(json!({"repeat": {"const": "cron"}, "expr": {"type": "string", "description": "five-field cron (minute hour day month weekday), in local time"}, "timezone": {"type": "string"}}), &["repeat", "expr"]),
    ]})
}
fn allow_empty() -> Value {
    json!({"type": "boolean", "default": false,
           "description": "accept a send to go now that reaches nobody (201 with warnings) instead of 422"})
}
fn segments_text() -> Value {
    json!({"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}})
}

fn new_broadcast() -> Value {
    obj(
        json!({
            "text": {"oneOf": [{"type": "string"}, {"type": "object", "additionalProperties": {"type": "string"}}]},
            "base_language": {"type": "string"},
            "contacts": strings(), "groups": strings(), "query": {"type": "string"}, "urns": strings(),
            "schedule": schedule(),
            "respect_hours": {"type": "boolean", "default": true},
            "allow_empty": allow_empty()
        }),
        &["text"],
    )
}
fn new_token() -> Value {
    obj(
        json!({"name": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
               "role": {"enum": ["viewer", "sender", "admin"], "description": "operator is accepted as another name for sender"}}),
        &["name", "role"],
    )
}
fn new_account() -> Value {
    obj(
        json!({"username": {"type": "string", "pattern": "^[a-z0-9._-]{1,64}$"},
               "display_name": {"type": "string"},
               "role": {"enum": ["viewer", "sender", "admin"], "description": "operator is accepted as another name for sender"},
               "language": {"enum": ["", "eng", "fra", "swa", "por"]},
               "password": {"type": "string", "minLength": 10}}),
        &["username", "role", "password"],
    )
}

fn account_patch() -> Value {
    obj(
        json!({"display_name": {"type": "string"},
               "role": {"enum": ["viewer", "sender", "admin"]},
               "language": {"enum": ["", "eng", "fra", "swa", "por"]},
               "disabled": {"type": "boolean"}}),
        &[],
    )
}

fn account_password() -> Value {
    obj(
        json!({"password": {"type": "string", "minLength": 10},
               "current_password": {"type": "string", "description": "needed to change one's own password"}}),
        &["password"],
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
    json!({"type": "object", "properties": {"triggers": {"type": "array", "minItems": 1}}, "required": ["triggers"]})
}
fn flow_export() -> Value {
    json!({"type": "object", "properties": {"version": {}, "flows": {"type": "array"}, "fields": {"type": "array"},
           "groups": {"type": "array"}, "triggers": {"type": "array"}, "campaigns": {"type": "array"}}})
}
fn new_start() -> Value {
    obj(
        json!({"flow": {"type": "string"}, "contacts": strings(), "groups": strings(), "query": {"type": "string"},
               "urns": strings(), "params": {"type": "object"},
               "exclusions": obj(json!({"in_a_flow": {"type": "boolean"}, "started_previously_days": {"type": "integer", "minimum": 0}}), &[]),
               "schedule": schedule(), "allow_empty": allow_empty()}),
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

fn sim_call() -> Value {
    obj(
        json!({
            "flow": {"type": "string", "description": "voice flow UUID or name, or export file#flow"},
            "to": {"type": "string"},
            "language": {"type": "string", "description": "ISO 639-3; default the contact's"}
        }),
        &["flow", "to"],
    )
}
fn sim_digits() -> Value {
    obj(
        json!({"digits": {"type": "string", "pattern": "^[0-9*#]{0,64}$"}}),
        &["digits"],
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
                 "description": "Paged lists take after=, before= (row cursors: the `next` of the previous page), \
                                 order=asc|desc (by creation, asc by default) and limit= (1-1000, 100 by default), \
                                 and answer {\"results\": [...], \"next\": cursor or null}. A query parameter an \
                                 endpoint does not take is refused with 400 naming it. Every timestamp is RFC 3339 UTC. \
                                 Outside /api/v1: `GET /healthz` (no token) answers 200 {\"status\": \"ok\"}, \
                                 or 200 {\"status\": \"degraded\", \"tasks\": [{\"task\", \"failures\", \"down\", \"last_error\"}]} \
                                 while a gateway task is down or failed in the last minute, or 503 when stopping or \
                                 without its database; `GET /metrics` is Prometheus text (a viewer token unless [metrics] public = true)."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": obj(json!({"error": {"type": "string"}, "field": {"type": "string"},
                "errors": {"type": "array", "description": "every problem, when a request had several bad parts",
                           "items": obj(json!({"field": {"type": "string"}, "error": {"type": "string"}}), &["field", "error"])}}), &["error"])}
        }
    })
}

pub async fn serve() -> Json<Value> {
    Json(document())
}
