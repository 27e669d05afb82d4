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

// MaximizeOptions controls acquisition optimization.
type MaximizeOptions struct {
	// RawSamples is the number of quasi-random points scored to pick the
	// starts; Restarts is the number of gradient ascents.
	RawSamples int
	Restarts   int
	// Around are encoded points (typically the best observed) near which
	// extra raw samples are drawn, so that the optimizer can refine an
	// optimum as well as explore.
	Around [][]float64
	// Enumerate is the largest number of choice combinations of a purely
	// categorical space that is scored exhaustively; larger spaces are
	// searched locally, one parameter at a time.
	Enumerate int
	Seed      uint64
}

// Candidate is an encoded point and its acquisition value.
type Candidate struct {
	X     []float64
	Value float64
}

// Maximize maximizes an acquisition over the valid encoded points of a
// space and returns candidates from best to worst.
//
// A purely categorical space with at most opts.Enumerate combinations is
// scored exhaustively, combination by combination, without holding the
// cartesian product in memory. Otherwise raw samples (a scrambled Sobol
// sequence in the sampling space, plus perturbations of opts.Around) are
// scored, and L-BFGS ascents over the continuous coordinates start from
// the best of them; each ascent ends with a local search that tries every
// choice of one categorical parameter at a time, which costs Σ(choices)
// evaluations per round rather than Π(choices). Linear constraints hold at
// every candidate: raw samples are drawn from the feasible region, ascents
// carry a quadratic penalty, and an ascent that ends outside is pulled
// back along the segment to its feasible start.
func Maximize(a Acquisition, s *Space, opts MaximizeOptions) []Candidate {
	if s.Dims() > 0 && len(s.Blocks()) == s.Dims() && s.Combinations() <= opts.Enumerate {
		return enumerate(a, s, max(opts.Restarts, 64))
	}
	raw := rawSamples(s, opts)
	scored := make([]Candidate, len(raw))
	parallel(len(raw), func(i int) {
		scored[i] = Candidate{X: raw[i], Value: a.Value(raw[i])}
	})
	slices.SortStableFunc(scored, func(p, q Candidate) int { return cmp.Compare(q.Value, p.Value) })
	starts := scored[:min(opts.Restarts, len(scored))]
	fixed := s.Categorical()
	out := make([]Candidate, len(starts))
	parallel(len(starts), func(i int) {
		out[i] = localSearch(a, s, ascend(a, s, starts[i], fixed), fixed)
	})
	slices.SortStableFunc(out, func(p, q Candidate) int { return cmp.Compare(q.Value, p.Value) })
	return out
}

// enumerate scores every combination of choices and returns the best keep.
func enumerate(a Acquisition, s *Space, keep int) []Candidate {
	blocks := s.Blocks()
	total := s.Combinations()
	workers := min(runtime.GOMAXPROCS(0), total)
	tops := make([][]Candidate, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var top []Candidate
			x := make([]float64, s.Width())
			for c := w; c < total; c += workers {
				rest := c
				for _, b := range blocks {
					b.set(x, rest%len(b.Table))
					rest /= len(b.Table)
				}
				v := a.Value(x)
				if len(top) == keep && v <= top[keep-1].Value {
					continue
				}
				i, _ := slices.BinarySearchFunc(top, v, func(c Candidate, v float64) int { return cmp.Compare(v, c.Value) })
				top = slices.Insert(top, i, Candidate{X: slices.Clone(x), Value: v})
				if len(top) > keep {
					top = top[:keep]
				}
			}
			tops[w] = top
		}()
	}
	wg.Wait()
	var out []Candidate
	for _, t := range tops {
		out = append(out, t...)
	}
	slices.SortStableFunc(out, func(p, q Candidate) int { return cmp.Compare(q.Value, p.Value) })
	return out[:min(keep, len(out))]
}

