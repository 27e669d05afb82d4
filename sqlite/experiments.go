package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"tycho"
	"tycho/internal/storejson"
)

// AddGeneration implements tycho.ExperimentService. Experiments are stored
// as given, in the proposed state unless they name another; a zero
// CreatedAt is stamped with the store's clock. Once the transaction has
// committed, each experiment's CampaignID, Generation, Seq, State and
// CreatedAt are written back, and the generation's CreatedAt. Returns
// ECONFLICT, storing nothing, if an experiment ID is taken too, and
// EINVALID for a generation index below 1, an experiment without an ID or
// a non-finite parameter value.
func (db *DB) AddGeneration(ctx context.Context, g *tycho.Generation, exps []*tycho.Experiment) error {
	if g == nil {
		return tycho.Errorf(tycho.EINVALID, "no generation given")
	}
	if g.Index < 1 {
		return tycho.Errorf(tycho.EINVALID, "generation %d of campaign %s: generations are numbered from 1", g.Index, g.CampaignID)
	}
	model, err := storejson.EncodeModel(g.Model)
	if err != nil {
		return err
	}
	acq, err := storejson.EncodeNumbers(g.Acquisition)
	if err != nil {
		return tycho.Errorf(tycho.EINVALID, "acquisition values cannot be stored: %v", err)
	}
	now := db.now()
	gCreated := g.CreatedAt
	if gCreated.IsZero() {
		gCreated = now
	}

	// Encode everything before the transaction, so a bad value refuses
	// the call without holding the write lock.
	type row struct {
		params  string
		result  *string
		state   tycho.ExperimentState
		created time.Time
	}
	rows := make([]row, len(exps))
	for i, e := range exps {
		if e == nil || e.ID == "" {
			return tycho.Errorf(tycho.EINVALID, "experiment %d of generation %d needs an ID", i+1, g.Index)
		}
		params, err := storejson.EncodeParams(e.Params)
		if err != nil {
			return tycho.Errorf(tycho.EINVALID, "experiment %s: %s", e.ID, tycho.ErrorMessage(err))
		}
		r := row{params: string(params), state: e.State, created: e.CreatedAt}
		if e.Result != nil {
			body, err := storejson.CanonicalResult(e.Result)
			if err != nil {
				return tycho.Errorf(tycho.EINVALID, "experiment %s: %s", e.ID, tycho.ErrorMessage(err))
			}
			s := string(body)
			r.result = &s
		}
		if r.state == "" {
			r.state = tycho.ExperimentProposed
		}
		if r.created.IsZero() {
			r.created = now
		}
		rows[i] = r
	}

	var seq int // of the last experiment stored
	err = db.tx(ctx, func(tx conn) error {
		if ok, err := campaignExists(ctx, tx, g.CampaignID); err != nil {
			return err
		} else if !ok {
			return tycho.Errorf(tycho.ENOTFOUND, "campaign %q not found", g.CampaignID)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO generations (campaign_id, idx, strategy, seed, observations, pending, model, acquisition, fit_ns, propose_ns, created_at, key)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			g.CampaignID, g.Index, g.Strategy, strconv.FormatUint(g.Seed, 10), g.Observations, g.Pending, nullText(model), nullText(acq),
			int64(g.FitTime), int64(g.ProposeTime), nanos(gCreated), nullString(g.Key))
		if isUnique(err) {
			if g.Key != "" {
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM generations WHERE campaign_id = ? AND key = ?`, g.CampaignID, g.Key).Scan(&n); err != nil {
					return err
				} else if n > 0 {
					return tycho.Errorf(tycho.ECONFLICT, "campaign %s already has a generation with idempotency key %q", g.CampaignID, g.Key)
				}
			}
			return tycho.Errorf(tycho.ECONFLICT, "campaign %s already has generation %d", g.CampaignID, g.Index)
		} else if err != nil {
			return fmt.Errorf("insert generation: %w", err)
		}
		var rev int64
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COALESCE(MAX(seq), 0) FROM experiments WHERE campaign_id = ?1),
			(SELECT COALESCE(MAX(rev), 0) + 1 FROM experiments WHERE campaign_id = ?1)`, g.CampaignID).Scan(&seq, &rev); err != nil {
			return err
		}
		for i, e := range exps {
			r := rows[i]
			seq++
			var l tycho.Lease
			if e.Lease != nil {
				l = *e.Lease
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO experiments (`+experimentColumns+`, lease_token, rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				e.ID, g.CampaignID, seq, g.Index, r.params, r.state, e.Attempt, r.result, e.Error,
				nanos(r.created), nanos(e.StartedAt), nanos(e.FinishedAt), l.Holder, nanos(l.Expires), tycho.HashLeaseToken(l.Token), rev)
			if isUnique(err) {
				return tycho.Errorf(tycho.ECONFLICT, "experiment %s already exists", e.ID)
			} else if err != nil {
				return fmt.Errorf("insert experiment %s: %w", e.ID, err)
			}
		}
		return recordGeneration(ctx, tx, g, gCreated, exps, seq)
	})
	if err != nil {
		return wrap(err, "add generation %d of campaign %s", g.Index, g.CampaignID)
	}
	g.CreatedAt = gCreated
	seq -= len(exps)
	for i, e := range exps {
		seq++
		e.CampaignID, e.Generation, e.Seq = g.CampaignID, g.Index, seq
		e.State, e.CreatedAt = rows[i].state, rows[i].created
	}
	return nil
}

// recordGeneration records the provenance of a generation whose last
// experiment got sequence number last.
func recordGeneration(ctx context.Context, tx conn, g *tycho.Generation, created time.Time, exps []*tycho.Experiment, last int) error {
	stamped := *g
	stamped.CreatedAt = created
	var prev int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(idx), 0) FROM generations
		WHERE campaign_id = ? AND idx < ? AND strategy NOT IN (?, ?)`,
		g.CampaignID, g.Index, tycho.StrategyPriorData, tycho.StrategyExternal).Scan(&prev); err != nil {
		return err
	}
	if err := insertProv(ctx, tx, tycho.GenerationProvenance(&stamped, exps, last-len(exps)+1, prev), created); err != nil {
		return err
	}
	return insertUsed(ctx, tx, &stamped)
}

// recordResult records the provenance of experiment e completing with the
// stored result body at now.
func recordResult(ctx context.Context, tx conn, e *tycho.Experiment, body []byte, now time.Time) error {
	r, err := storejson.DecodeResult(body)
	if err != nil {
		return err
	}
	return insertProv(ctx, tx, tycho.CompletionProvenance(e, r, now), now)
}

// experimentColumns are the columns scanExperiment reads. The lease token
// is not among them: it leaves the store only from the call that grants
// the lease.
const experimentColumns = `id, campaign_id, seq, generation, params, state, attempt, result, error, created_at, started_at, finished_at, lease_holder, lease_expires`

// bumpRev, the first assignment of an UPDATE of experiments, gives each
// experiment it changes the next revision of its campaign. Writes are
// serialized, so revisions commit in order and a reader's cursor is simply
// the highest revision it has seen.
const bumpRev = `rev = (SELECT MAX(x.rev) + 1 FROM experiments x WHERE x.campaign_id = experiments.campaign_id),`

// ListExperiments implements tycho.ExperimentService.
func (db *DB) ListExperiments(ctx context.Context, campaignID string) ([]*tycho.Experiment, error) {
	out, _, err := db.ListExperimentsSince(ctx, campaignID, 0)
	return out, err
}

// ListExperimentsSince implements tycho.ExperimentService.
func (db *DB) ListExperimentsSince(ctx context.Context, campaignID string, cursor int64) ([]*tycho.Experiment, int64, error) {
	if cursor <= 0 {
		cursor = -1 // rows from before revisions have revision 0
	}
	var (
		out  []*tycho.Experiment
		next int64
	)
	err := db.readTx(ctx, func(tx conn) error {
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(rev), 0) FROM experiments WHERE campaign_id = ?`, campaignID).Scan(&next)
		if err != nil {
			return err
		}
		out, err = listIn(ctx, tx, campaignID, `SELECT `+experimentColumns+` FROM experiments WHERE campaign_id = ? AND rev > ? ORDER BY seq`, scanExperiment, cursor)
		return err
	})
	if err != nil {
		return nil, 0, wrap(err, "list experiments of campaign %s", campaignID)
	}
	return out, next, nil
}

