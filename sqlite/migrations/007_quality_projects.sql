-- A dataset version's quality report (storejson.EncodeQuality), NULL for
-- versions added before reports were made; and each project's data
-- policy. A project without a row has the defaults.
ALTER TABLE dataset_versions ADD COLUMN quality TEXT;

CREATE TABLE projects (
	name            TEXT PRIMARY KEY,
	min_prior_grade TEXT NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
