-- 0009 (PostgreSQL; the same change as migrations/0009_api_components.sql):
-- components and component groups created through the v1 API. Those of
-- pharos.yml are never stored here: the file owns them. group_id names a
-- group of either kind.
CREATE TABLE api_components (
    id                    TEXT PRIMARY KEY,
    name                  TEXT   NOT NULL,
    description           TEXT,
    group_id              TEXT,
    showcase              BIGINT NOT NULL DEFAULT 1,
    only_show_if_degraded BIGINT NOT NULL DEFAULT 0,
    start_date            TEXT,
    internal              BIGINT NOT NULL DEFAULT 0,
    created_ms            BIGINT NOT NULL,
    updated_ms            BIGINT NOT NULL
);
CREATE TABLE api_groups (
    id          TEXT PRIMARY KEY,
    name        TEXT   NOT NULL,
    description TEXT,
    created_ms  BIGINT NOT NULL,
    updated_ms  BIGINT NOT NULL
);
