-- The spine: contacts, groups, messages (the outbox), broadcasts, triggers,
-- nodes and API tokens. Times are milliseconds since the Unix epoch (UTC).
-- Integers are BIGINT everywhere so both databases decode them alike.

CREATE TABLE contacts (
    id BIGSERIAL PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT,
    language TEXT,
    timezone TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    fields TEXT NOT NULL DEFAULT '{}',
    created_on BIGINT NOT NULL,
    modified_on BIGINT NOT NULL
);

CREATE TABLE contact_urns (
    id BIGSERIAL PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    urn TEXT NOT NULL UNIQUE,
    priority BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX contact_urns_contact ON contact_urns(contact_id);

CREATE TABLE fields (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    value_type TEXT NOT NULL,
    created_on BIGINT NOT NULL
);

CREATE TABLE contact_groups (
    id BIGSERIAL PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    query TEXT,
    created_on BIGINT NOT NULL,
    modified_on BIGINT NOT NULL
);

CREATE TABLE group_members (
    group_id BIGINT NOT NULL REFERENCES contact_groups(id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, contact_id)
);
CREATE INDEX group_members_contact ON group_members(contact_id);

CREATE TABLE broadcasts (
    id BIGSERIAL PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    translations TEXT NOT NULL,
    base_language TEXT NOT NULL,
    recipients TEXT NOT NULL,
    schedule TEXT,
    respect_hours BIGINT NOT NULL DEFAULT 1,
    status TEXT NOT NULL,
    parent_id BIGINT REFERENCES broadcasts(id),
    fire_on BIGINT,
    recipient_count BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    created_on BIGINT NOT NULL,
    modified_on BIGINT NOT NULL
);
CREATE INDEX broadcasts_due ON broadcasts(status, fire_on);

CREATE TABLE msgs (
    id BIGSERIAL PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    direction TEXT NOT NULL,
    contact_id BIGINT REFERENCES contacts(id) ON DELETE SET NULL,
    urn TEXT NOT NULL,
    text TEXT NOT NULL,
    status TEXT NOT NULL,
    priority BIGINT NOT NULL DEFAULT 0,
    segments BIGINT NOT NULL DEFAULT 1,
    route TEXT,
    link TEXT,
    external_id TEXT,
    failure_reason TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_on BIGINT,
    node TEXT,
    broadcast_id BIGINT REFERENCES broadcasts(id),
    created_on BIGINT NOT NULL,
    wired_on BIGINT,
    sent_on BIGINT,
    delivered_on BIGINT,
    modified_on BIGINT NOT NULL
);
CREATE INDEX msgs_claim ON msgs(route, priority, next_attempt_on, id) WHERE status IN ('queued', 'errored');
CREATE INDEX msgs_wired ON msgs(node) WHERE status = 'wired';
CREATE INDEX msgs_broadcast ON msgs(broadcast_id, status);
CREATE INDEX msgs_external ON msgs(link, external_id);
CREATE INDEX msgs_contact ON msgs(contact_id, id);
CREATE INDEX msgs_status ON msgs(status, id);

CREATE TABLE triggers (
    id BIGSERIAL PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    keywords TEXT NOT NULL,
    match_type TEXT NOT NULL,
    reply TEXT,
    flow_uuid TEXT,
    groups TEXT NOT NULL,
    exclude_groups TEXT NOT NULL,
    source TEXT NOT NULL,
    created_on BIGINT NOT NULL
);

-- What each simulated phone received; deliberately without a unique key on
-- msg_uuid, so a duplicate send would show as two rows.
CREATE TABLE sim_received (
    id BIGSERIAL PRIMARY KEY,
    msg_uuid TEXT NOT NULL,
    urn TEXT NOT NULL,
    text TEXT NOT NULL,
    link TEXT NOT NULL,
    node TEXT NOT NULL,
    received_on BIGINT NOT NULL
);
CREATE INDEX sim_received_msg ON sim_received(msg_uuid);
CREATE INDEX sim_received_urn ON sim_received(urn, id);

CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    started_on BIGINT NOT NULL,
    heartbeat_on BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    created_on BIGINT NOT NULL
);

CREATE TABLE link_settings (
    link TEXT PRIMARY KEY,
    rate DOUBLE PRECISION NOT NULL,
    modified_on BIGINT NOT NULL
);
