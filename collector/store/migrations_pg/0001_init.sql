-- 0001 (PostgreSQL; the same change as migrations/0001_init.sql):
-- results, agents, transitions, key/value state.
CREATE TABLE results (
    id             BIGSERIAL PRIMARY KEY,
    agent_id       TEXT    NOT NULL,
    region         TEXT    NOT NULL,
    seq            BIGINT NOT NULL,
    idx            BIGINT NOT NULL,
    check_id       TEXT    NOT NULL,
    started_at_ms  BIGINT NOT NULL,
    outcome        BIGINT NOT NULL,
    latency_ms     BIGINT NOT NULL,
    dns_us         BIGINT NOT NULL,
    connect_us     BIGINT NOT NULL,
    tls_us         BIGINT NOT NULL,
    first_byte_us  BIGINT NOT NULL,
    total_us       BIGINT NOT NULL,
    status_code    BIGINT NOT NULL,
    cert_not_after BIGINT NOT NULL,
    error          TEXT    NOT NULL,
    received_ms    BIGINT NOT NULL,
    UNIQUE (agent_id, seq, idx)
);
CREATE INDEX results_check_time ON results (check_id, started_at_ms);
CREATE INDEX results_time ON results (started_at_ms);

CREATE TABLE agents (
    agent_id        TEXT PRIMARY KEY,
    region          TEXT    NOT NULL,
    version         TEXT    NOT NULL DEFAULT '',
    last_seq        BIGINT NOT NULL DEFAULT 0,
    plan_version    BIGINT NOT NULL DEFAULT 0,
    backlog         BIGINT NOT NULL DEFAULT 0,
    last_contact_ms BIGINT NOT NULL DEFAULT 0,
    results         BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE transitions (
    id           BIGSERIAL PRIMARY KEY,
    component_id TEXT    NOT NULL,
    old_status   TEXT    NOT NULL,
    new_status   TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    at_ms        BIGINT NOT NULL
);
CREATE INDEX transitions_component_time ON transitions (component_id, at_ms);
CREATE INDEX transitions_time ON transitions (at_ms);

CREATE TABLE kv (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
