package optimize

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// Hyperparameter bounds and priors, in the standardized output units and
// unit-cube inputs the GP works in.
const (
	// MinNoise is the smallest noise variance the GP infers; it keeps the
	// kernel matrix well conditioned on noiseless data.
	MinNoise = 1e-6
	// noisePriorMean and noisePriorSD define a log-normal prior on the
	// inferred noise variance (BoTorch's default).
	noisePriorMean = -4.0
	noisePriorSD   = 1.0
	// signalPriorSD is the sd of a normal prior on log signal variance,
	// centred on 1 (outputs are standardized).
	signalPriorSD = 1.0
	// lengthscalePriorSD is the sd of the dimension-scaled log-normal
	// lengthscale prior of Hvarfner et al. (2024).
	lengthscalePriorSD = 1.7320508075688772 // √3
	sqrt5              = 2.23606797749979
	logMinLengthscale  = -7.0 // ≈ 1e-3 of the unit cube
	// shortStartMaxDims is the largest input dimension fitted also from
	// short lengthscales when the noise is fixed.
	shortStartMaxDims = 10
	logMaxLengthscale = 7.0
)

// Hyper holds the GP hyperparameters.
type Hyper struct {
	Lengthscales []float64 `json:"lengthscales"`
	Signal       float64   `json:"signal_variance"`
	Noise        float64   `json:"noise_variance"`
}

// theta returns h as the log-space vector the fit optimizes.
func (h Hyper) theta() []float64 {
	t := make([]float64, len(h.Lengthscales)+2)
	for i, l := range h.Lengthscales {
		t[i] = math.Log(l)
	}
	t[len(t)-2] = math.Log(h.Signal)
	t[len(t)-1] = math.Log(math.Max(h.Noise-MinNoise, 1e-300))
	return t
}

func hyperFromTheta(t []float64) Hyper {
	d := len(t) - 2
	h := Hyper{Lengthscales: make([]float64, d)}
	for i := range d {
		h.Lengthscales[i] = math.Exp(clamp(t[i], logMinLengthscale, logMaxLengthscale))
	}
	h.Signal = math.Exp(clamp(t[d], -12, 12))
	h.Noise = MinNoise + math.Exp(clamp(t[d+1], -40, 2))
	return h
}

// GP is a Gaussian process conditioned on observations in the unit cube.
// Outputs are standardized internally; Predict answers in the original
// units. A GP is immutable once built and safe for concurrent use.
type GP struct {
	x     [][]float64
	y     []float64 // standardized
	yMean float64
	yStd  float64
	hyper Hyper
	chol  mat.Cholesky
	alpha []float64 // K⁻¹ y
	lml   float64
}

// FitOptions controls hyperparameter fitting.
type FitOptions struct {
	// Restarts is the number of L-BFGS starts besides the prior mode
	// and the warm start.
	Restarts int
	// Seed draws the random starts.
	Seed uint64
	// Warm, if set, is an extra start (typically the previous fit).
	Warm *Hyper
	// InferNoise fits the noise variance; otherwise the observations are
	// taken as noiseless and the noise variance is held at MinNoise.
	InferNoise bool
	// MaxFitPoints, if positive and below the number of observations,
	// fits the hyperparameters on a subset of that many — the best third
	// by y and a seeded random draw of the rest — and then conditions the
	// GP on all observations. Each likelihood evaluation costs O(n³), so
	// this bounds the fit at large n; the posterior still uses every point.
	MaxFitPoints int
}

