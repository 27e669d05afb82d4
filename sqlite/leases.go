package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"tycho"
	"tycho/internal/storejson"
)

// FindExperiment implements tycho.LeaseService.
func (db *DB) FindExperiment(ctx context.Context, id string) (*tycho.Experiment, error) {
	e, err := findExperiment(ctx, db.pool(), id)
	return e, wrap(err, "find experiment %s", id)
}

// LeaseExperiments implements tycho.LeaseService. The write lock makes the
// select and the updates one atomic step.
func (db *DB) LeaseExperiments(ctx context.Context, req tycho.LeaseRequest) ([]*tycho.Experiment, error) {
	if err := tycho.ValidLeaseRequest(req); err != nil {
		return nil, err
	}
	agentKey := req.Lab + "\x00" + req.Holder
	var out []*tycho.Experiment
	err := db.tx(ctx, func(tx conn) error {
		now := db.now()
		ready, err := leasable(ctx, tx, req, now)
		if err != nil {
			return err
		}
		expires := now.Add(req.TTL)
		for _, e := range ready {
			token, err := tycho.NewLeaseToken()
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE experiments SET `+bumpRev+` state = ?, attempt = attempt + 1, started_at = ?,
				lease_holder = ?, lease_token = ?, lease_expires = ?
				WHERE id = ? AND attempt = ?`,
				tycho.ExperimentDispatched, nanos(now), req.Holder, tycho.HashLeaseToken(token), nanos(expires), e.ID, e.Attempt)
			if err := changedOne(res, err, e); err != nil {
				return err
			}
			e.State, e.Attempt, e.StartedAt = tycho.ExperimentDispatched, e.Attempt+1, now
			e.Lease = &tycho.Lease{Holder: req.Holder, Token: token, Expires: expires}
		}
		out = ready
		if _, known := db.agents.Load(agentKey); known || len(ready) == 0 {
			return nil
		}
		return insertProv(ctx, tx, tycho.LeaseProvenance(req.Lab, req.Holder, now), now)
	})
	if err != nil {
		return nil, wrap(err, "lease experiments of lab %s", req.Lab)
	}
	if len(out) > 0 {
		db.agents.Store(agentKey, true)
	}
	if out == nil {
		out = []*tycho.Experiment{}
	}
	return out, nil
}

// RenewLease implements tycho.LeaseService.
func (db *DB) RenewLease(ctx context.Context, id, token string, ttl time.Duration) (*tycho.Experiment, error) {
	if err := tycho.ValidLeaseTTL(ttl); err != nil {
		return nil, err
	}
	var e *tycho.Experiment
	err := db.tx(ctx, func(tx conn) error {
		var err error
		if e, err = leased(ctx, tx, id, token); err != nil {
			return err
		}
		expires := db.now().Add(ttl)
		res, err := tx.ExecContext(ctx, `UPDATE experiments SET `+bumpRev+` state = ?, lease_expires = ? WHERE id = ? AND attempt = ?`,
			tycho.ExperimentRunning, nanos(expires), id, e.Attempt)
		if err := changedOne(res, err, e); err != nil {
			return err
		}
		e.State, e.Lease.Expires = tycho.ExperimentRunning, expires
		return nil
	})
	if err != nil {
		return nil, wrap(err, "renew lease of experiment %s", id)
	}
	return e, nil
}

// ReleaseLease implements tycho.LeaseService. The experiment goes back to
// the state it was leased from: approved when its campaign requires
// approval, proposed otherwise.
func (db *DB) ReleaseLease(ctx context.Context, id, token string) error {
	err := db.tx(ctx, func(tx conn) error {
		e, err := leased(ctx, tx, id, token)
		if e != nil && (e.State == tycho.ExperimentProposed || e.State == tycho.ExperimentApproved) {
			return nil // a retry: the token is kept until the next lease
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE experiments SET `+bumpRev+`
			state = CASE WHEN (SELECT approval FROM campaigns WHERE id = experiments.campaign_id) = 1 THEN ? ELSE ? END,
			lease_holder = '', lease_expires = 0
			WHERE id = ? AND attempt = ?`,
			tycho.ExperimentApproved, tycho.ExperimentProposed, id, e.Attempt)
		return changedOne(res, err, e)
	})
	return wrap(err, "release lease of experiment %s", id)
}

