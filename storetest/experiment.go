package storetest

import (
	"math"
	"testing"
	"time"

	"tycho"
)

func testGenerationRoundTrip(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("c-1", t0))
	g := &tycho.Generation{
		CampaignID: "c-1", Index: 1, Strategy: "gp", Seed: math.MaxUint64, Observations: 5, Pending: 1,
		Model: map[string]any{
			"kernel":                  "matern52-ard",
			"lengthscales":            map[string]any{"x1": 0.25, "x2": 1.5e-7},
			"log_marginal_likelihood": -3.25,
			"restarts":                2.0,
			"ard":                     true,
			"history":                 []any{1.0, "two", nil},
		},
		Acquisition: []float64{-1.5, -2.25e-300, math.Inf(-1)},
		FitTime:     12*time.Millisecond + 345*time.Microsecond,
		ProposeTime: 7 * time.Second,
		CreatedAt:   t0,
	}
	exps := proposal(3, "a")
	if err := s.AddGeneration(ctx, g, exps); err != nil {
		t.Fatal(err)
	}
	for i, e := range exps {
		if e.Seq != i+1 || e.CampaignID != "c-1" || e.Generation != 1 {
			t.Errorf("experiment %s after AddGeneration: seq %d campaign %q generation %d; want %d, c-1, 1",
				e.ID, e.Seq, e.CampaignID, e.Generation, i+1)
		}
	}

	gens, err := s.ListGenerations(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(gens) != 1 {
		t.Fatalf("%d generations, want 1", len(gens))
	}
	same(t, "generation", gens[0], &tycho.Generation{
		CampaignID: "c-1", Index: 1, Strategy: "gp", Seed: math.MaxUint64, Observations: 5, Pending: 1,
		Model: map[string]any{
			"kernel":                  "matern52-ard",
			"lengthscales":            map[string]any{"x1": 0.25, "x2": 1.5e-7},
			"log_marginal_likelihood": -3.25,
			"restarts":                2.0,
			"ard":                     true,
			"history":                 []any{1.0, "two", nil},
		},
		Acquisition: []float64{-1.5, -2.25e-300, math.Inf(-1)},
		FitTime:     12*time.Millisecond + 345*time.Microsecond,
		ProposeTime: 7 * time.Second,
		CreatedAt:   t0,
	})

	got := mustList(t, s, "c-1")
	want := proposal(3, "a")
	for i, e := range want {
		e.CampaignID, e.Seq, e.Generation = "c-1", i+1, 1
	}
	same(t, "experiments", got, want)
}

func testSeqContinues(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("c-1", t0))
	first := addGen(t, s, "c-1", 1, 2)
	second := addGen(t, s, "c-1", 2, 3)
	got := mustList(t, s, "c-1")
	same(t, "experiment IDs", ids(got), append(ids(first), ids(second)...))
	for i, e := range got {
		wantGen := 1
		if i >= 2 {
			wantGen = 2
		}
		if e.Seq != i+1 || e.Generation != wantGen {
			t.Errorf("experiment %s: seq %d generation %d, want %d and %d", e.ID, e.Seq, e.Generation, i+1, wantGen)
		}
	}
	gens, err := s.ListGenerations(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	var idx []int
	for _, g := range gens {
		idx = append(idx, g.Index)
	}
	same(t, "generation indexes", idx, []int{1, 2})
}

