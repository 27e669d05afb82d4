package twin_test

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"tycho"
	"tycho/twin"
)

func TestOptima(t *testing.T) {
	for _, name := range twin.Names() {
		f, ok := twin.Lookup(name)
		if !ok {
			continue // a model, tested in snar_test.go
		}
		t.Run(name, func(t *testing.T) {
			d := f.Dims
			if d == 0 {
				d = 5
			}
			if got := f.Eval(f.Minimizer(d)); math.Abs(got-f.Optimum) > 1e-6 {
				t.Errorf("value at the minimizer = %.10g, want %.10g", got, f.Optimum)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			dom := f.Domain(d)
			x := make([]float64, d)
			for range 20000 {
				for j := range x {
					x[j] = dom[j][0] + rng.Float64()*(dom[j][1]-dom[j][0])
				}
				if v := f.Eval(x); v < f.Optimum-1e-9 {
					t.Fatalf("f(%v) = %g is below the optimum %g", x, v, f.Optimum)
				}
			}
		})
	}
	// Branin's other two minimizers.
	f, _ := twin.Lookup("branin")
	for _, x := range [][]float64{{math.Pi, 2.275}, {9.42478, 2.475}} {
		if got := f.Eval(x); math.Abs(got-f.Optimum) > 1e-5 {
			t.Errorf("branin%v = %g, want %g", x, got, f.Optimum)
		}
	}
}

func spec(name string, nparams int, noise float64, dir tycho.Direction) *tycho.Spec {
	s := &tycho.Spec{
		Name:       "t",
		Objectives: []tycho.Objective{{Name: "y", Direction: dir}},
		Seed:       3,
		Lab:        tycho.LabSpec{Kind: "twin", Name: name, Noise: noise},
	}
	for i := range nparams {
		s.Parameters = append(s.Parameters, tycho.Parameter{Name: string(rune('a' + i)), Kind: tycho.Continuous, Bounds: []float64{0, 1}})
	}
	s.Parameters = append(s.Parameters, tycho.Parameter{Name: "who", Kind: tycho.Fixed, Value: "alice"})
	return s
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec *tycho.Spec
		want string
	}{
		{"ErrUnknownTwin", spec("nope", 2, 0, tycho.Minimize), `unknown twin "nope" (built in: ackley, branin, hartmann6, rosenbrock, snar)`},
		{"ErrWrongDims", spec("branin", 3, 0, tycho.Minimize), `twin "branin" takes 2 numeric parameters, the campaign declares 3`},
		{"ErrTooFewDims", spec("rosenbrock", 1, 0, tycho.Minimize), `twin "rosenbrock" takes at least 2 numeric parameters, the campaign declares 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := twin.New(tc.spec)
			if got := tycho.ErrorCode(err); got != tycho.EINVALID {
				t.Fatalf("code = %q, want %q (err %v)", got, tycho.EINVALID, err)
			}
			if got := tycho.ErrorMessage(err); got != tc.want {
				t.Errorf("message = %q, want %q", got, tc.want)
			}
		})
	}
}

func run(t *testing.T, lab *twin.Lab, seq, attempt int, p tycho.Params) float64 {
	t.Helper()
	res, err := lab.Run(context.Background(), &tycho.Experiment{Seq: seq, Attempt: attempt, Params: p})
	if err != nil {
		t.Fatal(err)
	}
	return res.Objectives["y"]
}

func TestRun(t *testing.T) {
	lab, err := twin.New(spec("branin", 2, 0, tycho.Minimize))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := run(t, lab, 1, 1, tycho.Params{"a": -math.Pi, "b": 12.275}), 0.39788735772973816; math.Abs(got-want) > 1e-9 {
		t.Errorf("branin at its minimizer = %g, want %g", got, want)
	}
	maxLab, _ := twin.New(spec("branin", 2, 0, tycho.Maximize))
	if got := run(t, maxLab, 1, 1, tycho.Params{"a": 0.0, "b": 0.0}); got != -run(t, lab, 1, 1, tycho.Params{"a": 0.0, "b": 0.0}) {
		t.Errorf("maximized objective = %g, want the negated function value", got)
	}
	_, err = lab.Run(context.Background(), &tycho.Experiment{Params: tycho.Params{"a": 1.0}})
	if !strings.Contains(tycho.ErrorMessage(err), `parameter "b" has no value`) {
		t.Errorf("missing parameter: err = %v", err)
	}
	_, err = lab.Run(context.Background(), &tycho.Experiment{Params: tycho.Params{"a": 1.0, "b": "x"}})
	if tycho.ErrorCode(err) != tycho.EINVALID {
		t.Errorf("non-numeric parameter: err = %v, want EINVALID", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := lab.Run(ctx, &tycho.Experiment{Params: tycho.Params{"a": 1.0, "b": 1.0}}); err != context.Canceled {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestNoise(t *testing.T) {
	const sd = 0.5
	lab, _ := twin.New(spec("branin", 2, sd, tycho.Minimize))
	clean, _ := twin.New(spec("branin", 2, 0, tycho.Minimize))
	p := tycho.Params{"a": 1.0, "b": 2.0}
	truth := run(t, clean, 1, 1, p)
	// Deterministic by (seed, seq, attempt), whatever the call order.
	a := run(t, lab, 7, 1, p)
	run(t, lab, 8, 1, p)
	if b := run(t, lab, 7, 1, p); a != b {
		t.Errorf("experiment 7 measured %g then %g", a, b)
	}
	if c := run(t, lab, 7, 2, p); c == a {
		t.Errorf("a second attempt repeated the first's noise exactly")
	}
	// The noise has about the declared sd.
	var sum, sq float64
	const n = 4000
	for i := range n {
		r := run(t, lab, i+1, 1, p) - truth
		sum += r
		sq += r * r
	}
	mean, got := sum/n, math.Sqrt(sq/n)
	if math.Abs(mean) > 4*sd/math.Sqrt(n) || math.Abs(got-sd) > 0.05 {
		t.Errorf("noise mean %g sd %g, want 0 and %g", mean, got, sd)
	}
}

func TestSnArLab(t *testing.T) {
	s := &tycho.Spec{
		Name: "snar",
		Parameters: []tycho.Parameter{
			{Name: "temperature", Kind: tycho.Continuous, Bounds: []float64{30, 120}},
			{Name: "tau", Kind: tycho.Continuous, Bounds: []float64{0.5, 2}},
			{Name: "equiv_pldn", Kind: tycho.Continuous, Bounds: []float64{1, 5}},
			{Name: "conc_dfnb", Kind: tycho.Continuous, Bounds: []float64{0.1, 0.5}},
		},
		Objectives: []tycho.Objective{{Name: "sty", Direction: tycho.Maximize}, {Name: "e_factor", Direction: tycho.Minimize}},
		Lab:        tycho.LabSpec{Kind: "twin", Name: "snar"},
	}
	lab, err := twin.New(s)
	if err != nil {
		t.Fatal(err)
	}
	res, err := lab.Run(context.Background(), &tycho.Experiment{Seq: 1, Attempt: 1, Params: tycho.Params{
		"tau": 1.25, "equiv_pldn": 3.0, "conc_dfnb": 0.3, "temperature": 75.0,
	}})
	if err != nil {
		t.Fatal(err)
	}
	sty, e, _ := twin.SnAr(1.25, 3, 0.3, 75)
	// Parameters are matched by name, not order, and a maximized model
	// output is reported as is.
	if res.Objectives["sty"] != sty || res.Objectives["e_factor"] != e {
		t.Errorf("got %v, want sty %g e_factor %g", res.Objectives, sty, e)
	}

	bad := *s
	bad.Objectives = []tycho.Objective{{Name: "yield", Direction: tycho.Maximize}}
	if _, err := twin.New(&bad); err == nil || !strings.Contains(err.Error(), `no output "yield"`) {
		t.Errorf("unknown output: %v", err)
	}
	wide := *s
	wide.Parameters = append([]tycho.Parameter{{Name: "temperature", Kind: tycho.Continuous, Bounds: []float64{0, 200}}}, s.Parameters[1:]...)
	if _, err := twin.New(&wide); err == nil || !strings.Contains(err.Error(), "must lie within [30, 120]") {
		t.Errorf("bounds beyond the model: %v", err)
	}
}
