-- 0002: agents created at run time (pharosctl agent add). Only the
-- SHA-256 of each token is stored; revoked agents keep their row.
CREATE TABLE agent_tokens (
    agent_id     TEXT PRIMARY KEY,
    region       TEXT    NOT NULL,
    token_sha256 TEXT    NOT NULL UNIQUE,
    created_ms   INTEGER NOT NULL,
    revoked_ms   INTEGER
);
