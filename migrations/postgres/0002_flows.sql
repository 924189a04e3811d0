-- Flows and what they leave behind: imported definitions, sessions (the
-- engine's state while a contact is waiting), runs and their results, flow
-- starts, campaigns (spaced education) and leases for one-node tasks.
-- Times are milliseconds since the Unix epoch (UTC).

CREATE TABLE flows (
    id BIGSERIAL PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    flow_type TEXT NOT NULL,
    -- The flow definition as imported (JSON); migrated when loaded.
    definition TEXT NOT NULL,
    source TEXT NOT NULL,
    created_on BIGINT NOT NULL,
    modified_on BIGINT NOT NULL
);

CREATE TABLE sessions (
    id BIGSERIAL PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    -- waiting, completed, interrupted, expired, failed
    status TEXT NOT NULL,
    flow_uuid TEXT NOT NULL,
    -- The engine's session JSON while waiting; NULL once ended.
    state TEXT,
    -- Bumped by every write; a resume writes only over the version it read.
    version BIGINT NOT NULL DEFAULT 0,
    timeout_on BIGINT,
    expires_on BIGINT,
    created_on BIGINT NOT NULL,
    modified_on BIGINT NOT NULL,
    ended_on BIGINT
);
CREATE UNIQUE INDEX sessions_one_waiting ON sessions(contact_id) WHERE status = 'waiting';
CREATE INDEX sessions_timeout ON sessions(timeout_on) WHERE status = 'waiting';
CREATE INDEX sessions_expires ON sessions(expires_on) WHERE status = 'waiting';

CREATE TABLE flow_starts (
    id BIGSERIAL PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    flow_uuid TEXT NOT NULL,
    recipients TEXT NOT NULL,
    exclusions TEXT NOT NULL,
    params TEXT,
    -- api, flow_action, campaign, registry
    origin TEXT NOT NULL,
    -- pending, starting, completed, failed
    status TEXT NOT NULL,
    contact_count BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    created_on BIGINT NOT NULL,
    modified_on BIGINT NOT NULL
);
CREATE INDEX flow_starts_status ON flow_starts(status, id);

-- Each contact of a start, marked done in the transaction that starts it.
CREATE TABLE flow_start_contacts (
    start_id BIGINT NOT NULL REFERENCES flow_starts(id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    -- 0 to do, 1 started, 2 skipped
    done BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (start_id, contact_id)
);
CREATE INDEX flow_start_contacts_todo ON flow_start_contacts(start_id, done);

CREATE TABLE runs (
    id BIGSERIAL PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    session_id BIGINT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    flow_uuid TEXT NOT NULL,
    -- active, waiting, completed, expired, interrupted, failed
    status TEXT NOT NULL,
    responded BIGINT NOT NULL DEFAULT 0,
    start_id BIGINT REFERENCES flow_starts(id) ON DELETE SET NULL,
    created_on BIGINT NOT NULL,
    modified_on BIGINT NOT NULL,
    exited_on BIGINT
);
CREATE INDEX runs_flow ON runs(flow_uuid, created_on);
CREATE INDEX runs_contact ON runs(contact_id, flow_uuid, created_on);

CREATE TABLE run_results (
    run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    flow_uuid TEXT NOT NULL,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    category TEXT NOT NULL,
    input TEXT,
    node_uuid TEXT NOT NULL,
    created_on BIGINT NOT NULL,
    PRIMARY KEY (run_id, key)
);
CREATE INDEX run_results_flow ON run_results(flow_uuid, key, category);

CREATE TABLE campaigns (
    id BIGSERIAL PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    group_name TEXT NOT NULL,
    created_on BIGINT NOT NULL,
    modified_on BIGINT NOT NULL
);

CREATE TABLE campaign_events (
    id BIGSERIAL PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    relative_to TEXT NOT NULL,
    offset_value BIGINT NOT NULL,
    unit TEXT NOT NULL,
    -- -1: the same time of day as the date field
    delivery_hour BIGINT NOT NULL,
    flow_uuid TEXT,
    -- JSON text per language for message events
    message TEXT,
    base_language TEXT NOT NULL,
    -- I (interrupt), S (skip contacts in a flow), P (passive)
    start_mode TEXT NOT NULL,
    -- Fires at or before this time were scheduled by an earlier pass.
    synced_on BIGINT NOT NULL,
    created_on BIGINT NOT NULL
);

CREATE TABLE event_fires (
    id BIGSERIAL PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES campaign_events(id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    scheduled_on BIGINT NOT NULL,
    fired_on BIGINT,
    -- started, sent, skipped
    outcome TEXT,
    UNIQUE (event_id, contact_id, scheduled_on)
);
CREATE INDEX event_fires_due ON event_fires(scheduled_on) WHERE fired_on IS NULL;
CREATE INDEX event_fires_contact ON event_fires(contact_id, event_id);

-- A task that must run on one node at a time holds its lease.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    node TEXT NOT NULL,
    expires_on BIGINT NOT NULL
);
