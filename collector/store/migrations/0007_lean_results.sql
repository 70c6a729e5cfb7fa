-- 0007: results stored lean. Before, every result row carried three text
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
    no       INTEGER PRIMARY KEY,
    agent_id TEXT NOT NULL UNIQUE
);
CREATE TABLE check_nos (
    no       INTEGER PRIMARY KEY,
    check_id TEXT NOT NULL UNIQUE
);
CREATE TABLE result_batches (
    id          INTEGER PRIMARY KEY,
    agent_no    INTEGER NOT NULL,
    region      TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    last_row    INTEGER NOT NULL
);
CREATE TABLE result_rows (
    batch_id       INTEGER NOT NULL,
    idx            INTEGER NOT NULL,
    check_no       INTEGER NOT NULL,
    started_at_ms  INTEGER NOT NULL,
    outcome        INTEGER NOT NULL,
    latency_ms     INTEGER NOT NULL,
    dns_us         INTEGER NOT NULL,
    connect_us     INTEGER NOT NULL,
    tls_us         INTEGER NOT NULL,
    first_byte_us  INTEGER NOT NULL,
    total_us       INTEGER NOT NULL,
    status_code    INTEGER NOT NULL,
    cert_not_after INTEGER NOT NULL,
    error          TEXT    NOT NULL
);

INSERT INTO agent_nos (agent_id) SELECT DISTINCT agent_id FROM results;
INSERT INTO check_nos (check_id) SELECT DISTINCT check_id FROM results;
INSERT INTO result_batches (agent_no, region, seq, received_ms, last_row)
    SELECT a.no, r.region, r.seq, max(r.received_ms), 0
    FROM results r JOIN agent_nos a ON a.agent_id = r.agent_id
    GROUP BY r.agent_id, r.seq ORDER BY min(r.id);
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
    FROM (SELECT batch_id, max(rowid) AS last FROM result_rows
          GROUP BY batch_id) AS m
    WHERE m.batch_id = result_batches.id;
DROP TABLE results;
CREATE INDEX result_batches_received ON result_batches (received_ms);

CREATE VIEW results AS
    SELECT r.rowid AS id, a.agent_id, b.region, b.seq, r.idx, c.check_id,
           r.started_at_ms, r.outcome, r.latency_ms, r.dns_us,
           r.connect_us, r.tls_us, r.first_byte_us, r.total_us,
           r.status_code, r.cert_not_after, r.error, b.received_ms
    FROM result_rows r
    JOIN result_batches b ON b.id = r.batch_id
    JOIN agent_nos a ON a.no = b.agent_no
    JOIN check_nos c ON c.no = r.check_no;
