-- 0006 (PostgreSQL; the same change as migrations/0006_api_keys.sql): API keys created at run time (pharosctl key add). Only the
-- SHA-256 of each key is stored; revoked keys keep their row.
CREATE TABLE api_keys (
    name         TEXT PRIMARY KEY,
    scope        TEXT    NOT NULL,
    token_sha256 TEXT    NOT NULL UNIQUE,
    created_ms   BIGINT NOT NULL,
    revoked_ms   BIGINT
);
