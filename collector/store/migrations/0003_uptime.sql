-- 0003: daily uptime rollups (kept 400 days) and each component's open day,
-- written together so a restart neither loses nor double-counts a day.
CREATE TABLE uptime_days (
    component_id  TEXT    NOT NULL,
    date          INTEGER NOT NULL,   -- local YYYYMMDD
    day_s         INTEGER NOT NULL,
    operational_s INTEGER NOT NULL,
    degraded_s    INTEGER NOT NULL,
    partial_s     INTEGER NOT NULL,
    major_s       INTEGER NOT NULL,
    maintenance_s INTEGER NOT NULL,
    nodata_s      INTEGER NOT NULL,
    PRIMARY KEY (component_id, date)
);

CREATE TABLE uptime_state (
    component_id  TEXT PRIMARY KEY,
    date          INTEGER NOT NULL,
    day_s         INTEGER NOT NULL,
    operational_s INTEGER NOT NULL,
    degraded_s    INTEGER NOT NULL,
    partial_s     INTEGER NOT NULL,
    major_s       INTEGER NOT NULL,
    maintenance_s INTEGER NOT NULL,
    nodata_s      INTEGER NOT NULL,
    last_s        INTEGER NOT NULL,
    status        INTEGER NOT NULL
);
