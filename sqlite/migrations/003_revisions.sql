-- A revision per campaign, stamped on every experiment a write changes, so
-- a runner rereads only the experiments changed since its last read.
-- Rows from before this migration keep revision 0; a read from cursor 0
-- returns everything.
ALTER TABLE experiments ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
CREATE INDEX experiments_rev ON experiments (campaign_id, rev);
