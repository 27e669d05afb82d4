-- Campaigns, the generations that proposed experiments, and experiments.
-- Times are Unix nanoseconds (UTC); JSON columns hold domain structures.
CREATE TABLE campaigns (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL,
	spec          TEXT NOT NULL,
	source        BLOB NOT NULL,
	source_digest TEXT NOT NULL,
	source_name   TEXT NOT NULL,
	status        TEXT NOT NULL,
	stop_reason   TEXT NOT NULL DEFAULT '',
	elapsed_ns    INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);

CREATE TABLE generations (
	campaign_id  TEXT NOT NULL REFERENCES campaigns (id),
	idx          INTEGER NOT NULL,
	strategy     TEXT NOT NULL,
	seed         TEXT NOT NULL,
	observations INTEGER NOT NULL,
	pending      INTEGER NOT NULL,
	model        TEXT,
	acquisition  TEXT,
	fit_ns       INTEGER NOT NULL,
	propose_ns   INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	PRIMARY KEY (campaign_id, idx)
);

CREATE TABLE experiments (
	id          TEXT PRIMARY KEY,
	campaign_id TEXT NOT NULL REFERENCES campaigns (id),
	seq         INTEGER NOT NULL,
	generation  INTEGER NOT NULL,
	params      TEXT NOT NULL,
	state       TEXT NOT NULL,
	attempt     INTEGER NOT NULL DEFAULT 0,
	result      TEXT,
	error       TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	started_at  INTEGER NOT NULL DEFAULT 0,
	finished_at INTEGER NOT NULL DEFAULT 0,
	UNIQUE (campaign_id, seq),
	FOREIGN KEY (campaign_id, generation) REFERENCES generations (campaign_id, idx)
);
