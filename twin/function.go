// Package twin provides digital twins: built-in simulated labs that stand
// in for an instrument, for trying campaigns and benchmarking optimizers.
// The twins here are the standard test functions of global optimization.
package twin

import (
	"math"
	"slices"
)

// Function is a benchmark function to be minimized on its standard domain.
type Function struct {
	Name string
	// Dims is the fixed dimension, or 0 if the dimension is configurable
	// (from MinDims up).
	Dims    int
	MinDims int
	// Lower and Upper bound every coordinate unless Bounds is set.
	Lower, Upper float64
	// Bounds, if set, holds per-coordinate bounds of a fixed-dimension
	// function.
	Bounds [][2]float64
	// Optimum is the global minimum value.
	Optimum float64
	// Minimizer returns a global minimizer in d dimensions.
	Minimizer func(d int) []float64
	// Eval evaluates the function at x.
	Eval func(x []float64) float64
}

// Domain returns the bounds of each coordinate in d dimensions.
func (f *Function) Domain(d int) [][2]float64 {
	if f.Bounds != nil {
		return f.Bounds
	}
	out := make([][2]float64, d)
	for i := range out {
		out[i] = [2]float64{f.Lower, f.Upper}
	}
	return out
}

// Regret returns the simple regret of a best value found: its distance
// above the global minimum.
func (f *Function) Regret(best float64) float64 { return math.Max(best-f.Optimum, 0) }

var functions = map[string]*Function{
	"branin": {
		Name: "branin", Dims: 2,
		Bounds:  [][2]float64{{-5, 10}, {0, 15}},
		Optimum: 0.39788735772973816,
		Minimizer: func(int) []float64 {
			return []float64{-math.Pi, 12.275}
		},
		Eval: branin,
	},
	"hartmann6": {
		Name: "hartmann6", Dims: 6, Lower: 0, Upper: 1,
		Optimum: -3.3223680114155147,
		Minimizer: func(int) []float64 {
			return []float64{0.20168952, 0.15001069, 0.47687398, 0.27533243, 0.31165162, 0.65730054}
		},
		Eval: hartmann6,
	},
	"ackley": {
		Name: "ackley", MinDims: 1, Lower: -32.768, Upper: 32.768,
		Optimum:   0,
		Minimizer: func(d int) []float64 { return make([]float64, d) },
		Eval:      ackley,
	},
	"rosenbrock": {
		Name: "rosenbrock", MinDims: 2, Lower: -5, Upper: 10,
		Optimum: 0,
		Minimizer: func(d int) []float64 {
			x := make([]float64, d)
			for i := range x {
				x[i] = 1
			}
			return x
		},
		Eval: rosenbrock,
	},
}

// Lookup returns the function of the given name.
func Lookup(name string) (*Function, bool) {
	f, ok := functions[name]
	return f, ok
}

// Names returns the names of the built-in twins, functions and models,
// sorted.
func Names() []string {
	out := modelNames()
	for n := range functions {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// branin is the Branin–Hoo function: three global minima of 0.397887.
func branin(x []float64) float64 {
	const (
		a = 1.0
		b = 5.1 / (4 * math.Pi * math.Pi)
		c = 5 / math.Pi
		r = 6.0
		s = 10.0
		t = 1 / (8 * math.Pi)
	)
	u := x[1] - b*x[0]*x[0] + c*x[0] - r
	return a*u*u + s*(1-t)*math.Cos(x[0]) + s
}

var (
	hartmannAlpha = [4]float64{1.0, 1.2, 3.0, 3.2}
	hartmannA     = [4][6]float64{
		{10, 3, 17, 3.5, 1.7, 8},
		{0.05, 10, 17, 0.1, 8, 14},
		{3, 3.5, 1.7, 10, 17, 8},
		{17, 8, 0.05, 10, 0.1, 14},
	}
	hartmannP = [4][6]float64{
		{1312, 1696, 5569, 124, 8283, 5886},
		{2329, 4135, 8307, 3736, 1004, 9991},
		{2348, 1451, 3522, 2883, 3047, 6650},
		{4047, 8828, 8732, 5743, 1091, 381},
	}
)

// hartmann6 is the six-dimensional Hartmann function: one global minimum
// of −3.32237 and a local one of −3.20316 that traps many optimizers.
func hartmann6(x []float64) float64 {
	var sum float64
	for i := range 4 {
		var inner float64
		for j := range 6 {
			d := x[j] - hartmannP[i][j]*1e-4
			inner += hartmannA[i][j] * d * d
		}
		sum += hartmannAlpha[i] * math.Exp(-inner)
	}
	return -sum
}

// ackley is the Ackley function with a = 20, b = 0.2, c = 2π.
func ackley(x []float64) float64 {
	var sq, cs float64
	for _, v := range x {
		sq += v * v
		cs += math.Cos(2 * math.Pi * v)
	}
	n := float64(len(x))
	return -20*math.Exp(-0.2*math.Sqrt(sq/n)) - math.Exp(cs/n) + 20 + math.E
}

// rosenbrock is the Rosenbrock valley.
func rosenbrock(x []float64) float64 {
	var s float64
	for i := 0; i+1 < len(x); i++ {
		a := x[i+1] - x[i]*x[i]
		b := 1 - x[i]
		s += 100*a*a + b*b
	}
	return s
}
