package agent_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tycho"
	"tycho/agent"
	"tycho/campaign"
	tychohttp "tycho/http"
	"tycho/internal/notify"
	"tycho/optimize"
	"tycho/sqlite"
)

// lab is a server on a fresh store with one agent-lab campaign, its
// runner going.
type lab struct {
	db     *sqlite.DB
	client *tychohttp.Client
	url    string
	id     string
}

func newLab(t *testing.T, approval bool, budget int) *lab {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "tycho.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	hub := new(notify.Hub)
	s := &tychohttp.Server{Store: db, Hub: hub, AskTell: &campaign.AskTell{Store: db, Strategy: &optimize.Strategy{}, Hub: hub}}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	c, err := tychohttp.NewClient(ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	spec := tycho.Spec{
		Name:       "t",
		Parameters: []tycho.Parameter{{Name: "x", Kind: tycho.Continuous, Bounds: []float64{0, 1}}},
		Objectives: []tycho.Objective{{Name: "y", Direction: tycho.Minimize}},
		Budget:     tycho.Budget{MaxExperiments: budget},
		BatchSize:  2,
		Strategy:   "sobol",
		Lab:        tycho.LabSpec{Kind: tycho.LabAgent, Name: "r1", Approval: approval},
	}
	spec.SetDefaults()
	camp := &tycho.Campaign{ID: "c1", Spec: spec, Status: tycho.CampaignRunning}
	if err := db.CreateCampaign(ctx, camp); err != nil {
		t.Fatal(err)
	}
	r := &campaign.Runner{Store: db, Strategy: &optimize.Strategy{}, Hub: hub, Poll: 50 * time.Millisecond}
	go func() { _, _ = r.Run(ctx, camp.ID) }()
	return &lab{db: db, client: c, url: ts.URL, id: camp.ID}
}

// driver writes a shell-script driver and returns its path.
func driver(t *testing.T, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "driver.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func startAgent(t *testing.T, l *lab, concurrency int, drv string) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	a := &agent.Agent{Server: l.client, Lab: "r1", Name: "test-agent", Driver: []string{drv}, Concurrency: concurrency, TTL: 3 * time.Second, Wait: 200 * time.Millisecond}
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return cancel
}

// waitFor polls the campaign's experiments until ok says so.
func waitFor(t *testing.T, l *lab, what string, ok func([]*tycho.Experiment) bool) []*tycho.Experiment {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		exps, err := l.db.ListExperiments(context.Background(), l.id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(exps) {
			return exps
		}
		if time.Now().After(deadline) {
			for _, e := range exps {
				t.Logf("experiment %d: %s attempt %d %q", e.Seq, e.State, e.Attempt, e.Error)
			}
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func count(exps []*tycho.Experiment, st tycho.ExperimentState) int {
	n := 0
	for _, e := range exps {
		if e.State == st {
			n++
		}
	}
	return n
}

func TestAgentRunsCampaign(t *testing.T) {
	l := newLab(t, false, 6)
	startAgent(t, l, 2, driver(t, `read p; echo "{\"objectives\": {\"y\": 1}}"`))
	exps := waitFor(t, l, "6 completed", func(e []*tycho.Experiment) bool { return count(e, tycho.ExperimentCompleted) == 6 })
	for _, e := range exps {
		if e.Attempt != 1 || e.Result.Metadata["agent"] != "test-agent" {
			t.Errorf("experiment %d: attempt %d metadata %v", e.Seq, e.Attempt, e.Result.Metadata)
		}
	}
}

func TestDriverFailureKeepsStderr(t *testing.T) {
	l := newLab(t, false, 2)
	startAgent(t, l, 1, driver(t, `cat >/dev/null; echo "pump pressure too high" >&2; exit 3`))
	exps := waitFor(t, l, "2 failed", func(e []*tycho.Experiment) bool { return count(e, tycho.ExperimentFailed) == 2 })
	for _, e := range exps {
		if !strings.Contains(e.Error, "exit status 3") || !strings.Contains(e.Error, "pump pressure too high") {
			t.Errorf("experiment %d error %q: want the exit status and stderr", e.Seq, e.Error)
		}
	}
}

func TestBadDriverOutputFails(t *testing.T) {
	l := newLab(t, false, 1)
	startAgent(t, l, 1, driver(t, `cat >/dev/null; echo '{"objectives": {"y": 1, "z": 1}}'`))
	exps := waitFor(t, l, "1 failed", func(e []*tycho.Experiment) bool { return count(e, tycho.ExperimentFailed) == 1 })
	if !strings.Contains(exps[0].Error, "objectives.z: the campaign measures no such") {
		t.Errorf("error %q: want the server's reason", exps[0].Error)
	}
}

func TestApprovalGate(t *testing.T) {
	l := newLab(t, true, 2)
	startAgent(t, l, 2, driver(t, `cat >/dev/null; echo '{"objectives": {"y": 2}}'`))
	exps := waitFor(t, l, "2 proposals", func(e []*tycho.Experiment) bool { return count(e, tycho.ExperimentProposed) == 2 })
	time.Sleep(300 * time.Millisecond) // the agent polls meanwhile
	if exps := waitFor(t, l, "", func([]*tycho.Experiment) bool { return true }); count(exps, tycho.ExperimentProposed) != 2 {
		t.Fatalf("experiments moved before approval: %d proposed", count(exps, tycho.ExperimentProposed))
	}
	if _, err := l.client.ApproveExperiment(context.Background(), exps[0].ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, l, "the approved one completed", func(e []*tycho.Experiment) bool {
		return count(e, tycho.ExperimentCompleted) == 1 && count(e, tycho.ExperimentProposed) == 1
	})
	// A rejected proposal is replaced by a new one, which waits too.
	if err := l.client.AbandonExperiment(context.Background(), exps[1].ID, "rejected: too hot"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, l, "a replacement proposal", func(e []*tycho.Experiment) bool {
		return len(e) == 3 && count(e, tycho.ExperimentProposed) == 1
	})
}

func TestStoppedAgentHandsWorkBack(t *testing.T) {
	l := newLab(t, false, 2)
	stop := startAgent(t, l, 2, driver(t, `cat >/dev/null; sleep 30; echo '{"objectives": {"y": 2}}'`))
	waitFor(t, l, "2 leased", func(e []*tycho.Experiment) bool {
		return count(e, tycho.ExperimentDispatched)+count(e, tycho.ExperimentRunning) == 2
	})
	stop()
	exps := waitFor(t, l, "2 handed back", func(e []*tycho.Experiment) bool { return count(e, tycho.ExperimentProposed) == 2 })
	for _, e := range exps {
		if e.Lease != nil {
			t.Errorf("experiment %d still has a lease after release: %+v", e.Seq, e.Lease)
		}
	}
}