func testGenerationTaken(t *testing.T, s tycho.Store) {
	before := setup(t, s, 2)
	dup := &tycho.Generation{CampaignID: "c-1", Index: 1, Strategy: "gp", Seed: 99, CreatedAt: t0}
	wantCode(t, "add generation 1 twice", s.AddGeneration(ctx, dup, proposal(3, "dup")), tycho.ECONFLICT)

	gens, err := s.ListGenerations(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(gens) != 1 || gens[0].Strategy != "sobol" || gens[0].Seed != 1 {
		t.Fatalf("generations after a refused one: %d, first %+v; want the original sobol generation alone", len(gens), gens[0])
	}
	same(t, "experiment IDs after a refused generation", ids(mustList(t, s, "c-1")), ids(before))

	// None of the refused experiments was stored: their IDs are free and
	// numbering continues after the stored ones.
	retry := proposal(3, "dup")
	if err := s.AddGeneration(ctx, &tycho.Generation{CampaignID: "c-1", Index: 2, Strategy: "gp", CreatedAt: t0}, retry); err != nil {
		t.Fatalf("add the refused experiments as generation 2: %v", err)
	}
	for i, e := range retry {
		if e.Seq != 3+i {
			t.Errorf("experiment %s: seq %d, want %d", e.ID, e.Seq, 3+i)
		}
	}
}

func testExperimentTaken(t *testing.T, s tycho.Store) {
	before := setup(t, s, 2)
	batch := proposal(2, "new")
	batch[1].ID = before[0].ID
	err := s.AddGeneration(ctx, &tycho.Generation{CampaignID: "c-1", Index: 2, Strategy: "gp", CreatedAt: t0}, batch)
	wantCode(t, "add a generation reusing an experiment ID", err, tycho.ECONFLICT)

	gens, err := s.ListGenerations(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(gens) != 1 {
		t.Errorf("%d generations after a refused one, want 1", len(gens))
	}
	got := mustList(t, s, "c-1")
	same(t, "experiment IDs after a refused generation", ids(got), ids(before))
	if got[0].Generation != 1 || got[0].Seq != 1 {
		t.Errorf("experiment %s moved to generation %d seq %d", got[0].ID, got[0].Generation, got[0].Seq)
	}
	addGen(t, s, "c-1", 2, 2) // generation 2 is still free
}

func testGenerationCampaignNotFound(t *testing.T, s tycho.Store) {
	err := s.AddGeneration(ctx, &tycho.Generation{CampaignID: "nope", Index: 1, Strategy: "gp", CreatedAt: t0}, proposal(1, "x"))
	wantCode(t, "add a generation to a missing campaign", err, tycho.ENOTFOUND)
	_, err = s.ListExperiments(ctx, "nope")
	wantCode(t, "list experiments of a missing campaign", err, tycho.ENOTFOUND)
	_, err = s.ListGenerations(ctx, "nope")
	wantCode(t, "list generations of a missing campaign", err, tycho.ENOTFOUND)

	mustCreate(t, s, newCampaign("c-1", t0))
	if exps := mustList(t, s, "c-1"); len(exps) != 0 {
		t.Errorf("a new campaign lists %d experiments", len(exps))
	}
	if gens, err := s.ListGenerations(ctx, "c-1"); err != nil || len(gens) != 0 {
		t.Errorf("a new campaign lists %d generations (%v), want none", len(gens), err)
	}
}

func testParamsRoundTrip(t *testing.T, s tycho.Store) {
	params := tycho.Params{
		"ordinary":  0.5,
		"negative":  -2.75,
		"third":     1.0 / 3,
		"sum":       0.1 + 0.2,
		"tiny":      1e-300,
		"subnormal": 5e-324,
		"huge":      math.MaxFloat64,
		"whole":     3.0,
		"big_whole": float64(1 << 53),
		"zero":      0.0,
		"text":      "thf",
		"empty":     "",
		"unicode":   "β-Ni₃Al ✓",
		"quoted":    `a "b" \ c` + "\n\x00",
		"flag":      true,
	}
	mustCreate(t, s, newCampaign("c-1", t0))
	e := &tycho.Experiment{ID: "e-1", Params: params, State: tycho.ExperimentProposed, CreatedAt: t0}
	if err := s.AddGeneration(ctx, &tycho.Generation{CampaignID: "c-1", Index: 1, Strategy: "gp", CreatedAt: t0}, []*tycho.Experiment{e}); err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, s, "c-1", "e-1").Params
	for name, v := range params {
		same(t, "param "+name, got[name], v)
	}
	if len(got) != len(params) {
		t.Errorf("%d parameters came back, want %d", len(got), len(params))
	}
}

func testListExperiments(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("c-1", t0))
	mustCreate(t, s, newCampaign("c-2", t0))
	mustCreate(t, s, newCampaign("c-3", t0))
	a1 := addGen(t, s, "c-1", 1, 2)
	b1 := addGen(t, s, "c-2", 1, 2)
	a2 := addGen(t, s, "c-1", 2, 1)
	got1, got2 := mustList(t, s, "c-1"), mustList(t, s, "c-2")
	same(t, "c-1 experiments", ids(got1), append(ids(a1), ids(a2)...))
	same(t, "c-2 experiments", ids(got2), ids(b1))
	for _, list := range [][]*tycho.Experiment{got1, got2} {
		for i, e := range list {
			if e.Seq != i+1 {
				t.Errorf("experiment %s of %s: seq %d, want %d", e.ID, e.CampaignID, e.Seq, i+1)
			}
		}
	}
	if got := mustList(t, s, "c-3"); len(got) != 0 {
		t.Errorf("c-3 lists %d experiments, want none", len(got))
	}
}

