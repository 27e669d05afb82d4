package optimize

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
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
		out := make([]tycho.Params, req.N)
		u := make([]float64, space.Dims())
		for i := range out {
			for j := range u {
				u[j] = rng.Float64()
			}
			out[i] = space.FromUnit(u)
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

func (s *Strategy) suggestGP(ctx context.Context, req *tycho.SuggestRequest, space *Space, seen int) (*tycho.Suggestion, error) {
	spec := req.Spec
	obj := spec.Objectives[0]
	// The GP maximizes; a minimized objective is negated.
	sign := 1.0
	if obj.Direction == tycho.Minimize {
		sign = -1
	}
	var x [][]float64
	var y []float64
	for _, e := range req.Completed {
		v, ok := e.Result.Objectives[obj.Name]
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		p, err := space.Encode(e.Params)
		if err != nil {
			return nil, tycho.Errorf(tycho.EINVALID, "experiment %d: %v", e.Seq, err)
		}
		x = append(x, p)
		y = append(y, sign*v)
	}
	if seen < spec.InitialDesign || len(x) < 2 {
		out, err := sobolParams(space, spec.Seed, seen, req.N)
		if err != nil {
			return nil, err
		}
		return &tycho.Suggestion{Params: out, Generation: tycho.Generation{Strategy: "sobol", Seed: spec.Seed}}, nil
	}

	opts := s.Options.withDefaults(space.Width())
	start := time.Now()
	// Noise is inferred only where the lab declares its measurements
	// noisy; otherwise the GP interpolates, which is what lets it refine
	// an optimum to many digits.
	gp, err := Fit(x, y, FitOptions{Restarts: opts.FitRestarts, Seed: req.Seed, InferNoise: spec.Lab.Noise > 0})
	if err != nil {
		return nil, fmt.Errorf("suggest: %w", err)
	}
	fitTime := time.Since(start)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	best := y[0]
	for _, v := range y {
		best = math.Max(best, v)
	}
	taken := append([][]float64(nil), x...)
	// Pending experiments enter as fantasies at the posterior mean (the
	// Kriging believer), so new proposals avoid them.
	var fx [][]float64
	var fy []float64
	for _, e := range req.Pending {
		p, err := space.Encode(e.Params)
		if err != nil {
			return nil, tycho.Errorf(tycho.EINVALID, "experiment %d: %v", e.Seq, err)
		}
		m, _ := gp.Predict(p)
		fx, fy = append(fx, p), append(fy, m)
		taken = append(taken, p)
	}
	cond := gp
	if len(fx) > 0 {
		if cond, err = gp.Condition(fx, fy); err != nil {
			return nil, fmt.Errorf("suggest: %w", err)
		}
	}

	around := topPoints(x, y, 3)
	var params []tycho.Params
	var acq []float64
	start = time.Now()
	for i := range req.N {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a := NewLogEI(cond, best)
		cands := a.Maximize(space.Width(), space.Project, MaximizeOptions{
			RawSamples: opts.RawSamples,
			Restarts:   opts.Restarts,
			Around:     around,
			Fixed:      space.Categorical(),
			Blocks:     space.Blocks(),
			Seed:       req.Seed + uint64(i)*0x9e3779b97f4a7c15,
		})
		p, v, ok := firstNew(space, cands, taken)
		if !ok {
			// Every ascent landed on a point already taken: fall back to
			// the Sobol sequence rather than repeat an experiment.
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
		taken = append(taken, enc)
		if i+1 < req.N {
			m, _ := cond.Predict(enc)
			if cond, err = cond.Condition([][]float64{enc}, []float64{m}); err != nil {
				return nil, fmt.Errorf("suggest: %w", err)
			}
		}
	}
	return &tycho.Suggestion{
		Params: params,
		Generation: tycho.Generation{
			Strategy:     "gp",
			Seed:         req.Seed,
			Observations: len(x),
			Pending:      len(req.Pending),
			Model:        modelRecord(gp, space),
			Acquisition:  acq,
			FitTime:      fitTime,
			ProposeTime:  time.Since(start),
		},
	}, nil
}

// firstNew returns the best candidate whose decoded parameters are not
// already taken.
func firstNew(space *Space, cands []Candidate, taken [][]float64) (tycho.Params, float64, bool) {
	for _, c := range cands {
		p := space.Decode(c.X)
		enc, err := space.Encode(p)
		if err != nil {
			continue
		}
		if !near(enc, taken) {
			return p, c.Value, true
		}
	}
	return nil, 0, false
}

func near(x []float64, set [][]float64) bool {
	for _, s := range set {
		var d float64
		for j := range x {
			d += (x[j] - s[j]) * (x[j] - s[j])
		}
		if d < 1e-18 {
			return true
		}
	}
	return false
}

// sobolParams returns points skip+1 … skip+n of the campaign's scrambled
// Sobol sequence.
func sobolParams(space *Space, seed uint64, skip, n int) ([]tycho.Params, error) {
	sob, err := NewSobol(max(space.Dims(), 1), seed)
	if err != nil {
		return nil, fmt.Errorf("sobol design: %w", err)
	}
	u := make([]float64, max(space.Dims(), 1))
	for range skip {
		sob.Next(u)
	}
	out := make([]tycho.Params, n)
	for i := range out {
		sob.Next(u)
		out[i] = space.FromUnit(u)
	}
	return out, nil
}

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

func modelRecord(g *GP, space *Space) map[string]any {
	h := g.Hyper()
	ls := map[string]any{}
	for i, n := range space.Names() {
		ls[n] = h.Lengthscales[i]
	}
	mean, std := g.Standardization()
	return map[string]any{
		"kernel":                  "matern52-ard",
		"lengthscales":            ls,
		"signal_variance":         h.Signal,
		"noise_variance":          h.Noise,
		"log_marginal_likelihood": g.LogMarginalLikelihood(),
		"y_mean":                  mean,
		"y_std":                   std,
	}
}
