-- Leases for experiments run by agents and ask/tell clients, approval,
-- and idempotency keys for generations.
ALTER TABLE campaigns ADD COLUMN queue TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN approval INTEGER NOT NULL DEFAULT 0;

ALTER TABLE experiments ADD COLUMN lease_holder  TEXT NOT NULL DEFAULT '';
ALTER TABLE experiments ADD COLUMN lease_token   TEXT NOT NULL DEFAULT '';
ALTER TABLE experiments ADD COLUMN lease_expires INTEGER NOT NULL DEFAULT 0;

ALTER TABLE generations ADD COLUMN key TEXT;
CREATE UNIQUE INDEX generations_key ON generations (campaign_id, key) WHERE key IS NOT NULL;

-- The experiments an agent may lease: those not yet final, by campaign.
CREATE INDEX experiments_open ON experiments (campaign_id, created_at, seq) WHERE state NOT IN ('completed', 'failed', 'abandoned');
CREATE INDEX campaigns_queue ON campaigns (queue) WHERE queue <> '' AND status = 'running';