func testStart(t *testing.T, s tycho.Store) {
	e := setup(t, s, 1)[0]
	started := mustStart(t, s, e.ID)
	if started.State != tycho.ExperimentRunning || started.Attempt != 1 || started.StartedAt.IsZero() {
		t.Errorf("started: state %s attempt %d started at %v; want running, 1, set", started.State, started.Attempt, started.StartedAt)
	}
	if started.Result != nil || !started.FinishedAt.IsZero() || started.Error != "" {
		t.Errorf("started: result %v finished at %v error %q; want none", started.Result, started.FinishedAt, started.Error)
	}
	same(t, "returned experiment", started, mustGet(t, s, "c-1", e.ID))
	same(t, "parameters of the started experiment", started.Params, e.Params)

	// Starting a running experiment again (after a crash) begins attempt 2.
	again := mustStart(t, s, e.ID)
	if again.Attempt != 2 || again.State != tycho.ExperimentRunning {
		t.Errorf("restarted: state %s attempt %d, want running, 2", again.State, again.Attempt)
	}
	same(t, "returned experiment", again, mustGet(t, s, "c-1", e.ID))
}

func testComplete(t *testing.T, s tycho.Store) {
	e := setup(t, s, 1)[0]
	mustStart(t, s, e.ID)
	res := func() *tycho.Result {
		return &tycho.Result{
			Objectives: map[string]float64{"y": 0.397887, "cost": 12.5},
			Noise:      map[string]float64{"y": 0.01},
			Metadata: map[string]any{
				"instrument": "twin",
				"runs":       3.0,
				"conditions": map[string]any{"T": 298.15, "ok": true},
				"tags":       []any{"a", "b"},
			},
		}
	}
	if err := s.CompleteExperiment(ctx, e.ID, 1, res()); err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, s, "c-1", e.ID)
	if got.State != tycho.ExperimentCompleted || got.Attempt != 1 || got.FinishedAt.IsZero() || got.StartedAt.IsZero() || got.Error != "" {
		t.Errorf("completed: state %s attempt %d started %v finished %v error %q; want completed, 1, set, set, none",
			got.State, got.Attempt, got.StartedAt, got.FinishedAt, got.Error)
	}
	same(t, "result", got.Result, res())
}

