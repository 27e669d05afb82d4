package main_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"tycho"
	"tycho/sqlite"
)

const crashSpec = `name: crash
parameters:
  - {name: x1, kind: continuous, bounds: [-5, 10]}
  - {name: x2, kind: continuous, bounds: [0, 15]}
objectives:
  - {name: y, direction: minimize}
budget: {max_experiments: 14}
batch_size: 2
initial_design: 4
seed: 7
lab: {kind: twin, name: branin}
`

// history is what must survive a crash: each experiment's identity,
// parameters and result, in order.
type historyEntry struct {
	Seq        int                `json:"seq"`
	Generation int                `json:"generation"`
	State      string             `json:"state"`
	Parameters map[string]any     `json:"parameters"`
	Results    map[string]float64 `json:"results"`
}

func exportHistory(t *testing.T, dir string) []historyEntry {
	t.Helper()
	out, err := tychoCmd(t, dir, "export", "--format", "json", "crash").Output()
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	var doc struct {
		Experiments []historyEntry `json:"experiments"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("decode export: %v", err)
	}
	return doc.Experiments
}

// campaigns opens the store a killed process left in dir and returns it with
// its campaigns, or nil if no store was created yet. The caller closes it.
func campaigns(t *testing.T, dir string) (*sqlite.DB, []*tycho.Campaign) {
	t.Helper()
	path := filepath.Join(dir, "tycho.db")
	if _, err := os.Stat(path); err != nil {
		return nil, nil
	}
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open store after kill: %v", err)
	}
	camps, err := db.ListCampaigns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return db, camps
}

// snapshot reads the completed results straight from the database.
func snapshot(t *testing.T, dir string) map[int]map[string]float64 {
	t.Helper()
	ctx := context.Background()
	db, camps := campaigns(t, dir)
	if db == nil {
		return nil
	}
	defer db.Close()
	if len(camps) > 1 {
		t.Fatalf("resume created a second campaign: %d campaigns", len(camps))
	}
	out := map[int]map[string]float64{}
	for _, c := range camps {
		exps, err := db.ListExperiments(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range exps {
			if e.State == tycho.ExperimentCompleted {
				out[e.Seq] = e.Result.Objectives
			}
		}
	}
	return out
}

// TestKillAndResume kills real tycho processes with SIGKILL at random
// moments, resumes them, and checks that no result is lost, no experiment
// is duplicated, and the final history equals an uninterrupted run's.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes; skipped with -short")
	}
	work := t.TempDir()
	file := writeFile(t, work, "crash.yaml", crashSpec)

	// The reference: one uninterrupted run.
	ref := filepath.Join(work, "ref")
	if out, err := tychoCmd(t, ref, "run", "--quiet", file).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	want := exportHistory(t, ref)
	if len(want) != 14 {
		t.Fatalf("uninterrupted run has %d experiments, want 14", len(want))
	}

	// The crash run: start, kill at a random moment, resume, until done.
	dir := filepath.Join(work, "crash")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	kills := 0
	seen := map[int]map[string]float64{}
	// Kill after a random delay below limit; the limit grows while rounds
	// make no progress, so slow machines (or -race) still finish.
	limit := 300 * time.Millisecond
	for round := 0; ; round++ {
		if round > 200 {
			t.Fatalf("campaign did not finish after %d rounds (%d kills)", round, kills)
		}
		args := []string{"run", "--quiet", file}
		if len(seen) > 0 || campaignExists(t, dir) {
			args = []string{"run", "--quiet", "--resume", file}
		}
		cmd := tychoCmd(t, dir, args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		delay := 5*time.Millisecond + time.Duration(rng.Int64N(int64(limit)))
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("round %d: tycho %v exited with %v:\n%s", round, args, err, stderr.String())
			}
			if kills < 3 {
				t.Logf("finished after only %d kills", kills)
			}
			got := exportHistory(t, dir)
			checkNoLoss(t, seen, snapshot(t, dir))
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("history after %d kills differs from the uninterrupted run:\n got %s\nwant %s", kills, dump(got), dump(want))
			}
			t.Logf("identical history after %d kills", kills)
			return
		case <-time.After(delay):
			_ = cmd.Process.Signal(syscall.SIGKILL)
			err := <-done
			var exit *exec.ExitError
			if err == nil || (errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signaled()) {
				kills++
			}
		}
		now := snapshot(t, dir)
		checkNoLoss(t, seen, now)
		if len(now) == len(seen) {
			limit = limit * 3 / 2
		}
		seen = now
	}
}

func campaignExists(t *testing.T, dir string) bool {
	t.Helper()
	db, camps := campaigns(t, dir)
	if db != nil {
		db.Close()
	}
	return len(camps) > 0
}

// checkNoLoss fails if a result recorded before a kill is gone or changed.
func checkNoLoss(t *testing.T, before, after map[int]map[string]float64) {
	t.Helper()
	for seq, r := range before {
		if !reflect.DeepEqual(after[seq], r) {
			t.Fatalf("result of experiment %d was %v before the kill and %v after", seq, r, after[seq])
		}
	}
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
