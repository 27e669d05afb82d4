package storetest

import (
	"fmt"
	"math"
	"testing"

	"tycho"
)

// testInvalidInput refuses what cannot be stored with EINVALID, storing
// nothing.
func testInvalidInput(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("c-1", t0))
	tests := []struct {
		name string
		err  error
	}{
		{"CampaignWithoutID", s.CreateCampaign(ctx, &tycho.Campaign{})},
		{"GenerationZero", s.AddGeneration(ctx, &tycho.Generation{CampaignID: "c-1", Index: 0}, nil)},
		{"ExperimentWithoutID", s.AddGeneration(ctx, &tycho.Generation{CampaignID: "c-1", Index: 1},
			[]*tycho.Experiment{{Params: tycho.Params{"x": 1.0}}})},
		{"NaNParameter", s.AddGeneration(ctx, &tycho.Generation{CampaignID: "c-1", Index: 1},
			[]*tycho.Experiment{{ID: "e-1", Params: tycho.Params{"x": math.NaN()}}})},
		{"NoResult", s.CompleteExperiment(ctx, "e-1", 1, nil)},
	}
	for _, tc := range tests {
		if got := tycho.ErrorCode(tc.err); got != tycho.EINVALID {
			t.Errorf("%s: code %q (%v), want %q", tc.name, got, tc.err, tycho.EINVALID)
		}
	}
	if exps := mustList(t, s, "c-1"); len(exps) != 0 {
		t.Errorf("after refused input: %d experiments, want none", len(exps))
	}
}

// testNonFiniteModel stores a generation whose model record holds a
// non-finite number: it is kept as text rather than refusing the proposal.
func testNonFiniteModel(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("c-1", t0))
	g := &tycho.Generation{CampaignID: "c-1", Index: 1, Strategy: "gp",
		Model: map[string]any{"log_marginal_likelihood": math.Inf(-1), "lengthscales": []float64{1, math.Inf(1)}}}
	if err := s.AddGeneration(ctx, g, nil); err != nil {
		t.Fatal(err)
	}
	gens, err := s.ListGenerations(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if got := gens[0].Model["log_marginal_likelihood"]; got != "-Inf" {
		t.Errorf("non-finite model value stored as %#v, want \"-Inf\"", got)
	}
	if got := fmt.Sprint(gens[0].Model["lengthscales"]); got != "[1 +Inf]" {
		t.Errorf("lengthscales stored as %s, want [1 +Inf]", got)
	}
}
