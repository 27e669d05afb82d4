// Package storetest is the conformance suite of tycho.Store: every store
// (SQLite, later PostgreSQL) runs the same tests through Run.
package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"tycho"
)

// Run runs the suite; open returns a new, empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) tycho.Store) {
	tests := []struct {
		name string
		f    func(*testing.T, tycho.Store)
	}{
		{"CampaignRoundTrip", testCampaignRoundTrip},
		{"ErrCampaignExists", testCampaignExists},
		{"FindCampaign", testFindCampaign},
		{"ListCampaignsNewestFirst", testListCampaigns},
		{"UpdateCampaign", testUpdateCampaign},
		{"AddGeneration", testAddGeneration},
		{"ErrGenerationTakenStoresNothing", testGenerationTaken},
		{"Lifecycle", testLifecycle},
		{"CompleteIsIdempotent", testCompleteIdempotent},
		{"ErrStaleAttempt", testStaleAttempt},
		{"FailAndAbandon", testFailAbandon},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, open(t)) })
	}
}

var ctx = context.Background()

// t0 is a fixed time with sub-millisecond digits, in UTC.
var t0 = time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.UTC)

func newCampaign(id string, created time.Time) *tycho.Campaign {
	goal := 0.4
	yes := true
	return &tycho.Campaign{
		ID: id,
		Spec: tycho.Spec{
			Name: "branin " + id,
			Parameters: []tycho.Parameter{
				{Name: "x1", Kind: tycho.Continuous, Bounds: []float64{-5, 10}},
				{Name: "x2", Kind: tycho.Continuous, Bounds: []float64{1e-3, 15}, Log: true},
				{Name: "n", Kind: tycho.Integer, Bounds: []float64{1, 8}},
				{Name: "solvent", Kind: tycho.Categorical, Choices: []string{"water", "thf"}},
				{Name: "operator", Kind: tycho.Fixed, Value: "alice"},
			},
			Objectives:    []tycho.Objective{{Name: "y", Direction: tycho.Minimize, Goal: &goal}},
			Budget:        tycho.Budget{MaxExperiments: 20, MaxWallTime: tycho.Duration(time.Hour)},
			BatchSize:     2,
			InitialDesign: 5,
			Strategy:      "gp",
			Stop:          tycho.StopRules{GoalReached: &yes, NoImprovement: &tycho.NoImprovement{Epsilon: 1e-3, Experiments: 5}},
			Seed:          1<<63 + 5,
			Lab:           tycho.LabSpec{Kind: "twin", Name: "branin", Noise: 0.1},
		},
		Source:       []byte("name: branin\n"),
		SourceDigest: "abc123",
		SourceName:   "/tmp/branin.yaml",
		Status:       tycho.CampaignRunning,
		Elapsed:      1500 * time.Millisecond,
		CreatedAt:    created,
		UpdatedAt:    created,
	}
}

func mustCreate(t *testing.T, s tycho.Store, c *tycho.Campaign) *tycho.Campaign {
	t.Helper()
	if err := s.CreateCampaign(ctx, c); err != nil {
		t.Fatalf("create campaign: %v", err)
	}
	return c
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := tycho.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func testCampaignRoundTrip(t *testing.T, s tycho.Store) {
	want := mustCreate(t, s, newCampaign("c-1", t0))
	got, err := s.FindCampaign(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("campaign round trip:\n got %+v\nwant %+v", got, want)
	}
}

func testCampaignExists(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("c-1", t0))
	wantCode(t, s.CreateCampaign(ctx, newCampaign("c-1", t0)), tycho.ECONFLICT)
}

func testFindCampaign(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("alpha-1234", t0))
	mustCreate(t, s, newCampaign("alpha-5678", t0.Add(time.Second)))
	c, err := s.FindCampaign(ctx, "alpha-12")
	if err != nil {
		t.Fatalf("find by unique prefix: %v", err)
	}
	if c.ID != "alpha-1234" {
		t.Errorf("prefix alpha-12 found %s, want alpha-1234", c.ID)
	}
	_, err = s.FindCampaign(ctx, "alpha")
	wantCode(t, err, tycho.EINVALID)
	// A campaign's name finds it too, while the name is unique.
	c, err = s.FindCampaign(ctx, "branin alpha-5678")
	if err != nil || c.ID != "alpha-5678" {
		t.Errorf("find by name: %v, %v; want alpha-5678", c, err)
	}
	_, err = s.FindCampaign(ctx, "beta")
	wantCode(t, err, tycho.ENOTFOUND)
}

