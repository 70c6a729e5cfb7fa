-- 0005 (PostgreSQL; the same change as migrations/0005_notify.sql): subscribers and the notification outbox.
-- Tokens in links are kept only as their SHA-256; the webhook signing
-- secret is kept as is (it must sign every delivery) and shown only once.
CREATE TABLE subscribers (
    id             TEXT PRIMARY KEY,      -- 12 lowercase alphanumerics
    kind           TEXT    NOT NULL,      -- email | webhook | slack
    address        TEXT    NOT NULL,      -- email address or URL
    components     TEXT    NOT NULL,      -- space-separated ids; '' = all
    secret         TEXT    NOT NULL,      -- webhook signing secret or ''
    confirm_sha256 TEXT,                  -- pending email only
    unsub_sha256   TEXT    NOT NULL,
    state          TEXT    NOT NULL,      -- pending|active|quarantined|unsubscribed
    created_ms     BIGINT NOT NULL,
    updated_ms     BIGINT NOT NULL,
    confirmed_ms   BIGINT NOT NULL DEFAULT 0,
    fails          BIGINT NOT NULL DEFAULT 0,  -- consecutive failures
    failing_since  BIGINT NOT NULL DEFAULT 0,  -- first of them (ms)
    last_error     TEXT    NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX subscribers_unsub ON subscribers (unsub_sha256);
CREATE INDEX subscribers_confirm ON subscribers (confirm_sha256);
CREATE INDEX subscribers_address ON subscribers (kind, address);

-- One row per (event, subscriber). idem_key makes a second enqueue of the
-- same event a no-op, so a replay after a restart never duplicates.
-- state: 0 pending, 1 delivered, 2 given up, 3 dropped (unsubscribed or
-- quarantined before delivery).
CREATE TABLE outbox (
    id            BIGSERIAL PRIMARY KEY,
    idem_key      TEXT    NOT NULL UNIQUE,
    msg_id        TEXT    NOT NULL,       -- webhook-id, Message-ID part
    subscriber_id TEXT    NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    event         TEXT    NOT NULL,       -- incident.created, confirm, ...
    coalesce_key  TEXT,                   -- "incident:<id>" or NULL
    payload       TEXT    NOT NULL,       -- body (JSON) or whole message (email)
    state         BIGINT NOT NULL DEFAULT 0,
    attempts      BIGINT NOT NULL DEFAULT 0,
    created_ms    BIGINT NOT NULL,
    due_ms        BIGINT NOT NULL,
    done_ms       BIGINT NOT NULL DEFAULT 0,
    last_error    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (state, due_ms);
CREATE INDEX outbox_coalesce ON outbox (coalesce_key, subscriber_id, state);
CREATE INDEX outbox_subscriber ON outbox (subscriber_id, state);
