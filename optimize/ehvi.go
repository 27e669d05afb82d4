package optimize

import (
	"math"
	"slices"
)

// ParetoFront returns the indices of the points no other point dominates,
// for maximization of every coordinate, in index order. Of equal points
// the first is kept.
func ParetoFront(points [][]float64) []int {
	var out []int
	for i, p := range points {
		dominated := false
		for j, q := range points {
			if i != j && (dominates(q, p) || (j < i && slices.Equal(p, q))) {
				dominated = true
				break
			}
		}
		if !dominated {
			out = append(out, i)
		}
	}
	return out
}

// dominates reports whether a is at least as good as b everywhere and
// better somewhere.
func dominates(a, b []float64) bool {
	better := false
	for j := range a {
		if a[j] < b[j] {
			return false
		}
		if a[j] > b[j] {
			better = true
		}
	}
	return better
}

// box is an axis-aligned box [lo, hi]; hi may be +Inf.
type box struct{ lo, hi []float64 }

// nonDominatedBoxes decomposes the part of {z ≥ ref} that no point of
// front dominates into disjoint boxes. Points that do not dominate ref are
// ignored. The grid over the first m−1 axes has a cell between each pair
// of adjacent point coordinates; in each cell the dominated part along the
// last axis is [ref, t] with t the largest last coordinate of the points
// beyond the cell, so the cell contributes one box [t, ∞). That is
// (k+1)^(m−1) boxes for k points, which is small for the 2–3 objectives
// a campaign may have.
func nonDominatedBoxes(front [][]float64, ref []float64) []box {
	m := len(ref)
	var pts [][]float64
	for _, p := range front {
		if strictlyAbove(p, ref) {
			pts = append(pts, p)
		}
	}
	// Grid lines per axis, including ref.
	lines := make([][]float64, m-1)
	for j := range m - 1 {
		l := []float64{ref[j]}
		for _, p := range pts {
			l = append(l, p[j])
		}
		slices.Sort(l)
		lines[j] = slices.Compact(l)
	}
	var out []box
	idx := make([]int, m-1)
	for {
		lo, hi := make([]float64, m), make([]float64, m)
		for j := range m - 1 {
			lo[j] = lines[j][idx[j]]
			hi[j] = math.Inf(1)
			if idx[j]+1 < len(lines[j]) {
				hi[j] = lines[j][idx[j]+1]
			}
		}
		t := ref[m-1]
		for _, p := range pts {
			beyond := true
			for j := range m - 1 {
				if p[j] < hi[j] {
					beyond = false
					break
				}
			}
			if beyond {
				t = math.Max(t, p[m-1])
			}
		}
		lo[m-1], hi[m-1] = t, math.Inf(1)
		out = append(out, box{lo, hi})
		// Next cell, as a mixed-radix counter.
		j := 0
		for ; j < m-1; j++ {
			if idx[j]++; idx[j] < len(lines[j]) {
				break
			}
			idx[j] = 0
		}
		if j == m-1 {
			return out
		}
	}
}

func strictlyAbove(p, ref []float64) bool {
	for j := range p {
		if !(p[j] > ref[j]) {
			return false
		}
	}
	return true
}

// Hypervolume returns the volume of the region between ref and the points
// that the points dominate, for maximization of every coordinate.
func Hypervolume(points [][]float64, ref []float64) float64 {
	if len(ref) == 1 {
		best := ref[0]
		for _, p := range points {
			best = math.Max(best, p[0])
		}
		return best - ref[0]
	}
	m := len(ref)
	var hv float64
	for _, b := range nonDominatedBoxes(points, ref) {
		// Each box's cell, below its lower end on the last axis and above
		// ref, is dominated.
		v := b.lo[m-1] - ref[m-1]
		for j := range m - 1 {
			if math.IsInf(b.hi[j], 1) {
				v = 0
				break
			}
			v *= b.hi[j] - b.lo[j]
		}
		hv += v
	}
	return hv
}

// LogEHVI is the log of the expected hypervolume improvement of a point
// over a Pareto front, for independent GPs, one per objective, all
// maximized. With the non-dominated region split into boxes, the
// improvement of an outcome y is Σ_boxes Π_j (min(y_j, hi_j) − lo_j)₊, and
// for independent Gaussian y_j each factor has the closed-form expectation
// σ_j·(h(z_lo) − h(z_hi)) with h(z) = φ(z) + zΦ(z), z = (μ_j − bound)/σ_j.
// Computing it as a log-sum of log-products with the stable log h of
// Ament et al. keeps the value and its gradient finite where EHVI itself
// underflows (the "LogEHVI" of Ament et al. 2023, evaluated exactly rather
// than by Monte Carlo).
type LogEHVI struct {
	GPs   []*GP
	boxes []box // in each GP's standardized units
}

