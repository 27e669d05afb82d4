// Package campaign runs the closed loop: propose experiments, dispatch them
// to a lab, record the results, refit, and stop on budget or a stop rule.
//
// The runner keeps no state that lives only in memory (it caches what it
// read, no more). Every step is
// recorded in the store before the next begins, so a runner started on a
// campaign that was interrupted at any instant (even by SIGKILL) picks up
// where it stopped: proposals already recorded are dispatched rather than
// proposed again, and results already recorded are never run again.
package campaign

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"time"

	"tycho"
	"tycho/internal/notify"
)

// Runner drives one campaign through the loop.
type Runner struct {
	Store    tycho.Store
	Lab      tycho.Lab
	Strategy tycho.Strategy
	// Progress, if set, is called after every finished experiment.
	Progress func(Progress)
	Logger   *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Prior, if set, returns the earlier results a spec's prior_data
	// names (see spec.ReadPriorData). The runner imports them as
	// generation 1 before it proposes anything; they count towards the
	// model and the stop rules but not against the experiment budget.
	Prior func(ctx context.Context) ([]*tycho.Experiment, error)
	// Hub, if set, wakes the runner of an agent-lab campaign when news of
	// it arrives, and hears from the runner when it proposes.
	Hub *notify.Hub
	// Poll is how often the runner of an agent-lab campaign rereads the
	// store without news (other servers' news is not heard); 0 means a
	// second.
	Poll time.Duration
	// Settle is how long the runner of an agent-lab campaign lets news
	// gather before it rereads the store, so that a busy lab's results
	// are read in batches rather than one reread each; 0 means 50 ms.
	// The runner waits at least three times as long as its last reread
	// took, so that rereading a large campaign never takes more than a
	// quarter of a core.
	Settle time.Duration

	// used is what this runner's generations told the store their fits
	// used; Run starts it afresh.
	used *usedSet
}

// Progress reports how far a campaign has come.
type Progress struct {
	Campaign *tycho.Campaign
	// Done counts finished experiments (completed or failed); Total is
	// the experiment budget.
	Done, Total int
	// Best is the best experiment so far, or nil.
	Best    *tycho.Experiment
	Elapsed time.Duration
	// Last is the experiment that just finished.
	Last *tycho.Experiment
}

