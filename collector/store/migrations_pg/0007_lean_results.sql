-- 0007 (PostgreSQL; the same change as migrations/0007_lean_results.sql;
-- result_rows.id plays sqlite's rowid): results stored lean. Before, every result row carried three text
-- ids and three indexes (a UNIQUE per result and two time indexes), so
-- one insert touched several random pages. Now:
--  * agents and checks get integer numbers (agent_nos, check_nos);
--  * a batch is one row (result_batches: agent, region, seq, received,
--    the rowid of its last result); dedupe stays per batch through
--    agents.last_seq, checked in the same transaction;
--  * result_rows are appended in rowid order with no secondary index.
--    The one query on raw rows in the daemon is retention, which deletes
--    by rowid range (result_batches.last_row of the newest batch received
--    before the cut-off, found through the one index below, on the small
--    batches table). Charts and uptime come from rollups.
-- The view `results` keeps the old columns for people and tools that read
-- the file (slower: joins).
CREATE TABLE agent_nos (
    no       BIGSERIAL PRIMARY KEY,
    agent_id TEXT NOT NULL UNIQUE
);
CREATE TABLE check_nos (
    no       BIGSERIAL PRIMARY KEY,
    check_id TEXT NOT NULL UNIQUE
);
CREATE TABLE result_batches (
    id          BIGSERIAL PRIMARY KEY,
    agent_no    BIGINT NOT NULL,
    region      TEXT    NOT NULL,
    seq         BIGINT NOT NULL,
    received_ms BIGINT NOT NULL,
    last_row    BIGINT NOT NULL
);
CREATE TABLE result_rows (
    id             BIGSERIAL PRIMARY KEY,
    batch_id       BIGINT NOT NULL,
    idx            BIGINT NOT NULL,
    check_no       BIGINT NOT NULL,
    started_at_ms  BIGINT NOT NULL,
    outcome        BIGINT NOT NULL,
    latency_ms     BIGINT NOT NULL,
    dns_us         BIGINT NOT NULL,
    connect_us     BIGINT NOT NULL,
    tls_us         BIGINT NOT NULL,
    first_byte_us  BIGINT NOT NULL,
    total_us       BIGINT NOT NULL,
    status_code    BIGINT NOT NULL,
    cert_not_after BIGINT NOT NULL,
    error          TEXT    NOT NULL
);

INSERT INTO agent_nos (agent_id) SELECT DISTINCT agent_id FROM results;
INSERT INTO check_nos (check_id) SELECT DISTINCT check_id FROM results;
INSERT INTO result_batches (agent_no, region, seq, received_ms, last_row)
    SELECT a.no, r.region, r.seq, max(r.received_ms), 0
    FROM results r JOIN agent_nos a ON a.agent_id = r.agent_id
    GROUP BY a.no, r.region, r.agent_id, r.seq ORDER BY min(r.id);
CREATE INDEX migrate_0007 ON result_batches (agent_no, seq);
INSERT INTO result_rows (batch_id, idx, check_no, started_at_ms, outcome,
                         latency_ms, dns_us, connect_us, tls_us,
                         first_byte_us, total_us, status_code,
                         cert_not_after, error)
    SELECT b.id, r.idx, c.no, r.started_at_ms, r.outcome, r.latency_ms,
           r.dns_us, r.connect_us, r.tls_us, r.first_byte_us, r.total_us,
           r.status_code, r.cert_not_after, r.error
    FROM results r
    JOIN agent_nos a ON a.agent_id = r.agent_id
    JOIN result_batches b ON b.agent_no = a.no AND b.seq = r.seq
    JOIN check_nos c ON c.check_id = r.check_id
    ORDER BY b.id, r.idx;
DROP INDEX migrate_0007;
UPDATE result_batches SET last_row = m.last
    FROM (SELECT batch_id, max(id) AS last FROM result_rows
          GROUP BY batch_id) AS m
    WHERE m.batch_id = result_batches.id;
DROP TABLE results;
CREATE INDEX result_batches_received ON result_batches (received_ms);

CREATE VIEW results AS
    SELECT r.id, a.agent_id, b.region, b.seq, r.idx, c.check_id,
           r.started_at_ms, r.outcome, r.latency_ms, r.dns_us,
           r.connect_us, r.tls_us, r.first_byte_us, r.total_us,
           r.status_code, r.cert_not_after, r.error, b.received_ms
    FROM result_rows r
    JOIN result_batches b ON b.id = r.batch_id
    JOIN agent_nos a ON a.no = b.agent_no
    JOIN check_nos c ON c.no = r.check_no;