// NewLogEHVI returns the LogEHVI of gps over front with reference point
// ref, both in the original (maximized) units.
func NewLogEHVI(gps []*GP, front [][]float64, ref []float64) *LogEHVI {
	boxes := nonDominatedBoxes(front, ref)
	for _, b := range boxes {
		for j, g := range gps {
			b.lo[j] = (b.lo[j] - g.yMean) / g.yStd
			b.hi[j] = (b.hi[j] - g.yMean) / g.yStd
		}
	}
	return &LogEHVI{GPs: gps, boxes: boxes}
}

// Value implements Acquisition.
func (a *LogEHVI) Value(x []float64) float64 { return a.eval(x, nil) }

// ValueGrad implements Acquisition.
func (a *LogEHVI) ValueGrad(x, grad []float64) float64 { return a.eval(x, grad) }

func (a *LogEHVI) eval(x, grad []float64) float64 {
	m := len(a.GPs)
	post := make([]*posterior, m)
	for j, g := range a.GPs {
		post[j] = newPosterior(g, len(x))
		post[j].at(x, grad != nil)
	}
	sd := make([]float64, m)
	for j := range m {
		sd[j] = math.Sqrt(post[j].v)
	}
	logs := make([]float64, len(a.boxes))
	// Per box and objective: ∂ log g/∂μ and ∂ log g/∂σ.
	var dmu, dsd [][]float64
	if grad != nil {
		dmu, dsd = make([][]float64, len(a.boxes)), make([][]float64, len(a.boxes))
	}
	for k, b := range a.boxes {
		if grad != nil {
			dmu[k], dsd[k] = make([]float64, m), make([]float64, m)
		}
		for j := range m {
			lg, gm, gs := logBoxFactor(post[j].m, sd[j], b.lo[j], b.hi[j], grad != nil)
			logs[k] += lg
			if grad != nil {
				dmu[k][j], dsd[k][j] = gm, gs
			}
		}
	}
	total := logSumExp(logs)
	for i := range grad {
		grad[i] = 0
	}
	if grad == nil || math.IsInf(total, -1) {
		return total
	}
	for k := range a.boxes {
		w := math.Exp(logs[k] - total)
		if w == 0 {
			continue
		}
		for j := range m {
			p := post[j]
			for i := range grad {
				grad[i] += w * (dmu[k][j]*p.dm[i] + dsd[k][j]*p.dv[i]/(2*sd[j]))
			}
		}
	}
	return total
}

// logBoxFactor returns log E[(min(y, hi) − lo)₊] for y ~ N(μ, σ²) and,
// if withGrad, its derivatives by μ and σ.
func logBoxFactor(mu, sd, lo, hi float64, withGrad bool) (float64, float64, float64) {
	zl := (mu - lo) / sd
	lhl := logH(zl)
	lg := lhl
	finite := !math.IsInf(hi, 1)
	var zu, lhu float64
	if finite {
		zu = (mu - hi) / sd
		lhu = logH(zu)
		lg += log1mexp(math.Min(lhu-lhl, -1e-300))
	}
	lg += math.Log(sd)
	if !withGrad {
		return lg, 0, 0
	}
	// ∂g/∂μ = Φ(zl) − Φ(zu), ∂g/∂σ = φ(zl) − φ(zu); divided by g.
	dm := math.Exp(logPhi(zl) - lg)
	ds := math.Exp(logPhiDensity(zl) - lg)
	if finite {
		dm -= math.Exp(logPhi(zu) - lg)
		ds -= math.Exp(logPhiDensity(zu) - lg)
	}
	return lg, dm, ds
}

// inferReference returns a reference point for maximized outcomes: the
// worst value of each, less a tenth of its range (BoTorch's rule).
func inferReference(points [][]float64) []float64 {
	m := len(points[0])
	ref := make([]float64, m)
	for j := range m {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, p := range points {
			lo, hi = math.Min(lo, p[j]), math.Max(hi, p[j])
		}
		span := hi - lo
		if span == 0 {
			span = math.Max(1, math.Abs(lo))
		}
		ref[j] = lo - 0.1*span
	}
	return ref
}
