package twin

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"tycho"
)

// Lab is a digital twin: it answers experiments with a benchmark function
// or a simulation model of the campaign's parameters, optionally with
// Gaussian noise.
type Lab struct {
	f     *Function // a benchmark function, or
	model *Model    // a model with named inputs and outputs
	// params are the parameters read as inputs, in input order.
	params []string
	// outputs maps each reported objective or outcome to the index of
	// the model output it is; for a function, the one objective maps to 0.
	outputs  map[string]int
	maximize bool // negate a function's value (its objective is maximized)
	noise    float64
	seed     uint64
}

var _ tycho.Lab = (*Lab)(nil)

// New returns the twin a spec names in spec.Lab.Name.
//
// A benchmark function reads the spec's continuous and integer
// parameters, in declaration order, as its coordinates and reports its
// value as the first objective, negated if that objective is maximized so
// that either direction seeks the function's minimum.
//
// A model (snar) reads the parameters named as its inputs, whose bounds
// must lie within the model's, and reports each output that the spec
// declares as an objective or outcome.
//
// Returns EINVALID if the name is unknown or the spec does not fit the
// twin.
func New(spec *tycho.Spec) (*Lab, error) {
	if m, ok := LookupModel(spec.Lab.Name); ok {
		return newModelLab(spec, m)
	}
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
	case len(spec.Objectives) != 1:
		return nil, tycho.Errorf(tycho.EINVALID, "twin %q reports one objective, the campaign declares %d", f.Name, len(spec.Objectives))
	}
	return &Lab{
		f:        f,
		params:   params,
		outputs:  map[string]int{spec.Objectives[0].Name: 0},
		maximize: spec.Objectives[0].Direction == tycho.Maximize,
		noise:    spec.Lab.Noise,
		seed:     spec.Seed,
	}, nil
}

func newModelLab(spec *tycho.Spec, m *Model) (*Lab, error) {
	l := &Lab{model: m, outputs: map[string]int{}, noise: spec.Lab.Noise, seed: spec.Seed}
	for _, in := range m.Inputs {
		p := spec.Parameter(in.Name)
		if p == nil || (p.Kind != tycho.Continuous && p.Kind != tycho.Fixed) {
			return nil, tycho.Errorf(tycho.EINVALID, "twin %q needs a continuous parameter %q (%s, within [%g, %g])", m.Name, in.Name, in.Unit, in.Lower, in.Upper)
		}
		if p.Kind == tycho.Continuous && (p.Lower() < in.Lower || p.Upper() > in.Upper) {
			return nil, tycho.Errorf(tycho.EINVALID, "twin %q: parameter %q must lie within [%g, %g], the campaign declares [%g, %g]", m.Name, in.Name, in.Lower, in.Upper, p.Lower(), p.Upper())
		}
		l.params = append(l.params, in.Name)
	}
	var names []string
	for _, o := range spec.Objectives {
		names = append(names, o.Name)
	}
	for _, o := range spec.Outcomes {
		names = append(names, o.Name)
	}
	for _, n := range names {
		i := index(m.Outputs, n)
		if i < 0 {
			return nil, tycho.Errorf(tycho.EINVALID, "twin %q has no output %q (outputs: %s)", m.Name, n, strings.Join(m.Outputs, ", "))
		}
		l.outputs[n] = i
	}
	return l, nil
}

func index(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// Function returns the twin's benchmark function, or nil for a model.
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
	var ys []float64
	if l.f != nil {
		ys = []float64{l.f.Eval(x)}
	} else {
		var err error
		if ys, err = l.model.Eval(x); err != nil {
			return nil, tycho.Errorf(tycho.EINVALID, "%v", err)
		}
	}
	res := &tycho.Result{Objectives: map[string]float64{}}
	var rng *rand.Rand
	if l.noise > 0 {
		rng = rand.New(rand.NewPCG(l.seed^0x7477696e, uint64(e.Seq)<<20|uint64(e.Attempt)))
		res.Noise = map[string]float64{}
	}
	for _, name := range sortedKeys(l.outputs) {
		y := ys[l.outputs[name]]
		if rng != nil {
			y += l.noise * rng.NormFloat64()
			res.Noise[name] = l.noise
		}
		if l.maximize {
			y = -y
		}
		res.Objectives[name] = y
	}
	return res, nil
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	// Noise is drawn in output order, so that it does not depend on map
	// iteration.
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if m[out[j]] < m[out[i]] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// String describes the twin.
func (l *Lab) String() string {
	if l.f != nil {
		return fmt.Sprintf("twin %s", l.f.Name)
	}
	return fmt.Sprintf("twin %s", l.model.Name)
}
