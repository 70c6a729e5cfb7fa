-- 0001: results, agents, transitions, key/value state.
CREATE TABLE results (
    id             INTEGER PRIMARY KEY,
    agent_id       TEXT    NOT NULL,
    region         TEXT    NOT NULL,
    seq            INTEGER NOT NULL,
    idx            INTEGER NOT NULL,
    check_id       TEXT    NOT NULL,
    started_at_ms  INTEGER NOT NULL,
    outcome        INTEGER NOT NULL,
    latency_ms     INTEGER NOT NULL,
    dns_us         INTEGER NOT NULL,
    connect_us     INTEGER NOT NULL,
    tls_us         INTEGER NOT NULL,
    first_byte_us  INTEGER NOT NULL,
    total_us       INTEGER NOT NULL,
    status_code    INTEGER NOT NULL,
    cert_not_after INTEGER NOT NULL,
    error          TEXT    NOT NULL,
    received_ms    INTEGER NOT NULL,
    UNIQUE (agent_id, seq, idx)
);
CREATE INDEX results_check_time ON results (check_id, started_at_ms);
CREATE INDEX results_time ON results (started_at_ms);

CREATE TABLE agents (
    agent_id        TEXT PRIMARY KEY,
    region          TEXT    NOT NULL,
    version         TEXT    NOT NULL DEFAULT '',
    last_seq        INTEGER NOT NULL DEFAULT 0,
    plan_version    INTEGER NOT NULL DEFAULT 0,
    backlog         INTEGER NOT NULL DEFAULT 0,
    last_contact_ms INTEGER NOT NULL DEFAULT 0,
    results         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE transitions (
    id           INTEGER PRIMARY KEY,
    component_id TEXT    NOT NULL,
    old_status   TEXT    NOT NULL,
    new_status   TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    at_ms        INTEGER NOT NULL
);
CREATE INDEX transitions_component_time ON transitions (component_id, at_ms);
CREATE INDEX transitions_time ON transitions (at_ms);

CREATE TABLE kv (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
