-- 0012: response-time rollups (docs/api.md, /api/v2/latency.json). One
-- row per check, region, period (300 s for 48 hours, 3600 s for 90 days)
-- and bucket start: how many up-or-slow results it holds and their p50,
-- p95 and maximum latency in ms. sketch is the bucket's histogram
-- (collector/core/latency.h: 8 + 4 bytes per bin hit, little-endian)
-- while results may still arrive for it; retention sets it to NULL once
-- the bucket is older than server.max_result_age, and deletes rows past
-- retention.latency_5m and retention.latency_1h. Written by the ingest
-- connection every few seconds (store_latency.c), never derived from
-- result_rows on reads.
-- The primary key serves the one read (a check's rows in a range,
-- store_latency_list); the second index serves retention (delete and
-- seal by period and age).
CREATE TABLE latency_rollups (
    check_no  INTEGER NOT NULL,
    region    TEXT    NOT NULL,
    period_s  INTEGER NOT NULL,
    bucket_ms BIGINT  NOT NULL,
    n         INTEGER NOT NULL,
    p50_ms    INTEGER NOT NULL,
    p95_ms    INTEGER NOT NULL,
    max_ms    INTEGER NOT NULL,
    sketch    BLOB,
    PRIMARY KEY (check_no, region, period_s, bucket_ms)
);
CREATE INDEX latency_rollups_age ON latency_rollups (period_s, bucket_ms);
