-- The W3C PROV graph: entities, activities and agents, and the relations
-- between them. Stores write it in the transactions that record what it
-- describes; lineage queries walk it one indexed step per depth.
CREATE TABLE prov_nodes (
	id         TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	type       TEXT NOT NULL,
	label      TEXT NOT NULL,
	attributes TEXT,
	time       INTEGER NOT NULL
) WITHOUT ROWID;

-- An edge may name a node that was never recorded (one that predates
-- provenance), so there are no foreign keys; RecordProvenance checks the
-- edges it is given.
CREATE TABLE prov_edges (
	src      TEXT NOT NULL,
	relation TEXT NOT NULL,
	dst      TEXT NOT NULL,
	time     INTEGER NOT NULL,
	PRIMARY KEY (src, relation, dst)
) WITHOUT ROWID;
CREATE INDEX prov_edges_dst ON prov_edges (dst, relation, src);
