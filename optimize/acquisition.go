package optimize

import (
	"math"
)

// An Acquisition scores candidate points of the encoded space; proposals
// maximize it. Every acquisition here is on a log scale, so that it keeps
// a useful gradient where the improvement it measures is vanishingly
// small. Acquisitions are safe for concurrent use.
type Acquisition interface {
	// Value returns the acquisition at x.
	Value(x []float64) float64
	// ValueGrad returns the acquisition at x and writes its gradient.
	ValueGrad(x, grad []float64) float64
}

// posterior is a GP's standardized mean and variance at a point with their
// gradients.
type posterior struct {
	m, v    float64
	dm, dv  []float64
	gp      *GP
	scratch []float64
}

func newPosterior(g *GP, d int) *posterior {
	return &posterior{gp: g, dm: make([]float64, d), dv: make([]float64, d), scratch: make([]float64, 2*g.Len())}
}

func (p *posterior) at(x []float64, withGrad bool) {
	if withGrad {
		p.m, p.v = p.gp.predict(x, p.dm, p.dv, p.scratch)
	} else {
		p.m, p.v = p.gp.predict(x, nil, nil, p.scratch)
	}
}

// LogEI is log expected improvement of a GP over an incumbent.
type LogEI struct {
	GP   *GP
	Best float64 // incumbent in standardized units
}

// NewLogEI returns the LogEI acquisition of g over the incumbent best,
// given in the original output units.
func NewLogEI(g *GP, best float64) *LogEI {
	return &LogEI{GP: g, Best: (best - g.yMean) / g.yStd}
}

// Value implements Acquisition.
func (a *LogEI) Value(x []float64) float64 {
	m, v := a.GP.predict(x, nil, nil, nil)
	return logEI(m, math.Sqrt(v), a.Best)
}

// ValueGrad implements Acquisition.
func (a *LogEI) ValueGrad(x, grad []float64) float64 {
	p := newPosterior(a.GP, len(x))
	p.at(x, true)
	sd := math.Sqrt(p.v)
	z := (p.m - a.Best) / sd
	dl := dLogH(z)
	for j := range x {
		dsd := p.dv[j] / (2 * sd)
		dz := p.dm[j]/sd - z*dsd/sd
		grad[j] = dl*dz + dsd/sd
	}
	return logH(z) + math.Log(sd)
}

func logEI(m, sd, best float64) float64 { return logH((m-best)/sd) + math.Log(sd) }

// LogPoF is the log probability that an outcome modelled by a GP meets a
// bound: log Φ((b − μ)/σ) for an upper bound, log Φ((μ − b)/σ) for a
// lower one.
type LogPoF struct {
	GP    *GP
	Bound float64 // standardized
	Upper bool
}

// NewLogPoF returns the log probability of feasibility of the constraint
// value ≤ bound (upper) or value ≥ bound, bound in original units.
func NewLogPoF(g *GP, bound float64, upper bool) *LogPoF {
	return &LogPoF{GP: g, Bound: (bound - g.yMean) / g.yStd, Upper: upper}
}

// Value implements Acquisition.
func (a *LogPoF) Value(x []float64) float64 {
	m, v := a.GP.predict(x, nil, nil, nil)
	return logPhi(a.z(m, math.Sqrt(v)))
}

func (a *LogPoF) z(m, sd float64) float64 {
	if a.Upper {
		return (a.Bound - m) / sd
	}
	return (m - a.Bound) / sd
}

// ValueGrad implements Acquisition.
func (a *LogPoF) ValueGrad(x, grad []float64) float64 {
	p := newPosterior(a.GP, len(x))
	p.at(x, true)
	sd := math.Sqrt(p.v)
	z := a.z(p.m, sd)
	lp := logPhi(z)
	dl := math.Exp(logPhiDensity(z) - lp) // d log Φ / dz
	sign := 1.0
	if a.Upper {
		sign = -1
	}
	for j := range x {
		dsd := p.dv[j] / (2 * sd)
		grad[j] = dl * (sign*p.dm[j]/sd - z*dsd/sd)
	}
	return lp
}

// Sum is the sum of acquisitions: on a log scale, the product of an
// improvement and probabilities of feasibility.
type Sum []Acquisition

// Value implements Acquisition.
func (s Sum) Value(x []float64) float64 {
	var v float64
	for _, a := range s {
		v += a.Value(x)
	}
	return v
}

// ValueGrad implements Acquisition.
func (s Sum) ValueGrad(x, grad []float64) float64 {
	for j := range grad {
		grad[j] = 0
	}
	g := make([]float64, len(x))
	var v float64
	for _, a := range s {
		v += a.ValueGrad(x, g)
		for j := range grad {
			grad[j] += g[j]
		}
	}
	return v
}
