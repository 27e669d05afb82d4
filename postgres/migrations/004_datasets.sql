-- Datasets and their immutable versions: the embedded store's tables
-- (sqlite/migrations/005_datasets.sql) in PostgreSQL's types. A version's
-- files list their chunks (storejson.EncodeChunks); the chunks live in the
-- chunk store.
--
-- Names, paths and digests sort in the "C" collation, byte by byte, as in
-- SQLite: listings come out in the same order, and a digest prefix is a
-- range of the digest index. metadata and quality are json, not jsonb, for
-- the reasons 001_initial.sql gives: json keeps the bytes the store wrote
-- (AddVersion compares the metadata as stored), and a quality report may
-- quote a value from a table that holds \u0000, which jsonb refuses.
-- quality is NULL for a version that ingest made no report of.
CREATE TABLE datasets (
	project    TEXT COLLATE "C" NOT NULL,
	name       TEXT COLLATE "C" NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (project, name)
);

CREATE TABLE dataset_versions (
	project    TEXT COLLATE "C" NOT NULL,
	dataset    TEXT COLLATE "C" NOT NULL,
	number     INTEGER NOT NULL CHECK (number >= 1),
	digest     TEXT COLLATE "C" NOT NULL,
	size       BIGINT NOT NULL,
	file_count INTEGER NOT NULL,
	metadata   JSON NOT NULL,
	quality    JSON,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (project, dataset, number),
	FOREIGN KEY (project, dataset) REFERENCES datasets (project, name)
);
CREATE INDEX dataset_versions_digest ON dataset_versions (project, dataset, digest);

CREATE TABLE dataset_files (
	project TEXT COLLATE "C" NOT NULL,
	dataset TEXT COLLATE "C" NOT NULL,
	number  INTEGER NOT NULL,
	path    TEXT COLLATE "C" NOT NULL,
	size    BIGINT NOT NULL,
	sha256  TEXT NOT NULL,
	chunks  BYTEA NOT NULL,
	PRIMARY KEY (project, dataset, number, path),
	FOREIGN KEY (project, dataset, number) REFERENCES dataset_versions (project, dataset, number)
);
