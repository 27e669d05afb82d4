package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"tycho"
	"tycho/internal/storejson"
)

// FindExperiment implements tycho.LeaseService.
func (db *DB) FindExperiment(ctx context.Context, id string) (*tycho.Experiment, error) {
	e, err := findExperiment(ctx, db.pool, id)
	return e, wrap(err, "find experiment %s", id)
}

// leaseQuery selects the experiments ready for an agent lab, oldest first,
// and locks them: for each running campaign in the lab's queue, those
// ready (approved, or proposed where the campaign needs no approval) and
// those whose lease has expired, each read in order from its own partial
// index (the state names are written out so that the planner can use
// them). SKIP LOCKED passes over the rows another transaction is leasing
// at this moment, so servers sharing the database take different
// experiments without waiting for one another. A row leased and committed
// by another server after this statement began is read again once locked,
// and drops out because its state no longer matches. With several
// campaigns in a queue, rows beyond the limit stay locked until the
// transaction ends; others skip them meanwhile.
var leaseQuery = leaseFrom(`state IN ('proposed', 'approved') AND (state = 'approved' OR NOT c.approval)`) +
	` UNION ALL ` +
	leaseFrom(`state IN ('dispatched', 'running') AND lease_expires <= $2`) +
	` ORDER BY created_at, campaign_id, seq LIMIT $3`

// leaseFrom selects and locks, from each running campaign in the lab's
// queue, the first experiments that meet cond.
func leaseFrom(cond string) string {
	return `(SELECT e.* FROM campaigns c CROSS JOIN LATERAL (
		SELECT ` + experimentColumns + ` FROM experiments
		WHERE campaign_id = c.id AND ` + cond + `
		ORDER BY created_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED) e
	WHERE c.queue = $1 AND c.queue <> '' AND c.status = 'running')`
}

