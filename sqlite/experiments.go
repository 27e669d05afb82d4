package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"tycho"
)

// AddGeneration implements tycho.ExperimentService.
func (db *DB) AddGeneration(ctx context.Context, g *tycho.Generation, exps []*tycho.Experiment) error {
	model, err := json.Marshal(g.Model)
	if err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	acq, err := json.Marshal(finite(g.Acquisition))
	if err != nil {
		return fmt.Errorf("encode acquisition: %w", err)
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM campaigns WHERE id = ?`, g.CampaignID).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			return tycho.Errorf(tycho.ENOTFOUND, "campaign %q not found", g.CampaignID)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO generations (campaign_id, idx, strategy, seed, observations, pending, model, acquisition, fit_ns, propose_ns, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			g.CampaignID, g.Index, g.Strategy, strconv.FormatUint(g.Seed, 10), g.Observations, g.Pending, model, acq,
			int64(g.FitTime), int64(g.ProposeTime), nanos(g.CreatedAt))
		if isConstraint(err) {
			return tycho.Errorf(tycho.ECONFLICT, "campaign %s already has generation %d", g.CampaignID, g.Index)
		} else if err != nil {
			return err
		}
		var seq int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM experiments WHERE campaign_id = ?`, g.CampaignID).Scan(&seq); err != nil {
			return err
		}
		for _, e := range exps {
			seq++
			params, err := json.Marshal(e.Params)
			if err != nil {
				return tycho.Errorf(tycho.EINVALID, "encode parameters: %v", err)
			}
			state := e.State
			if state == "" {
				state = tycho.ExperimentProposed
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO experiments (id, campaign_id, seq, generation, params, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				e.ID, g.CampaignID, seq, g.Index, params, state, nanos(e.CreatedAt))
			if isConstraint(err) {
				return tycho.Errorf(tycho.ECONFLICT, "experiment %s already exists", e.ID)
			} else if err != nil {
				return err
			}
			e.Seq, e.Generation, e.CampaignID, e.State = seq, g.Index, g.CampaignID, state
		}
		return nil
	})
	return wrap(err, "add generation %d of campaign %s", g.Index, g.CampaignID)
}

const experimentColumns = `id, campaign_id, seq, generation, params, state, attempt, result, error, created_at, started_at, finished_at`

// ListExperiments implements tycho.ExperimentService.
func (db *DB) ListExperiments(ctx context.Context, campaignID string) ([]*tycho.Experiment, error) {
	var exists int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM campaigns WHERE id = ?`, campaignID).Scan(&exists); err != nil {
		return nil, fmt.Errorf("list experiments: %w", err)
	}
	if exists == 0 {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "campaign %q not found", campaignID)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+experimentColumns+` FROM experiments WHERE campaign_id = ? ORDER BY seq`, campaignID)
	if err != nil {
		return nil, fmt.Errorf("list experiments: %w", err)
	}
	defer rows.Close()
	var out []*tycho.Experiment
	for rows.Next() {
		e, err := scanExperiment(rows)
		if err != nil {
			return nil, fmt.Errorf("list experiments: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ListGenerations implements tycho.ExperimentService.
func (db *DB) ListGenerations(ctx context.Context, campaignID string) ([]*tycho.Generation, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT campaign_id, idx, strategy, seed, observations, pending, model, acquisition, fit_ns, propose_ns, created_at
		FROM generations WHERE campaign_id = ? ORDER BY idx`, campaignID)
	if err != nil {
		return nil, fmt.Errorf("list generations: %w", err)
	}
	defer rows.Close()
	var out []*tycho.Generation
	for rows.Next() {
		var g tycho.Generation
		var seed string
		var model, acq sql.NullString
		var fit, propose, created int64
		if err := rows.Scan(&g.CampaignID, &g.Index, &g.Strategy, &seed, &g.Observations, &g.Pending, &model, &acq, &fit, &propose, &created); err != nil {
			return nil, fmt.Errorf("list generations: %w", err)
		}
		if g.Seed, err = strconv.ParseUint(seed, 10, 64); err != nil {
			return nil, fmt.Errorf("generation %d seed: %w", g.Index, err)
		}
		if model.Valid {
			if err := json.Unmarshal([]byte(model.String), &g.Model); err != nil {
				return nil, fmt.Errorf("generation %d model: %w", g.Index, err)
			}
		}
		if acq.Valid {
			var vals []*float64
			if err := json.Unmarshal([]byte(acq.String), &vals); err != nil {
				return nil, fmt.Errorf("generation %d acquisition: %w", g.Index, err)
			}
			g.Acquisition = unfinite(vals)
		}
		g.FitTime, g.ProposeTime, g.CreatedAt = time.Duration(fit), time.Duration(propose), fromNanos(created)
		out = append(out, &g)
	}
	return out, rows.Err()
}

