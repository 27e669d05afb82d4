package optimize

import (
	"context"
	"fmt"
	"math"
	"slices"

	"tycho"
)

// series are the observations one GP is fitted to.
type series struct {
	x [][]float64
	y []float64
}

// observations are what a proposal learns from, encoded, with every
// objective turned into one to maximize.
type observations struct {
	// all holds the encoded point of every completed and failed
	// experiment; no proposal repeats one.
	all [][]float64
	// obj holds one series per objective, cons one per outcome
	// constraint.
	obj, cons []series
	// vecX and vecY hold the completed experiments with a value for every
	// objective, and feasible whether each meets the outcome constraints.
	vecX, vecY [][]float64
	feasible   []bool
}

func (o *observations) count() int { return len(o.obj[0].y) }

// sign returns +1 for an objective to maximize and −1 for one to minimize.
func sign(o tycho.Objective) float64 {
	if o.Direction == tycho.Minimize {
		return -1
	}
	return 1
}

// observe encodes the completed and failed experiments of a request.
// Failed experiments enter every objective's series at the worst value
// observed for it, so the model learns that the region disappoints and
// proposals move away instead of retrying the same point blindly.
func observe(spec *tycho.Spec, space *Space, req *tycho.SuggestRequest) (*observations, error) {
	o := &observations{obj: make([]series, len(spec.Objectives))}
	cons := spec.OutcomeConstraints()
	o.cons = make([]series, len(cons))
	for _, e := range req.Completed {
		x, err := space.Encode(e.Params)
		if err != nil {
			return nil, tycho.Errorf(tycho.EINVALID, "experiment %d: %v", e.Seq, err)
		}
		o.all = append(o.all, x)
		vec := make([]float64, 0, len(spec.Objectives))
		for j, obj := range spec.Objectives {
			if v, ok := finite(e.Result, obj.Name); ok {
				o.obj[j].x = append(o.obj[j].x, x)
				o.obj[j].y = append(o.obj[j].y, sign(obj)*v)
				vec = append(vec, sign(obj)*v)
			}
		}
		feasible := true
		for k, c := range cons {
			v, ok := finite(e.Result, c.Terms[0].Name)
			if !ok {
				feasible = false
				continue
			}
			o.cons[k].x = append(o.cons[k].x, x)
			o.cons[k].y = append(o.cons[k].y, v)
			feasible = feasible && c.Holds(func(string) (float64, bool) { return v, true })
		}
		if len(vec) == len(spec.Objectives) {
			o.vecX, o.vecY, o.feasible = append(o.vecX, x), append(o.vecY, vec), append(o.feasible, feasible)
		}
	}
	for _, e := range req.Failed {
		x, err := space.Encode(e.Params)
		if err != nil {
			continue // a failure outside today's space teaches nothing
		}
		o.all = append(o.all, x)
		for j := range o.obj {
			if len(o.obj[j].y) > 0 {
				o.obj[j].x = append(o.obj[j].x, x)
				o.obj[j].y = append(o.obj[j].y, slices.Min(o.obj[j].y))
			}
		}
	}
	return o, nil
}

func finite(r *tycho.Result, name string) (float64, bool) {
	if r == nil {
		return 0, false
	}
	v, ok := r.Objectives[name]
	return v, ok && !math.IsNaN(v) && !math.IsInf(v, 0)
}

// models are the GPs of one proposal: one per objective (maximized) and
// one per outcome constraint, and the fantasy points they have been
// conditioned on.
type models struct {
	obj, cons []*GP
	consSpec  []tycho.Constraint
	noisy     []bool
	fantasies [][]float64
}

// fitModels fits a GP to every series.
func fitModels(ctx context.Context, spec *tycho.Spec, obs *observations, opts Options, seed uint64) (*models, error) {
	m := &models{consSpec: spec.OutcomeConstraints()}
	noisy := func(name string) bool {
		for _, o := range spec.Objectives {
			if o.Name == name {
				return o.Noisy || spec.Lab.Noise > 0
			}
		}
		return spec.Lab.Noise > 0
	}
	fit := func(s series, name string, i int) (*GP, error) {
		if len(s.y) == 0 {
			return nil, tycho.Errorf(tycho.EINVALID, "no completed experiment has a value for %q", name)
		}
		g, err := Fit(s.x, s.y, FitOptions{
			Restarts:     opts.FitRestarts,
			Seed:         seed + uint64(i)*0x51ed27,
			InferNoise:   noisy(name),
			MaxFitPoints: maxFitPoints,
		})
		if err != nil {
			return nil, fmt.Errorf("model of %s: %w", name, err)
		}
		return g, ctx.Err()
	}
	for j, o := range spec.Objectives {
		g, err := fit(obs.obj[j], o.Name, j)
		if err != nil {
			return nil, err
		}
		m.obj, m.noisy = append(m.obj, g), append(m.noisy, noisy(o.Name))
	}
	for k, c := range m.consSpec {
		g, err := fit(obs.cons[k], c.Terms[0].Name, len(spec.Objectives)+k)
		if err != nil {
			return nil, err
		}
		m.cons = append(m.cons, g)
	}
	return m, nil
}

