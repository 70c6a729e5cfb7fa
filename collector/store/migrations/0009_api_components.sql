-- 0009: components and component groups created through the v1 API
-- (tools that manage a page through the API). Those of pharos.yml are
-- never stored here: the file owns them. group_id names a group of
-- either kind. A deleted row is gone; its history stays in the audit
-- log and in transitions.
CREATE TABLE api_components (
    id                    TEXT PRIMARY KEY,
    name                  TEXT    NOT NULL,
    description           TEXT,
    group_id              TEXT,
    showcase              INTEGER NOT NULL DEFAULT 1,
    only_show_if_degraded INTEGER NOT NULL DEFAULT 0,
    start_date            TEXT,
    internal              INTEGER NOT NULL DEFAULT 0,
    created_ms            INTEGER NOT NULL,
    updated_ms            INTEGER NOT NULL
);
CREATE TABLE api_groups (
    id          TEXT PRIMARY KEY,
    name        TEXT    NOT NULL,
    description TEXT,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);
