package optimize

import (
	"context"
	"math"

	"tycho"
)

// Analysis is what the model and the results say about a campaign, for
// show, export and the report.
type Analysis struct {
	// Pareto holds, for several objectives, the completed experiments that
	// meet the outcome constraints and that no other such experiment
	// dominates, in Seq order.
	Pareto []*tycho.Experiment
	// Reference is the hypervolume reference point, in the objectives'
	// own units and directions; Hypervolume the volume the Pareto front
	// dominates; History the hypervolume after each finished experiment
	// in Seq order, prior data included.
	Reference   []float64
	Hypervolume float64
	History     []float64
	// Recommended, for one noisy objective, is the completed experiment
	// the model rates best — the highest posterior mean, not the luckiest
	// measurement — and Mean that posterior mean, in the objective's units.
	Recommended *tycho.Experiment
	Mean        float64
	// Model is the GP of the first objective fitted to every result, or
	// nil when there are fewer than two.
	Model *Model
}

// Model is a fitted GP with the space it works in, for explaining a
// campaign: which parameters matter and how the objective varies.
type Model struct {
	Space *Space
	GP    *GP
	sign  float64
}

// Predict returns the posterior mean and standard deviation of the first
// objective at params, in its own units.
func (m *Model) Predict(params tycho.Params) (mean, sd float64, err error) {
	x, err := m.Space.Encode(params)
	if err != nil {
		return 0, 0, err
	}
	mu, v := m.GP.Predict(x)
	return m.sign * mu, math.Sqrt(v), nil
}

// Lengthscales returns, per varied parameter, the shortest fitted
// lengthscale of its encoded coordinates: the smaller, the faster the
// objective changes with it.
func (m *Model) Lengthscales() ([]tycho.Parameter, []float64) {
	params, coords := m.Space.Parameters()
	h := m.GP.Hyper()
	out := make([]float64, len(params))
	for i, cs := range coords {
		out[i] = math.Inf(1)
		for _, c := range cs {
			out[i] = math.Min(out[i], h.Lengthscales[c])
		}
	}
	return params, out
}

// Analyze fits the model of a campaign's first objective to its results
// and computes its Pareto front and hypervolume history when it has
// several objectives. exps are all experiments of the campaign, in Seq
// order.
func Analyze(ctx context.Context, spec *tycho.Spec, exps []*tycho.Experiment) (*Analysis, error) {
	space := NewSpace(spec)
	req := &tycho.SuggestRequest{Spec: spec}
	for _, e := range exps {
		switch e.State {
		case tycho.ExperimentCompleted:
			req.Completed = append(req.Completed, e)
		case tycho.ExperimentFailed:
			req.Failed = append(req.Failed, e)
		}
	}
	obs, err := observe(spec, space, req)
	if err != nil {
		return nil, err
	}
	a := &Analysis{}
	if len(spec.Objectives) > 1 {
		a.pareto(spec, obs, req.Completed, exps)
	}
	if len(obs.obj[0].y) < 2 {
		return a, nil
	}
	noisy := spec.Objectives[0].Noisy || spec.Lab.Noise > 0
	g, err := Fit(obs.obj[0].x, obs.obj[0].y, FitOptions{Restarts: 1, Seed: spec.Seed, InferNoise: noisy, MaxFitPoints: maxFitPoints})
	if err != nil {
		return nil, err
	}
	a.Model = &Model{Space: space, GP: g, sign: sign(spec.Objectives[0])}
	if noisy && len(spec.Objectives) == 1 {
		best := math.Inf(-1)
		for _, e := range req.Completed {
			x, err := space.Encode(e.Params)
			if err != nil {
				continue
			}
			if _, ok := finite(e.Result, spec.Objectives[0].Name); !ok {
				continue
			}
			if m, _ := g.Predict(x); m > best {
				best, a.Recommended = m, e
			}
		}
		a.Mean = a.Model.sign * best
	}
	return a, ctx.Err()
}

// pareto fills in the Pareto front, reference point and hypervolume
// history.
func (a *Analysis) pareto(spec *tycho.Spec, obs *observations, completed, exps []*tycho.Experiment) {
	if len(obs.vecY) == 0 {
		return
	}
	ref := Reference(spec, inferReference(obs.vecY))
	a.Reference = make([]float64, len(ref))
	for j, o := range spec.Objectives {
		a.Reference[j] = sign(o) * ref[j]
	}
	// Feasible completed experiments with every objective, by Seq.
	type point struct {
		e *tycho.Experiment
		y []float64
	}
	var pts []point
	for _, e := range completed {
		y := make([]float64, 0, len(spec.Objectives))
		for _, o := range spec.Objectives {
			if v, ok := finite(e.Result, o.Name); ok {
				y = append(y, sign(o)*v)
			}
		}
		if len(y) == len(spec.Objectives) && spec.Feasible(e) {
			pts = append(pts, point{e, y})
		}
	}
	ys := make([][]float64, len(pts))
	for i, p := range pts {
		ys[i] = p.y
	}
	for _, i := range ParetoFront(ys) {
		a.Pareto = append(a.Pareto, pts[i].e)
	}
	a.Hypervolume = Hypervolume(ys, ref)
	var sofar [][]float64
	k := 0
	for _, e := range exps {
		if e.State != tycho.ExperimentCompleted && e.State != tycho.ExperimentFailed {
			continue
		}
		if k < len(pts) && pts[k].e == e {
			sofar = append(sofar, pts[k].y)
			k++
		}
		a.History = append(a.History, Hypervolume(sofar, ref))
	}
}
