package optimize

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// lmlObjective is the negative log marginal likelihood plus negative log
// priors of a GP, as a function of log hyperparameters
// θ = (log ℓ₁…log ℓ_d, log s², log(σ²_n − MinNoise)).
//
// With fixedNoise set, the noise variance is held at MinNoise and the
// problem's variables are θ without its last entry.
type lmlObjective struct {
	x          [][]float64
	y          []float64
	d          int
	fixedNoise bool
}

// fixedLogNoise is θ's noise entry when the noise is fixed: it makes the
// noise variance MinNoise to double precision.
const fixedLogNoise = -40

func (o *lmlObjective) problem() optimize.Problem {
	// Func and Grad are evaluated at the same θ in turn by gonum, so the
	// gradient is computed together with the value and cached.
	var lastTheta, lastGrad []float64
	var lastF float64
	full := make([]float64, o.d+2)
	eval := func(t []float64) {
		if lastTheta != nil && equal(t, lastTheta) {
			return
		}
		if lastGrad == nil {
			lastGrad = make([]float64, o.d+2)
		}
		copy(full, t)
		if o.fixedNoise {
			full[o.d+1] = fixedLogNoise
		}
		lastF = o.eval(full, lastGrad)
		lastTheta = append(lastTheta[:0], t...)
	}
	return optimize.Problem{
		Func: func(t []float64) float64 { eval(t); return lastF },
		Grad: func(g, t []float64) { eval(t); copy(g, lastGrad[:len(t)]) },
	}
}

// eval returns the objective at t and writes its gradient to grad.
func (o *lmlObjective) eval(t, grad []float64) float64 {
	n, d := len(o.x), o.d
	h := hyperFromTheta(t)
	k := mat.NewSymDense(n, nil)
	rs := make([]float64, n*n)
	gs := make([]float64, n*n)
	fillKernel(k, o.x, h, rs, gs)
	var c mat.Cholesky
	if !c.Factorize(k) {
		for i := range grad {
			grad[i] = 0
		}
		return math.Inf(1)
	}
	alpha := mat.NewVecDense(n, nil)
	if err := c.SolveVecTo(alpha, mat.NewVecDense(n, append([]float64(nil), o.y...))); err != nil {
		return math.Inf(1)
	}
	var kinv mat.SymDense
	if err := c.InverseTo(&kinv); err != nil {
		return math.Inf(1)
	}
	a := alpha.RawVector().Data
	lml := -0.5*blas64.Dot(blas64.Vector{N: n, Inc: 1, Data: o.y}, alpha.RawVector()) - 0.5*c.LogDet() - 0.5*float64(n)*math.Log(2*math.Pi)

	// ∂lml/∂θ = ½ tr(W ∂K/∂θ) with W = ααᵀ − K⁻¹, symmetric.
	for i := range grad {
		grad[i] = 0
	}
	kin := kinv.RawSymmetric()
	var dSignal, trW float64
	for i := range n {
		wii := a[i]*a[i] - kin.Data[i*kin.Stride+i]
		trW += wii
		dSignal += 0.5 * wii * h.Signal
		xi := o.x[i]
		for j := i + 1; j < n; j++ {
			w := a[i]*a[j] - kin.Data[i*kin.Stride+j]
			dSignal += w * k.At(i, j) // both triangles: 2·½
			g := w * gs[i*n+j]
			xj := o.x[j]
			for m := range d {
				l := h.Lengthscales[m]
				diff := (xi[m] - xj[m]) / l
				grad[m] += g * diff * diff
			}
		}
	}
	grad[d] = dSignal
	grad[d+1] = 0.5 * trW * (h.Noise - MinNoise)

	// Log priors: Gaussian on log ℓ, log s² and log σ²_n.
	lp := 0.0
	mu := lengthscalePriorMean(d)
	for m := range d {
		z := (t[m] - mu) / lengthscalePriorSD
		lp -= 0.5 * z * z
		grad[m] -= z / lengthscalePriorSD
	}
	zs := t[d] / signalPriorSD
	lp -= 0.5 * zs * zs
	grad[d] -= zs / signalPriorSD
	logNoise := math.Log(h.Noise)
	zn := (logNoise - noisePriorMean) / noisePriorSD
	lp -= 0.5 * zn * zn
	grad[d+1] -= zn / noisePriorSD * (h.Noise - MinNoise) / h.Noise

	// Minimize the negative; zero the gradient where θ is clamped.
	for m := range d {
		if t[m] < logMinLengthscale || t[m] > logMaxLengthscale {
			grad[m] = 0
		}
	}
	for i := range grad {
		grad[i] = -grad[i]
	}
	return -(lml + lp)
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// solveLower solves L v = b in place, where K = L Lᵀ = Uᵀ U.
func solveLower(c *mat.Cholesky, v *mat.VecDense) error {
	u := upper(c)
	blas64.Trsv(blas.Trans, u, v.RawVector())
	return nil
}

// solveUpper solves Lᵀ v = b in place.
func solveUpper(c *mat.Cholesky, v *mat.VecDense) error {
	u := upper(c)
	blas64.Trsv(blas.NoTrans, u, v.RawVector())
	return nil
}

func upper(c *mat.Cholesky) blas64.Triangular {
	return c.RawU().(*mat.TriDense).RawTriangular()
}
