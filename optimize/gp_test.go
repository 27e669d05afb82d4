package optimize_test

import (
	"math"
	"testing"

	"tycho/optimize"
)

func TestGPInterpolatesNoiselessData(t *testing.T) {
	var x [][]float64
	var y []float64
	for i := range 12 {
		v := float64(i) / 11
		x = append(x, []float64{v})
		y = append(y, math.Sin(6*v))
	}
	g, err := optimize.Fit(x, y, optimize.FitOptions{Restarts: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range x {
		m, v := g.Predict(x[i])
		if math.Abs(m-y[i]) > 1e-2 {
			t.Errorf("mean at training point %v = %g, want %g", x[i], m, y[i])
		}
		if v > 1e-3 {
			t.Errorf("variance at training point %v = %g, want ≈ 0", x[i], v)
		}
	}
	// Between points the prediction is close to the truth.
	m, _ := g.Predict([]float64{0.5 / 11})
	if want := math.Sin(6 * 0.5 / 11); math.Abs(m-want) > 0.05 {
		t.Errorf("mean between points = %g, want ≈ %g", m, want)
	}
}

func TestFitIsDeterministic(t *testing.T) {
	x := [][]float64{{0.1, 0.2}, {0.5, 0.9}, {0.8, 0.3}, {0.3, 0.6}, {0.95, 0.05}}
	y := []float64{1, 3, 2, 2.5, 0.5}
	a, err := optimize.Fit(x, y, optimize.FitOptions{Restarts: 3, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	b, err := optimize.Fit(x, y, optimize.FitOptions{Restarts: 3, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	ha, hb := a.Hyper(), b.Hyper()
	for i := range ha.Lengthscales {
		if ha.Lengthscales[i] != hb.Lengthscales[i] {
			t.Fatalf("lengthscales differ between identical fits: %v vs %v", ha.Lengthscales, hb.Lengthscales)
		}
	}
	if ha.Noise != hb.Noise || ha.Signal != hb.Signal {
		t.Fatalf("hyperparameters differ between identical fits: %+v vs %+v", ha, hb)
	}
}