func testListCampaigns(t *testing.T, s tycho.Store) {
	for i, id := range []string{"c-a", "c-b", "c-c"} {
		mustCreate(t, s, newCampaign(id, t0.Add(time.Duration(i)*time.Minute)))
	}
	list, err := s.ListCampaigns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range list {
		got = append(got, c.ID)
	}
	if want := []string{"c-c", "c-b", "c-a"}; !reflect.DeepEqual(got, want) {
		t.Errorf("campaigns = %v, want %v", got, want)
	}
}

func testUpdateCampaign(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("c-1", t0))
	elapsed := 3 * time.Second
	if _, err := s.UpdateCampaign(ctx, "c-1", tycho.CampaignUpdate{Elapsed: &elapsed}); err != nil {
		t.Fatal(err)
	}
	status, reason := tycho.CampaignCompleted, "budget spent"
	if _, err := s.UpdateCampaign(ctx, "c-1", tycho.CampaignUpdate{Status: &status, StopReason: &reason}); err != nil {
		t.Fatal(err)
	}
	c, err := s.FindCampaign(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != status || c.StopReason != reason || c.Elapsed != elapsed {
		t.Errorf("after updates: status %q reason %q elapsed %s; want %q %q %s", c.Status, c.StopReason, c.Elapsed, status, reason, elapsed)
	}
	_, err = s.UpdateCampaign(ctx, "nope", tycho.CampaignUpdate{Status: &status})
	wantCode(t, err, tycho.ENOTFOUND)
}

func batch(n int, tag string) []*tycho.Experiment {
	out := make([]*tycho.Experiment, n)
	for i := range out {
		out[i] = &tycho.Experiment{
			ID:        fmt.Sprintf("e-%s-%d", tag, i),
			Params:    tycho.Params{"x1": 0.1 * float64(i), "x2": 1e-300, "n": 3.0, "solvent": "thf", "operator": "alice"},
			State:     tycho.ExperimentProposed,
			CreatedAt: t0,
		}
	}
	return out
}

func addGen(t *testing.T, s tycho.Store, campaign string, idx, n int) []*tycho.Experiment {
	t.Helper()
	exps := batch(n, fmt.Sprintf("%s-%d", campaign, idx))
	g := &tycho.Generation{CampaignID: campaign, Index: idx, Strategy: "gp", Seed: 1<<64 - 1, CreatedAt: t0}
	if err := s.AddGeneration(ctx, g, exps); err != nil {
		t.Fatalf("add generation %d: %v", idx, err)
	}
	return exps
}

func testAddGeneration(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("c-1", t0))
	g := &tycho.Generation{
		CampaignID: "c-1", Index: 1, Strategy: "gp", Seed: 1<<64 - 1, Observations: 5, Pending: 1,
		Model:       map[string]any{"kernel": "matern52-ard", "lengthscales": map[string]any{"x1": 0.25}},
		Acquisition: []float64{-1.5, -2.25},
		FitTime:     12 * time.Millisecond, ProposeTime: 7 * time.Millisecond, CreatedAt: t0,
	}
	exps := batch(2, "a")
	if err := s.AddGeneration(ctx, g, exps); err != nil {
		t.Fatal(err)
	}
	more := addGen(t, s, "c-1", 2, 3)
	gens, err := s.ListGenerations(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(gens) != 2 || !reflect.DeepEqual(gens[0], g) {
		t.Errorf("generations round trip:\n got %+v\nwant %+v (and one more)", gens[0], g)
	}
	got, err := s.ListExperiments(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	want := append(exps, more...)
	if len(got) != len(want) {
		t.Fatalf("%d experiments, want %d", len(got), len(want))
	}
	for i, e := range got {
		if e.Seq != i+1 {
			t.Errorf("experiment %d has seq %d, want %d", i, e.Seq, i+1)
		}
		if !reflect.DeepEqual(e, want[i]) {
			t.Errorf("experiment %d round trip:\n got %+v\nwant %+v", i, e, want[i])
		}
	}
	wantCode(t, s.AddGeneration(ctx, &tycho.Generation{CampaignID: "nope", Index: 1}, nil), tycho.ENOTFOUND)
	_, err = s.ListExperiments(ctx, "nope")
	wantCode(t, err, tycho.ENOTFOUND)
}

func testGenerationTaken(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("c-1", t0))
	addGen(t, s, "c-1", 1, 2)
	exps := batch(3, "dup")
	err := s.AddGeneration(ctx, &tycho.Generation{CampaignID: "c-1", Index: 1, Strategy: "gp", CreatedAt: t0}, exps)
	wantCode(t, err, tycho.ECONFLICT)
	got, err := s.ListExperiments(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Errorf("after a refused generation the campaign has %d experiments, want 2", len(got))
	}
}

