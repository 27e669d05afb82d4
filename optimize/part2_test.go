package optimize_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"tycho"
	"tycho/optimize"
)

// loop runs the strategy against measure for n experiments in batches.
func loop(t *testing.T, s *tycho.Spec, n, batch int, measure func(tycho.Params) map[string]float64) []*tycho.Experiment {
	t.Helper()
	st := &optimize.Strategy{}
	var done []*tycho.Experiment
	for gen := 1; len(done) < n; gen++ {
		sug, err := st.Suggest(context.Background(), &tycho.SuggestRequest{Spec: s, Completed: done, N: batch, Seed: uint64(gen)})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range sug.Params {
			done = append(done, &tycho.Experiment{Seq: len(done) + 1, Params: p, State: tycho.ExperimentCompleted,
				Result: &tycho.Result{Objectives: measure(p)}})
		}
	}
	return done
}

func box(names ...string) []tycho.Parameter {
	var out []tycho.Parameter
	for _, n := range names {
		out = append(out, tycho.Parameter{Name: n, Kind: tycho.Continuous, Bounds: []float64{0, 1}})
	}
	return out
}

func mustConstraint(t *testing.T, s string) tycho.Constraint {
	t.Helper()
	c, err := tycho.ParseConstraint(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLinearConstraintsHold checks that every proposal of every strategy,
// initial design included, satisfies the parameter constraints, while the
// GP still finds the optimum on the constraint's edge.
func TestLinearConstraintsHold(t *testing.T) {
	for _, strategy := range []string{"gp", "sobol", "random"} {
		t.Run(strategy, func(t *testing.T) {
			s := &tycho.Spec{
				Name:        "c",
				Parameters:  append(box("x1", "x2"), tycho.Parameter{Name: "n", Kind: tycho.Integer, Bounds: []float64{0, 4}}),
				Objectives:  []tycho.Objective{{Name: "y", Direction: tycho.Maximize}},
				Constraints: []tycho.Constraint{mustConstraint(t, "x1 + x2 <= 0.8"), mustConstraint(t, "x1 - 0.25 n >= -0.5")},
				Budget:      tycho.Budget{MaxExperiments: 30},
				Strategy:    strategy,
				Lab:         tycho.LabSpec{Kind: "twin", Name: "test"},
			}
			s.SetDefaults()
			done := loop(t, s, 30, 2, func(p tycho.Params) map[string]float64 {
				return map[string]float64{"y": p["x1"].(float64) + 2*p["x2"].(float64) - 0.1*p["n"].(float64)}
			})
			for _, e := range done {
				x1, x2, n := e.Params["x1"].(float64), e.Params["x2"].(float64), e.Params["n"].(float64)
				if x1+x2 > 0.8+1e-9 || x1-0.25*n < -0.5-1e-9 {
					t.Fatalf("experiment %d violates a constraint: %v", e.Seq, e.Params)
				}
			}
			if strategy == "gp" {
				b := s.Best(done)
				if v, _ := s.Value(b); v < 1.5 {
					t.Errorf("best %g at %v; the optimum is 1.6 at x1=0, x2=0.8, n=0", v, b.Params)
				}
			}
		})
	}
}

// TestInfeasibleConstraints fails clearly when nothing satisfies them.
func TestInfeasibleConstraints(t *testing.T) {
	s := &tycho.Spec{Name: "c", Parameters: box("x1", "x2"), Objectives: []tycho.Objective{{Name: "y", Direction: tycho.Maximize}},
		Constraints: []tycho.Constraint{mustConstraint(t, "x1 + x2 >= 3")}, Budget: tycho.Budget{MaxExperiments: 3}}
	s.SetDefaults()
	_, err := (&optimize.Strategy{}).Suggest(context.Background(), &tycho.SuggestRequest{Spec: s, N: 1})
	if tycho.ErrorCode(err) != tycho.EINVALID {
		t.Fatalf("got %v, want EINVALID", err)
	}
}

// choiceAcq scores a point by how many categorical blocks sit at their
// target choice, so its maximum is known.
type choiceAcq struct {
	blocks []*optimize.Block
	target []int
}

func (a *choiceAcq) Value(x []float64) float64 {
	v := 0.0
	for i, b := range a.blocks {
		row := b.Table[a.target[i]]
		for j, c := range b.Coords {
			v -= (x[c] - row[j]) * (x[c] - row[j])
		}
	}
	return v
}

func (a *choiceAcq) ValueGrad(x, grad []float64) float64 {
	for i := range grad {
		grad[i] = 0
	}
	return a.Value(x)
}

func categoricalSpec(params, choices int) *tycho.Spec {
	s := &tycho.Spec{Name: "cat", Objectives: []tycho.Objective{{Name: "y", Direction: tycho.Maximize}}, Budget: tycho.Budget{MaxExperiments: 10}}
	for i := range params {
		p := tycho.Parameter{Name: fmt.Sprintf("p%d", i), Kind: tycho.Categorical}
		for k := range choices {
			p.Choices = append(p.Choices, fmt.Sprintf("c%d", k))
		}
		s.Parameters = append(s.Parameters, p)
	}
	s.SetDefaults()
	return s
}

// TestMaximizeCategorical finds the known best combination both by
// enumeration (small spaces) and by local search in a space of 10^9
// combinations, which must not be materialized.
func TestMaximizeCategorical(t *testing.T) {
	for _, tc := range []struct{ params, choices int }{{3, 5}, {9, 10}} {
		t.Run(fmt.Sprintf("%d^%d", tc.choices, tc.params), func(t *testing.T) {
			space := optimize.NewSpace(categoricalSpec(tc.params, tc.choices))
			a := &choiceAcq{blocks: space.Blocks()}
			rng := rand.New(rand.NewPCG(3, 4))
			for range tc.params {
				a.target = append(a.target, rng.IntN(tc.choices))
			}
			cands := optimize.Maximize(a, space, optimize.MaximizeOptions{RawSamples: 256, Restarts: 4, Enumerate: 20000, Seed: 1})
			p := space.Decode(cands[0].X)
			for i, k := range a.target {
				if want := fmt.Sprintf("c%d", k); p[fmt.Sprintf("p%d", i)] != want {
					t.Fatalf("best candidate %v, want p%d = %s", p, i, want)
				}
			}
		})
	}
}

// TestHugeSpaceSuggest proposes a batch in a space of 10^9 combinations
// from real observations.
func TestHugeSpaceSuggest(t *testing.T) {
	s := categoricalSpec(9, 10)
	measure := func(p tycho.Params) map[string]float64 {
		v := 0.0
		for i := range 9 {
			if p[fmt.Sprintf("p%d", i)] == "c3" {
				v++
			}
		}
		return map[string]float64{"y": v}
	}
	done := loop(t, s, 40, 5, measure)
	seen := map[string]bool{}
	for _, e := range done {
		k := fmt.Sprint(e.Params)
		if seen[k] {
			t.Fatalf("experiment %d repeats an earlier one: %v", e.Seq, e.Params)
		}
		seen[k] = true
	}
	if v, _ := s.Value(s.Best(done)); v < 5 {
		t.Errorf("best after 40 = %g; a random draw averages 0.9", v)
	}
}

// TestDescriptorEncoding checks that descriptors are standardized,
// reduced and scaled, and that every choice round-trips.
func TestDescriptorEncoding(t *testing.T) {
	s := &tycho.Spec{Name: "d", Objectives: []tycho.Objective{{Name: "y", Direction: tycho.Maximize}}, Budget: tycho.Budget{MaxExperiments: 5},
		Parameters: []tycho.Parameter{{Name: "solvent", Kind: tycho.Categorical, Choices: []string{"a", "b", "c", "d"},
			Descriptors: &tycho.Descriptors{File: "x.csv", Names: []string{"bp", "mw", "const", "bp2"},
				// bp2 duplicates bp up to scale, const never varies: two
				// components carry all the variance.
				Values: [][]float64{{100, 18, 1, 200}, {65, 32, 1, 130}, {78, 46, 1, 156}, {153, 73, 1, 306}}}}}}
	s.SetDefaults()
	space := optimize.NewSpace(s)
	if space.Width() != 2 {
		t.Fatalf("width %d (%v), want 2 principal components", space.Width(), space.Names())
	}
	for _, c := range []string{"a", "b", "c", "d"} {
		x, err := space.Encode(tycho.Params{"solvent": c})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range x {
			if v < 0 || v > 1 {
				t.Errorf("%s encodes to %v, outside [0, 1]", c, x)
			}
		}
		if got := space.Decode(x)["solvent"]; got != c {
			t.Errorf("%s round-trips to %v", c, got)
		}
	}
	s.Parameters[0].Descriptors.Reduce = -1
	if w := optimize.NewSpace(s).Width(); w != 3 {
		t.Errorf("without reduction width %d, want 3 (the constant column dropped)", w)
	}
}

// TestFailuresAvoided checks that a failed experiment where the model
// would otherwise look next pushes proposals away.
func TestFailuresAvoided(t *testing.T) {
	s := &tycho.Spec{Name: "f", Parameters: box("x"), Objectives: []tycho.Objective{{Name: "y", Direction: tycho.Maximize}},
		Budget: tycho.Budget{MaxExperiments: 20}, InitialDesign: 2}
	s.SetDefaults()
	var done, failed []*tycho.Experiment
	for i, x := range []float64{0.05, 0.2, 0.35, 0.65, 0.8, 0.95} {
		done = append(done, &tycho.Experiment{Seq: i + 1, Params: tycho.Params{"x": x}, State: tycho.ExperimentCompleted,
			Result: &tycho.Result{Objectives: map[string]float64{"y": -(x - 0.5) * (x - 0.5)}}})
	}
	req := &tycho.SuggestRequest{Spec: s, Completed: done, N: 1, Seed: 1}
	sug, err := (&optimize.Strategy{}).Suggest(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if x := sug.Params[0]["x"].(float64); math.Abs(x-0.5) > 0.05 {
		t.Fatalf("without failures the proposal is %g; the test assumes it is near 0.5", x)
	}
	for i, x := range []float64{0.47, 0.5, 0.53} {
		failed = append(failed, &tycho.Experiment{Seq: 7 + i, Params: tycho.Params{"x": x}, State: tycho.ExperimentFailed})
	}
	req.Failed = failed
	sug, err = (&optimize.Strategy{}).Suggest(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if x := sug.Params[0]["x"].(float64); math.Abs(x-0.5) < 0.04 {
		t.Errorf("after three failures around 0.5 the proposal is %g", x)
	}
}

// TestOutcomeConstraint checks that proposals move into the region where a
// constrained outcome is learned to be feasible.
func TestOutcomeConstraint(t *testing.T) {
	s := &tycho.Spec{Name: "o", Parameters: box("x"), Objectives: []tycho.Objective{{Name: "y", Direction: tycho.Maximize}},
		Outcomes: []tycho.Outcome{{Name: "c"}}, Constraints: []tycho.Constraint{mustConstraint(t, "c <= 0.3")},
		Budget: tycho.Budget{MaxExperiments: 20}, InitialDesign: 2}
	s.SetDefaults()
	var done []*tycho.Experiment
	for i, x := range []float64{0.1, 0.5, 0.7, 0.9} {
		done = append(done, &tycho.Experiment{Seq: i + 1, Params: tycho.Params{"x": x}, State: tycho.ExperimentCompleted,
			Result: &tycho.Result{Objectives: map[string]float64{"y": x, "c": x}}})
	}
	sug, err := (&optimize.Strategy{}).Suggest(context.Background(), &tycho.SuggestRequest{Spec: s, Completed: done, N: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if x := sug.Params[0]["x"].(float64); x < 0.1 || x > 0.42 {
		t.Errorf("proposal %g; the feasible optimum is 0.3", x)
	}
	if b := s.Best(done); b.Seq != 1 {
		t.Errorf("best is experiment %d; only experiment 1 is feasible", b.Seq)
	}
}

func TestHypervolume(t *testing.T) {
	for _, tc := range []struct {
		pts  [][]float64
		ref  []float64
		want float64
	}{
		{[][]float64{{1, 2}, {2, 1}}, []float64{0, 0}, 3},
		{[][]float64{{1, 2}, {2, 1}, {0.5, 0.5}}, []float64{0, 0}, 3},
		{[][]float64{{1, 2}, {-1, 5}}, []float64{0, 0}, 2},
		{[][]float64{{1, 1, 1}}, []float64{0, 0, 0}, 1},
		{[][]float64{{2, 1, 1}, {1, 2, 1}}, []float64{0, 0, 0}, 3},
		{[][]float64{{2, 1, 1}, {1, 2, 1}, {1, 1, 2}}, []float64{0, 0, 0}, 4},
		{nil, []float64{0, 0}, 0},
	} {
		if got := optimize.Hypervolume(tc.pts, tc.ref); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Hypervolume(%v, %v) = %g, want %g", tc.pts, tc.ref, got, tc.want)
		}
	}
	if got := optimize.ParetoFront([][]float64{{1, 2}, {2, 1}, {0.5, 0.5}, {1, 2}}); fmt.Sprint(got) != "[0 1]" {
		t.Errorf("ParetoFront = %v, want [0 1]", got)
	}
}

// TestMultiObjective checks that EHVI beats random search on a
// two-objective problem with a known front, sequentially and in batches.
func TestMultiObjective(t *testing.T) {
	// Maximize f1 = x1 and f2 = 1 − x1² + x2·0.2 − x2²: the front is
	// x2 = 0.1, x1 ∈ [0, 1].
	measure := func(p tycho.Params) map[string]float64 {
		x1, x2 := p["x1"].(float64), p["x2"].(float64)
		return map[string]float64{"f1": x1, "f2": 1 - x1*x1 + 0.2*x2 - x2*x2}
	}
	hv := func(strategy string, batch int) float64 {
		s := &tycho.Spec{Name: "mo", Parameters: box("x1", "x2"), Strategy: strategy, Budget: tycho.Budget{MaxExperiments: 24},
			Objectives: []tycho.Objective{{Name: "f1", Direction: tycho.Maximize, Reference: ptr(0)}, {Name: "f2", Direction: tycho.Maximize, Reference: ptr(0)}}}
		s.SetDefaults()
		done := loop(t, s, 24, batch, measure)
		a, err := optimize.Analyze(context.Background(), s, done)
		if err != nil {
			t.Fatal(err)
		}
		return a.Hypervolume
	}
	// The true front's hypervolume: ∫₀¹ (1.01 − x²) dx.
	const best = 1.01 - 1.0/3
	random, gp, gp4 := hv("random", 1), hv("gp", 1), hv("gp", 4)
	t.Logf("hypervolume after 24: random %.4f, gp %.4f, gp batch 4 %.4f, true front %.4f", random, gp, gp4, best)
	if gp < 0.95*best || gp4 < 0.95*best || gp <= random || gp4 <= random {
		t.Errorf("hypervolume: random %.4f, gp %.4f, gp batch 4 %.4f; true front %.4f", random, gp, gp4, best)
	}
}

func ptr(v float64) *float64 { return &v }

// TestNoisyRecommendation checks that under noise the recommended
// experiment is the one the model rates best, not a lucky outlier.
func TestNoisyRecommendation(t *testing.T) {
	s := &tycho.Spec{Name: "n", Parameters: box("x"), Objectives: []tycho.Objective{{Name: "y", Direction: tycho.Maximize, Noisy: true}},
		Budget: tycho.Budget{MaxExperiments: 40}}
	s.SetDefaults()
	rng := rand.New(rand.NewPCG(1, 1))
	var done []*tycho.Experiment
	for i := range 30 {
		x := float64(i) / 29
		y := x + 0.05*rng.NormFloat64()
		if i == 6 {
			y = 1.5 // a lucky reading at x ≈ 0.2
		}
		done = append(done, &tycho.Experiment{Seq: i + 1, Params: tycho.Params{"x": x}, State: tycho.ExperimentCompleted,
			Result: &tycho.Result{Objectives: map[string]float64{"y": y}}})
	}
	a, err := optimize.Analyze(context.Background(), s, done)
	if err != nil {
		t.Fatal(err)
	}
	if s.Best(done).Seq != 7 {
		t.Fatalf("the best measurement should be the outlier")
	}
	if a.Recommended == nil || a.Recommended.Params["x"].(float64) < 0.8 {
		t.Errorf("recommended %v (mean %g); want a point near x = 1", a.Recommended, a.Mean)
	}
}

// TestPendingExperiments checks the asynchronous case: with experiments
// still in flight (results arriving out of order), a new batch avoids
// them and spreads out.
func TestPendingExperiments(t *testing.T) {
	s := &tycho.Spec{Name: "p", Parameters: box("x1", "x2"), Objectives: []tycho.Objective{{Name: "y", Direction: tycho.Maximize}},
		Budget: tycho.Budget{MaxExperiments: 40}}
	s.SetDefaults()
	f := func(p tycho.Params) float64 {
		x1, x2 := p["x1"].(float64), p["x2"].(float64)
		return -(x1-0.3)*(x1-0.3) - (x2-0.7)*(x2-0.7)
	}
	done := loop(t, s, 12, 1, func(p tycho.Params) map[string]float64 { return map[string]float64{"y": f(p)} })
	// Three proposals went out and have not come back; two later ones
	// have (out of order).
	sug, err := (&optimize.Strategy{}).Suggest(context.Background(), &tycho.SuggestRequest{Spec: s, Completed: done, N: 3, Seed: 99})
	if err != nil {
		t.Fatal(err)
	}
	var pending []*tycho.Experiment
	for i, p := range sug.Params {
		pending = append(pending, &tycho.Experiment{Seq: 13 + i, Params: p, State: tycho.ExperimentRunning})
	}
	sug, err = (&optimize.Strategy{}).Suggest(context.Background(), &tycho.SuggestRequest{Spec: s, Completed: done, Pending: pending, N: 4, Seed: 100})
	if err != nil {
		t.Fatal(err)
	}
	all := append([]tycho.Params{}, sug.Params...)
	for _, e := range pending {
		all = append(all, e.Params)
	}
	for i := range all {
		for j := range i {
			d := math.Hypot(all[i]["x1"].(float64)-all[j]["x1"].(float64), all[i]["x2"].(float64)-all[j]["x2"].(float64))
			if d < 1e-3 {
				t.Errorf("proposals %v and %v collide (distance %g)", all[i], all[j], d)
			}
		}
	}
	if sug.Generation.Pending != 3 {
		t.Errorf("generation records %d pending, want 3", sug.Generation.Pending)
	}
}
