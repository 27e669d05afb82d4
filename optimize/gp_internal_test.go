package optimize

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// randomData returns n points in [0,1]^d and a smooth function of them.
func randomData(n, d int, seed uint64) ([][]float64, []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([][]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = make([]float64, d)
		for j := range x[i] {
			x[i][j] = rng.Float64()
		}
		y[i] = math.Sin(3*x[i][0]) + x[i][d-1]*x[i][d-1] + 0.01*rng.NormFloat64()
	}
	return x, y
}

func TestLMLGradient(t *testing.T) {
	x, y := randomData(25, 3, 7)
	mean, std := meanStd(y)
	for i := range y {
		y[i] = (y[i] - mean) / std
	}
	o := &lmlObjective{x: x, y: y, d: 3}
	for _, theta := range [][]float64{
		{-1, -0.5, 0.2, 0.1, -3},
		{0.5, 1, -2, -0.7, -6},
		priorMode(3),
	} {
		grad := make([]float64, len(theta))
		o.eval(theta, grad)
		for i := range theta {
			const h = 1e-6
			tp := append([]float64(nil), theta...)
			tm := append([]float64(nil), theta...)
			tp[i] += h
			tm[i] -= h
			scratch := make([]float64, len(theta))
			num := (o.eval(tp, scratch) - o.eval(tm, scratch)) / (2 * h)
			if math.Abs(num-grad[i]) > 1e-4*math.Max(1, math.Abs(num)) {
				t.Errorf("θ=%v: ∂/∂θ%d = %g, finite difference %g", theta, i, grad[i], num)
			}
		}
	}
}

// checkGradient compares an acquisition's gradient with central finite
// differences at random points.
func checkGradient(t *testing.T, name string, a Acquisition, d int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 5))
	for range 5 {
		p := make([]float64, d)
		for j := range p {
			p[j] = 0.05 + 0.9*rng.Float64()
		}
		grad := make([]float64, d)
		v := a.ValueGrad(p, grad)
		if w := a.Value(p); math.Abs(v-w) > 1e-9*math.Max(1, math.Abs(w)) {
			t.Errorf("%s: ValueGrad %g, Value %g", name, v, w)
		}
		for j := range p {
			const h = 1e-6
			pp := append([]float64(nil), p...)
			pm := append([]float64(nil), p...)
			pp[j] += h
			pm[j] -= h
			num := (a.Value(pp) - a.Value(pm)) / (2 * h)
			if math.Abs(num-grad[j]) > 1e-3*math.Max(1, math.Abs(num)) {
				t.Errorf("%s x=%v: ∂/∂x%d = %g, finite difference %g", name, p, j, grad[j], num)
			}
		}
	}
}

func TestAcquisitionGradient(t *testing.T) {
	x, y := randomData(30, 4, 3)
	g, err := Fit(x, y, FitOptions{Restarts: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	best := y[0]
	for _, v := range y {
		best = math.Max(best, v)
	}
	for _, shift := range []float64{0, 2, 20} { // shift pushes z far negative
		checkGradient(t, fmt.Sprintf("LogEI shift %g", shift), NewLogEI(g, best+shift), 4, 7)
	}
	for _, bound := range []float64{-5, 0, 5} {
		checkGradient(t, fmt.Sprintf("LogPoF ≤ %g", bound), NewLogPoF(g, bound, true), 4, 8)
		checkGradient(t, fmt.Sprintf("LogPoF ≥ %g", bound), NewLogPoF(g, bound, false), 4, 9)
	}
	noisy, err := Fit(x, y, FitOptions{Restarts: 1, Seed: 1, InferNoise: true})
	if err != nil {
		t.Fatal(err)
	}
	nei, err := NewLogNEI(noisy, 3)
	if err != nil {
		t.Fatal(err)
	}
	checkGradient(t, "LogNEI", nei, 4, 10)

	_, y2 := randomData(30, 4, 4)
	g2, err := Fit(x, y2, FitOptions{Restarts: 1, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	pts := make([][]float64, len(y))
	for i := range y {
		pts[i] = []float64{y[i], y2[i]}
	}
	var front [][]float64
	for _, i := range ParetoFront(pts) {
		front = append(front, pts[i])
	}
	ref := inferReference(pts)
	checkGradient(t, "LogEHVI", NewLogEHVI([]*GP{g, g2}, front, ref), 4, 11)
	// Far beyond the front the improvement underflows, but its log and
	// gradient stay finite.
	far := NewLogEHVI([]*GP{g, g2}, [][]float64{{1e3, 1e3}}, ref)
	grad := make([]float64, 4)
	if v := far.ValueGrad([]float64{0.5, 0.5, 0.5, 0.5}, grad); math.IsInf(v, 0) || math.IsNaN(v) {
		t.Errorf("LogEHVI far from the front = %g", v)
	}
}

func TestLogH(t *testing.T) {
	// Where plain h(z) is representable, logH must agree with it.
	for _, z := range []float64{-30, -10, -5, -2, -1.0001, -1, -0.5, 0, 1, 5} {
		want := math.Log(phi(z) + z*bigPhi(z))
		if z < -5 {
			// Plain evaluation cancels here; use the asymptotic expansion
			// h(z) ≈ φ(z)/z²·(1 − 3/z² + 15/z⁴).
			want = -z*z/2 - logSqrt2Pi - 2*math.Log(-z) + math.Log(1-3/(z*z)+15/(z*z*z*z)-105/math.Pow(z, 6))
		}
		if got := logH(z); math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Errorf("logH(%g) = %.12g, want %.12g", z, got, want)
		}
	}
	// Far from the incumbent it stays finite, decreasing, with a gradient.
	prev := math.Inf(1)
	for _, z := range []float64{-1e2, -1e3, -1e5, -1e7, -1e9, -1e12} {
		got := logH(z)
		if math.IsInf(got, 0) || math.IsNaN(got) || got >= prev {
			t.Errorf("logH(%g) = %g, previous %g", z, got, prev)
		}
		if g := dLogH(z); math.IsNaN(g) || g <= 0 {
			t.Errorf("dLogH(%g) = %g, want positive", z, g)
		}
		prev = got
	}
}

func TestDLogH(t *testing.T) {
	for _, z := range []float64{-40, -8, -3, -1.5, -1, -0.2, 0.7, 3} {
		const h = 1e-6
		num := (logH(z+h) - logH(z-h)) / (2 * h)
		if got := dLogH(z); math.Abs(got-num) > 1e-5*math.Max(1, math.Abs(num)) {
			t.Errorf("dLogH(%g) = %g, finite difference %g", z, got, num)
		}
	}
}

func TestErfcx(t *testing.T) {
	// Continuity across the switch to the asymptotic series.
	lo, hi := erfcx(erfcxCutoff-1e-12), erfcx(erfcxCutoff)
	if math.Abs(lo-hi)/hi > 1e-12 {
		t.Errorf("erfcx jumps at the cutoff: %g vs %g", lo, hi)
	}
	if got, want := erfcx(0), 1.0; got != want {
		t.Errorf("erfcx(0) = %g, want %g", got, want)
	}
}
