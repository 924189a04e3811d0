-- Health-worker registries (issue #6): which contact each registry
-- Practitioner is, the sync state per registry (incremental cursor, lease,
-- write-back cursor), records skipped for want of a usable phone, groups
-- mirrored from `Group` resources, and send requests taken from iHRIS
-- (emNutt API) or polled from a registry, each acted on once.
-- Times are milliseconds since the Unix epoch (UTC).

CREATE TABLE registry_contacts (
    registry TEXT NOT NULL,
    practitioner_id TEXT NOT NULL,
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    -- E.164 numbers this registry supplied (JSON array), so a number the
    -- registry drops is dropped from the contact too.
    phones TEXT NOT NULL DEFAULT '[]',
    -- Digest of the mapped record: unchanged means nothing to write.
    digest TEXT NOT NULL DEFAULT '',
    -- What the registry's Practitioner carries, as far as we know: the
    -- contact-uuid identifier and the optedout tag. Write-back is due when
    -- these differ from the contact.
    registry_uuid TEXT,
    registry_optout BIGINT NOT NULL DEFAULT 0,
    synced_on BIGINT NOT NULL,
    PRIMARY KEY (registry, practitioner_id)
);
CREATE INDEX registry_contacts_contact ON registry_contacts(contact_id);

CREATE TABLE registry_state (
    registry TEXT PRIMARY KEY,
    -- The next incremental sync asks for `_lastUpdated >= synced_until`.
    synced_until BIGINT,
    last_report TEXT,
    -- Communication write-back cursor over msgs (modified_on, id).
    msg_cursor_on BIGINT NOT NULL DEFAULT 0,
    msg_cursor_id BIGINT NOT NULL DEFAULT 0,
    -- One node works a registry at a time (nodes sharing PostgreSQL).
    lease_node TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0,
    modified_on BIGINT NOT NULL
);

CREATE TABLE registry_skipped (
    registry TEXT NOT NULL,
    practitioner_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    seen_on BIGINT NOT NULL,
    PRIMARY KEY (registry, practitioner_id)
);

CREATE TABLE registry_groups (
    registry TEXT NOT NULL,
    fhir_id TEXT NOT NULL,
    group_id BIGINT NOT NULL REFERENCES contact_groups(id) ON DELETE CASCADE,
    -- Practitioner ids last agreed with the registry (JSON array).
    members TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (registry, fhir_id)
);
CREATE INDEX registry_groups_group ON registry_groups(group_id);

CREATE TABLE registry_requests (
    -- reqID answered to iHRIS, or `<registry>/<CommunicationRequest id>`.
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    registry TEXT,
    request_id TEXT NOT NULL,
    parent_id TEXT,
    kind TEXT NOT NULL,
    flow_uuid TEXT,
    status TEXT NOT NULL,
    broadcast_id BIGINT REFERENCES broadcasts(id),
    resource TEXT NOT NULL,
    -- Contact uuids resolved from the recipients (JSON array).
    contacts TEXT NOT NULL DEFAULT '[]',
    unresolved TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    written BIGINT NOT NULL DEFAULT 0,
    created_on BIGINT NOT NULL,
    modified_on BIGINT NOT NULL
);
CREATE INDEX registry_requests_broadcast ON registry_requests(broadcast_id);
