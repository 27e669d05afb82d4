package campaign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sync"

	"tycho"
	"tycho/internal/notify"
)

// AskTell is the ask/tell service: it proposes experiments for campaigns
// whose lab is external, on request, with the same strategy and records as
// the runner.
type AskTell struct {
	Store    tycho.Store
	Strategy tycho.Strategy
	Hub      *notify.Hub
	Logger   *slog.Logger

	// used holds a *usedSet per campaign (see Runner.used).
	used sync.Map
}

var _ tycho.AskTellService = (*AskTell)(nil)

// retries bounds how often Suggest proposes again after another request
// took the generation it computed.
const retries = 5

// Suggest implements tycho.AskTellService.
func (a *AskTell) Suggest(ctx context.Context, id string, p tycho.SuggestParams) ([]*tycho.Experiment, error) {
	if p.N < 1 || p.N > tycho.MaxSuggest {
		return nil, tycho.Errorf(tycho.EINVALID, "n: ask for between 1 and %d experiments, got %d", tycho.MaxSuggest, p.N)
	}
	if p.Holder == "" {
		p.Holder = "ask/tell"
	}
	for range retries {
		c, err := a.Store.FindCampaign(ctx, id)
		if err != nil {
			return nil, err
		}
		if p.Key != "" {
			if exps, err := a.replay(ctx, c, p.Key); err == nil || tycho.ErrorCode(err) != tycho.ENOTFOUND {
				return exps, err
			}
		}
		if c.Spec.Lab.Kind != tycho.LabExternal {
			return nil, tycho.Errorf(tycho.ECONFLICT, "campaign %s runs in its %s lab; only a campaign with an external lab takes suggestions", c.ID, c.Spec.Lab.Kind)
		}
		if c.Status != tycho.CampaignRunning {
			return nil, tycho.Errorf(tycho.ECONFLICT, "campaign %s is %s: %s", c.ID, c.Status, c.StopReason)
		}
		exps, err := a.Store.ListExperiments(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		r := a.runner(c.ID)
		if reason, stop := r.stopReason(c, exps, r.now().Sub(c.CreatedAt)); stop {
			if _, err := r.finish(ctx, c, exps, reason, r.now().Sub(c.CreatedAt), a.log()); err != nil {
				return nil, err
			}
			return nil, tycho.Errorf(tycho.ECONFLICT, "campaign %s has finished: %s", c.ID, reason)
		}
		g, batch, err := r.next(ctx, c, exps, len(pending(exps))+p.N)
		if err != nil {
			return nil, err
		}
		if len(batch) == 0 {
			return nil, tycho.Errorf(tycho.ECONFLICT, "campaign %s: its budget of %d experiments is taken by those finished and in flight", c.ID, c.Spec.Budget.MaxExperiments)
		}
		g.Key = p.Key
		for _, e := range batch {
			token, err := suggestToken(c.ID, p.Key, e.ID)
			if err != nil {
				return nil, err
			}
			e.State, e.Attempt, e.StartedAt = tycho.ExperimentDispatched, 1, e.CreatedAt
			e.Lease = &tycho.Lease{Holder: p.Holder, Token: token}
		}
		err = a.Store.AddGeneration(ctx, g, batch)
		if tycho.ErrorCode(err) == tycho.ECONFLICT {
			continue // a concurrent request took the generation, or the key
		} else if err != nil {
			return nil, err
		}
		r.used.mark(g.Used)
		a.log().Debug("suggested", "campaign", c.ID, "generation", g.Index, "n", len(batch))
		return batch, nil
	}
	return nil, tycho.Errorf(tycho.ECONFLICT, "campaign %s: other requests kept proposing first; try again", id)
}

// replay returns the experiments a request with the same key proposed,
// with their tokens, or ENOTFOUND if there was none.
func (a *AskTell) replay(ctx context.Context, c *tycho.Campaign, key string) ([]*tycho.Experiment, error) {
	g, err := a.Store.FindGeneration(ctx, c.ID, key)
	if err != nil {
		return nil, err
	}
	exps, err := a.Store.ListExperiments(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	var out []*tycho.Experiment
	for _, e := range exps {
		if e.Generation != g.Index {
			continue
		}
		if e.Lease != nil {
			if e.Lease.Token, err = suggestToken(c.ID, key, e.ID); err != nil {
				return nil, err
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// suggestToken returns the lease token of an experiment proposed under an
// idempotency key: derived from the key, which only the caller knows, so a
// retried request can be given the same tokens again. Without a key the
// token is random.
func suggestToken(campaignID, key, experimentID string) (string, error) {
	if key == "" {
		return tycho.NewLeaseToken()
	}
	h := sha256.Sum256([]byte("tycho suggest\x00" + campaignID + "\x00" + key + "\x00" + experimentID))
	return hex.EncodeToString(h[:16]), nil
}

// Attach implements tycho.AskTellService.
func (a *AskTell) Attach(ctx context.Context, id, key string, e *tycho.Experiment) (*tycho.Experiment, error) {
	for range retries {
		c, err := a.Store.FindCampaign(ctx, id)
		if err != nil {
			return nil, err
		}
		if key != "" {
			if exps, err := a.replay(ctx, c, key); err == nil && len(exps) == 1 {
				return exps[0], nil
			} else if err != nil && tycho.ErrorCode(err) != tycho.ENOTFOUND {
				return nil, err
			}
		}
		if e.Params == nil {
			e.Params = tycho.Params{}
		}
		if err := c.Spec.CheckParams(e.Params); err != nil {
			return nil, err
		}
		switch {
		case e.Result != nil && e.Error != "":
			return nil, tycho.Errorf(tycho.EINVALID, "give a result or an error, not both")
		case e.Result != nil:
			if err := checkResult(&c.Spec, e.Result); err != nil {
				return nil, tycho.Errorf(tycho.EINVALID, "result: %s", tycho.ErrorMessage(err))
			}
			e.State = tycho.ExperimentCompleted
		case e.Error != "":
			e.State = tycho.ExperimentFailed
		default:
			return nil, tycho.Errorf(tycho.EINVALID, "result: an attached experiment needs its result, or the error it failed with")
		}
		gens, err := a.Store.ListGenerations(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		idx := 1
		if c.Spec.HasPrior() {
			idx = 2
		}
		if len(gens) > 0 {
			idx = max(idx, gens[len(gens)-1].Index+1)
		}
		now := a.runner(c.ID).now()
		x := &tycho.Experiment{
			ID: NewID("e"), CampaignID: c.ID, Params: e.Params, State: e.State, Attempt: 1,
			Result: e.Result, Error: e.Error, CreatedAt: now, StartedAt: now, FinishedAt: now,
		}
		g := &tycho.Generation{CampaignID: c.ID, Index: idx, Key: key, Strategy: tycho.StrategyExternal, CreatedAt: now}
		err = a.Store.AddGeneration(ctx, g, []*tycho.Experiment{x})
		if tycho.ErrorCode(err) == tycho.ECONFLICT {
			continue
		} else if err != nil {
			return nil, err
		}
		if a.Hub != nil {
			a.Hub.Notify(notify.CampaignTopic(c.ID))
		}
		return x, nil
	}
	return nil, tycho.Errorf(tycho.ECONFLICT, "campaign %s: other requests kept recording first; try again", id)
}

// runner returns a runner for one request on campaign id; it shares what
// earlier requests' generations recorded as used.
func (a *AskTell) runner(id string) *Runner {
	u, _ := a.used.LoadOrStore(id, new(usedSet))
	return &Runner{Store: a.Store, Strategy: a.Strategy, Hub: a.Hub, Logger: a.Logger, used: u.(*usedSet)}
}

func (a *AskTell) log() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger
}
