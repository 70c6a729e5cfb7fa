-- 0003 (PostgreSQL; the same change as migrations/0003_uptime.sql): daily uptime rollups (kept 400 days) and each component's open day,
-- written together so a restart neither loses nor double-counts a day.
CREATE TABLE uptime_days (
    component_id  TEXT    NOT NULL,
    date          BIGINT NOT NULL,   -- local YYYYMMDD
    day_s         BIGINT NOT NULL,
    operational_s BIGINT NOT NULL,
    degraded_s    BIGINT NOT NULL,
    partial_s     BIGINT NOT NULL,
    major_s       BIGINT NOT NULL,
    maintenance_s BIGINT NOT NULL,
    nodata_s      BIGINT NOT NULL,
    PRIMARY KEY (component_id, date)
);

CREATE TABLE uptime_state (
    component_id  TEXT PRIMARY KEY,
    date          BIGINT NOT NULL,
    day_s         BIGINT NOT NULL,
    operational_s BIGINT NOT NULL,
    degraded_s    BIGINT NOT NULL,
    partial_s     BIGINT NOT NULL,
    major_s       BIGINT NOT NULL,
    maintenance_s BIGINT NOT NULL,
    nodata_s      BIGINT NOT NULL,
    last_s        BIGINT NOT NULL,
    status        BIGINT NOT NULL
);
