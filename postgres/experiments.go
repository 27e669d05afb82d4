package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"tycho"
	"tycho/internal/storejson"
)

// AddGeneration implements tycho.ExperimentService. Experiments are stored
// as given, in the proposed state unless they name another; a zero
// CreatedAt is stamped with the store's clock. Once the transaction has
// committed, each experiment's CampaignID, Generation, Seq, State and
// CreatedAt are written back, and the generation's CreatedAt, times as
// stored. Returns ECONFLICT, storing nothing, if an experiment ID is taken
// too, and EINVALID for a generation index below 1, an experiment without
// an ID or a non-finite parameter value.
func (db *DB) AddGeneration(ctx context.Context, g *tycho.Generation, exps []*tycho.Experiment) error {
	if g == nil {
		return tycho.Errorf(tycho.EINVALID, "no generation given")
	}
	if g.Index < 1 {
		return tycho.Errorf(tycho.EINVALID, "generation %d of campaign %s: generations are numbered from 1", g.Index, g.CampaignID)
	}
	if err := checkText("strategy", g.Strategy, "idempotency key", g.Key); err != nil {
		return err
	}
	model, err := storejson.EncodeModel(g.Model)
	if err != nil {
		return err
	}
	acq, err := storejson.EncodeNumbers(g.Acquisition)
	if err != nil {
		return tycho.Errorf(tycho.EINVALID, "acquisition values cannot be stored: %v", err)
	}
	now := db.clock()
	gCreated := micro(g.CreatedAt)
	if gCreated.IsZero() {
		gCreated = now
	}

	// Encode everything before the transaction, so a bad value refuses
	// the call without locking anything.
	type row struct {
		params  []byte
		result  []byte
		state   tycho.ExperimentState
		created time.Time
		lease   tycho.Lease
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
		r := row{params: params, state: e.State, created: micro(e.CreatedAt)}
		if e.Result != nil {
			if r.result, err = storejson.CanonicalResult(e.Result); err != nil {
				return tycho.Errorf(tycho.EINVALID, "experiment %s: %s", e.ID, tycho.ErrorMessage(err))
			}
		}
		if e.Lease != nil {
			r.lease = *e.Lease
		}
		if err := checkText("experiment ID", e.ID, "state", string(e.State), "lease holder", r.lease.Holder); err != nil {
			return err
		}
		if r.state == "" {
			r.state = tycho.ExperimentProposed
		}
		if r.created.IsZero() {
			r.created = now
		}
		rows[i] = r
	}
	if !storable(g.CampaignID) {
		return tycho.Errorf(tycho.ENOTFOUND, "campaign %q not found", g.CampaignID)
	}

	var seq int // of the last experiment stored
	err = db.tx(ctx, func(tx pgx.Tx) error {
		// Lock the campaign, so that generations added to it at once are
		// numbered one after the other. The next statement, run once the
		// lock is held, sees every experiment committed before.
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM campaigns WHERE id = $1 FOR UPDATE`, g.CampaignID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return tycho.Errorf(tycho.ENOTFOUND, "campaign %q not found", g.CampaignID)
		} else if err != nil {
			return fmt.Errorf("lock campaign: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM experiments WHERE campaign_id = $1`, g.CampaignID).Scan(&seq); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO generations (campaign_id, idx, strategy, seed, observations, pending, model, acquisition, fit_ns, propose_ns, created_at, key)
			VALUES ($1, $2, $3, $4::text::numeric, $5, $6, $7, $8, $9, $10, $11, $12)`,
			g.CampaignID, g.Index, g.Strategy, strconv.FormatUint(g.Seed, 10), g.Observations, g.Pending, model, acq,
			int64(g.FitTime), int64(g.ProposeTime), gCreated, nullString(g.Key))
		if constraint, ok := uniqueViolation(err); ok {
			if constraint == "generations_key" {
				return tycho.Errorf(tycho.ECONFLICT, "campaign %s already has a generation with idempotency key %q", g.CampaignID, g.Key)
			}
			return tycho.Errorf(tycho.ECONFLICT, "campaign %s already has generation %d", g.CampaignID, g.Index)
		} else if err != nil {
			return fmt.Errorf("insert generation: %w", err)
		}

		// One round trip for the whole batch; the first insert that fails
		// names the experiment, and the transaction stores nothing.
		batch := &pgx.Batch{}
		for i, e := range exps {
			r := rows[i]
			batch.Queue(`INSERT INTO experiments (id, campaign_id, seq, generation, params, state, attempt, result, error,
					created_at, started_at, finished_at, lease_holder, lease_expires, lease_token)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
				e.ID, g.CampaignID, seq+i+1, g.Index, r.params, string(r.state), e.Attempt, r.result, blob(e.Error),
				r.created, timestamp(micro(e.StartedAt)), timestamp(micro(e.FinishedAt)),
				r.lease.Holder, timestamp(micro(r.lease.Expires)), tycho.HashLeaseToken(r.lease.Token))
		}
		results := tx.SendBatch(ctx, batch)
		for _, e := range exps {
			_, err := results.Exec()
			if _, ok := uniqueViolation(err); ok {
				results.Close()
				return tycho.Errorf(tycho.ECONFLICT, "experiment %s already exists", e.ID)
			} else if err != nil {
				results.Close()
				return fmt.Errorf("insert experiment %s: %w", e.ID, err)
			}
		}
		if err := results.Close(); err != nil {
			return err
		}
		return recordGeneration(ctx, tx, g, gCreated, exps, seq)
	})
	if err != nil {
		return wrap(err, "add generation %d of campaign %s", g.Index, g.CampaignID)
	}
	g.CreatedAt = gCreated
	for i, e := range exps {
		e.CampaignID, e.Generation, e.Seq = g.CampaignID, g.Index, seq+i+1
		e.State, e.CreatedAt = rows[i].state, rows[i].created
	}
	return nil
}