func testCompleteIdempotent(t *testing.T, s tycho.Store) {
	e := setup(t, s, 1)[0]
	mustStart(t, s, e.ID)
	mustStart(t, s, e.ID)
	if err := s.CompleteExperiment(ctx, e.ID, 2, result(1.5)); err != nil {
		t.Fatal(err)
	}
	done := mustGet(t, s, "c-1", e.ID)
	if err := s.CompleteExperiment(ctx, e.ID, 2, result(1.5)); err != nil {
		t.Fatalf("complete again with the same result: %v", err)
	}
	same(t, "experiment after a repeated result", mustGet(t, s, "c-1", e.ID), done)

	wantCode(t, "complete with a different result", s.CompleteExperiment(ctx, e.ID, 2, result(2.5)), tycho.ECONFLICT)
	wantCode(t, "complete a stale attempt with the same result", s.CompleteExperiment(ctx, e.ID, 1, result(1.5)), tycho.ECONFLICT)
	wantCode(t, "fail a completed attempt", s.FailExperiment(ctx, e.ID, 2, "late"), tycho.ECONFLICT)
	same(t, "experiment after refused changes", mustGet(t, s, "c-1", e.ID), done)
}

func testNonFiniteResult(t *testing.T, s tycho.Store) {
	e := setup(t, s, 1)[0]
	mustStart(t, s, e.ID)
	res := func() *tycho.Result {
		return &tycho.Result{
			Objectives: map[string]float64{"y": inf, "z": -inf, "w": nan},
			Noise:      map[string]float64{"y": nan},
		}
	}
	if err := s.CompleteExperiment(ctx, e.ID, 1, res()); err != nil {
		t.Fatal(err)
	}
	same(t, "result", mustGet(t, s, "c-1", e.ID).Result, res())
	if err := s.CompleteExperiment(ctx, e.ID, 1, res()); err != nil {
		t.Errorf("complete again with the same non-finite result: %v", err)
	}
}

func testStaleAttempt(t *testing.T, s tycho.Store) {
	e := setup(t, s, 1)[0]
	wantCode(t, "complete attempt 0 of a proposed experiment", s.CompleteExperiment(ctx, e.ID, 0, result(1)), tycho.ECONFLICT)
	wantCode(t, "complete attempt 1 of a proposed experiment", s.CompleteExperiment(ctx, e.ID, 1, result(1)), tycho.ECONFLICT)
	wantCode(t, "fail attempt 1 of a proposed experiment", s.FailExperiment(ctx, e.ID, 1, "x"), tycho.ECONFLICT)
	mustStart(t, s, e.ID)
	mustStart(t, s, e.ID)
	wantCode(t, "complete attempt 1 when 2 runs", s.CompleteExperiment(ctx, e.ID, 1, result(1)), tycho.ECONFLICT)
	wantCode(t, "fail attempt 1 when 2 runs", s.FailExperiment(ctx, e.ID, 1, "late"), tycho.ECONFLICT)
	wantCode(t, "complete attempt 3 when 2 runs", s.CompleteExperiment(ctx, e.ID, 3, result(1)), tycho.ECONFLICT)
	got := mustGet(t, s, "c-1", e.ID)
	if got.State != tycho.ExperimentRunning || got.Attempt != 2 || got.Result != nil || got.Error != "" || !got.FinishedAt.IsZero() {
		t.Errorf("after stale results: state %s attempt %d result %v error %q finished %v; want running attempt 2 untouched",
			got.State, got.Attempt, got.Result, got.Error, got.FinishedAt)
	}
	if err := s.CompleteExperiment(ctx, e.ID, 2, result(1)); err != nil {
		t.Errorf("complete the current attempt: %v", err)
	}
}

func testFail(t *testing.T, s tycho.Store) {
	e := setup(t, s, 1)[0]
	mustStart(t, s, e.ID)
	if err := s.FailExperiment(ctx, e.ID, 1, "pump jammed"); err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, s, "c-1", e.ID)
	if got.State != tycho.ExperimentFailed || got.Error != "pump jammed" || got.Attempt != 1 || got.Result != nil || got.FinishedAt.IsZero() {
		t.Errorf("failed: state %s error %q attempt %d result %v finished %v; want failed, pump jammed, 1, none, set",
			got.State, got.Error, got.Attempt, got.Result, got.FinishedAt)
	}
	if err := s.FailExperiment(ctx, e.ID, 1, "pump jammed"); err != nil {
		t.Errorf("fail again with the same message: %v", err)
	}
	wantCode(t, "fail again with another message", s.FailExperiment(ctx, e.ID, 1, "valve stuck"), tycho.ECONFLICT)
	wantCode(t, "complete a failed attempt", s.CompleteExperiment(ctx, e.ID, 1, result(1)), tycho.ECONFLICT)
	same(t, "experiment after refused changes", mustGet(t, s, "c-1", e.ID), got)
}

