-- Datasets and their immutable versions. A version's files list their
-- chunks (storejson.EncodeChunks); the chunks live in the chunk store.
CREATE TABLE datasets (
	project    TEXT NOT NULL,
	name       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (project, name)
);

CREATE TABLE dataset_versions (
	project    TEXT NOT NULL,
	dataset    TEXT NOT NULL,
	number     INTEGER NOT NULL,
	digest     TEXT NOT NULL,
	size       INTEGER NOT NULL,
	file_count INTEGER NOT NULL,
	metadata   TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (project, dataset, number),
	FOREIGN KEY (project, dataset) REFERENCES datasets (project, name)
);
CREATE INDEX dataset_versions_digest ON dataset_versions (project, dataset, digest);

CREATE TABLE dataset_files (
	project TEXT NOT NULL,
	dataset TEXT NOT NULL,
	number  INTEGER NOT NULL,
	path    TEXT NOT NULL,
	size    INTEGER NOT NULL,
	sha256  TEXT NOT NULL,
	chunks  BLOB NOT NULL,
	PRIMARY KEY (project, dataset, number, path),
	FOREIGN KEY (project, dataset, number) REFERENCES dataset_versions (project, dataset, number)
);
