// Package storetest is the conformance suite of tycho.Store. Every store
// (SQLite and PostgreSQL) runs the same tests through Run, so the
// contract written on tycho.CampaignService, tycho.ExperimentService and
// tycho.LeaseService is
// checked in one place.
package storetest

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"tycho"
)

// Run runs the suite, one named subtest per behaviour. open is called once
// per subtest and returns a new, empty store, which it arranges to close
// (with t.Cleanup). Stored times must come back within a millisecond, in
// any location.
func Run(t *testing.T, open func(t *testing.T) tycho.Store) {
	tests := []struct {
		name string
		f    func(*testing.T, tycho.Store)
	}{
		{"CampaignRoundTrip", testCampaignRoundTrip},
		{"ErrCampaignExists", testCampaignExists},
		{"ErrCampaignNotFound", testCampaignNotFound},
		{"FindCampaign", testFindCampaign},
		{"ErrCampaignNameAmbiguous", testCampaignNameAmbiguous},
		{"ListCampaignsNewestFirst", testListCampaigns},
		{"UpdateCampaignPartial", testUpdateCampaign},

		{"GenerationRoundTrip", testGenerationRoundTrip},
		{"SeqContinuesAcrossGenerations", testSeqContinues},
		{"ErrGenerationTakenStoresNothing", testGenerationTaken},
		{"ErrExperimentTakenStoresNothing", testExperimentTaken},
		{"ErrGenerationCampaignNotFound", testGenerationCampaignNotFound},
		{"ParamsRoundTrip", testParamsRoundTrip},
		{"ListExperimentsBySeqPerCampaign", testListExperiments},
		{"ListExperimentsSince", testListExperimentsSince},
		{"ConcurrentChanges", testConcurrentChanges},

		{"StartExperiment", testStart},
		{"CompleteExperiment", testComplete},
		{"CompleteIsIdempotent", testCompleteIdempotent},
		{"NonFiniteResult", testNonFiniteResult},
		{"ErrStaleAttempt", testStaleAttempt},
		{"FailExperiment", testFail},
		{"AbandonExperiment", testAbandon},
		{"ErrFinal", testFinal},
		{"ErrExperimentNotFound", testExperimentNotFound},

		{"ConcurrentComplete", testConcurrentComplete},
		{"ConcurrentStartCompleteRace", testConcurrentRace},
		{"ConcurrentStartCountsAttempts", testConcurrentStart},
		{"ConcurrentCompleteOneWins", testConcurrentCompleteOneWins},
		{"ConcurrentAddGeneration", testConcurrentAddGeneration},

		{"LeaseQueue", testLeaseQueue},
		{"ErrLeaseRequestInvalid", testLeaseRequestInvalid},
		{"LeaseApproval", testLeaseApproval},
		{"LeaseExpiry", testLeaseExpiry},
		{"RenewLease", testRenewLease},
		{"CompleteLeased", testCompleteLeased},
		{"ReleaseLease", testReleaseLease},
		{"LeaseFinishedCampaign", testLeaseFinishedCampaign},
		{"AskTell", testAskTell},
		{"ConcurrentLease", testConcurrentLease},
		{"CountExperiments", testCountExperiments},

		{"ErrInvalidInput", testInvalidInput},
		{"NonFiniteModel", testNonFiniteModel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, open(t)) })
	}
}

var ctx = context.Background()

// t0 is a fixed time with nanosecond digits, outside UTC: a store keeps
// the instant and may return it in another location.
var t0 = time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))