func testLifecycle(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("c-1", t0))
	e := addGen(t, s, "c-1", 1, 1)[0]
	started, err := s.StartExperiment(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if started.State != tycho.ExperimentRunning || started.Attempt != 1 || started.StartedAt.IsZero() {
		t.Errorf("started: state %s attempt %d started %v; want running, 1, set", started.State, started.Attempt, started.StartedAt)
	}
	// Starting again (after a crash) begins attempt 2.
	again, err := s.StartExperiment(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.Attempt != 2 {
		t.Errorf("restart: attempt %d, want 2", again.Attempt)
	}
	res := &tycho.Result{Objectives: map[string]float64{"y": 0.397887}, Noise: map[string]float64{"y": 0.01}, Metadata: map[string]any{"instrument": "twin", "runs": 3.0}}
	if err := s.CompleteExperiment(ctx, e.ID, 2, res); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListExperiments(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if got[0].State != tycho.ExperimentCompleted || !reflect.DeepEqual(got[0].Result, res) || got[0].FinishedAt.IsZero() {
		t.Errorf("completed experiment: %+v, result %+v; want completed with %+v", got[0], got[0].Result, res)
	}
	_, err = s.StartExperiment(ctx, e.ID)
	wantCode(t, err, tycho.ECONFLICT)
	_, err = s.StartExperiment(ctx, "nope")
	wantCode(t, err, tycho.ENOTFOUND)
	wantCode(t, s.CompleteExperiment(ctx, "nope", 1, res), tycho.ENOTFOUND)
}

func testCompleteIdempotent(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("c-1", t0))
	e := addGen(t, s, "c-1", 1, 1)[0]
	if _, err := s.StartExperiment(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	res := &tycho.Result{Objectives: map[string]float64{"y": 1.5}}
	for range 2 {
		if err := s.CompleteExperiment(ctx, e.ID, 1, res); err != nil {
			t.Fatalf("complete (retry): %v", err)
		}
	}
	other := &tycho.Result{Objectives: map[string]float64{"y": 2.5}}
	wantCode(t, s.CompleteExperiment(ctx, e.ID, 1, other), tycho.ECONFLICT)
}

func testStaleAttempt(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("c-1", t0))
	e := addGen(t, s, "c-1", 1, 1)[0]
	res := &tycho.Result{Objectives: map[string]float64{"y": 1}}
	wantCode(t, s.CompleteExperiment(ctx, e.ID, 1, res), tycho.ECONFLICT) // never started
	for range 2 {
		if _, err := s.StartExperiment(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, s.CompleteExperiment(ctx, e.ID, 1, res), tycho.ECONFLICT)
	wantCode(t, s.FailExperiment(ctx, e.ID, 1, "late"), tycho.ECONFLICT)
}

func testFailAbandon(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("c-1", t0))
	exps := addGen(t, s, "c-1", 1, 2)
	if _, err := s.StartExperiment(ctx, exps[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.FailExperiment(ctx, exps[0].ID, 1, "pump jammed"); err != nil {
		t.Fatal(err)
	}
	if err := s.AbandonExperiment(ctx, exps[1].ID, "budget spent"); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListExperiments(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if got[0].State != tycho.ExperimentFailed || got[0].Error != "pump jammed" {
		t.Errorf("failed experiment: state %s error %q", got[0].State, got[0].Error)
	}
	if got[1].State != tycho.ExperimentAbandoned || got[1].Error != "budget spent" {
		t.Errorf("abandoned experiment: state %s error %q", got[1].State, got[1].Error)
	}
	wantCode(t, s.AbandonExperiment(ctx, exps[0].ID, "again"), tycho.ECONFLICT)
	res := &tycho.Result{Objectives: map[string]float64{"y": 1}}
	wantCode(t, s.CompleteExperiment(ctx, exps[0].ID, 1, res), tycho.ECONFLICT)
}

func testConcurrent(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("c-1", t0))
	exps := addGen(t, s, "c-1", 1, 16)
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(exps))
	for i, e := range exps {
		for range 2 { // two workers race for each experiment
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := s.StartExperiment(ctx, e.ID)
				if tycho.ErrorCode(err) == tycho.ECONFLICT {
					return
				} else if err != nil {
					errs <- err
					return
				}
				err = s.CompleteExperiment(ctx, e.ID, st.Attempt, &tycho.Result{Objectives: map[string]float64{"y": float64(i)}})
				if err != nil && tycho.ErrorCode(err) != tycho.ECONFLICT {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent use: %v", err)
	}
	got, err := s.ListExperiments(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range got {
		if e.State != tycho.ExperimentCompleted || e.Result.Objectives["y"] != float64(i) {
			t.Errorf("experiment %d: state %s result %+v", e.Seq, e.State, e.Result)
		}
	}
}