// recordGeneration records the provenance of a generation whose first
// experiment follows sequence number seq.
func recordGeneration(ctx context.Context, tx pgx.Tx, g *tycho.Generation, created time.Time, exps []*tycho.Experiment, seq int) error {
	stamped := *g
	stamped.CreatedAt = created
	var prev int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(idx), 0) FROM generations
		WHERE campaign_id = $1 AND idx < $2 AND strategy NOT IN ($3, $4)`,
		g.CampaignID, g.Index, tycho.StrategyPriorData, tycho.StrategyExternal).Scan(&prev); err != nil {
		return err
	}
	if err := insertProv(ctx, tx, tycho.GenerationProvenance(&stamped, exps, seq+1, prev), created); err != nil {
		return err
	}
	return insertUsed(ctx, tx, &stamped)
}

// recordResult records the provenance of experiment e completing with the
// stored result body at now.
func recordResult(ctx context.Context, tx pgx.Tx, e *tycho.Experiment, body []byte, now time.Time) error {
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

// bumpRev, the first assignment of an UPDATE of experiments, stamps each
// experiment it changes with the writing transaction's ID, as the
// column's default does on insert.
const bumpRev = `rev = pg_current_xact_id()::text::bigint,`

// ListExperiments implements tycho.ExperimentService.
func (db *DB) ListExperiments(ctx context.Context, campaignID string) ([]*tycho.Experiment, error) {
	out, err := listExperiments(ctx, db.pool, campaignID, 0)
	if err != nil {
		return nil, wrap(err, "list experiments of campaign %s", campaignID)
	}
	return out, nil
}

// ListExperimentsSince implements tycho.ExperimentService. The cursor is
// the oldest transaction still running when the read began: every write
// older than that is in the read, and every write from it on is read
// again next time, whether it committed before this read or after.
func (db *DB) ListExperimentsSince(ctx context.Context, campaignID string, cursor int64) ([]*tycho.Experiment, int64, error) {
	var (
		out  []*tycho.Experiment
		next int64
	)
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, db.pool, opts, func(tx pgx.Tx) error {
		// The first statement takes the snapshot both reads share.
		err := tx.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&next)
		if err != nil {
			return err
		}
		out, err = listExperiments(ctx, tx, campaignID, cursor)
		return err
	})
	if err != nil {
		return nil, 0, wrap(err, "list experiments of campaign %s", campaignID)
	}
	return out, next, nil
}

// listExperiments reads the experiments of a campaign with a revision of
// at least rev.
func listExperiments(ctx context.Context, q querier, campaignID string, rev int64) ([]*tycho.Experiment, error) {
	if !storable(campaignID) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "campaign %q not found", campaignID)
	}
	rows, err := q.Query(ctx, `SELECT `+experimentColumns+` FROM experiments WHERE campaign_id = $1 AND rev >= $2 ORDER BY seq`, campaignID, rev)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*tycho.Experiment
	for rows.Next() {
		e, err := scanExperiment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		// Campaigns are never deleted, so a campaign found now existed
		// when its empty list was read.
		return nil, mustExist(ctx, q, campaignID)
	}
	return out, nil
}

// ListGenerations implements tycho.ExperimentService. Returns ENOTFOUND if
// the campaign does not exist, as ListExperiments does.
func (db *DB) ListGenerations(ctx context.Context, campaignID string) ([]*tycho.Generation, error) {
	out, err := db.listGenerations(ctx, campaignID)
	if err != nil {
		return nil, wrap(err, "list generations of campaign %s", campaignID)
	}
	return out, nil
}

func (db *DB) listGenerations(ctx context.Context, campaignID string) ([]*tycho.Generation, error) {
	if !storable(campaignID) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "campaign %q not found", campaignID)
	}
	rows, err := db.pool.Query(ctx, `SELECT `+generationColumns+` FROM generations WHERE campaign_id = $1 ORDER BY idx`, campaignID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*tycho.Generation
	for rows.Next() {
		g, err := scanGeneration(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, mustExist(ctx, db.pool, campaignID)
	}
	return out, nil
}

// StartExperiment implements tycho.ExperimentService.
func (db *DB) StartExperiment(ctx context.Context, id string) (*tycho.Experiment, error) {
	var e *tycho.Experiment
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if e, _, err = lockExperiment(ctx, tx, id); err != nil {
			return err
		}
		if e.State.Final() {
			return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s is already %s", e.Seq, e.CampaignID, e.State)
		}
		started := db.clock()
		tag, err := tx.Exec(ctx, `UPDATE experiments SET `+bumpRev+` state = $1, attempt = attempt + 1, started_at = $2
			WHERE id = $3 AND state = $4 AND attempt = $5`,
			string(tycho.ExperimentRunning), started, id, string(e.State), e.Attempt)
		if err := changedOne(tag, err, e); err != nil {
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
	err = db.tx(ctx, func(tx pgx.Tx) error {
		e, _, err := lockExperiment(ctx, tx, id)
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
		now := db.clock()
		tag, err := tx.Exec(ctx, `UPDATE experiments SET `+bumpRev+` state = $1, result = $2, finished_at = $3
			WHERE id = $4 AND state = $5 AND attempt = $6`,
			string(tycho.ExperimentCompleted), body, now, id, string(tycho.ExperimentRunning), attempt)
		if err := changedOne(tag, err, e); err != nil {
			return err
		}
		return recordResult(ctx, tx, e, body, now)
	})
	return wrap(err, "complete experiment %s", id)
}

// FailExperiment implements tycho.ExperimentService. Failing the same
// attempt with the same message again is a no-op.
func (db *DB) FailExperiment(ctx context.Context, id string, attempt int, msg string) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		e, _, err := lockExperiment(ctx, tx, id)
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
		tag, err := tx.Exec(ctx, `UPDATE experiments SET `+bumpRev+` state = $1, error = $2, finished_at = $3
			WHERE id = $4 AND state = $5 AND attempt = $6`,
			string(tycho.ExperimentFailed), blob(msg), db.clock(), id, string(tycho.ExperimentRunning), attempt)
		return changedOne(tag, err, e)
	})
	return wrap(err, "fail experiment %s", id)
}

// AbandonExperiment implements tycho.ExperimentService. The reason is
// stored as the experiment's Error.
func (db *DB) AbandonExperiment(ctx context.Context, id string, reason string) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		e, _, err := lockExperiment(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.State == tycho.ExperimentAbandoned && e.Error == reason {
			return nil // a retry
		}
		if e.State.Final() {
			return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s is already %s", e.Seq, e.CampaignID, e.State)
		}
		tag, err := tx.Exec(ctx, `UPDATE experiments SET `+bumpRev+` state = $1, error = $2, finished_at = $3
			WHERE id = $4 AND state = $5 AND attempt = $6`,
			string(tycho.ExperimentAbandoned), blob(reason), db.clock(), id, string(e.State), e.Attempt)
		return changedOne(tag, err, e)
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
// in the same transaction. The row lock makes that certain; the check
// keeps the transition safe should the locking ever change.
func changedOne(tag pgconn.CommandTag, err error, e *tycho.Experiment) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s changed concurrently; try again", e.Seq, e.CampaignID)
	}
	return nil
}

// mustExist returns ENOTFOUND if campaign id does not exist.
func mustExist(ctx context.Context, q querier, id string) error {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM campaigns WHERE id = $1)`, id).Scan(&ok); err != nil {
		return err
	} else if !ok {
		return tycho.Errorf(tycho.ENOTFOUND, "campaign %q not found", id)
	}
	return nil
}

