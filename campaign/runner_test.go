package campaign_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tycho"
	"tycho/campaign"
	"tycho/optimize"
	"tycho/sqlite"
)

// labFunc is a lab defined by a function.
type labFunc func(e *tycho.Experiment) (*tycho.Result, error)

func (f labFunc) Run(_ context.Context, e *tycho.Experiment) (*tycho.Result, error) { return f(e) }

// quadratic is a lab measuring (x−0.3)² as objective y.
var quadratic = labFunc(func(e *tycho.Experiment) (*tycho.Result, error) {
	x := e.Params["x"].(float64)
	return &tycho.Result{Objectives: map[string]float64{"y": (x - 0.3) * (x - 0.3)}}, nil
})

func newSpec(max int, strategy string) tycho.Spec {
	s := tycho.Spec{
		Name:       "q",
		Parameters: []tycho.Parameter{{Name: "x", Kind: tycho.Continuous, Bounds: []float64{0, 1}}},
		Objectives: []tycho.Objective{{Name: "y", Direction: tycho.Minimize}},
		Budget:     tycho.Budget{MaxExperiments: max},
		Strategy:   strategy,
		Seed:       1,
		Lab:        tycho.LabSpec{Kind: "twin", Name: "test"},
	}
	return s
}

func setup(t *testing.T, s tycho.Spec, lab tycho.Lab) (*campaign.Runner, *sqlite.DB, string) {
	t.Helper()
	s.SetDefaults()
	if errs := s.Validate(); len(errs) > 0 {
		t.Fatalf("invalid spec: %v", errs)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tycho.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &tycho.Campaign{ID: campaign.NewID(s.Name), Spec: s, Status: tycho.CampaignRunning, CreatedAt: time.Now()}
	if err := db.CreateCampaign(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return &campaign.Runner{Store: db, Lab: lab, Strategy: &optimize.Strategy{}}, db, c.ID
}

func run(t *testing.T, r *campaign.Runner, id string) (*tycho.Campaign, []*tycho.Experiment) {
	t.Helper()
	c, err := r.Run(context.Background(), id)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	exps, err := r.Store.ListExperiments(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c, exps
}

func TestBudget(t *testing.T) {
	r, _, id := setup(t, newSpec(7, "sobol"), quadratic)
	c, exps := run(t, r, id)
	if c.Status != tycho.CampaignCompleted || c.StopReason != "budget spent: 7 experiments" {
		t.Errorf("status %s (%s), want completed on budget", c.Status, c.StopReason)
	}
	if len(exps) != 7 {
		t.Errorf("%d experiments, want 7", len(exps))
	}
	if _, err := r.Run(context.Background(), id); tycho.ErrorCode(err) != tycho.ECONFLICT {
		t.Errorf("running a finished campaign: %v, want ECONFLICT", err)
	}
}

func TestGoalReached(t *testing.T) {
	s := newSpec(40, "gp")
	goal := 1e-4
	s.Objectives[0].Goal = &goal
	r, _, id := setup(t, s, quadratic)
	c, exps := run(t, r, id)
	if !strings.HasPrefix(c.StopReason, "goal reached") {
		t.Fatalf("stop reason %q, want goal reached", c.StopReason)
	}
	best := c.Spec.Best(exps)
	if v, _ := c.Spec.Value(best); v > goal || best.Seq != len(exps) {
		t.Errorf("stopped at %d experiments with best %g at #%d; want the last to reach %g", len(exps), v, best.Seq, goal)
	}
}

func TestNoImprovement(t *testing.T) {
	s := newSpec(100, "sobol")
	s.Stop.NoImprovement = &tycho.NoImprovement{Epsilon: 0.5, Experiments: 4}
	// Every value is within 0.25 of every other, so the rule fires as soon
	// as it can: after 4 + 1 experiments.
	r, _, id := setup(t, s, quadratic)
	c, exps := run(t, r, id)
	if len(exps) != 5 || !strings.HasPrefix(c.StopReason, "no improvement beyond 0.5 in the last 4") {
		t.Errorf("%d experiments, reason %q; want 5 and no improvement", len(exps), c.StopReason)
	}
}

func TestWallTime(t *testing.T) {
	s := newSpec(100, "sobol")
	s.Budget.MaxWallTime = tycho.Duration(time.Minute)
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Each experiment takes 25 simulated seconds.
	lab := labFunc(func(e *tycho.Experiment) (*tycho.Result, error) {
		mu.Lock()
		now = now.Add(25 * time.Second)
		mu.Unlock()
		return quadratic(e)
	})
	r, _, id := setup(t, s, lab)
	r.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c, exps := run(t, r, id)
	if len(exps) != 3 || c.StopReason != "budget spent: wall time 1m0s" || c.Elapsed != 75*time.Second {
		t.Errorf("%d experiments, reason %q, elapsed %s; want 3, wall time, 1m15s", len(exps), c.StopReason, c.Elapsed)
	}
}

func TestFailedExperiments(t *testing.T) {
	lab := labFunc(func(e *tycho.Experiment) (*tycho.Result, error) {
		switch e.Seq {
		case 2:
			return nil, tycho.Errorf(tycho.EINVALID, "sample spilled")
		case 3:
			return &tycho.Result{Objectives: map[string]float64{"y": math.NaN()}}, nil
		case 4:
			return &tycho.Result{Objectives: map[string]float64{"z": 1}}, nil
		}
		return quadratic(e)
	})
	r, _, id := setup(t, newSpec(8, "gp"), lab)
	c, exps := run(t, r, id)
	if c.Status != tycho.CampaignCompleted || len(exps) != 8 {
		t.Fatalf("status %s with %d experiments, want completed with 8", c.Status, len(exps))
	}
	for seq, want := range map[int]string{2: "sample spilled", 3: `result for objective "y" is NaN`, 4: `result has no value for objective "y"`} {
		e := exps[seq-1]
		if e.State != tycho.ExperimentFailed || e.Error != want {
			t.Errorf("experiment %d: state %s error %q; want failed with %q", seq, e.State, e.Error, want)
		}
	}
}

func TestLabFaultLeavesCampaignResumable(t *testing.T) {
	broken := true
	lab := labFunc(func(e *tycho.Experiment) (*tycho.Result, error) {
		if e.Seq == 3 && broken {
			return nil, errors.New("instrument offline")
		}
		return quadratic(e)
	})
	r, db, id := setup(t, newSpec(5, "sobol"), lab)
	if _, err := r.Run(context.Background(), id); err == nil || !strings.Contains(err.Error(), "instrument offline") {
		t.Fatalf("run with a broken lab: %v, want the lab's error", err)
	}
	c, err := db.FindCampaign(context.Background(), id)
	if err != nil || c.Status != tycho.CampaignRunning {
		t.Fatalf("after a lab fault the campaign is %v (%v), want running", c.Status, err)
	}
	broken = false
	_, exps := run(t, r, id)
	if len(exps) != 5 || exps[2].State != tycho.ExperimentCompleted || exps[2].Attempt != 2 {
		t.Errorf("after resume: %d experiments, #3 %s attempt %d; want 5, completed on attempt 2", len(exps), exps[2].State, exps[2].Attempt)
	}
}

func TestBatches(t *testing.T) {
	s := newSpec(12, "gp")
	s.BatchSize = 3
	s.InitialDesign = 3
	r, db, id := setup(t, s, quadratic)
	_, exps := run(t, r, id)
	gens, err := db.ListGenerations(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(exps) != 12 || len(gens) != 4 {
		t.Fatalf("%d experiments in %d generations, want 12 in 4", len(exps), len(gens))
	}
	seen := map[float64]bool{}
	for _, e := range exps {
		x := e.Params["x"].(float64)
		if seen[x] {
			t.Errorf("x = %g proposed twice", x)
		}
		seen[x] = true
	}
	for _, g := range gens[1:] {
		if g.Strategy != "gp" || len(g.Acquisition) != 3 || g.Model["kernel"] != "matern52-ard" {
			t.Errorf("generation %d: strategy %s, %d acquisition values, model %v", g.Index, g.Strategy, len(g.Acquisition), g.Model)
		}
	}
}

// failingStore refuses to start experiments.
type failingStore struct{ *sqlite.DB }

func (failingStore) StartExperiment(context.Context, string) (*tycho.Experiment, error) {
	return nil, errors.New("disk full")
}

func TestStoreFault(t *testing.T) {
	r, db, id := setup(t, newSpec(3, "sobol"), quadratic)
	r.Store = failingStore{db}
	_, err := r.Run(context.Background(), id)
	if err == nil || err.Error() != "start experiment 1: disk full" {
		t.Errorf("run on a failing store: %v, want the store's error with the experiment", err)
	}
}
