-- 0002 (PostgreSQL; the same change as migrations/0002_agent_tokens.sql): agents created at run time (pharosctl agent add). Only the
-- SHA-256 of each token is stored; revoked agents keep their row.
CREATE TABLE agent_tokens (
    agent_id     TEXT PRIMARY KEY,
    region       TEXT    NOT NULL,
    token_sha256 TEXT    NOT NULL UNIQUE,
    created_ms   BIGINT NOT NULL,
    revoked_ms   BIGINT
);