// findExperiment reads an experiment without locking it.
func findExperiment(ctx context.Context, q querier, id string) (*tycho.Experiment, error) {
	if !storable(id) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "experiment %q not found", id)
	}
	e, err := scanExperiment(q.QueryRow(ctx, `SELECT `+experimentColumns+` FROM experiments WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "experiment %q not found", id)
	}
	return e, err
}

// lockExperiment reads an experiment and the hash of its lease token, and
// locks its row until tx ends, so that what the caller decides from it
// still holds when it writes.
func lockExperiment(ctx context.Context, tx pgx.Tx, id string) (*tycho.Experiment, string, error) {
	if !storable(id) {
		return nil, "", tycho.Errorf(tycho.ENOTFOUND, "experiment %q not found", id)
	}
	var token string
	e, err := scanExperiment(tx.QueryRow(ctx, `SELECT `+experimentColumns+`, lease_token FROM experiments WHERE id = $1 FOR UPDATE`, id), &token)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", tycho.Errorf(tycho.ENOTFOUND, "experiment %q not found", id)
	}
	return e, token, err
}

// scanExperiment reads the experimentColumns, and then into extra any
// columns that follow them.
func scanExperiment(s scanner, extra ...any) (*tycho.Experiment, error) {
	var e tycho.Experiment
	var params, result, msg []byte
	var state, holder string
	var seq, generation, attempt int64
	var created, started, finished, expires pgtype.Timestamptz
	dst := append([]any{&e.ID, &e.CampaignID, &seq, &generation, &params, &state, &attempt, &result, &msg,
		&created, &started, &finished, &holder, &expires}, extra...)
	if err := s.Scan(dst...); err != nil {
		return nil, err
	}
	e.Seq, e.Generation, e.Attempt = int(seq), int(generation), int(attempt)
	e.State, e.Error = tycho.ExperimentState(state), string(msg)
	if holder != "" {
		e.Lease = &tycho.Lease{Holder: holder, Expires: fromTimestamp(expires)}
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
	e.CreatedAt, e.StartedAt, e.FinishedAt = fromTimestamp(created), fromTimestamp(started), fromTimestamp(finished)
	return &e, nil
}

const generationColumns = `campaign_id, idx, strategy, seed::text, observations, pending, model, acquisition, fit_ns, propose_ns, created_at, COALESCE(key, '')`

// FindGeneration implements tycho.ExperimentService.
func (db *DB) FindGeneration(ctx context.Context, campaignID, key string) (*tycho.Generation, error) {
	var g *tycho.Generation
	err := pgx.ErrNoRows
	if storable(campaignID) && storable(key) {
		g, err = scanGeneration(db.pool.QueryRow(ctx, `SELECT `+generationColumns+` FROM generations WHERE campaign_id = $1 AND key = $2`, campaignID, key))
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "campaign %s has no generation with idempotency key %q", campaignID, key)
	}
	return g, wrap(err, "find generation of campaign %s", campaignID)
}

func scanGeneration(s scanner) (*tycho.Generation, error) {
	var g tycho.Generation
	var seed string
	var index, observations, pending, fit, propose int64
	var model, acq []byte
	var created pgtype.Timestamptz
	if err := s.Scan(&g.CampaignID, &index, &g.Strategy, &seed, &observations, &pending, &model, &acq, &fit, &propose, &created, &g.Key); err != nil {
		return nil, err
	}
	g.Index, g.Observations, g.Pending = int(index), int(observations), int(pending)
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
	g.FitTime, g.ProposeTime, g.CreatedAt = time.Duration(fit), time.Duration(propose), fromTimestamp(created)
	return &g, nil
}

// nullString stores s, and "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CountExperiments implements tycho.ExperimentService.
func (db *DB) CountExperiments(ctx context.Context) (map[tycho.ExperimentState]int, error) {
	rows, err := db.pool.Query(ctx, `SELECT state, COUNT(*) FROM experiments GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count experiments: %w", err)
	}
	defer rows.Close()
	out := map[tycho.ExperimentState]int{}
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("count experiments: %w", err)
		}
		out[tycho.ExperimentState(state)] = int(n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count experiments: %w", err)
	}
	return out, nil
}
