-- 0012: response-time rollups, as migrations/0012 in sqlite (the same
-- table, bytea for the histogram), written by store_pg_latency.c in the
-- group commits that store the results.
CREATE TABLE latency_rollups (
    check_no  BIGINT  NOT NULL,
    region    TEXT    NOT NULL,
    period_s  INTEGER NOT NULL,
    bucket_ms BIGINT  NOT NULL,
    n         INTEGER NOT NULL,
    p50_ms    INTEGER NOT NULL,
    p95_ms    INTEGER NOT NULL,
    max_ms    INTEGER NOT NULL,
    sketch    BYTEA,
    PRIMARY KEY (check_no, region, period_s, bucket_ms)
);
CREATE INDEX latency_rollups_age ON latency_rollups (period_s, bucket_ms);