func testAbandon(t *testing.T, s tycho.Store) {
	exps := setup(t, s, 2)
	proposed, running := exps[0], exps[1]
	mustStart(t, s, running.ID)
	for _, e := range exps {
		if err := s.AbandonExperiment(ctx, e.ID, "budget spent"); err != nil {
			t.Fatalf("abandon %s: %v", e.ID, err)
		}
	}
	for _, want := range []struct {
		id      string
		attempt int
	}{{proposed.ID, 0}, {running.ID, 1}} {
		got := mustGet(t, s, "c-1", want.id)
		if got.State != tycho.ExperimentAbandoned || got.Error != "budget spent" || got.Attempt != want.attempt || got.FinishedAt.IsZero() {
			t.Errorf("abandoned %s: state %s error %q attempt %d finished %v; want abandoned, budget spent, %d, set",
				want.id, got.State, got.Error, got.Attempt, got.FinishedAt, want.attempt)
		}
	}
	if err := s.AbandonExperiment(ctx, proposed.ID, "budget spent"); err != nil {
		t.Errorf("abandon again for the same reason (a retry): %v", err)
	}
	wantCode(t, "abandon again for another reason", s.AbandonExperiment(ctx, proposed.ID, "again"), tycho.ECONFLICT)
	wantCode(t, "complete an abandoned attempt", s.CompleteExperiment(ctx, running.ID, 1, result(1)), tycho.ECONFLICT)
	wantCode(t, "fail an abandoned attempt", s.FailExperiment(ctx, running.ID, 1, "late"), tycho.ECONFLICT)
	if got := mustGet(t, s, "c-1", running.ID); got.State != tycho.ExperimentAbandoned || got.Result != nil {
		t.Errorf("abandoned experiment after a late result: state %s result %v", got.State, got.Result)
	}
}

func testFinal(t *testing.T, s tycho.Store) {
	exps := setup(t, s, 3)
	for _, e := range exps[:2] {
		mustStart(t, s, e.ID)
	}
	if err := s.CompleteExperiment(ctx, exps[0].ID, 1, result(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.FailExperiment(ctx, exps[1].ID, 1, "broken"); err != nil {
		t.Fatal(err)
	}
	if err := s.AbandonExperiment(ctx, exps[2].ID, "stop"); err != nil {
		t.Fatal(err)
	}
	before := mustList(t, s, "c-1")
	for _, e := range before {
		t.Run(string(e.State), func(t *testing.T) {
			_, err := s.StartExperiment(ctx, e.ID)
			wantCode(t, "start a "+string(e.State)+" experiment", err, tycho.ECONFLICT)
			wantCode(t, "abandon a "+string(e.State)+" experiment", s.AbandonExperiment(ctx, e.ID, "x"), tycho.ECONFLICT)
		})
	}
	same(t, "experiments after refused changes", mustList(t, s, "c-1"), before)
}

func testExperimentNotFound(t *testing.T, s tycho.Store) {
	setup(t, s, 1)
	_, err := s.StartExperiment(ctx, "nope")
	wantCode(t, "start", err, tycho.ENOTFOUND)
	wantCode(t, "complete", s.CompleteExperiment(ctx, "nope", 1, result(1)), tycho.ENOTFOUND)
	wantCode(t, "fail", s.FailExperiment(ctx, "nope", 1, "x"), tycho.ENOTFOUND)
	wantCode(t, "abandon", s.AbandonExperiment(ctx, "nope", "x"), tycho.ENOTFOUND)
}
