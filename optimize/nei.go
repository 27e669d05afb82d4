package optimize

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// neiSamples is the number of joint posterior samples noisy EI averages
// over.
const neiSamples = 64

// LogNEI is log noisy expected improvement (Letham et al. 2019, "Constrained
// Bayesian optimization with noisy experiments"). Under noise the best
// observed value is itself uncertain, so NEI averages EI over joint samples
// f_s of the latent function at the observed points: each sample gives a
// noiseless GP (the same hyperparameters, conditioned on f_s) and an
// incumbent max f_s. All the noiseless GPs share one kernel matrix, so a
// sample costs one extra dot product per evaluation.
type LogNEI struct {
	base   *GP         // noiseless GP on the observed points
	alphas [][]float64 // K⁻¹ f_s per sample
	bests  []float64   // max f_s per sample
}

// NewLogNEI returns the noisy EI of a GP fitted with inferred noise,
// drawing its samples with seed.
func NewLogNEI(g *GP, seed uint64) (*LogNEI, error) {
	n := g.Len()
	h := g.hyper
	noise := h.Noise
	// The latent posterior at the observed points: mean y − σ²α and, by
	// Woodbury, covariance σ²(I − σ²(K + σ²I)⁻¹).
	var kinv mat.SymDense
	if err := g.chol.InverseTo(&kinv); err != nil {
		return nil, fmt.Errorf("noisy ei: %w", err)
	}
	cov := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			v := -noise * noise * kinv.At(i, j)
			if i == j {
				v += noise
			}
			cov.SetSym(i, j, v)
		}
	}
	var lc mat.Cholesky
	if err := choleskyJitter(&lc, cov); err != nil {
		return nil, fmt.Errorf("noisy ei: %w", err)
	}
	var l mat.TriDense
	lc.LTo(&l)
	mean := make([]float64, n)
	for i := range n {
		mean[i] = g.y[i] - noise*g.alpha[i]
	}

	fh := h
	fh.Noise = MinNoise
	base, err := newGP(g.x, mean, g.yMean, g.yStd, fh)
	if err != nil {
		return nil, fmt.Errorf("noisy ei: %w", err)
	}
	a := &LogNEI{base: base}
	rng := rand.New(rand.NewPCG(seed, 0x6e6569))
	z := mat.NewVecDense(n, nil)
	f := mat.NewVecDense(n, nil)
	for range neiSamples {
		for i := range n {
			z.SetVec(i, rng.NormFloat64())
		}
		f.MulVec(&l, z)
		best := math.Inf(-1)
		for i := range n {
			f.SetVec(i, f.AtVec(i)+mean[i])
			best = math.Max(best, f.AtVec(i))
		}
		alpha := mat.NewVecDense(n, nil)
		if err := base.chol.SolveVecTo(alpha, f); err != nil {
			return nil, fmt.Errorf("noisy ei: %w", err)
		}
		a.alphas = append(a.alphas, alpha.RawVector().Data)
		a.bests = append(a.bests, best)
	}
	return a, nil
}

// Value implements Acquisition.
func (a *LogNEI) Value(x []float64) float64 { return a.eval(x, nil) }

// ValueGrad implements Acquisition.
func (a *LogNEI) ValueGrad(x, grad []float64) float64 { return a.eval(x, grad) }

func (a *LogNEI) eval(x, grad []float64) float64 {
	s := len(a.alphas)
	ms := make([]float64, s)
	var dms [][]float64
	var dv []float64
	if grad != nil {
		dms = make([][]float64, s)
		for i := range dms {
			dms[i] = make([]float64, len(x))
		}
		dv = make([]float64, len(x))
	}
	v := a.base.predictMany(x, a.alphas, ms, dms, dv)
	sd := math.Sqrt(v)
	logs := make([]float64, s)
	for i := range s {
		logs[i] = logEI(ms[i], sd, a.bests[i])
	}
	total := logSumExp(logs)
	if grad == nil {
		return total - math.Log(float64(s))
	}
	for j := range grad {
		grad[j] = 0
	}
	for i := range s {
		w := math.Exp(logs[i] - total)
		if w == 0 {
			continue
		}
		z := (ms[i] - a.bests[i]) / sd
		dl := dLogH(z)
		for j := range grad {
			dsd := dv[j] / (2 * sd)
			grad[j] += w * (dl*(dms[i][j]/sd-z*dsd/sd) + dsd/sd)
		}
	}
	return total - math.Log(float64(s))
}
