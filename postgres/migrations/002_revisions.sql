-- A revision on every experiment a write changes, so a runner rereads only
-- the experiments changed since its last read. The revision is the ID of
-- the writing transaction: a reader's cursor is the oldest transaction
-- still running when it read (pg_snapshot_xmin), so a write that commits
-- after a read but began before it is still seen by the next read.
-- Rows from before this migration keep revision 0; a read from cursor 0
-- returns everything.
ALTER TABLE experiments ADD COLUMN rev BIGINT NOT NULL DEFAULT 0;
ALTER TABLE experiments ALTER COLUMN rev SET DEFAULT pg_current_xact_id()::text::bigint;
CREATE INDEX experiments_rev ON experiments (campaign_id, rev);