// fantasize returns the models also conditioned on the points, each at its
// own posterior mean.
func (m *models) fantasize(points [][]float64) (*models, error) {
	if len(points) == 0 {
		return m, nil
	}
	cond := func(gs []*GP) ([]*GP, error) {
		out := make([]*GP, len(gs))
		for i, g := range gs {
			ys := make([]float64, len(points))
			for k, p := range points {
				ys[k], _ = g.Predict(p)
			}
			c, err := g.Condition(points, ys)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	n := *m
	var err error
	if n.obj, err = cond(m.obj); err != nil {
		return nil, err
	}
	if n.cons, err = cond(m.cons); err != nil {
		return nil, err
	}
	n.fantasies = append(slices.Clone(m.fantasies), points...)
	return &n, nil
}

// acquisition returns what the next proposal maximizes: LogEI (or noisy EI)
// for one objective, LogEHVI for several, plus the log probability that
// each outcome constraint holds. Until some result meets the outcome
// constraints, it is the probability of feasibility alone.
func (m *models) acquisition(spec *tycho.Spec, obs *observations, seed uint64) (Acquisition, error) {
	var sum Sum
	for k, c := range m.consSpec {
		sum = append(sum, NewLogPoF(m.cons[k], c.Bound, c.Op == "<="))
	}
	var front [][]float64
	for i, y := range obs.vecY {
		if !obs.feasible[i] {
			continue
		}
		if slices.Contains(m.noisy, true) {
			// Under noise the front is judged by the model, not by the
			// luckiest samples.
			y = m.means(obs.vecX[i])
		}
		front = append(front, y)
	}
	if len(front) == 0 && len(sum) > 0 {
		return sum, nil
	}
	if len(m.obj) == 1 || len(obs.vecY) == 0 {
		if m.noisy[0] {
			nei, err := NewLogNEI(m.obj[0], seed)
			if err != nil {
				return nil, err
			}
			return append(sum, nei), nil
		}
		best := math.Inf(-1)
		for _, y := range front {
			best = math.Max(best, y[0])
		}
		if len(front) == 0 {
			best = slices.Max(obs.obj[0].y)
		}
		return append(sum, NewLogEI(m.obj[0], best)), nil
	}
	for _, p := range m.fantasies {
		front = append(front, m.means(p))
	}
	ref := m.reference(spec, obs)
	return append(sum, NewLogEHVI(m.obj, front, ref)), nil
}

// means returns the posterior mean of every objective at x.
func (m *models) means(x []float64) []float64 {
	out := make([]float64, len(m.obj))
	for j, g := range m.obj {
		out[j], _ = g.Predict(x)
	}
	return out
}

// reference returns the hypervolume reference point in maximized units:
// the spec's where given, otherwise inferred from the results.
func (m *models) reference(spec *tycho.Spec, obs *observations) []float64 {
	var inferred []float64
	if len(obs.vecY) > 0 {
		inferred = inferReference(obs.vecY)
	}
	return Reference(spec, inferred)
}

// Reference returns the reference point of a campaign's objectives in
// maximized units (minimized objectives negated): each objective's
// declared reference, or else the value inferred holds for it.
func Reference(spec *tycho.Spec, inferred []float64) []float64 {
	ref := make([]float64, len(spec.Objectives))
	for j, o := range spec.Objectives {
		switch {
		case o.Reference != nil:
			ref[j] = sign(o) * *o.Reference
		case inferred != nil:
			ref[j] = inferred[j]
		default:
			ref[j] = math.Inf(-1)
		}
	}
	return ref
}

// around returns encoded points near which the acquisition is searched
// closely: the best three results, or up to five points of the front.
func (m *models) around(obs *observations) [][]float64 {
	if len(m.obj) == 1 {
		y := obs.obj[0].y
		if m.noisy[0] {
			// Under noise the best readings flatter; search near the
			// points the model rates best.
			y = make([]float64, len(obs.obj[0].x))
			for i, x := range obs.obj[0].x {
				y[i], _ = m.obj[0].Predict(x)
			}
		}
		return topPoints(obs.obj[0].x, y, 3)
	}
	var pts [][]float64
	for _, i := range ParetoFront(obs.vecY) {
		pts = append(pts, obs.vecX[i])
	}
	return pts[:min(5, len(pts))]
}

// record describes the fitted models for the generation record.
func (m *models) record(spec *tycho.Spec, space *Space) map[string]any {
	if len(m.obj) == 1 && len(m.cons) == 0 {
		return modelRecord(m.obj[0], space)
	}
	objs := map[string]any{}
	for j, o := range spec.Objectives {
		objs[o.Name] = modelRecord(m.obj[j], space)
	}
	out := map[string]any{"objectives": objs}
	if len(m.cons) > 0 {
		cons := map[string]any{}
		for k, c := range m.consSpec {
			cons[c.String()] = modelRecord(m.cons[k], space)
		}
		out["constraints"] = cons
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