// rawSamples returns feasible encoded points: a scrambled Sobol sequence in
// the sampling space and perturbations of opts.Around.
func rawSamples(s *Space, opts MaximizeOptions) [][]float64 {
	rng := rand.New(rand.NewPCG(opts.Seed, 0xda3e39cb94b95bdb))
	var raw [][]float64
	if sob, err := NewSobol(max(s.Dims(), 1), opts.Seed); err == nil {
		u := make([]float64, max(s.Dims(), 1))
		// Under constraints, draw until enough points are feasible or the
		// feasible share is evidently tiny.
		for tries := 0; len(raw) < opts.RawSamples && tries < 64*opts.RawSamples; tries++ {
			sob.Next(u)
			x, err := s.Encode(s.FromUnit(u))
			if err == nil && s.Feasible(x) {
				raw = append(raw, x)
			}
		}
	}
	fixed := s.Categorical()
	for _, c := range opts.Around {
		for i := range 32 {
			scale := 0.1
			if i%2 == 1 {
				scale = 0.01
			}
			p := slices.Clone(c)
			for j := range p {
				if !fixed[j] {
					p[j] = clamp(c[j]+scale*rng.NormFloat64(), 0, 1)
				}
			}
			if i%4 == 3 {
				// Every fourth perturbation also changes one categorical
				// parameter, so that neighbours in choice are explored.
				if bs := s.Blocks(); len(bs) > 0 {
					b := bs[rng.IntN(len(bs))]
					b.set(p, rng.IntN(len(b.Table)))
				}
			}
			s.Project(p)
			if s.Feasible(p) {
				raw = append(raw, p)
			}
		}
	}
	return raw
}

// penaltyWeight scales the squared constraint violation subtracted from
// the acquisition during an ascent.
const penaltyWeight = 1e4

// ascend runs L-BFGS on the acquisition from start over the coordinates
// not fixed, within the unit cube. The box is handled by the change of
// variables x = (1 + sin u)/2, which keeps every iterate inside and lets
// optima on the boundary be reached; linear constraints by a penalty and a
// final pull back to the feasible region.
func ascend(a Acquisition, s *Space, start Candidate, fixed []bool) Candidate {
	d := len(start.X)
	var free []int
	for j := range d {
		if !fixed[j] {
			free = append(free, j)
		}
	}
	if len(free) == 0 {
		return start
	}
	x := slices.Clone(start.X)
	u0 := make([]float64, len(free))
	for k, j := range free {
		u0[k] = math.Asin(clamp(2*x[j]-1, -1, 1))
	}
	grad := make([]float64, d)
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
		v := a.ValueGrad(x, grad)
		if s.Constrained() {
			pg := make([]float64, d)
			v -= penaltyWeight * s.penalty(x, pg)
			for j := range grad {
				grad[j] -= penaltyWeight * pg[j]
			}
		}
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
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return start
	}
	toX(u)
	if !s.Feasible(x) {
		pullBack(s, start.X, x)
	}
	v := a.Value(x)
	if !(v >= start.Value) {
		return start
	}
	return Candidate{X: x, Value: v}
}

// pullBack moves x towards the feasible point from, in place, to the
// last feasible point of the segment between them.
func pullBack(s *Space, from, x []float64) {
	lo, hi := 0.0, 1.0 // fraction of the way from from to x
	to := slices.Clone(x)
	at := func(t float64) {
		for j := range x {
			x[j] = from[j] + t*(to[j]-from[j])
		}
	}
	for range 50 {
		mid := (lo + hi) / 2
		at(mid)
		if s.Feasible(x) {
			lo = mid
		} else {
			hi = mid
		}
	}
	at(lo)
}

// localSearch improves c by trying every choice of each categorical
// parameter, one parameter at a time, until no single change helps.
func localSearch(a Acquisition, s *Space, c Candidate, fixed []bool) Candidate {
	const rounds = 3
	blocks := s.Blocks()
	for range rounds {
		improved := false
		for _, b := range blocks {
			cur := b.nearest(c.X)
			for k := range b.Table {
				if k == cur {
					continue
				}
				x := slices.Clone(c.X)
				b.set(x, k)
				if v := a.Value(x); v > c.Value {
					c, improved = ascend(a, s, Candidate{X: x, Value: v}, fixed), true
					cur = k
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