// LeaseExperiments implements tycho.LeaseService. The experiments are
// selected and updated in one transaction that holds their row locks
// throughout, so no two holders, on one server or several, ever lease the
// same experiment. It may return fewer than req.Max experiments while
// other servers are leasing from the same queue.
func (db *DB) LeaseExperiments(ctx context.Context, req tycho.LeaseRequest) ([]*tycho.Experiment, error) {
	if err := tycho.ValidLeaseRequest(req); err != nil {
		return nil, err
	}
	if err := checkText("holder", req.Holder); err != nil {
		return nil, err
	}
	agentKey := req.Lab + "\x00" + req.Holder
	var out []*tycho.Experiment
	err := db.tx(ctx, func(tx pgx.Tx) error {
		now := db.clock()
		rows, err := tx.Query(ctx, leaseQuery, req.Lab, now, req.Max)
		if err != nil {
			return err
		}
		ready, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*tycho.Experiment, error) {
			return scanExperiment(row)
		})
		if err != nil || len(ready) == 0 {
			return err
		}
		expires := micro(now.Add(req.TTL))
		ids := make([]string, len(ready))
		attempts := make([]int64, len(ready))
		hashes := make([]string, len(ready))
		tokens := make([]string, len(ready))
		for i, e := range ready {
			if tokens[i], err = tycho.NewLeaseToken(); err != nil {
				return err
			}
			ids[i], attempts[i], hashes[i] = e.ID, int64(e.Attempt), tycho.HashLeaseToken(tokens[i])
		}
		// One statement for the batch. The rows are locked, so the check
		// of each attempt only guards against a change of that.
		tag, err := tx.Exec(ctx, `UPDATE experiments e SET `+bumpRev+` state = $1, attempt = e.attempt + 1, started_at = $2,
				lease_holder = $3, lease_token = l.hash, lease_expires = $4
			FROM unnest($5::text[], $6::bigint[], $7::text[]) AS l (id, attempt, hash)
			WHERE e.id = l.id AND e.attempt = l.attempt`,
			string(tycho.ExperimentDispatched), now, req.Holder, expires, ids, attempts, hashes)
		if err != nil {
			return err
		}
		if n := tag.RowsAffected(); n != int64(len(ready)) {
			return tycho.Errorf(tycho.ECONFLICT, "leased %d of %d experiments of lab %s; try again", n, len(ready), req.Lab)
		}
		for i, e := range ready {
			e.State, e.Attempt, e.StartedAt = tycho.ExperimentDispatched, e.Attempt+1, now
			e.Lease = &tycho.Lease{Holder: req.Holder, Token: tokens[i], Expires: expires}
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
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if e, err = leased(ctx, tx, id, token); err != nil {
			return err
		}
		expires := micro(db.clock().Add(ttl))
		tag, err := tx.Exec(ctx, `UPDATE experiments SET `+bumpRev+` state = $1, lease_expires = $2 WHERE id = $3 AND attempt = $4`,
			string(tycho.ExperimentRunning), expires, id, e.Attempt)
		if err := changedOne(tag, err, e); err != nil {
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
	err := db.tx(ctx, func(tx pgx.Tx) error {
		e, err := leased(ctx, tx, id, token)
		if e != nil && (e.State == tycho.ExperimentProposed || e.State == tycho.ExperimentApproved) {
			return nil // a retry: the token is kept until the next lease
		}
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE experiments e SET `+bumpRev+`
				state = CASE WHEN c.approval THEN $1 ELSE $2 END,
				lease_holder = '', lease_expires = NULL
			FROM campaigns c
			WHERE c.id = e.campaign_id AND e.id = $3 AND e.attempt = $4`,
			string(tycho.ExperimentApproved), string(tycho.ExperimentProposed), id, e.Attempt)
		return changedOne(tag, err, e)
	})
	return wrap(err, "release lease of experiment %s", id)
}

// ApproveExperiment implements tycho.LeaseService.
func (db *DB) ApproveExperiment(ctx context.Context, id string) (*tycho.Experiment, error) {
	var e *tycho.Experiment
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if e, _, err = lockExperiment(ctx, tx, id); err != nil {
			return err
		}
		switch e.State {
		case tycho.ExperimentApproved:
			return nil
		case tycho.ExperimentProposed:
		default:
			return tycho.Errorf(tycho.ECONFLICT, "experiment %d of campaign %s is %s; only a proposed experiment can be approved", e.Seq, e.CampaignID, e.State)
		}
		tag, err := tx.Exec(ctx, `UPDATE experiments SET `+bumpRev+` state = $1 WHERE id = $2 AND state = $3`,
			string(tycho.ExperimentApproved), id, string(e.State))
		if err := changedOne(tag, err, e); err != nil {
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
	err = db.tx(ctx, func(tx pgx.Tx) (err error) {
		e, err = db.endLease(ctx, tx, id, token, tycho.ExperimentCompleted, "result", body)
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
		now := db.clock()
		tag, err := tx.Exec(ctx, `UPDATE experiments SET `+bumpRev+` state = $1, result = $2, finished_at = $3 WHERE id = $4 AND attempt = $5`,
			string(tycho.ExperimentCompleted), body, now, id, e.Attempt)
		if err := changedOne(tag, err, e); err != nil {
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
	e, err := db.endLease(ctx, db.pool, id, token, tycho.ExperimentFailed, "error", blob(msg))
	if e != nil || err != nil {
		return e, wrap(err, "fail experiment %s", id)
	}
	err = db.tx(ctx, func(tx pgx.Tx) (err error) {
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
		now := db.clock()
		tag, err := tx.Exec(ctx, `UPDATE experiments SET `+bumpRev+` state = $1, error = $2, finished_at = $3 WHERE id = $4 AND attempt = $5`,
			string(tycho.ExperimentFailed), blob(msg), now, id, e.Attempt)
		if err := changedOne(tag, err, e); err != nil {
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

// endLease finishes the attempt a current lease holds in one statement,
// the common case: it moves the experiment to state, setting column to
// value, and returns it. It returns no experiment and no error when the
// token is not the experiment's current lease or the experiment is no
// longer in flight, for the caller to tell a retry from a conflict in a
// transaction.
func (db *DB) endLease(ctx context.Context, q querier, id, token string, state tycho.ExperimentState, column string, value any) (*tycho.Experiment, error) {
	if token == "" || !storable(id) {
		return nil, nil
	}
	e, err := scanExperiment(q.QueryRow(ctx, `UPDATE experiments SET `+bumpRev+` state = $1, `+column+` = $2, finished_at = $3
		WHERE id = $4 AND lease_token = $5 AND state IN ('dispatched', 'running')
		RETURNING `+experimentColumns,
		string(state), value, db.clock(), id, tycho.HashLeaseToken(token)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return e, err
}

// leased locks an experiment and checks that token is its current lease's
// and that it is still in flight. When only the second check fails it
// returns the experiment with the error, so a caller can tell a retry of
// what it recorded from a conflict.
func leased(ctx context.Context, tx pgx.Tx, id, token string) (*tycho.Experiment, error) {
	e, stored, err := lockExperiment(ctx, tx, id)
	if err != nil {
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
