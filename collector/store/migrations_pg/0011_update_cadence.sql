-- 0011 (PostgreSQL; the same change as migrations/0011_update_cadence.sql):
-- update cadence. An incident may override incidents.update_every
-- (minutes; 0 = the configured default), and an update may promise the
-- next one ("next update by", ms; 0 = none).
ALTER TABLE incidents ADD COLUMN update_every_min BIGINT NOT NULL DEFAULT 0;
ALTER TABLE incident_updates ADD COLUMN next_update_ms BIGINT NOT NULL DEFAULT 0;