// ApproveExperiment implements tycho.LeaseService.
func (db *DB) ApproveExperiment(ctx context.Context, id string) (*tycho.Experiment, error) {
	var e *tycho.Experiment
	err := db.tx(ctx, func(tx conn) error {
		var err error
		if e, err = findExperiment(ctx, tx, id); err != nil {
			return err
		}
		switch e.State {
		case tycho.ExperimentApproved:
			return nil
		case tycho.ExperimentProposed:
		default:
			return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s is %s; only a proposed experiment can be approved", e.Seq, e.CampaignID, e.State)
		}
		res, err := tx.ExecContext(ctx, `UPDATE experiments SET `+bumpRev+` state = ? WHERE id = ? AND state = ?`, tycho.ExperimentApproved, id, e.State)
		if err := changedOne(res, err, e); err != nil {
			return err
		}
		e.State = tycho.ExperimentApproved
		return nil
	})
	if err != nil {
		return nil, wrap(err, "approve experiment %s", id)
	}
	return e, nil
}

// CompleteLeased implements tycho.LeaseService.
func (db *DB) CompleteLeased(ctx context.Context, id, token string, r *tycho.Result) (*tycho.Experiment, error) {
	body, err := storejson.ResultBody(id, r)
	if err != nil {
		return nil, err
	}
	var e *tycho.Experiment
	err = db.tx(ctx, func(tx conn) (err error) {
		e, err = endLease(ctx, tx, id, token, db.now(), tycho.ExperimentCompleted, "result", string(body))
		if err != nil {
			return err
		}
		if e != nil {
			return insertProv(ctx, tx, tycho.ResultProvenance(e), e.FinishedAt)
		}
		e, err = leased(ctx, tx, id, token)
		if e == nil {
			return err
		}
		if e.State == tycho.ExperimentCompleted {
			if storejson.SameResult(e.Result, body) {
				return nil // a retry of a result already recorded
			}
			return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s already has a different result", e.Seq, e.CampaignID)
		} else if err != nil {
			return err
		}
		now := db.now()
		res, err := tx.ExecContext(ctx, `UPDATE experiments SET `+bumpRev+` state = ?, result = ?, finished_at = ? WHERE id = ? AND attempt = ?`,
			tycho.ExperimentCompleted, string(body), nanos(now), id, e.Attempt)
		if err := changedOne(res, err, e); err != nil {
			return err
		}
		// As stored: the canonical form decodes as a read would.
		if e.Result, err = storejson.DecodeResult(body); err != nil {
			return err
		}
		e.State, e.FinishedAt = tycho.ExperimentCompleted, now
		return insertProv(ctx, tx, tycho.ResultProvenance(e), now)
	})
	if err != nil {
		return nil, wrap(err, "complete experiment %s", id)
	}
	return e, nil
}

// FailLeased implements tycho.LeaseService.
func (db *DB) FailLeased(ctx context.Context, id, token, msg string) (*tycho.Experiment, error) {
	var e *tycho.Experiment
	err := db.tx(ctx, func(tx conn) (err error) {
		e, err = endLease(ctx, tx, id, token, db.now(), tycho.ExperimentFailed, "error", msg)
		if e != nil || err != nil {
			return err
		}
		e, err = leased(ctx, tx, id, token)
		if e == nil {
			return err
		}
		if e.State == tycho.ExperimentFailed {
			if e.Error == msg {
				return nil
			}
			return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s already failed: %s", e.Seq, e.CampaignID, e.Error)
		} else if err != nil {
			return err
		}
		now := db.now()
		res, err := tx.ExecContext(ctx, `UPDATE experiments SET `+bumpRev+` state = ?, error = ?, finished_at = ? WHERE id = ? AND attempt = ?`,
			tycho.ExperimentFailed, msg, nanos(now), id, e.Attempt)
		if err := changedOne(res, err, e); err != nil {
			return err
		}
		e.State, e.Error, e.FinishedAt = tycho.ExperimentFailed, msg, now
		return nil
	})
	if err != nil {
		return nil, wrap(err, "fail experiment %s", id)
	}
	return e, nil
}

