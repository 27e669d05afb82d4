package optimize

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"tycho"
)

// Strategy proposes experiments by the strategy a spec names: "gp" runs a
// scrambled Sobol initial design and then Bayesian optimization with a GP
// and LogEI; "sobol" and "random" are baselines that ignore results.
type Strategy struct {
	// Options tune the GP strategy; zero fields take defaults.
	Options Options
}

var _ tycho.Strategy = (*Strategy)(nil)

// Options tune the GP strategy.
type Options struct {
	FitRestarts int // random hyperparameter starts besides the prior mode
	RawSamples  int // quasi-random points scored per proposal
	Restarts    int // gradient ascents per proposal
}

func (o Options) withDefaults(width int) Options {
	if o.FitRestarts == 0 {
		o.FitRestarts = 1
	}
	if o.RawSamples == 0 {
		o.RawSamples = min(max(256, 64*width), 2048)
	}
	if o.Restarts == 0 {
		o.Restarts = 8
	}
	return o
}

// Suggest implements tycho.Strategy.
func (s *Strategy) Suggest(ctx context.Context, req *tycho.SuggestRequest) (*tycho.Suggestion, error) {
	spec := req.Spec
	space := NewSpace(spec)
	seen := len(req.Completed) + len(req.Pending) + len(req.Failed)
	switch spec.Strategy {
	case "random":
		rng := rand.New(rand.NewPCG(req.Seed, 0x2545f4914f6cdd1d))
		out := make([]tycho.Params, 0, req.N)
		u := make([]float64, space.Dims())
		for tries := 0; len(out) < req.N; tries++ {
			if tries > maxDraws*req.N {
				return nil, tycho.Errorf(tycho.EINVALID, "the parameter constraints leave no feasible point in %d random draws", tries)
			}
			for j := range u {
				u[j] = rng.Float64()
			}
			if p := space.FromUnit(u); space.FeasibleParams(p) {
				out = append(out, p)
			}
		}
		return &tycho.Suggestion{Params: out, Generation: tycho.Generation{Strategy: "random", Seed: req.Seed}}, nil
	case "sobol":
		out, err := sobolParams(space, spec.Seed, seen, req.N)
		if err != nil {
			return nil, err
		}
		return &tycho.Suggestion{Params: out, Generation: tycho.Generation{Strategy: "sobol", Seed: spec.Seed}}, nil
	case "gp":
		return s.suggestGP(ctx, req, space, seen)
	}
	return nil, tycho.Errorf(tycho.EINVALID, "unknown strategy %q", spec.Strategy)
}

// maxFitPoints bounds the observations the hyperparameters are fitted on
// (see FitOptions.MaxFitPoints).
const maxFitPoints = 300

// enumerateLimit is the largest purely categorical space scored
// exhaustively.
const enumerateLimit = 20000

