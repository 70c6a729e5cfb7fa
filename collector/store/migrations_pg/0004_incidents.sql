-- 0004 (PostgreSQL; the same change as migrations/0004_incidents.sql): incidents and scheduled maintenance (one table, as Statuspage:
-- kind 0 = incident, 1 = maintenance) with their updates, and the audit
-- log of every write through the management API.
CREATE TABLE incidents (
    id                 TEXT PRIMARY KEY,
    kind               BIGINT NOT NULL,
    name               TEXT    NOT NULL,
    status             BIGINT NOT NULL,
    impact_override    BIGINT NOT NULL,
    draft              BIGINT NOT NULL,
    auto_opened        BIGINT NOT NULL,
    created_ms         BIGINT NOT NULL,
    updated_ms         BIGINT NOT NULL,
    started_ms         BIGINT NOT NULL,
    monitoring_ms      BIGINT NOT NULL,
    resolved_ms        BIGINT NOT NULL,
    scheduled_for_ms   BIGINT NOT NULL,
    scheduled_until_ms BIGINT NOT NULL,
    remind_prior_min   BIGINT NOT NULL,
    reminded_ms        BIGINT NOT NULL,
    auto_in_progress   BIGINT NOT NULL,
    auto_completed     BIGINT NOT NULL,
    components         TEXT    NOT NULL   -- space-separated component ids
);
CREATE INDEX incidents_created ON incidents (created_ms);

CREATE TABLE incident_updates (
    id          TEXT PRIMARY KEY,
    incident_id TEXT    NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,
    status      BIGINT NOT NULL,
    body        TEXT    NOT NULL,
    created_ms  BIGINT NOT NULL,
    updated_ms  BIGINT NOT NULL,
    display_ms  BIGINT NOT NULL,
    deliver     BIGINT NOT NULL,
    affected    TEXT    NOT NULL   -- "code old new" triples, ';'-separated
);
CREATE INDEX incident_updates_incident ON incident_updates (incident_id, seq);

CREATE TABLE audit_log (
    id         BIGSERIAL PRIMARY KEY,
    at_ms      BIGINT NOT NULL,
    actor      TEXT    NOT NULL,   -- API key name, or "pharosctl"/"system"
    action     TEXT    NOT NULL,   -- "PATCH /v1/pages/x/components/api"
    target     TEXT    NOT NULL,   -- object id
    detail     TEXT    NOT NULL,   -- short summary of the change
    status     BIGINT NOT NULL    -- HTTP status of the reply
);
CREATE INDEX audit_log_time ON audit_log (at_ms);
