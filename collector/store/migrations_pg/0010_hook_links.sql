-- 0010 (PostgreSQL; the same change as migrations/0010_hook_links.sql):
-- incidents driven by PagerDuty and Opsgenie. hook_links ties a tool's
-- incident (source, its id) to the Pharos incident it opened; hook_events
-- holds the event ids seen recently, so a replayed delivery is recognised.
CREATE TABLE hook_links (
    source      TEXT   NOT NULL,
    external_id TEXT   NOT NULL,
    incident_id TEXT   NOT NULL DEFAULT '',
    url         TEXT   NOT NULL DEFAULT '',
    state       BIGINT NOT NULL,
    flags       BIGINT NOT NULL DEFAULT 0,
    created_ms  BIGINT NOT NULL,
    updated_ms  BIGINT NOT NULL,
    PRIMARY KEY (source, external_id)
);
CREATE TABLE hook_events (
    source   TEXT   NOT NULL,
    event_id TEXT   NOT NULL,
    seen_ms  BIGINT NOT NULL,
    PRIMARY KEY (source, event_id)
);