// Fit fits a GP to the observations (x in the unit cube, y in any units) by
// maximizing the log marginal likelihood plus log priors over the
// hyperparameters, with multi-start L-BFGS.
func Fit(x [][]float64, y []float64, opts FitOptions) (*GP, error) {
	n := len(x)
	if n == 0 || n != len(y) {
		return nil, fmt.Errorf("fit gp: %d inputs and %d outputs", n, len(y))
	}
	d := len(x[0])
	mean, std := meanStd(y)
	ys := make([]float64, n)
	for i, v := range y {
		ys[i] = (v - mean) / std
	}
	obj := &lmlObjective{x: x, y: ys, d: d, fixedNoise: !opts.InferNoise}
	if opts.MaxFitPoints > 0 && n > opts.MaxFitPoints {
		idx := fitSubset(ys, opts.MaxFitPoints, opts.Seed)
		obj.x, obj.y = make([][]float64, len(idx)), make([]float64, len(idx))
		for k, i := range idx {
			obj.x[k], obj.y[k] = x[i], ys[i]
		}
	}

	// Deterministic starts: the prior's median lengthscales (smooth) and,
	// in few dimensions or when noise is inferred, also its mode in
	// lengthscale space, e^(μ−σ²), which is where BoTorch starts. From the
	// smooth start alone, noisy data is often explained as all noise, and
	// a low-dimensional function's finer structure is missed; in many
	// dimensions (descriptor encodings) with few points the short start
	// overfits, and the benchmarks bear both out (docs/benchmarks.md).
	starts := [][]float64{priorMode(d)}
	if d <= shortStartMaxDims || opts.InferNoise {
		short := priorMode(d)
		for i := range d {
			short[i] -= lengthscalePriorSD * lengthscalePriorSD
		}
		starts = append(starts, short)
	}
	if opts.Warm != nil && len(opts.Warm.Lengthscales) == d {
		starts = append(starts, opts.Warm.theta())
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15))
	for range opts.Restarts {
		t := priorMode(d)
		for i := range d {
			t[i] += lengthscalePriorSD * 0.5 * rng.NormFloat64()
		}
		t[d] += 0.5 * rng.NormFloat64()
		t[d+1] += noisePriorSD * rng.NormFloat64()
		starts = append(starts, t)
	}

	type fit struct {
		theta []float64
		f     float64
	}
	fits := make([]fit, len(starts))
	parallel(len(starts), func(i int) {
		s := starts[i]
		if obj.fixedNoise {
			s = s[:d+1]
		}
		th, f := minimize(obj.problem(), s, 200)
		if obj.fixedNoise {
			th = append(th, fixedLogNoise)
		}
		fits[i] = fit{th, f}
	})
	best := -1
	for i, f := range fits {
		if !math.IsNaN(f.f) && !math.IsInf(f.f, 0) && (best < 0 || f.f < fits[best].f) {
			best = i
		}
	}
	if best < 0 {
		return nil, errors.New("fit gp: no start gave a finite likelihood")
	}
	g, err := newGP(x, ys, mean, std, hyperFromTheta(fits[best].theta))
	if err != nil {
		return nil, err
	}
	return g, nil
}

// fitSubset returns k indices of ys: the k/3 largest and a seeded random
// draw of the others.
func fitSubset(ys []float64, k int, seed uint64) []int {
	idx := make([]int, len(ys))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ys[idx[a]] > ys[idx[b]] })
	top := k / 3
	rest := slices.Clone(idx[top:])
	rng := rand.New(rand.NewPCG(seed, 0x73756273))
	rng.Shuffle(len(rest), func(a, b int) { rest[a], rest[b] = rest[b], rest[a] })
	out := append(slices.Clone(idx[:top]), rest[:k-top]...)
	slices.Sort(out)
	return out
}

// NewGP conditions a GP with fixed hyperparameters on observations, with
// outputs standardized by the given mean and std.
func NewGP(x [][]float64, y []float64, mean, std float64, h Hyper) (*GP, error) {
	ys := make([]float64, len(y))
	for i, v := range y {
		ys[i] = (v - mean) / std
	}
	return newGP(x, ys, mean, std, h)
}

func newGP(x [][]float64, ys []float64, mean, std float64, h Hyper) (*GP, error) {
	g := &GP{x: x, y: ys, yMean: mean, yStd: std, hyper: h}
	n := len(x)
	k := mat.NewSymDense(n, nil)
	fillKernel(k, x, h, nil, nil)
	if err := choleskyJitter(&g.chol, k); err != nil {
		return nil, err
	}
	a := mat.NewVecDense(n, nil)
	if err := g.chol.SolveVecTo(a, mat.NewVecDense(n, append([]float64(nil), ys...))); err != nil {
		return nil, fmt.Errorf("solve gp: %w", err)
	}
	g.alpha = a.RawVector().Data
	g.lml = -0.5*mat.Dot(mat.NewVecDense(n, ys), a) - 0.5*g.chol.LogDet() - 0.5*float64(n)*math.Log(2*math.Pi)
	return g, nil
}