// ListGenerations implements tycho.ExperimentService. Returns ENOTFOUND if
// the campaign does not exist, as ListExperiments does.
func (db *DB) ListGenerations(ctx context.Context, campaignID string) ([]*tycho.Generation, error) {
	out, err := listOf(ctx, db, campaignID, `SELECT `+generationColumns+` FROM generations WHERE campaign_id = ? ORDER BY idx`, scanGeneration)
	return out, wrap(err, "list generations of campaign %s", campaignID)
}

// listOf reads the rows a query returns for one campaign, in one snapshot,
// and returns ENOTFOUND if there are none because the campaign does not
// exist.
func listOf[T any](ctx context.Context, db *DB, campaignID, query string, scan func(scanner) (T, error)) ([]T, error) {
	var out []T
	err := db.readTx(ctx, func(tx conn) (err error) {
		out, err = listIn(ctx, tx, campaignID, query, scan)
		return err
	})
	return out, err
}

// listIn reads the rows a query returns for one campaign, the first of its
// arguments, in tx, and returns ENOTFOUND if there are none because the
// campaign does not exist.
func listIn[T any](ctx context.Context, tx conn, campaignID, query string, scan func(scanner) (T, error), args ...any) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query, append([]any{campaignID}, args...)...)
	if err != nil {
		return nil, err
	}
	out, err := scanAll(rows, scan)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, mustExist(ctx, tx, campaignID)
	}
	return out, nil
}