// newCampaign returns a campaign with every field set, pointers and
// non-UTF-8 bytes included.
func newCampaign(id string, created time.Time) *tycho.Campaign {
	goal := 0.397887
	yes := true
	return &tycho.Campaign{
		ID: id,
		Spec: tycho.Spec{
			Name:        "branin " + id,
			Description: "Branin–Hoo, noisy",
			Parameters: []tycho.Parameter{
				{Name: "x1", Kind: tycho.Continuous, Bounds: []float64{-5, 10}, Unit: "mm"},
				{Name: "x2", Kind: tycho.Continuous, Bounds: []float64{1e-3, 15}, Log: true},
				{Name: "n", Kind: tycho.Integer, Bounds: []float64{1, 8}},
				{Name: "solvent", Kind: tycho.Categorical, Choices: []string{"water", "thf"}},
				{Name: "operator", Kind: tycho.Fixed, Value: "alice"},
				{Name: "pressure", Kind: tycho.Fixed, Value: 1.25},
				{Name: "stirred", Kind: tycho.Fixed, Value: true},
			},
			Objectives:    []tycho.Objective{{Name: "y", Direction: tycho.Minimize, Goal: &goal, Unit: "J"}},
			Budget:        tycho.Budget{MaxExperiments: 20, MaxWallTime: tycho.Duration(90 * time.Minute)},
			BatchSize:     2,
			InitialDesign: 5,
			Strategy:      "gp",
			Stop:          tycho.StopRules{GoalReached: &yes, NoImprovement: &tycho.NoImprovement{Epsilon: 1e-3, Experiments: 5}},
			Seed:          1<<63 + 5,
			Lab:           tycho.LabSpec{Kind: "twin", Name: "branin", Noise: 0.1},
		},
		Source:       []byte("name: branin\n\x00\xff\xfe"),
		SourceDigest: "5f2b6c0a",
		SourceName:   "/tmp/branin.yaml",
		Status:       tycho.CampaignRunning,
		StopReason:   "",
		Elapsed:      90*time.Minute + 1234567*time.Microsecond,
		CreatedAt:    created,
		UpdatedAt:    created.Add(time.Second),
	}
}

func mustCreate(t *testing.T, s tycho.Store, c *tycho.Campaign) {
	t.Helper()
	if err := s.CreateCampaign(ctx, c); err != nil {
		t.Fatalf("create campaign %s: %v", c.ID, err)
	}
}

func mustFind(t *testing.T, s tycho.Store, id string) *tycho.Campaign {
	t.Helper()
	c, err := s.FindCampaign(ctx, id)
	if err != nil {
		t.Fatalf("find campaign %s: %v", id, err)
	}
	return c
}

// wantCode fails t unless err has the given code ("" for no error).
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := tycho.ErrorCode(err); got != code {
		t.Fatalf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}

// same fails t if got is not what the store should have returned.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := diff(what, got, want); d != "" {
		t.Error(d)
	}
}

// proposal returns n new experiments with distinct IDs.
func proposal(n int, tag string) []*tycho.Experiment {
	out := make([]*tycho.Experiment, n)
	for i := range out {
		out[i] = &tycho.Experiment{
			ID:        fmt.Sprintf("e-%s-%d", tag, i+1),
			Params:    tycho.Params{"x1": 0.25 * float64(i), "x2": 1e-300, "n": 3.0, "solvent": "thf", "operator": "alice"},
			State:     tycho.ExperimentProposed,
			CreatedAt: t0,
		}
	}
	return out
}

// addGen stores generation idx of campaign with n new experiments.
func addGen(t *testing.T, s tycho.Store, campaign string, idx, n int) []*tycho.Experiment {
	t.Helper()
	exps := proposal(n, fmt.Sprintf("%s-g%d", campaign, idx))
	g := &tycho.Generation{CampaignID: campaign, Index: idx, Strategy: "sobol", Seed: uint64(idx), CreatedAt: t0}
	if err := s.AddGeneration(ctx, g, exps); err != nil {
		t.Fatalf("add generation %d of %s: %v", idx, campaign, err)
	}
	return exps
}

// setup creates campaign c-1 with one generation of n experiments.
func setup(t *testing.T, s tycho.Store, n int) []*tycho.Experiment {
	t.Helper()
	mustCreate(t, s, newCampaign("c-1", t0))
	return addGen(t, s, "c-1", 1, n)
}

func mustList(t *testing.T, s tycho.Store, campaign string) []*tycho.Experiment {
	t.Helper()
	exps, err := s.ListExperiments(ctx, campaign)
	if err != nil {
		t.Fatalf("list experiments of %s: %v", campaign, err)
	}
	return exps
}

// mustGet returns the stored experiment with the given ID.
func mustGet(t *testing.T, s tycho.Store, campaign, id string) *tycho.Experiment {
	t.Helper()
	for _, e := range mustList(t, s, campaign) {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("experiment %s is not listed in campaign %s", id, campaign)
	return nil
}

func mustStart(t *testing.T, s tycho.Store, id string) *tycho.Experiment {
	t.Helper()
	e, err := s.StartExperiment(ctx, id)
	if err != nil {
		t.Fatalf("start experiment %s: %v", id, err)
	}
	return e
}

func result(y float64) *tycho.Result {
	return &tycho.Result{Objectives: map[string]float64{"y": y}}
}

func ids(exps []*tycho.Experiment) []string {
	out := make([]string, len(exps))
	for i, e := range exps {
		out[i] = e.ID
	}
	return out
}

var (
	inf = math.Inf(1)
	nan = math.NaN()
)