// Hyper returns the fitted hyperparameters.
func (g *GP) Hyper() Hyper { return g.hyper }

// LogMarginalLikelihood returns the log marginal likelihood of the
// standardized observations under the fitted hyperparameters.
func (g *GP) LogMarginalLikelihood() float64 { return g.lml }

// Standardization returns the mean and std used to standardize outputs.
func (g *GP) Standardization() (mean, std float64) { return g.yMean, g.yStd }

// Len returns the number of observations the GP is conditioned on.
func (g *GP) Len() int { return len(g.x) }

// Predict returns the posterior mean and variance of the latent function
// at x, in the original output units.
func (g *GP) Predict(x []float64) (mean, variance float64) {
	m, v := g.predict(x, nil, nil, nil)
	return g.yMean + g.yStd*m, g.yStd * g.yStd * v
}

// predict returns the standardized posterior mean and variance at x and,
// if dm and dv are non-nil, their gradients with respect to x. work, if
// non-nil, is scratch space of length 2n.
func (g *GP) predict(x, dm, dv []float64, work []float64) (float64, float64) {
	n, d := len(g.x), len(x)
	if len(work) < 2*n {
		work = make([]float64, 2*n)
	}
	ks, w := work[:n], work[n:2*n]
	h := g.hyper
	var mean float64
	for i, xi := range g.x {
		r := scaledDist(x, xi, h.Lengthscales)
		ks[i] = h.Signal * (1 + sqrt5*r + 5*r*r/3) * math.Exp(-sqrt5*r)
		mean += ks[i] * g.alpha[i]
	}
	// v = L⁻¹ k*; variance = s² − vᵀv.
	copy(w, ks)
	vv := mat.NewVecDense(n, w)
	if err := solveLower(&g.chol, vv); err != nil {
		return mean, h.Signal
	}
	variance := h.Signal - mat.Dot(vv, vv)
	if variance < 1e-12 {
		variance = 1e-12
	}
	if dm == nil {
		return mean, variance
	}
	// K⁻¹ k* = L⁻ᵀ v.
	if err := solveUpper(&g.chol, vv); err != nil {
		return mean, variance
	}
	for j := range d {
		dm[j], dv[j] = 0, 0
	}
	for i, xi := range g.x {
		r := scaledDist(x, xi, h.Lengthscales)
		c := -h.Signal * 5.0 / 3.0 * (1 + sqrt5*r) * math.Exp(-sqrt5*r)
		for j := range d {
			l := h.Lengthscales[j]
			dk := c * (x[j] - xi[j]) / (l * l)
			dm[j] += g.alpha[i] * dk
			dv[j] -= 2 * w[i] * dk
		}
	}
	return mean, variance
}

// predictMany returns the standardized posterior variance at x, and the
// posterior means at x of the GPs that share this one's inputs and
// hyperparameters but have the weights alphas (K⁻¹y for other y). If dv is
// non-nil it writes the gradients of the means into dms and of the
// variance into dv.
func (g *GP) predictMany(x []float64, alphas [][]float64, ms []float64, dms [][]float64, dv []float64) float64 {
	n, d := len(g.x), len(x)
	ks := make([]float64, n)
	h := g.hyper
	for i, xi := range g.x {
		r := scaledDist(x, xi, h.Lengthscales)
		ks[i] = h.Signal * (1 + sqrt5*r + 5*r*r/3) * math.Exp(-sqrt5*r)
	}
	for s, a := range alphas {
		ms[s] = floats.Dot(ks, a)
	}
	w := append([]float64(nil), ks...)
	vv := mat.NewVecDense(n, w)
	if err := solveLower(&g.chol, vv); err != nil {
		return h.Signal
	}
	variance := math.Max(h.Signal-mat.Dot(vv, vv), 1e-12)
	if dv == nil {
		return variance
	}
	if err := solveUpper(&g.chol, vv); err != nil {
		return variance
	}
	for j := range d {
		dv[j] = 0
		for s := range dms {
			dms[s][j] = 0
		}
	}
	dk := make([]float64, d)
	for i, xi := range g.x {
		r := scaledDist(x, xi, h.Lengthscales)
		c := -h.Signal * 5.0 / 3.0 * (1 + sqrt5*r) * math.Exp(-sqrt5*r)
		for j := range d {
			l := h.Lengthscales[j]
			dk[j] = c * (x[j] - xi[j]) / (l * l)
			dv[j] -= 2 * w[i] * dk[j]
		}
		for s, a := range alphas {
			floats.AddScaled(dms[s], a[i], dk)
		}
	}
	return variance
}

