-- Tokens made through the API and the CLI (issue #21): revoked ones are
-- kept, stamped, rather than deleted, so the table still says which tokens
-- existed and when they stopped working (operator accounts will own tokens
-- here later).
ALTER TABLE api_tokens ADD COLUMN revoked_on BIGINT;

-- A name is how a token is revoked (`DELETE /api/v1/tokens/{name}`,
-- `mhero token revoke NAME`), so it names one live token; a revoked name
-- may be used again.
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_on IS NULL;
