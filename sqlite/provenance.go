package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"tycho"
	"tycho/internal/storejson"
)

var _ tycho.ProvenanceService = (*DB)(nil)

// RecordProvenance implements tycho.ProvenanceService.
func (db *DB) RecordProvenance(ctx context.Context, g *tycho.ProvGraph) error {
	if err := g.Check(); err != nil {
		return err
	}
	err := db.tx(ctx, func(tx conn) error {
		named := g.Named()
		found, err := provNodes(ctx, tx, named)
		if err != nil {
			return err
		}
		for _, id := range named {
			if _, ok := found[id]; !ok {
				return tycho.Errorf(tycho.EINVALID, "provenance edge names node %q, which is neither recorded nor given", id)
			}
		}
		return insertProv(ctx, tx, g, db.now())
	})
	return wrap(err, "record provenance")
}

// insertProv adds a graph's nodes and edges, leaving those that exist as
// they are. Times left zero become now.
func insertProv(ctx context.Context, tx conn, g *tycho.ProvGraph, now time.Time) error {
	for _, n := range g.Nodes {
		attrs, err := storejson.EncodeAttributes(n.Attributes)
		if err != nil {
			return tycho.Errorf(tycho.EINVALID, "provenance node %s: %s", n.ID, tycho.ErrorMessage(err))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO prov_nodes (id, kind, type, label, attributes, time) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, n.ID, n.Kind, n.Type, n.Label, nullText(attrs), nanos(orNow(n.Time, now))); err != nil {
			return fmt.Errorf("insert provenance node %s: %w", n.ID, err)
		}
	}
	for _, e := range g.Edges {
		if _, err := tx.ExecContext(ctx, `INSERT INTO prov_edges (src, relation, dst, time) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, e.From, e.Relation, e.To, nanos(orNow(e.Time, now))); err != nil {
			return fmt.Errorf("insert provenance edge %s %s %s: %w", e.From, e.Relation, e.To, err)
		}
	}
	return nil
}

// insertUsed records that a generation's fit used the results of the
// experiments in g.Used, except those an earlier fit of the campaign used.
func insertUsed(ctx context.Context, tx conn, g *tycho.Generation) error {
	fit := tycho.ProvFit(g.CampaignID, g.Index)
	lo := "fit/" + g.CampaignID + "/"
	hi := lo[:len(lo)-1] + "0" // '0' follows '/'
	for _, id := range g.Used {
		if _, err := tx.ExecContext(ctx, `INSERT INTO prov_edges (src, relation, dst, time)
			SELECT ?1, 'used', ?2, ?3 WHERE NOT EXISTS (
				SELECT 1 FROM prov_edges WHERE dst = ?2 AND relation = 'used' AND src >= ?4 AND src < ?5)
			ON CONFLICT DO NOTHING`, fit, tycho.ProvResult(id), nanos(g.CreatedAt), lo, hi); err != nil {
			return fmt.Errorf("insert provenance of fit %s: %w", fit, err)
		}
	}
	return nil
}

func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

// FindProvNode implements tycho.ProvenanceService.
func (db *DB) FindProvNode(ctx context.Context, id string) (*tycho.ProvNode, error) {
	n, err := scanProvNode(db.pool().QueryRowContext(ctx, `SELECT `+provNodeColumns+` FROM prov_nodes WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "provenance node %q not found", id)
	}
	return n, wrap(err, "find provenance node %s", id)
}

// Lineage implements tycho.ProvenanceService.
func (db *DB) Lineage(ctx context.Context, q tycho.LineageQuery) (*tycho.Lineage, error) {
	if err := q.Normalize(); err != nil {
		return nil, err
	}
	var out *tycho.Lineage
	err := db.readTx(ctx, func(tx conn) error {
		query := `SELECT src, relation, dst, time FROM prov_edges WHERE src IN (SELECT value FROM json_each(?))`
		if q.Direction == tycho.Downstream {
			query = `SELECT src, relation, dst, time FROM prov_edges WHERE dst IN (SELECT value FROM json_each(?))`
		}
		step := func(ctx context.Context, ids []string) ([]tycho.ProvEdge, error) {
			return provEdges(ctx, tx, query, ids)
		}
		nodes := func(ctx context.Context, ids []string) (map[string]tycho.ProvNode, error) {
			return provNodes(ctx, tx, ids)
		}
		var err error
		out, err = tycho.WalkLineage(ctx, q, step, nodes)
		return err
	})
	if err != nil {
		return nil, wrap(err, "lineage of %s", q.ID)
	}
	return out, nil
}

// ListProvenance implements tycho.ProvenanceService.
func (db *DB) ListProvenance(ctx context.Context, after string, limit int) (*tycho.ProvGraph, string, error) {
	if limit < 1 {
		return nil, "", tycho.Errorf(tycho.EINVALID, "provenance page size %d: use at least 1", limit)
	}
	g := new(tycho.ProvGraph)
	err := db.readTx(ctx, func(tx conn) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+provNodeColumns+` FROM prov_nodes WHERE id > ? ORDER BY id LIMIT ?`, after, limit+1)
		if err != nil {
			return err
		}
		nodes, err := scanAll(rows, scanProvNode)
		if err != nil {
			return err
		}
		ids := make([]string, len(nodes))
		for i, n := range nodes {
			g.Nodes = append(g.Nodes, *n)
			ids[i] = n.ID
		}
		if len(ids) > limit {
			ids, g.Nodes = ids[:limit], g.Nodes[:limit]
		}
		g.Edges, err = provEdges(ctx, tx, `SELECT src, relation, dst, time FROM prov_edges WHERE src IN (SELECT value FROM json_each(?)) ORDER BY src, relation, dst`, ids)
		return err
	})
	if err != nil {
		return nil, "", wrap(err, "list provenance")
	}
	next := ""
	if len(g.Nodes) == limit {
		next = g.Nodes[limit-1].ID
	}
	return g, next, nil
}

const provNodeColumns = `id, kind, type, label, attributes, time`

func scanProvNode(s scanner) (*tycho.ProvNode, error) {
	var n tycho.ProvNode
	var attrs sql.NullString
	var t int64
	if err := s.Scan(&n.ID, &n.Kind, &n.Type, &n.Label, &attrs, &t); err != nil {
		return nil, err
	}
	if attrs.Valid {
		a, err := storejson.DecodeModel([]byte(attrs.String))
		if err != nil {
			return nil, fmt.Errorf("provenance node %s: %w", n.ID, err)
		}
		n.Attributes = a
	}
	n.Time = fromNanos(t)
	return &n, nil
}

// provNodes returns the recorded nodes among ids.
func provNodes(ctx context.Context, tx conn, ids []string) (map[string]tycho.ProvNode, error) {
	out := make(map[string]tycho.ProvNode, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+provNodeColumns+` FROM prov_nodes WHERE id IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, err
	}
	nodes, err := scanAll(rows, scanProvNode)
	for _, n := range nodes {
		out[n.ID] = *n
	}
	return out, err
}

// provEdges runs an edge query whose one parameter is a JSON list of ids.
func provEdges(ctx context.Context, tx conn, query string, ids []string) ([]tycho.ProvEdge, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, query, string(list))
	if err != nil {
		return nil, err
	}
	return scanAll(rows, func(s scanner) (tycho.ProvEdge, error) {
		var e tycho.ProvEdge
		var t int64
		err := s.Scan(&e.From, &e.Relation, &e.To, &t)
		e.Time = fromNanos(t)
		return e, err
	})
}
