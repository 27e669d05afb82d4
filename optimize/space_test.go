package optimize_test

import (
	"context"
	"math"
	"reflect"
	"testing"

	"tycho"
	"tycho/optimize"
)

func mixedSpec() *tycho.Spec {
	s := &tycho.Spec{
		Name: "mixed",
		Parameters: []tycho.Parameter{
			{Name: "x", Kind: tycho.Continuous, Bounds: []float64{0, 1}},
			{Name: "rate", Kind: tycho.Continuous, Bounds: []float64{1e-3, 10}, Log: true},
			{Name: "n", Kind: tycho.Integer, Bounds: []float64{1, 5}},
			{Name: "solvent", Kind: tycho.Categorical, Choices: []string{"water", "thf", "dmso"}},
			{Name: "who", Kind: tycho.Fixed, Value: "alice"},
		},
		Objectives: []tycho.Objective{{Name: "y", Direction: tycho.Minimize}},
		Budget:     tycho.Budget{MaxExperiments: 30},
		Seed:       4,
		Lab:        tycho.LabSpec{Kind: "twin", Name: "test"},
	}
	s.SetDefaults()
	return s
}

func TestSpaceRoundTrip(t *testing.T) {
	sp := optimize.NewSpace(mixedSpec())
	if sp.Width() != 6 || sp.Dims() != 4 {
		t.Fatalf("width %d dims %d, want 6 and 4", sp.Width(), sp.Dims())
	}
	p := tycho.Params{"x": 0.25, "rate": 0.1, "n": 3.0, "solvent": "thf", "who": "alice"}
	x, err := sp.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.25, 0.5, 0.5, 0, 1, 0} // log10(0.1) is halfway between -3 and 1
	for i := range want {
		if math.Abs(x[i]-want[i]) > 1e-12 {
			t.Fatalf("encoded %v, want %v", x, want)
		}
	}
	got := sp.Decode(x)
	if math.Abs(got["rate"].(float64)-0.1) > 1e-12 {
		t.Errorf("rate decoded to %v", got["rate"])
	}
	got["rate"] = 0.1
	if !reflect.DeepEqual(got, p) {
		t.Errorf("decode(encode(p)) = %v, want %v", got, p)
	}
	for name, bad := range map[string]tycho.Params{
		"missing":      {"x": 0.5, "rate": 1.0, "n": 1.0},
		"out of range": {"x": 2.0, "rate": 1.0, "n": 1.0, "solvent": "thf"},
		"not a choice": {"x": 0.5, "rate": 1.0, "n": 1.0, "solvent": "acetone"},
		"not a number": {"x": "a lot", "rate": 1.0, "n": 1.0, "solvent": "thf"},
	} {
		if _, err := sp.Encode(bad); err == nil {
			t.Errorf("%s: Encode(%v) succeeded", name, bad)
		}
	}
	// Uniform sampling reaches every integer and every choice.
	seen := map[any]bool{}
	for i := range 100 {
		u := float64(i) / 100
		p := sp.FromUnit([]float64{u, u, u, u})
		seen[p["n"]], seen[p["solvent"]] = true, true
	}
	for _, v := range []any{1.0, 2.0, 3.0, 4.0, 5.0, "water", "thf", "dmso"} {
		if !seen[v] {
			t.Errorf("uniform sampling never produced %v", v)
		}
	}
}

// TestMixedSpace checks that the GP strategy finds the best choice of a
// categorical parameter and keeps integers whole.
func TestMixedSpace(t *testing.T) {
	s := mixedSpec()
	offset := map[string]float64{"water": 1, "thf": 0, "dmso": 2}
	measure := func(p tycho.Params) float64 {
		x, r, n := p["x"].(float64), p["rate"].(float64), p["n"].(float64)
		lr := math.Log10(r) + 1
		return (x-0.3)*(x-0.3) + lr*lr + 0.1*(n-2)*(n-2) + offset[p["solvent"].(string)]
	}
	st := &optimize.Strategy{}
	var done []*tycho.Experiment
	for gen := 1; len(done) < 25; gen++ {
		sug, err := st.Suggest(context.Background(), &tycho.SuggestRequest{Spec: s, Completed: done, N: 1, Seed: uint64(gen)})
		if err != nil {
			t.Fatal(err)
		}
		p := sug.Params[0]
		if n := p["n"].(float64); n != math.Round(n) || n < 1 || n > 5 {
			t.Fatalf("proposed n = %g", n)
		}
		if p["who"] != "alice" {
			t.Fatalf("fixed parameter lost: %v", p)
		}
		done = append(done, &tycho.Experiment{Seq: len(done) + 1, Params: p, State: tycho.ExperimentCompleted,
			Result: &tycho.Result{Objectives: map[string]float64{"y": measure(p)}}})
	}
	best := s.Best(done)
	if v, _ := s.Value(best); best.Params["solvent"] != "thf" || v > 0.2 {
		t.Errorf("best after 25 experiments: %v = %g; want solvent thf and y < 0.2", best.Params, v)
	}
}
