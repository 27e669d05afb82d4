-- Leasing reads the ready experiments of each campaign in a lab's queue in
-- order, and the expired leases by expiry, each from its own small index,
-- instead of scanning and sorting every experiment in flight.
DROP INDEX experiments_open;
CREATE INDEX experiments_ready ON experiments (campaign_id, created_at, seq)
	WHERE state IN ('proposed', 'approved');
CREATE INDEX experiments_leased ON experiments (campaign_id, lease_expires)
	WHERE state IN ('dispatched', 'running');
