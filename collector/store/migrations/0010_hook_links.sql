-- 0008: incidents driven by PagerDuty and Opsgenie. hook_links ties a
-- tool's incident (source 'pagerduty' or 'opsgenie', its id) to the
-- Pharos incident it opened, with the tool's URL (kept for the audit,
-- never published), the link's state (hook.h: 1 open, 2 acknowledged,
-- 3 resolved or a tombstone) and the flags of the rule that opened it.
-- hook_events holds the event ids seen recently, so a replayed delivery
-- is recognised; rows older than the replay window are pruned.
CREATE TABLE hook_links (
    source      TEXT    NOT NULL,
    external_id TEXT    NOT NULL,
    incident_id TEXT    NOT NULL DEFAULT '',
    url         TEXT    NOT NULL DEFAULT '',
    state       INTEGER NOT NULL,
    flags       INTEGER NOT NULL DEFAULT 0,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL,
    PRIMARY KEY (source, external_id)
);
CREATE TABLE hook_events (
    source   TEXT    NOT NULL,
    event_id TEXT    NOT NULL,
    seen_ms  INTEGER NOT NULL,
    PRIMARY KEY (source, event_id)
);