// scanAll scans every row and closes rows.
func scanAll[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// StartExperiment implements tycho.ExperimentService.
func (db *DB) StartExperiment(ctx context.Context, id string) (*tycho.Experiment, error) {
	var e *tycho.Experiment
	err := db.tx(ctx, func(tx conn) error {
		var err error
		if e, err = findExperiment(ctx, tx, id); err != nil {
			return err
		}
		if e.State.Final() {
			return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s is already %s", e.Seq, e.CampaignID, e.State)
		}
		started := db.now()
		res, err := tx.ExecContext(ctx, `UPDATE experiments SET `+bumpRev+` state = ?, attempt = attempt + 1, started_at = ?
			WHERE id = ? AND state = ? AND attempt = ?`,
			tycho.ExperimentRunning, nanos(started), id, e.State, e.Attempt)
		if err := changedOne(res, err, e); err != nil {
			return err
		}
		e.State, e.Attempt, e.StartedAt = tycho.ExperimentRunning, e.Attempt+1, started
		return nil
	})
	if err != nil {
		return nil, wrap(err, "start experiment %s", id)
	}
	return e, nil
}

// CompleteExperiment implements tycho.ExperimentService. Results are the
// same when they are stored alike: as JSON, where a metadata number is a
// float64 whatever its Go type.
func (db *DB) CompleteExperiment(ctx context.Context, id string, attempt int, r *tycho.Result) error {
	body, err := storejson.ResultBody(id, r)
	if err != nil {
		return err
	}
	err = db.tx(ctx, func(tx conn) error {
		e, err := findExperiment(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.State == tycho.ExperimentCompleted && e.Attempt == attempt {
			// A retry of a result already recorded is a no-op; a
			// different result for the same attempt is a conflict.
			if storejson.SameResult(e.Result, body) {
				return nil
			}
			return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s already has a different result for attempt %d", e.Seq, e.CampaignID, attempt)
		}
		if err := current(e, attempt); err != nil {
			return err
		}
		now := db.now()
		res, err := tx.ExecContext(ctx, `UPDATE experiments SET `+bumpRev+` state = ?, result = ?, finished_at = ?
			WHERE id = ? AND state = ? AND attempt = ?`,
			tycho.ExperimentCompleted, string(body), nanos(now), id, tycho.ExperimentRunning, attempt)
		if err := changedOne(res, err, e); err != nil {
			return err
		}
		return recordResult(ctx, tx, e, body, now)
	})
	return wrap(err, "complete experiment %s", id)
}

// FailExperiment implements tycho.ExperimentService. Failing the same
// attempt with the same message again is a no-op.
func (db *DB) FailExperiment(ctx context.Context, id string, attempt int, msg string) error {
	err := db.tx(ctx, func(tx conn) error {
		e, err := findExperiment(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.State == tycho.ExperimentFailed && e.Attempt == attempt {
			if e.Error == msg {
				return nil
			}
			return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s already failed in attempt %d: %s", e.Seq, e.CampaignID, attempt, e.Error)
		}
		if err := current(e, attempt); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE experiments SET `+bumpRev+` state = ?, error = ?, finished_at = ?
			WHERE id = ? AND state = ? AND attempt = ?`,
			tycho.ExperimentFailed, msg, nanos(db.now()), id, tycho.ExperimentRunning, attempt)
		return changedOne(res, err, e)
	})
	return wrap(err, "fail experiment %s", id)
}

// AbandonExperiment implements tycho.ExperimentService. The reason is
// stored as the experiment's Error.
func (db *DB) AbandonExperiment(ctx context.Context, id string, reason string) error {
	err := db.tx(ctx, func(tx conn) error {
		e, err := findExperiment(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.State == tycho.ExperimentAbandoned && e.Error == reason {
			return nil // a retry
		}
		if e.State.Final() {
			return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s is already %s", e.Seq, e.CampaignID, e.State)
		}
		res, err := tx.ExecContext(ctx, `UPDATE experiments SET `+bumpRev+` state = ?, error = ?, finished_at = ?
			WHERE id = ? AND state = ? AND attempt = ?`,
			tycho.ExperimentAbandoned, reason, nanos(db.now()), id, e.State, e.Attempt)
		return changedOne(res, err, e)
	})
	return wrap(err, "abandon experiment %s", id)
}

// current checks that attempt is the running attempt of e.
func current(e *tycho.Experiment, attempt int) error {
	if e.State.Final() {
		return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s is already %s", e.Seq, e.CampaignID, e.State)
	}
	if e.State != tycho.ExperimentRunning || e.Attempt != attempt {
		return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s: attempt %d is not the running one (it is %s, attempt %d)",
			e.Seq, e.CampaignID, attempt, e.State, e.Attempt)
	}
	return nil
}

// changedOne checks that a conditional update changed the one row it read
// in the same transaction. The write lock makes that certain; the check
// keeps the transition safe should the lock mode ever change.
func changedOne(res sql.Result, err error, e *tycho.Experiment) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s changed concurrently; try again", e.Seq, e.CampaignID)
	}
	return nil
}

func campaignExists(ctx context.Context, q conn, id string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM campaigns WHERE id = ?`, id).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// mustExist returns ENOTFOUND if campaign id does not exist.
func mustExist(ctx context.Context, q conn, id string) error {
	ok, err := campaignExists(ctx, q, id)
	if err != nil {
		return err
	} else if !ok {
		return tycho.Errorf(tycho.ENOTFOUND, "campaign %q not found", id)
	}
	return nil
}

func findExperiment(ctx context.Context, q conn, id string) (*tycho.Experiment, error) {
	e, err := scanExperiment(q.QueryRowContext(ctx, `SELECT `+experimentColumns+` FROM experiments WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "experiment %q not found", id)
	}
	return e, err
}

// scanExperiment reads the experimentColumns.
func scanExperiment(s scanner) (*tycho.Experiment, error) { return scanExperimentAnd(s) }

// scanExperimentAnd reads the experimentColumns, and then into extra any
// columns that follow them.
func scanExperimentAnd(s scanner, extra ...any) (*tycho.Experiment, error) {
	var e tycho.Experiment
	var params []byte
	var result []byte
	var created, started, finished, expires int64
	var holder string
	dest := append([]any{&e.ID, &e.CampaignID, &e.Seq, &e.Generation, &params, &e.State, &e.Attempt, &result, &e.Error, &created, &started, &finished, &holder, &expires}, extra...)
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	if holder != "" {
		e.Lease = &tycho.Lease{Holder: holder, Expires: fromNanos(expires)}
	}
	var err error
	if e.Params, err = storejson.DecodeParams(params); err != nil {
		return nil, fmt.Errorf("decode parameters of experiment %s: %w", e.ID, err)
	}
	if result != nil {
		if e.Result, err = storejson.DecodeResult(result); err != nil {
			return nil, fmt.Errorf("decode result of experiment %s: %w", e.ID, err)
		}
	}
	e.CreatedAt, e.StartedAt, e.FinishedAt = fromNanos(created), fromNanos(started), fromNanos(finished)
	return &e, nil
}

const generationColumns = `campaign_id, idx, strategy, seed, observations, pending, model, acquisition, fit_ns, propose_ns, created_at, COALESCE(key, '')`

// FindGeneration implements tycho.ExperimentService.
func (db *DB) FindGeneration(ctx context.Context, campaignID, key string) (*tycho.Generation, error) {
	g, err := scanGeneration(db.pool().QueryRowContext(ctx, `SELECT `+generationColumns+` FROM generations WHERE campaign_id = ? AND key = ?`, campaignID, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "campaign %s has no generation with idempotency key %q", campaignID, key)
	}
	return g, wrap(err, "find generation of campaign %s", campaignID)
}

func scanGeneration(s scanner) (*tycho.Generation, error) {
	var g tycho.Generation
	var seed string
	var model, acq []byte
	var fit, propose, created int64
	if err := s.Scan(&g.CampaignID, &g.Index, &g.Strategy, &seed, &g.Observations, &g.Pending, &model, &acq, &fit, &propose, &created, &g.Key); err != nil {
		return nil, err
	}
	var err error
	if g.Seed, err = strconv.ParseUint(seed, 10, 64); err != nil {
		return nil, fmt.Errorf("decode seed of generation %d: %w", g.Index, err)
	}
	if g.Model, err = storejson.DecodeModel(model); err != nil {
		return nil, fmt.Errorf("decode model of generation %d: %w", g.Index, err)
	}
	if g.Acquisition, err = storejson.DecodeNumbers(acq); err != nil {
		return nil, fmt.Errorf("decode acquisition of generation %d: %w", g.Index, err)
	}
	g.FitTime, g.ProposeTime, g.CreatedAt = time.Duration(fit), time.Duration(propose), fromNanos(created)
	return &g, nil
}

// nullText stores b as text, and nil as NULL.
func nullText(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// nullString stores s, and "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