// leasable returns the experiments of the lab's running campaigns an agent
// may lease now, at most req.Max, oldest first: those ready (approved, or
// proposed where the campaign needs no approval) and those whose lease has
// expired. The state names are written out so that the partial indexes
// apply.
func leasable(ctx context.Context, tx conn, req tycho.LeaseRequest, now time.Time) ([]*tycho.Experiment, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, approval FROM campaigns WHERE queue = ? AND queue <> '' AND status = 'running'`, req.Lab)
	if err != nil {
		return nil, err
	}
	type queued struct {
		id       string
		approval bool
	}
	campaigns, err := scanAll(rows, func(s scanner) (c queued, err error) { return c, s.Scan(&c.id, &c.approval) })
	if err != nil {
		return nil, err
	}
	var out []*tycho.Experiment
	for _, c := range campaigns {
		ready := []any{tycho.ExperimentProposed, tycho.ExperimentApproved}
		if c.approval {
			ready[0] = tycho.ExperimentApproved
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+experimentColumns+` FROM experiments
			WHERE campaign_id = ? AND state IN ('proposed', 'approved') AND state IN (?, ?)
			ORDER BY created_at, seq LIMIT ?`, c.id, ready[0], ready[1], req.Max)
		if err != nil {
			return nil, err
		}
		exps, err := scanAll(rows, scanExperiment)
		if err != nil {
			return nil, err
		}
		out = append(out, exps...)
		rows, err = tx.QueryContext(ctx, `SELECT `+experimentColumns+` FROM experiments
			WHERE campaign_id = ? AND state IN ('dispatched', 'running') AND lease_expires > 0 AND lease_expires <= ?
			ORDER BY created_at, seq LIMIT ?`, c.id, nanos(now), req.Max)
		if err != nil {
			return nil, err
		}
		if exps, err = scanAll(rows, scanExperiment); err != nil {
			return nil, err
		}
		out = append(out, exps...)
	}
	tycho.SortForLease(out)
	return out[:min(len(out), req.Max)], nil
}

// endLease finishes the attempt a current lease holds in one statement,
// the common case: it moves the experiment to state, setting column to
// value, and returns it. It returns no experiment and no error when the
// token is not the experiment's current lease or the experiment is no
// longer in flight, for the caller to tell a retry from a conflict.
func endLease(ctx context.Context, tx conn, id, token string, now time.Time, state tycho.ExperimentState, column string, value any) (*tycho.Experiment, error) {
	if token == "" {
		return nil, nil
	}
	e, err := scanExperiment(tx.QueryRowContext(ctx, `UPDATE experiments SET `+bumpRev+` state = ?, `+column+` = ?, finished_at = ?
		WHERE id = ? AND lease_token = ? AND state IN ('dispatched', 'running')
		RETURNING `+experimentColumns,
		state, value, nanos(now), id, tycho.HashLeaseToken(token)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return e, err
}

// leased reads an experiment and checks that token is its current lease's
// and that it is still in flight. When only the second check fails it
// returns the experiment with the error, so a caller can tell a retry of
// what it recorded from a conflict.
func leased(ctx context.Context, tx conn, id, token string) (*tycho.Experiment, error) {
	var stored string
	e, err := scanExperimentAnd(tx.QueryRowContext(ctx, `SELECT `+experimentColumns+`, lease_token FROM experiments WHERE id = ?`, id), &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "experiment %q not found", id)
	} else if err != nil {
		return nil, err
	}
	if !tycho.LeaseTokenMatches(stored, token) {
		return nil, tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s is not leased to the caller: the lease token is not the current one", e.Seq, e.CampaignID)
	}
	if e.State != tycho.ExperimentDispatched && e.State != tycho.ExperimentRunning {
		return e, tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s is %s, no longer in flight", e.Seq, e.CampaignID, e.State)
	}
	return e, nil
}

// CountExperiments implements tycho.ExperimentService.
func (db *DB) CountExperiments(ctx context.Context) (map[tycho.ExperimentState]int, error) {
	rows, err := db.pool().QueryContext(ctx, `SELECT state, COUNT(*) FROM experiments GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count experiments: %w", err)
	}
	defer rows.Close()
	out := map[tycho.ExperimentState]int{}
	for rows.Next() {
		var st tycho.ExperimentState
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count experiments: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}
