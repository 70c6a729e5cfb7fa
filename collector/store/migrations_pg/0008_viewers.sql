-- 0008 (PostgreSQL; the same change as migrations/0008_viewers.sql):
-- viewers of a private page (page.access: token), made and revoked with
-- pharosctl viewer add|revoke. Only the SHA-256 of each viewer's token is
-- stored; revoked viewers keep their row (and their name).
CREATE TABLE viewers (
    name         TEXT PRIMARY KEY,
    token_sha256 TEXT   NOT NULL UNIQUE,
    created_ms   BIGINT NOT NULL,
    revoked_ms   BIGINT
);
