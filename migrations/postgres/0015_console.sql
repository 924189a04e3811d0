-- The operator console (issue #14): operator accounts, their browser
-- sessions, failed logins (counted here, not in memory, so throttling holds
-- when several nodes share PostgreSQL), API tokens owned by an account, and
-- the audit log of every state change made through the console, the API or
-- the CLI.

CREATE TABLE accounts (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    -- argon2id, in the PHC string format (algorithm, parameters and salt
    -- travel with the hash).
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    -- eng, fra, swa or por; empty: the browser's language.
    language TEXT NOT NULL DEFAULT '',
    -- 1 for a password someone else chose (the first run's, an admin's
    -- reset): the next login must replace it.
    must_change_password INTEGER NOT NULL DEFAULT 0,
    created_on BIGINT NOT NULL,
    modified_on BIGINT NOT NULL,
    disabled_on BIGINT
);

-- Only the SHA-256 of a session cookie is kept: a copy of this table does
-- not log anyone in.
CREATE TABLE console_sessions (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    csrf_token TEXT NOT NULL,
    created_on BIGINT NOT NULL,
    seen_on BIGINT NOT NULL
);
CREATE INDEX console_sessions_account ON console_sessions (account_id);

CREATE TABLE login_failures (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL,
    client TEXT NOT NULL,
    failed_on BIGINT NOT NULL
);
CREATE INDEX login_failures_username ON login_failures (username, failed_on);
CREATE INDEX login_failures_client ON login_failures (client, failed_on);

-- A token made from an account page acts with that account's role at the
-- time it is used, and stops working when the account is disabled.
ALTER TABLE api_tokens ADD COLUMN account_id BIGINT REFERENCES accounts (id);

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    -- account, token (the token's name; account names its owner) or cli.
    actor_kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    account TEXT,
    action TEXT NOT NULL,
    target_type TEXT,
    target_id TEXT,
    -- JSON with secrets and passwords removed.
    before_json TEXT,
    after_json TEXT,
    -- ok, or refused/failed with the HTTP status.
    result TEXT NOT NULL,
    status INTEGER
);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, id);
