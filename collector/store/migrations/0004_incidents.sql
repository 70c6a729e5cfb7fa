-- 0004: incidents and scheduled maintenance (one table, as Statuspage:
-- kind 0 = incident, 1 = maintenance) with their updates, and the audit
-- log of every write through the management API.
CREATE TABLE incidents (
    id                 TEXT PRIMARY KEY,
    kind               INTEGER NOT NULL,
    name               TEXT    NOT NULL,
    status             INTEGER NOT NULL,
    impact_override    INTEGER NOT NULL,
    draft              INTEGER NOT NULL,
    auto_opened        INTEGER NOT NULL,
    created_ms         INTEGER NOT NULL,
    updated_ms         INTEGER NOT NULL,
    started_ms         INTEGER NOT NULL,
    monitoring_ms      INTEGER NOT NULL,
    resolved_ms        INTEGER NOT NULL,
    scheduled_for_ms   INTEGER NOT NULL,
    scheduled_until_ms INTEGER NOT NULL,
    remind_prior_min   INTEGER NOT NULL,
    reminded_ms        INTEGER NOT NULL,
    auto_in_progress   INTEGER NOT NULL,
    auto_completed     INTEGER NOT NULL,
    components         TEXT    NOT NULL   -- space-separated component ids
);
CREATE INDEX incidents_created ON incidents (created_ms);

CREATE TABLE incident_updates (
    id          TEXT PRIMARY KEY,
    incident_id TEXT    NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL,
    display_ms  INTEGER NOT NULL,
    deliver     INTEGER NOT NULL,
    affected    TEXT    NOT NULL   -- "code old new" triples, ';'-separated
);
CREATE INDEX incident_updates_incident ON incident_updates (incident_id, seq);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at_ms      INTEGER NOT NULL,
    actor      TEXT    NOT NULL,   -- API key name, or "pharosctl"/"system"
    action     TEXT    NOT NULL,   -- "PATCH /v1/pages/x/components/api"
    target     TEXT    NOT NULL,   -- object id
    detail     TEXT    NOT NULL,   -- short summary of the change
    status     INTEGER NOT NULL    -- HTTP status of the reply
);
CREATE INDEX audit_log_time ON audit_log (at_ms);
