package twin

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"

	"tycho"
)

// Lab is a digital twin: it answers experiments with a benchmark function
// of the campaign's numeric parameters, optionally with Gaussian noise.
type Lab struct {
	f         *Function
	params    []string // numeric parameters, in declaration order
	objective string
	maximize  bool
	noise     float64
	seed      uint64
}

var _ tycho.Lab = (*Lab)(nil)

// New returns the twin a spec names in spec.Lab.Name. The twin reads the
// spec's continuous and integer parameters, in declaration order, as the
// function's coordinates, and reports the function's value as the first
// objective, negated if that objective is maximized so that either
// direction seeks the function's minimum. Returns EINVALID if the name is
// unknown or the parameters do not fit the function.
func New(spec *tycho.Spec) (*Lab, error) {
	f, ok := Lookup(spec.Lab.Name)
	if !ok {
		return nil, tycho.Errorf(tycho.EINVALID, "unknown twin %q (built in: %s)", spec.Lab.Name, strings.Join(Names(), ", "))
	}
	var params []string
	for _, p := range spec.Parameters {
		if p.Kind == tycho.Continuous || p.Kind == tycho.Integer {
			params = append(params, p.Name)
		}
	}
	switch {
	case f.Dims > 0 && len(params) != f.Dims:
		return nil, tycho.Errorf(tycho.EINVALID, "twin %q takes %d numeric parameters, the campaign declares %d", f.Name, f.Dims, len(params))
	case f.Dims == 0 && len(params) < f.MinDims:
		return nil, tycho.Errorf(tycho.EINVALID, "twin %q takes at least %d numeric parameters, the campaign declares %d", f.Name, f.MinDims, len(params))
	case len(spec.Objectives) == 0:
		return nil, tycho.Errorf(tycho.EINVALID, "twin %q needs an objective to report", f.Name)
	}
	return &Lab{
		f:         f,
		params:    params,
		objective: spec.Objectives[0].Name,
		maximize:  spec.Objectives[0].Direction == tycho.Maximize,
		noise:     spec.Lab.Noise,
		seed:      spec.Seed,
	}, nil
}

// Function returns the twin's benchmark function.
func (l *Lab) Function() *Function { return l.f }

// Run implements tycho.Lab. The noise of an experiment depends only on the
// campaign seed, the experiment's sequence number and its attempt, so a
// resumed campaign measures what an uninterrupted one would have.
func (l *Lab) Run(ctx context.Context, e *tycho.Experiment) (*tycho.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	x := make([]float64, len(l.params))
	for i, name := range l.params {
		v, ok := e.Params[name]
		if !ok {
			return nil, tycho.Errorf(tycho.EINVALID, "parameter %q has no value", name)
		}
		switch v := v.(type) {
		case float64:
			x[i] = v
		case int:
			x[i] = float64(v)
		case int64:
			x[i] = float64(v)
		default:
			return nil, tycho.Errorf(tycho.EINVALID, "parameter %q: %v is not a number", name, v)
		}
		if math.IsNaN(x[i]) || math.IsInf(x[i], 0) {
			return nil, tycho.Errorf(tycho.EINVALID, "parameter %q is %g", name, x[i])
		}
	}
	y := l.f.Eval(x)
	res := &tycho.Result{Objectives: map[string]float64{}}
	if l.noise > 0 {
		rng := rand.New(rand.NewPCG(l.seed^0x7477696e, uint64(e.Seq)<<20|uint64(e.Attempt)))
		y += l.noise * rng.NormFloat64()
		res.Noise = map[string]float64{l.objective: l.noise}
	}
	if l.maximize {
		y = -y
	}
	res.Objectives[l.objective] = y
	return res, nil
}
