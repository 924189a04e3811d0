-- Registry write-back, second part (issue #6): flow runs become
-- QuestionnaireResponses and per-recipient results, HR update answers change
-- PractitionerRoles, local groups are published as Group resources.
-- Times are milliseconds since the Unix epoch (UTC).

-- The flow start a flow request created, so its runs find their request.
ALTER TABLE registry_requests ADD COLUMN start_id BIGINT;
UPDATE registry_requests SET start_id = (
    SELECT fs.id FROM flow_starts fs WHERE fs.origin = 'registry'
    AND fs.params = '{"communication_request":"' || registry_requests.id || '"}'
) WHERE kind = 'flow';
CREATE INDEX registry_requests_start ON registry_requests(start_id);

-- Run write-back cursor over runs (modified_on, id).
ALTER TABLE registry_state ADD COLUMN run_cursor_on BIGINT NOT NULL DEFAULT 0;
ALTER TABLE registry_state ADD COLUMN run_cursor_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX runs_modified ON runs(modified_on, id);

-- A change an answer asked for that the gateway did not make, because the
-- registry changed the record after the answer (the registry wins).
CREATE TABLE registry_conflicts (
    registry TEXT NOT NULL,
    -- `PractitionerRole/<id>`
    resource TEXT NOT NULL,
    field TEXT NOT NULL,
    -- What the answer asked for, and what the registry holds.
    ours TEXT NOT NULL,
    theirs TEXT,
    -- Why the change was not made.
    reason TEXT NOT NULL,
    run_uuid TEXT NOT NULL,
    answered_on BIGINT NOT NULL,
    registry_updated_on BIGINT,
    seen_on BIGINT NOT NULL,
    PRIMARY KEY (registry, resource, field)
);

-- Local groups published to a registry: the digest of the Group last written.
CREATE TABLE registry_group_exports (
    registry TEXT NOT NULL,
    group_id BIGINT NOT NULL REFERENCES contact_groups(id) ON DELETE CASCADE,
    digest TEXT NOT NULL,
    written_on BIGINT NOT NULL,
    PRIMARY KEY (registry, group_id)
);
