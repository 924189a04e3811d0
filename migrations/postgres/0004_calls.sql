-- IVR calls over SIP trunks: one row per call (inbound, or outbound with its
-- attempts and retry schedule), and the voice flow runs each answered call made.
-- Outbound calls are inserted before they are dialled, so a restart finds
-- queued and retry-waiting calls and picks them up again.

CREATE TABLE calls (
    id BIGSERIAL PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    trunk TEXT NOT NULL,
    direction TEXT NOT NULL,
    contact_id BIGINT REFERENCES contacts(id) ON DELETE SET NULL,
    urn TEXT NOT NULL,
    flow TEXT NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT,
    sip_status INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_on BIGINT,
    claimed_by TEXT,
    answered_on BIGINT,
    ended_on BIGINT,
    duration_ms BIGINT NOT NULL DEFAULT 0,
    digits TEXT NOT NULL DEFAULT '',
    recordings TEXT NOT NULL DEFAULT '[]',
    hangup_by TEXT,
    created_on BIGINT NOT NULL,
    modified_on BIGINT NOT NULL
);
CREATE INDEX calls_due ON calls (status, next_attempt_on);

CREATE TABLE call_runs (
    id BIGSERIAL PRIMARY KEY,
    call_id BIGINT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    session_uuid TEXT NOT NULL,
    flow_uuid TEXT NOT NULL,
    status TEXT NOT NULL,
    results TEXT NOT NULL DEFAULT '{}',
    session TEXT NOT NULL,
    created_on BIGINT NOT NULL
);
CREATE INDEX call_runs_call ON call_runs (call_id);