// Run runs the campaign with the given ID until its budget is spent or a
// stop rule fires, and returns it in its final state. Returns ENOTFOUND if
// the campaign does not exist and ECONFLICT if it has already finished. A
// cancelled ctx stops the run at the next safe point with ctx's error; the
// campaign can then be resumed.
func (r *Runner) Run(ctx context.Context, id string) (*tycho.Campaign, error) {
	r.used = new(usedSet)
	c, err := r.Store.FindCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Status != tycho.CampaignRunning {
		return nil, tycho.Errorf(tycho.ECONFLICT, "campaign %s is %s: %s", c.ID, c.Status, c.StopReason)
	}
	log := r.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("campaign", c.ID)
	started := r.now()
	base := c.Elapsed
	elapsed := func() time.Duration { return base + r.now().Sub(started) }
	defer func() {
		// Charge the time spent to the campaign even when interrupted.
		e := elapsed()
		_, _ = r.Store.UpdateCampaign(context.WithoutCancel(ctx), c.ID, tycho.CampaignUpdate{Elapsed: &e})
	}()

	if err := r.importPrior(ctx, c, log); err != nil {
		return nil, err
	}
	switch c.Spec.Lab.Kind {
	case tycho.LabAgent:
		return r.runAsync(ctx, c, elapsed, log)
	case tycho.LabExternal:
		return nil, tycho.Errorf(tycho.ECONFLICT, "campaign %s is driven by its ask/tell client, not run", c.ID)
	}
	for {
		exps, err := r.Store.ListExperiments(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		// Dispatch what is in flight first: after a crash these are the
		// experiments proposed or started before it.
		if inflight := pending(exps); len(inflight) > 0 {
			for _, e := range inflight {
				if err := r.dispatch(ctx, c, e, log); err != nil {
					return nil, err
				}
				if r.Progress != nil {
					all, err := r.Store.ListExperiments(ctx, c.ID)
					if err != nil {
						return nil, err
					}
					r.Progress(r.progress(c, all, e.ID, elapsed()))
				}
			}
			continue
		}
		if reason, stop := r.stopReason(c, exps, elapsed()); stop {
			return r.finish(ctx, c, exps, reason, elapsed(), log)
		}
		if _, err := r.propose(ctx, c, exps, log); err != nil {
			return nil, err
		}
	}
}

// runAsync runs a campaign whose experiments an agent leases: it keeps
// the batch size in flight, proposing as results arrive through the store,
// until a stop rule fires. Several servers may run the same campaign: a
// generation another proposed first is simply reread.
func (r *Runner) runAsync(ctx context.Context, c *tycho.Campaign, elapsed func() time.Duration, log *slog.Logger) (*tycho.Campaign, error) {
	hub := r.Hub
	if hub == nil {
		hub = new(notify.Hub)
	}
	poll := r.Poll
	if poll <= 0 {
		poll = time.Second
	}
	settle := r.Settle
	if settle <= 0 {
		settle = 50 * time.Millisecond
	}
	done := -1
	var (
		reread time.Duration
		v      = view{campaign: c.ID}
	)
	for {
		news := hub.Watch(notify.CampaignTopic(c.ID))
		start := time.Now()
		cur, err := r.Store.FindCampaign(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		if cur.Status != tycho.CampaignRunning {
			return cur, nil // stopped by a person, or by another server
		}
		if err := v.refresh(ctx, r.Store); err != nil {
			return nil, err
		}
		exps := v.exps
		reread = time.Since(start)
		if reason, stop := r.stopReason(c, exps, elapsed()); stop {
			return r.finish(ctx, c, exps, reason, elapsed(), log)
		}
		if n := finished(&c.Spec, exps); n != done && r.Progress != nil {
			r.Progress(r.progress(c, exps, "", elapsed()))
			done = n
		}
		proposed, err := r.propose(ctx, c, exps, log)
		switch {
		case tycho.ErrorCode(err) == tycho.ECONFLICT:
			continue // another server proposed this generation
		case err != nil:
			return nil, err
		case proposed > 0:
			hub.Notify(notify.LabTopic(c.Spec.Lab.Name))
			continue
		}
		if err := notify.Wait(ctx, news, poll); err != nil {
			return nil, err
		}
		if err := notify.Wait(ctx, nil, max(settle, 3*reread)); err != nil {
			return nil, err
		}
	}
}

// view keeps a campaign's experiments in memory, in Seq order, current
// with the store's changes, so a reread costs what changed rather than
// the whole campaign.
type view struct {
	campaign string
	cursor   int64
	exps     []*tycho.Experiment
	index    map[string]int // into exps, by ID
}

// refresh reads the changes since the last refresh.
func (v *view) refresh(ctx context.Context, store tycho.ExperimentService) error {
	changed, cursor, err := store.ListExperimentsSince(ctx, v.campaign, v.cursor)
	if err != nil {
		return err
	}
	if v.index == nil {
		v.index = make(map[string]int, len(changed))
	}
	sorted := true
	for _, e := range changed {
		if i, ok := v.index[e.ID]; ok {
			v.exps[i] = e
			continue
		}
		if n := len(v.exps); n > 0 && v.exps[n-1].Seq > e.Seq {
			sorted = false
		}
		v.index[e.ID] = len(v.exps)
		v.exps = append(v.exps, e)
	}
	if !sorted { // a proposal committed out of order, by another server
		slices.SortFunc(v.exps, func(a, b *tycho.Experiment) int { return cmp.Compare(a.Seq, b.Seq) })
		for i, e := range v.exps {
			v.index[e.ID] = i
		}
	}
	v.cursor = cursor
	return nil
}

// finish marks the campaign completed for reason, abandoning what is
// still in flight.
func (r *Runner) finish(ctx context.Context, c *tycho.Campaign, exps []*tycho.Experiment, reason string, elapsed time.Duration, log *slog.Logger) (*tycho.Campaign, error) {
	for _, e := range pending(exps) {
		err := r.Store.AbandonExperiment(ctx, e.ID, "campaign finished: "+reason)
		if err != nil && tycho.ErrorCode(err) != tycho.ECONFLICT {
			return nil, err
		}
	}
	log.Info("campaign finished", "reason", reason)
	status := tycho.CampaignCompleted
	return r.Store.UpdateCampaign(ctx, c.ID, tycho.CampaignUpdate{Status: &status, StopReason: &reason, Elapsed: &elapsed})
}

// importPrior records the campaign's prior data as generation 1, unless a
// generation exists already, in one transaction.
func (r *Runner) importPrior(ctx context.Context, c *tycho.Campaign, log *slog.Logger) error {
	if !c.Spec.HasPrior() {
		return nil
	}
	gens, err := r.Store.ListGenerations(ctx, c.ID)
	if err != nil || len(gens) > 0 {
		return err
	}
	if r.Prior == nil {
		return tycho.Errorf(tycho.EINVALID, "campaign %s names prior data %s%s but no reader was given", c.ID, c.Spec.PriorData, c.Spec.PriorDataset)
	}
	prior, err := r.Prior(ctx)
	if err != nil {
		return err
	}
	now := r.now()
	for _, e := range prior {
		e.ID, e.CampaignID, e.Generation = NewID("e"), c.ID, 1
		e.CreatedAt, e.StartedAt, e.FinishedAt = now, now, now
	}
	g := &tycho.Generation{CampaignID: c.ID, Index: 1, Strategy: tycho.StrategyPriorData, Observations: len(prior), CreatedAt: now}
	if err := r.Store.AddGeneration(ctx, g, prior); err != nil {
		return fmt.Errorf("import prior data: %w", err)
	}
	log.Info("imported prior data", "experiments", len(prior))
	return nil
}

// propose asks the strategy for as many experiments as the batch size
// leaves room for beside those in flight, within the budget, and records
// them with their generation in one transaction. It returns how many it
// proposed.
func (r *Runner) propose(ctx context.Context, c *tycho.Campaign, exps []*tycho.Experiment, log *slog.Logger) (int, error) {
	g, batch, err := r.next(ctx, c, exps, c.Spec.BatchSize)
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	if err := r.Store.AddGeneration(ctx, g, batch); err != nil {
		return 0, fmt.Errorf("record generation %d: %w", g.Index, err)
	}
	r.used.mark(g.Used)
	log.Debug("proposed", "generation", g.Index, "strategy", g.Strategy, "n", len(batch),
		"fit", g.FitTime, "propose", g.ProposeTime)
	return len(batch), nil
}

// next asks the strategy for up to batchSize experiments in flight at
// once, within the budget, and returns the generation and experiments to
// record. It returns no experiments when there is no room.
func (r *Runner) next(ctx context.Context, c *tycho.Campaign, exps []*tycho.Experiment, batchSize int) (*tycho.Generation, []*tycho.Experiment, error) {
	spec := &c.Spec
	req := &tycho.SuggestRequest{Spec: spec}
	gen := 1
	if spec.HasPrior() {
		gen = 2 // generation 1 holds the prior data
	}
	used := 0
	for _, e := range exps {
		gen = max(gen, e.Generation+1)
		if !spec.IsPrior(e) && e.State != tycho.ExperimentAbandoned {
			used++
		}
		switch e.State {
		case tycho.ExperimentCompleted:
			req.Completed = append(req.Completed, e)
		case tycho.ExperimentFailed:
			req.Failed = append(req.Failed, e)
		case tycho.ExperimentAbandoned:
		default:
			req.Pending = append(req.Pending, e)
		}
	}
	req.N = min(batchSize-len(req.Pending), spec.Budget.MaxExperiments-used)
	if req.N <= 0 {
		return nil, nil, nil
	}
	req.Seed = GenerationSeed(spec.Seed, gen)
	s, err := r.Strategy.Suggest(ctx, req)
	if err != nil {
		return nil, nil, fmt.Errorf("propose generation %d: %w", gen, err)
	}
	if len(s.Params) == 0 {
		return nil, nil, tycho.Errorf(tycho.EINTERNAL, "strategy %s proposed nothing", spec.Strategy)
	}
	g := s.Generation
	g.CampaignID, g.Index, g.CreatedAt = c.ID, gen, r.now()
	g.Used = r.used.fresh(req.Completed)
	now := r.now()
	batch := make([]*tycho.Experiment, len(s.Params))
	for i, p := range s.Params {
		batch[i] = &tycho.Experiment{
			ID:         NewID("e"),
			CampaignID: c.ID,
			Generation: gen,
			Params:     p,
			State:      tycho.ExperimentProposed,
			CreatedAt:  now,
		}
	}
	return &g, batch, nil
}

// dispatch runs one experiment in the lab and records the outcome.
func (r *Runner) dispatch(ctx context.Context, c *tycho.Campaign, proposed *tycho.Experiment, log *slog.Logger) error {
	e, err := r.Store.StartExperiment(ctx, proposed.ID)
	if err != nil {
		return fmt.Errorf("start experiment %d: %w", proposed.Seq, err)
	}
	res, err := r.Lab.Run(ctx, e)
	switch {
	case err == nil:
		if err := checkResult(&c.Spec, res); err != nil {
			log.Warn("experiment failed", "seq", e.Seq, "error", err)
			return r.Store.FailExperiment(ctx, e.ID, e.Attempt, tycho.ErrorMessage(err))
		}
		return r.Store.CompleteExperiment(ctx, e.ID, e.Attempt, res)
	case ctx.Err() != nil:
		return ctx.Err()
	case tycho.ErrorCode(err) == tycho.EINVALID:
		log.Warn("experiment failed", "seq", e.Seq, "error", err)
		return r.Store.FailExperiment(ctx, e.ID, e.Attempt, tycho.ErrorMessage(err))
	default:
		return fmt.Errorf("run experiment %d: %w", e.Seq, err)
	}
}

// checkResult reports a result that lacks a finite value for every
// objective; such an experiment is recorded as failed.
func checkResult(spec *tycho.Spec, res *tycho.Result) error {
	if res == nil {
		return tycho.Errorf(tycho.EINVALID, "lab returned no result")
	}
	for _, o := range spec.Objectives {
		v, ok := res.Objectives[o.Name]
		if !ok {
			return tycho.Errorf(tycho.EINVALID, "result has no value for objective %q", o.Name)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return tycho.Errorf(tycho.EINVALID, "result for objective %q is %g", o.Name, v)
		}
	}
	return nil
}

// stopReason says whether the campaign should stop now, and why.
func (r *Runner) stopReason(c *tycho.Campaign, exps []*tycho.Experiment, elapsed time.Duration) (string, bool) {
	spec := &c.Spec
	var done []*tycho.Experiment
	finished := 0
	for _, e := range exps {
		switch e.State {
		case tycho.ExperimentCompleted:
			done = append(done, e)
		case tycho.ExperimentFailed:
		default:
			continue
		}
		if !spec.IsPrior(e) {
			finished++
		}
	}
	if spec.Stop.GoalReached != nil && *spec.Stop.GoalReached {
		if e := spec.GoalReachedBy(done); e != nil {
			return fmt.Sprintf("goal reached at experiment %d: %s", e.Seq, spec.Describe(e)), true
		}
	}
	if rule := spec.Stop.NoImprovement; rule != nil && len(done) > rule.Experiments {
		before := spec.Best(done[:len(done)-rule.Experiments])
		now := spec.Best(done)
		if before != nil && now != nil {
			vb, _ := spec.Value(before)
			vn, _ := spec.Value(now)
			if math.Abs(vn-vb) <= rule.Epsilon {
				return fmt.Sprintf("no improvement beyond %g in the last %d experiments", rule.Epsilon, rule.Experiments), true
			}
		}
	}
	if finished >= spec.Budget.MaxExperiments {
		return fmt.Sprintf("budget spent: %d experiments", finished), true
	}
	if max := time.Duration(spec.Budget.MaxWallTime); max > 0 && elapsed >= max {
		return fmt.Sprintf("budget spent: wall time %s", max), true
	}
	return "", false
}

func (r *Runner) progress(c *tycho.Campaign, exps []*tycho.Experiment, last string, elapsed time.Duration) Progress {
	p := Progress{Campaign: c, Total: c.Spec.Budget.MaxExperiments, Elapsed: elapsed, Best: c.Spec.Best(exps), Done: finished(&c.Spec, exps)}
	for _, e := range exps {
		if e.ID == last {
			p.Last = e
		}
	}
	return p
}

// finished counts the experiments that finished with a result or failed,
// prior data aside.
func finished(s *tycho.Spec, exps []*tycho.Experiment) int {
	n := 0
	for _, e := range exps {
		if (e.State == tycho.ExperimentCompleted || e.State == tycho.ExperimentFailed) && !s.IsPrior(e) {
			n++
		}
	}
	return n
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func pending(exps []*tycho.Experiment) []*tycho.Experiment {
	var out []*tycho.Experiment
	for _, e := range exps {
		if !e.State.Final() {
			out = append(out, e)
		}
	}
	return out
}

// GenerationSeed derives the seed of one generation from the campaign's
// seed, so each generation's randomness is independent of how many times
// the campaign was resumed.
func GenerationSeed(seed uint64, gen int) uint64 {
	// SplitMix64 finalizer over the pair.
	z := seed + uint64(gen)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
