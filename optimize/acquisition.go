package optimize

import (
	"cmp"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/optimize"
)

// Acquisition is log expected improvement of a GP over an incumbent, for
// maximization, in the GP's standardized units.
type Acquisition struct {
	GP   *GP
	Best float64 // standardized incumbent
}

// NewLogEI returns the LogEI acquisition of g over the incumbent best,
// given in the original output units.
func NewLogEI(g *GP, best float64) *Acquisition {
	return &Acquisition{GP: g, Best: (best - g.yMean) / g.yStd}
}

// Value returns the acquisition value at x.
func (a *Acquisition) Value(x []float64) float64 {
	m, v := a.GP.predict(x, nil, nil, nil)
	return LogEI(m, math.Sqrt(v), a.Best)
}

// valueGrad returns the acquisition value at x and writes its gradient.
func (a *Acquisition) valueGrad(x, grad, dm, dv, work []float64) float64 {
	m, v := a.GP.predict(x, dm, dv, work)
	sd := math.Sqrt(v)
	z := (m - a.Best) / sd
	dl := dLogH(z)
	for j := range x {
		dsd := dv[j] / (2 * sd)
		dz := dm[j]/sd - z*dsd/sd
		grad[j] = dl*dz + dsd/sd
	}
	return logH(z) + math.Log(sd)
}

// MaximizeOptions controls acquisition optimization.
type MaximizeOptions struct {
	// RawSamples is the number of quasi-random points scored to pick the
	// starts; Restarts is the number of gradient ascents.
	RawSamples int
	Restarts   int
	// Around are points (typically the best observed) near which extra
	// raw samples are drawn, so that the optimizer can refine an optimum
	// as well as explore.
	Around [][]float64
	// Fixed marks coordinates the gradient ascent leaves alone (one-hot
	// encoded categories); nil means none.
	Fixed []bool
	// Blocks lists the coordinates of each one-hot block. After each
	// ascent, a local search tries every choice of every block in turn,
	// re-running the ascent when a choice improves the value.
	Blocks [][]int
	Seed   uint64
}

// Candidate is a point and its acquisition value.
type Candidate struct {
	X     []float64
	Value float64
}

// Maximize maximizes the acquisition over the unit cube: it scores raw
// samples (a scrambled Sobol sequence plus perturbations of opts.Around),
// then runs bounded L-BFGS ascents from the best of them. sample, if
// non-nil, maps a point of the unit cube to a valid encoded point (it
// projects one-hot blocks); it is applied to raw samples only. It returns
// the candidates sorted from best to worst, one per ascent.
func (a *Acquisition) Maximize(d int, sample func([]float64), opts MaximizeOptions) []Candidate {
	rng := rand.New(rand.NewPCG(opts.Seed, 0xda3e39cb94b95bdb))
	raw := make([][]float64, 0, opts.RawSamples+len(opts.Around)*32)
	sob, err := NewSobol(d, opts.Seed)
	if err == nil {
		raw = append(raw, sob.Sample(opts.RawSamples)...)
	}
	for _, c := range opts.Around {
		for i := range 32 {
			scale := 0.1
			if i%2 == 1 {
				scale = 0.01
			}
			p := make([]float64, d)
			for j := range p {
				p[j] = c[j]
				if opts.Fixed == nil || !opts.Fixed[j] {
					p[j] = clamp(c[j]+scale*rng.NormFloat64(), 0, 1)
				}
			}
			raw = append(raw, p)
		}
	}
	if sample != nil {
		for _, p := range raw {
			sample(p)
		}
	}
	scored := make([]Candidate, len(raw))
	parallel(len(raw), func(i int) {
		scored[i] = Candidate{X: raw[i], Value: a.Value(raw[i])}
	})
	slices.SortStableFunc(scored, func(p, q Candidate) int { return cmp.Compare(q.Value, p.Value) })
	starts := scored[:min(opts.Restarts, len(scored))]

	out := make([]Candidate, len(starts))
	parallel(len(starts), func(i int) {
		out[i] = a.localSearch(a.ascend(starts[i], opts.Fixed), opts.Fixed, opts.Blocks)
	})
	slices.SortStableFunc(out, func(p, q Candidate) int { return cmp.Compare(q.Value, p.Value) })
	return out
}

// ascend runs L-BFGS on the acquisition from start within the unit cube.
// The box is handled by the change of variables x = (1 + sin u)/2, which
// keeps every iterate feasible and lets optima on the boundary be reached.
func (a *Acquisition) ascend(start Candidate, fixed []bool) Candidate {
	d := len(start.X)
	var free []int
	for j := range d {
		if fixed == nil || !fixed[j] {
			free = append(free, j)
		}
	}
	if len(free) == 0 {
		return start
	}
	x := append([]float64(nil), start.X...)
	u0 := make([]float64, len(free))
	for k, j := range free {
		u0[k] = math.Asin(clamp(2*x[j]-1, -1, 1))
	}
	n := a.GP.Len()
	grad, dm, dv, work := make([]float64, d), make([]float64, d), make([]float64, d), make([]float64, 2*n)
	toX := func(u []float64) {
		for k, j := range free {
			x[j] = (1 + math.Sin(u[k])) / 2
		}
	}
	var lastU []float64
	var lastF float64
	lastG := make([]float64, len(free))
	eval := func(u []float64) {
		if lastU != nil && equal(u, lastU) {
			return
		}
		toX(u)
		v := a.valueGrad(x, grad, dm, dv, work)
		lastF = -v
		for k, j := range free {
			lastG[k] = -grad[j] * math.Cos(u[k]) / 2
		}
		if math.IsNaN(lastF) {
			lastF = math.Inf(1)
		}
		lastU = append(lastU[:0], u...)
	}
	p := optimize.Problem{
		Func: func(u []float64) float64 { eval(u); return lastF },
		Grad: func(g, u []float64) { eval(u); copy(g, lastG) },
	}
	u, f := minimize(p, u0, 100)
	if math.IsInf(f, 0) || math.IsNaN(f) || -f < start.Value {
		return start
	}
	toX(u)
	return Candidate{X: x, Value: -f}
}

// localSearch improves c by trying every choice of each one-hot block,
// one block at a time, until no single change helps. It evaluates
// Σ(choices) points per round rather than the product of all choices, so
// it scales to spaces far too large to enumerate.
func (a *Acquisition) localSearch(c Candidate, fixed []bool, blocks [][]int) Candidate {
	const rounds = 3
	for range rounds {
		improved := false
		for _, block := range blocks {
			for _, choice := range block {
				if c.X[choice] == 1 {
					continue
				}
				x := append([]float64(nil), c.X...)
				for _, j := range block {
					x[j] = 0
				}
				x[choice] = 1
				if v := a.Value(x); v > c.Value {
					c, improved = a.ascend(Candidate{X: x, Value: v}, fixed), true
				}
			}
		}
		if !improved {
			break
		}
	}
	return c
}

// parallel calls f(0..n-1) on one goroutine per core. Each call writes its
// own slot, so results do not depend on scheduling.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				f(i)
			}
		}()
	}
	wg.Wait()
}