func (s *Strategy) suggestGP(ctx context.Context, req *tycho.SuggestRequest, space *Space, seen int) (*tycho.Suggestion, error) {
	spec := req.Spec
	obs, err := observe(spec, space, req)
	if err != nil {
		return nil, err
	}
	if seen < spec.InitialDesign || obs.count() < 2 {
		out, err := sobolParams(space, spec.Seed, seen, req.N)
		if err != nil {
			return nil, err
		}
		return &tycho.Suggestion{Params: out, Generation: tycho.Generation{Strategy: "sobol", Seed: spec.Seed}}, nil
	}

	opts := s.Options.withDefaults(space.Width())
	start := time.Now()
	m, err := fitModels(ctx, spec, obs, opts, req.Seed)
	if err != nil {
		return nil, err
	}
	fitTime := time.Since(start)

	taken := slices.Clone(obs.all)
	var inflight [][]float64 // pending and already chosen in this batch
	// Pending experiments enter as fantasies at the posterior mean (the
	// Kriging believer), so new proposals avoid them.
	var pending [][]float64
	for _, e := range req.Pending {
		p, err := space.Encode(e.Params)
		if err != nil {
			return nil, tycho.Errorf(tycho.EINVALID, "experiment %d: %v", e.Seq, err)
		}
		pending = append(pending, p)
		inflight = append(inflight, p)
	}
	cur, err := m.fantasize(pending)
	if err != nil {
		return nil, fmt.Errorf("suggest: %w", err)
	}

	var params []tycho.Params
	var acq []float64
	start = time.Now()
	for i := range req.N {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a, err := cur.acquisition(spec, obs, req.Seed+uint64(i))
		if err != nil {
			return nil, fmt.Errorf("suggest: %w", err)
		}
		cands := Maximize(a, space, MaximizeOptions{
			RawSamples: opts.RawSamples,
			Restarts:   opts.Restarts,
			Around:     cur.around(obs),
			Enumerate:  enumerateLimit,
			Seed:       req.Seed + uint64(i)*0x9e3779b97f4a7c15,
		})
		p, v, ok := firstNew(space, cands, taken, inflight)
		if !ok {
			// Every candidate is a point already taken: fall back to the
			// Sobol sequence rather than repeat an experiment.
			sp, err := sobolParams(space, req.Seed, seen+i, 1)
			if err != nil {
				return nil, err
			}
			p, v = sp[0], math.Inf(-1)
		}
		enc, err := space.Encode(p)
		if err != nil {
			return nil, fmt.Errorf("suggest: %w", err)
		}
		params, acq = append(params, p), append(acq, v)
		inflight = append(inflight, enc)
		if i+1 < req.N {
			if cur, err = cur.fantasize([][]float64{enc}); err != nil {
				return nil, fmt.Errorf("suggest: %w", err)
			}
		}
	}
	return &tycho.Suggestion{
		Params: params,
		Generation: tycho.Generation{
			Strategy:     "gp",
			Seed:         req.Seed,
			Observations: obs.count(),
			Pending:      len(req.Pending),
			Model:        m.record(spec, space),
			Acquisition:  acq,
			FitTime:      fitTime,
			ProposeTime:  time.Since(start),
		},
	}, nil
}

// firstNew returns the best feasible candidate that repeats no finished
// experiment and keeps at least minSeparation from every experiment in
// flight. Near a converged optimum the Kriging believer would otherwise
// stack a batch on top of itself.
func firstNew(space *Space, cands []Candidate, taken, inflight [][]float64) (tycho.Params, float64, bool) {
	for _, c := range cands {
		p := space.Decode(c.X)
		enc, err := space.Encode(p)
		if err != nil || !space.Feasible(enc) {
			continue
		}
		if !near(enc, taken, 1e-9) && !near(enc, inflight, minSeparation) {
			return p, c.Value, true
		}
	}
	return nil, 0, false
}

// minSeparation is the least distance, in the unit cube, between a
// proposal and an experiment in flight.
const minSeparation = 0.01

// near reports whether x is within distance r of a point of set.
func near(x []float64, set [][]float64, r float64) bool {
	for _, s := range set {
		var d float64
		for j := range x {
			d += (x[j] - s[j]) * (x[j] - s[j])
		}
		if d < r*r {
			return true
		}
	}
	return false
}

// sobolParams returns the feasible points skip+1 … skip+n of the
// campaign's scrambled Sobol sequence.
func sobolParams(space *Space, seed uint64, skip, n int) ([]tycho.Params, error) {
	sob, err := NewSobol(max(space.Dims(), 1), seed)
	if err != nil {
		return nil, fmt.Errorf("sobol design: %w", err)
	}
	u := make([]float64, max(space.Dims(), 1))
	out := make([]tycho.Params, 0, n)
	for tries, feasible := 0, 0; len(out) < n; tries++ {
		if tries > maxDraws*(skip+n) {
			return nil, tycho.Errorf(tycho.EINVALID, "the parameter constraints leave no feasible point in %d quasi-random draws", tries)
		}
		sob.Next(u)
		p := space.FromUnit(u)
		if !space.FeasibleParams(p) {
			continue
		}
		if feasible++; feasible > skip {
			out = append(out, p)
		}
	}
	return out, nil
}

// maxDraws bounds the draws per feasible point sampling may take.
const maxDraws = 10000

// topPoints returns the k points with the largest y.
func topPoints(x [][]float64, y []float64, k int) [][]float64 {
	idx := make([]int, len(y))
	for i := range idx {
		idx[i] = i
	}
	for i := range min(k, len(idx)) {
		for j := i + 1; j < len(idx); j++ {
			if y[idx[j]] > y[idx[i]] {
				idx[i], idx[j] = idx[j], idx[i]
			}
		}
	}
	out := make([][]float64, 0, k)
	for _, i := range idx[:min(k, len(idx))] {
		out = append(out, x[i])
	}
	return out
}