// StartExperiment implements tycho.ExperimentService.
func (db *DB) StartExperiment(ctx context.Context, id string) (*tycho.Experiment, error) {
	var e *tycho.Experiment
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if e, err = findExperiment(ctx, tx, id); err != nil {
			return err
		}
		if e.State.Final() {
			return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s is already %s", e.Seq, e.CampaignID, e.State)
		}
		e.State, e.Attempt, e.StartedAt = tycho.ExperimentRunning, e.Attempt+1, db.now()
		_, err = tx.ExecContext(ctx, `UPDATE experiments SET state = ?, attempt = ?, started_at = ? WHERE id = ?`,
			e.State, e.Attempt, nanos(e.StartedAt), id)
		return err
	})
	if err != nil {
		return nil, wrap(err, "start experiment %s", id)
	}
	return e, nil
}

// CompleteExperiment implements tycho.ExperimentService.
func (db *DB) CompleteExperiment(ctx context.Context, id string, attempt int, r *tycho.Result) error {
	if r == nil {
		return tycho.Errorf(tycho.EINVALID, "experiment %s: no result", id)
	}
	body, err := json.Marshal(r)
	if err != nil {
		return tycho.Errorf(tycho.EINVALID, "experiment %s: encode result: %v", id, err)
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		e, err := findExperiment(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.State == tycho.ExperimentCompleted && e.Attempt == attempt {
			// A retry of a result already recorded is a no-op; a
			// different result for the same attempt is a conflict.
			var again tycho.Result
			if err := json.Unmarshal(body, &again); err != nil {
				return err
			}
			if reflect.DeepEqual(e.Result, &again) {
				return nil
			}
			return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s already has a different result", e.Seq, e.CampaignID)
		}
		if err := current(e, attempt); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE experiments SET state = ?, result = ?, finished_at = ? WHERE id = ?`,
			tycho.ExperimentCompleted, body, nanos(db.now()), id)
		return err
	})
	return wrap(err, "complete experiment %s", id)
}

// FailExperiment implements tycho.ExperimentService.
func (db *DB) FailExperiment(ctx context.Context, id string, attempt int, msg string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		e, err := findExperiment(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.State == tycho.ExperimentFailed && e.Attempt == attempt && e.Error == msg {
			return nil
		}
		if err := current(e, attempt); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE experiments SET state = ?, error = ?, finished_at = ? WHERE id = ?`,
			tycho.ExperimentFailed, msg, nanos(db.now()), id)
		return err
	})
	return wrap(err, "fail experiment %s", id)
}

// AbandonExperiment implements tycho.ExperimentService.
func (db *DB) AbandonExperiment(ctx context.Context, id string, reason string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		e, err := findExperiment(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.State.Final() {
			return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s is already %s", e.Seq, e.CampaignID, e.State)
		}
		_, err = tx.ExecContext(ctx, `UPDATE experiments SET state = ?, error = ?, finished_at = ? WHERE id = ?`,
			tycho.ExperimentAbandoned, reason, nanos(db.now()), id)
		return err
	})
	return wrap(err, "abandon experiment %s", id)
}

// current checks that attempt is the running attempt of e.
func current(e *tycho.Experiment, attempt int) error {
	if e.State.Final() {
		return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s is already %s", e.Seq, e.CampaignID, e.State)
	}
	if e.State != tycho.ExperimentRunning || e.Attempt != attempt {
		return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s: attempt %d is not the running one (state %s, attempt %d)",
			e.Seq, e.CampaignID, attempt, e.State, e.Attempt)
	}
	return nil
}

func findExperiment(ctx context.Context, tx *sql.Tx, id string) (*tycho.Experiment, error) {
	e, err := scanExperiment(tx.QueryRowContext(ctx, `SELECT `+experimentColumns+` FROM experiments WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "experiment %q not found", id)
	}
	return e, err
}

func scanExperiment(s scanner) (*tycho.Experiment, error) {
	var e tycho.Experiment
	var params string
	var result sql.NullString
	var created, started, finished int64
	if err := s.Scan(&e.ID, &e.CampaignID, &e.Seq, &e.Generation, &params, &e.State, &e.Attempt, &result, &e.Error, &created, &started, &finished); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(params), &e.Params); err != nil {
		return nil, fmt.Errorf("decode parameters of experiment %s: %w", e.ID, err)
	}
	if result.Valid {
		e.Result = &tycho.Result{}
		if err := json.Unmarshal([]byte(result.String), e.Result); err != nil {
			return nil, fmt.Errorf("decode result of experiment %s: %w", e.ID, err)
		}
	}
	e.CreatedAt, e.StartedAt, e.FinishedAt = fromNanos(created), fromNanos(started), fromNanos(finished)
	return &e, nil
}

// wrap adds context to an internal error and passes domain errors through.
func wrap(err error, format string, args ...any) error {
	if err == nil || tycho.ErrorCode(err) != tycho.EINTERNAL {
		return err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// finite maps the non-finite values JSON cannot carry to null.
func finite(v []float64) []*float64 {
	out := make([]*float64, len(v))
	for i := range v {
		if !isInf(v[i]) {
			out[i] = &v[i]
		}
	}
	return out
}

func unfinite(v []*float64) []float64 {
	out := make([]float64, len(v))
	for i, p := range v {
		if p == nil {
			out[i] = negInf
		} else {
			out[i] = *p
		}
	}
	return out
}
