package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"tycho"
	"tycho/internal/storejson"
)

var _ tycho.ProvenanceService = (*DB)(nil)

// RecordProvenance implements tycho.ProvenanceService.
func (db *DB) RecordProvenance(ctx context.Context, g *tycho.ProvGraph) error {
	if err := g.Check(); err != nil {
		return err
	}
	for _, n := range g.Nodes {
		if err := checkText("provenance ID", n.ID, "provenance type", n.Type, "provenance label", n.Label); err != nil {
			return err
		}
	}
	err := db.tx(ctx, func(tx pgx.Tx) error {
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
		return insertProv(ctx, tx, g, db.clock())
	})
	return wrap(err, "record provenance")
}

// execer runs statements on the pool or in a transaction.
type execer interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// insertProv adds a graph's nodes and edges in one round trip, leaving
// those that exist as they are. Times left zero become now.
func insertProv(ctx context.Context, tx execer, g *tycho.ProvGraph, now time.Time) error {
	n := len(g.Nodes)
	ids, kinds, types, labels := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	attrs, times := make([]*string, n), make([]time.Time, n)
	for i, node := range g.Nodes {
		a, err := storejson.EncodeAttributes(node.Attributes)
		if err != nil {
			return tycho.Errorf(tycho.EINVALID, "provenance node %s: %s", node.ID, tycho.ErrorMessage(err))
		}
		ids[i], kinds[i], types[i], labels[i] = node.ID, string(node.Kind), node.Type, node.Label
		if a != nil {
			text := string(a)
			attrs[i] = &text
		}
		times[i] = micro(orNow(node.Time, now))
	}
	m := len(g.Edges)
	srcs, rels, dsts, etimes := make([]string, m), make([]string, m), make([]string, m), make([]time.Time, m)
	for i, e := range g.Edges {
		srcs[i], rels[i], dsts[i], etimes[i] = e.From, string(e.Relation), e.To, micro(orNow(e.Time, now))
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO prov_nodes (id, kind, type, label, attributes, time)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
		ON CONFLICT (id) DO NOTHING`, ids, kinds, types, labels, attrs, times)
	b.Queue(`INSERT INTO prov_edges (src, relation, dst, time)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
		ON CONFLICT DO NOTHING`, srcs, rels, dsts, etimes)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("insert provenance: %w", err)
	}
	return nil
}

// insertUsed records that a generation's fit used the results of the
// experiments in g.Used, except those an earlier fit of the campaign used.
// The caller holds the campaign's lock, so fits of a campaign do this one
// at a time.
func insertUsed(ctx context.Context, tx pgx.Tx, g *tycho.Generation) error {
	if len(g.Used) == 0 {
		return nil
	}
	results := make([]string, len(g.Used))
	for i, id := range g.Used {
		results[i] = tycho.ProvResult(id)
	}
	lo := "fit/" + g.CampaignID + "/"
	hi := lo[:len(lo)-1] + "0" // '0' follows '/'
	_, err := tx.Exec(ctx, `INSERT INTO prov_edges (src, relation, dst, time)
		SELECT $1, 'used', r, $2 FROM unnest($3::text[]) AS r
		WHERE NOT EXISTS (SELECT 1 FROM prov_edges p WHERE p.dst = r AND p.relation = 'used' AND p.src >= $4 AND p.src < $5)
		ON CONFLICT DO NOTHING`, tycho.ProvFit(g.CampaignID, g.Index), micro(g.CreatedAt), results, lo, hi)
	if err != nil {
		return fmt.Errorf("insert provenance of fit %d: %w", g.Index, err)
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
	if !storable(id) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "provenance node %q not found", id)
	}
	n, err := scanProvNode(db.pool.QueryRow(ctx, `SELECT `+provNodeColumns+` FROM prov_nodes WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "provenance node %q not found", id)
	}
	return n, wrap(err, "find provenance node %s", id)
}

// Lineage implements tycho.ProvenanceService. The walk reads one snapshot.
func (db *DB) Lineage(ctx context.Context, q tycho.LineageQuery) (*tycho.Lineage, error) {
	if err := q.Normalize(); err != nil {
		return nil, err
	}
	if !storable(q.ID) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "provenance node %q not found", q.ID)
	}
	query := `SELECT src, relation, dst, time FROM prov_edges WHERE src = ANY($1)`
	if q.Direction == tycho.Downstream {
		query = `SELECT src, relation, dst, time FROM prov_edges WHERE dst = ANY($1)`
	}
	var out *tycho.Lineage
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, db.pool, opts, func(tx pgx.Tx) error {
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
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, db.pool, opts, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+provNodeColumns+` FROM prov_nodes WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
		if err != nil {
			return err
		}
		nodes, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*tycho.ProvNode, error) { return scanProvNode(row) })
		if err != nil {
			return err
		}
		ids := make([]string, len(nodes))
		for i, n := range nodes {
			g.Nodes = append(g.Nodes, *n)
			ids[i] = n.ID
		}
		g.Edges, err = provEdges(ctx, tx, `SELECT src, relation, dst, time FROM prov_edges WHERE src = ANY($1) ORDER BY src, relation, dst`, ids)
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
	var attrs []byte
	var t time.Time
	if err := s.Scan(&n.ID, &n.Kind, &n.Type, &n.Label, &attrs, &t); err != nil {
		return nil, err
	}
	a, err := storejson.DecodeModel(attrs)
	if err != nil {
		return nil, fmt.Errorf("provenance node %s: %w", n.ID, err)
	}
	n.Attributes, n.Time = a, t.UTC()
	return &n, nil
}

// provNodes returns the recorded nodes among ids.
func provNodes(ctx context.Context, q querier, ids []string) (map[string]tycho.ProvNode, error) {
	out := make(map[string]tycho.ProvNode, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT `+provNodeColumns+` FROM prov_nodes WHERE id = ANY($1)`, storableOnly(ids))
	if err != nil {
		return nil, err
	}
	nodes, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*tycho.ProvNode, error) { return scanProvNode(row) })
	for _, n := range nodes {
		out[n.ID] = *n
	}
	return out, err
}

// provEdges runs an edge query whose one parameter is a list of IDs.
func provEdges(ctx context.Context, q querier, query string, ids []string) ([]tycho.ProvEdge, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, query, storableOnly(ids))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (tycho.ProvEdge, error) {
		var e tycho.ProvEdge
		err := row.Scan(&e.From, &e.Relation, &e.To, &e.Time)
		e.Time = e.Time.UTC()
		return e, err
	})
}

// storableOnly drops the IDs PostgreSQL text cannot hold (NUL bytes,
// invalid UTF-8): no such node can have been recorded.
func storableOnly(ids []string) []string {
	out := ids[:0:0]
	for _, id := range ids {
		if storable(id) {
			out = append(out, id)
		}
	}
	return out
}