// Condition returns a GP with the same hyperparameters and standardization
// that is also conditioned on the extra observations (fantasies). It is
// how pending experiments enter a proposal.
func (g *GP) Condition(x [][]float64, y []float64) (*GP, error) {
	xs := append(append([][]float64(nil), g.x...), x...)
	ys := append([]float64(nil), g.y...)
	for _, v := range y {
		ys = append(ys, (v-g.yMean)/g.yStd)
	}
	return newGP(xs, ys, g.yMean, g.yStd, g.hyper)
}

func scaledDist(a, b, l []float64) float64 {
	var s float64
	for j := range a {
		t := (a[j] - b[j]) / l[j]
		s += t * t
	}
	return math.Sqrt(s)
}

// fillKernel fills k with the Matérn-5/2 kernel matrix plus noise. If r
// and g are non-nil it also stores, per pair (row-major n×n), the scaled
// distance and the factor s²·5/3·(1+√5r)·e^{−√5r} the gradient needs.
func fillKernel(k *mat.SymDense, x [][]float64, h Hyper, rs, gs []float64) {
	n := len(x)
	for i := range n {
		k.SetSym(i, i, h.Signal+h.Noise)
		for j := i + 1; j < n; j++ {
			r := scaledDist(x[i], x[j], h.Lengthscales)
			e := math.Exp(-sqrt5 * r)
			k.SetSym(i, j, h.Signal*(1+sqrt5*r+5*r*r/3)*e)
			if gs != nil {
				rs[i*n+j] = r
				gs[i*n+j] = h.Signal * 5.0 / 3.0 * (1 + sqrt5*r) * e
			}
		}
	}
}

// choleskyJitter factorizes k, adding diagonal jitter if it is not
// numerically positive definite.
func choleskyJitter(c *mat.Cholesky, k *mat.SymDense) error {
	if c.Factorize(k) {
		return nil
	}
	n := k.SymmetricDim()
	jitter := 1e-8
	for range 8 {
		kj := mat.NewSymDense(n, nil)
		kj.CopySym(k)
		for i := range n {
			kj.SetSym(i, i, kj.At(i, i)+jitter)
		}
		if c.Factorize(kj) {
			return nil
		}
		jitter *= 10
	}
	return errors.New("gp kernel matrix is not positive definite")
}

func priorMode(d int) []float64 {
	t := make([]float64, d+2)
	mu := lengthscalePriorMean(d)
	for i := range d {
		t[i] = mu
	}
	t[d] = 0
	t[d+1] = noisePriorMean
	return t
}

// lengthscalePriorMean is the mean of log lengthscale under the prior of
// Hvarfner et al. (2024): √2 + ½·log d.
func lengthscalePriorMean(d int) float64 { return math.Sqrt2 + 0.5*math.Log(float64(d)) }

func meanStd(y []float64) (float64, float64) {
	var m float64
	for _, v := range y {
		m += v
	}
	m /= float64(len(y))
	var s float64
	for _, v := range y {
		s += (v - m) * (v - m)
	}
	if len(y) > 1 {
		s = math.Sqrt(s / float64(len(y)-1))
	}
	if s == 0 || math.IsNaN(s) {
		s = 1
	}
	return m, s
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// minimize runs L-BFGS from x0 and returns the best point seen and its
// value. Line-search failures near a minimum are normal and not errors.
func minimize(p optimize.Problem, x0 []float64, iters int) ([]float64, float64) {
	settings := &optimize.Settings{
		MajorIterations:   iters,
		GradientThreshold: 1e-5,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-7, Relative: 1e-7, Iterations: 5},
	}
	res, err := optimize.Minimize(p, x0, settings, &optimize.LBFGS{Store: 10})
	if res == nil {
		return x0, p.Func(x0)
	}
	_ = err // the location found is still the best seen
	return res.X, res.F
}
