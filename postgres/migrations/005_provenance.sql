-- The W3C PROV graph: entities, activities and agents, and the relations
-- between them. Stores write it in the transactions that record what it
-- describes; lineage queries walk it one indexed step per depth. IDs sort
-- bytewise (COLLATE "C"), so that a campaign's fits are one index range.
CREATE TABLE prov_nodes (
	id         TEXT COLLATE "C" PRIMARY KEY,
	kind       TEXT NOT NULL,
	type       TEXT NOT NULL,
	label      TEXT NOT NULL,
	attributes TEXT, -- JSON; TEXT keeps what JSONB cannot (\u0000)
	time       TIMESTAMPTZ NOT NULL
);

-- An edge may name a node that was never recorded (one that predates
-- provenance), so there are no foreign keys; RecordProvenance checks the
-- edges it is given.
CREATE TABLE prov_edges (
	src      TEXT COLLATE "C" NOT NULL,
	relation TEXT COLLATE "C" NOT NULL,
	dst      TEXT COLLATE "C" NOT NULL,
	time     TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (src, relation, dst)
);
CREATE INDEX prov_edges_dst ON prov_edges (dst, relation, src);
