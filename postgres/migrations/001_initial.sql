-- Campaigns, the generations that proposed experiments, and experiments
-- with their leases: the embedded store's schema, in PostgreSQL's types.
--
-- Times are TIMESTAMPTZ; NULL stands for the zero time (not started, not
-- finished, a lease that never expires). Durations are BIGINT nanoseconds.
-- IDs sort in the "C" collation, byte by byte, as they do in SQLite.
-- JSON columns are json, not jsonb: json keeps the text the store wrote,
-- byte for byte (jsonb would refuse the \u0000 a parameter may hold, and
-- lose the sign of -0).
-- Free text from outside (an experiment's error, a stop reason, a source
-- file name) is BYTEA, since it may hold bytes TEXT refuses.
CREATE TABLE campaigns (
	id            TEXT COLLATE "C" PRIMARY KEY,
	name          TEXT NOT NULL,
	spec          JSON NOT NULL,
	source        BYTEA NOT NULL,
	source_digest TEXT NOT NULL,
	source_name   BYTEA NOT NULL,
	status        TEXT NOT NULL,
	stop_reason   BYTEA NOT NULL,
	elapsed_ns    BIGINT NOT NULL,
	-- queue is the agent lab the campaign's experiments are leased from,
	-- or '' when no agent may lease them; approval says whether an
	-- experiment must be approved before it is leased.
	queue         TEXT NOT NULL,
	approval      BOOLEAN NOT NULL,
	created_at    TIMESTAMPTZ NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX campaigns_name ON campaigns (name);
CREATE INDEX campaigns_queue ON campaigns (queue) WHERE queue <> '' AND status = 'running';

CREATE TABLE generations (
	campaign_id  TEXT COLLATE "C" NOT NULL REFERENCES campaigns (id),
	idx          BIGINT NOT NULL CHECK (idx >= 1),
	-- key is the idempotency key of the request that created the
	-- generation, or NULL.
	key          TEXT,
	strategy     TEXT NOT NULL,
	seed         NUMERIC(20, 0) NOT NULL CHECK (seed >= 0),
	observations BIGINT NOT NULL,
	pending      BIGINT NOT NULL,
	model        JSON,
	acquisition  JSON,
	fit_ns       BIGINT NOT NULL,
	propose_ns   BIGINT NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (campaign_id, idx),
	CONSTRAINT generations_key UNIQUE (campaign_id, key)
);

CREATE TABLE experiments (
	id            TEXT COLLATE "C" PRIMARY KEY,
	campaign_id   TEXT COLLATE "C" NOT NULL REFERENCES campaigns (id),
	seq           BIGINT NOT NULL,
	generation    BIGINT NOT NULL,
	params        JSON NOT NULL,
	state         TEXT NOT NULL,
	attempt       BIGINT NOT NULL,
	result        JSON,
	error         BYTEA NOT NULL,
	created_at    TIMESTAMPTZ NOT NULL,
	started_at    TIMESTAMPTZ,
	finished_at   TIMESTAMPTZ,
	-- The current or last lease: its holder ('' for none), the SHA-256 of
	-- its token in hex (tycho.HashLeaseToken; the token itself is never
	-- stored) and when it expires (NULL for never).
	lease_holder  TEXT NOT NULL DEFAULT '',
	lease_token   TEXT NOT NULL DEFAULT '',
	lease_expires TIMESTAMPTZ,
	UNIQUE (campaign_id, seq),
	FOREIGN KEY (campaign_id, generation) REFERENCES generations (campaign_id, idx)
);
-- The experiments an agent may lease: those not yet final, by campaign.
CREATE INDEX experiments_open ON experiments (campaign_id, created_at, seq)
	WHERE state NOT IN ('completed', 'failed', 'abandoned');
