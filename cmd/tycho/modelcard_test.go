package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPriorDatasetAndModelCard starts a campaign from prior data kept as a
// dataset version: the project's minimum grade refuses it first, then
// admits it; the model card names the version by its digest.
func TestPriorDatasetAndModelCard(t *testing.T) {
	work := t.TempDir()
	data := filepath.Join(work, "data")
	run := func(want int, args ...string) string {
		t.Helper()
		code, stdout, stderr := runTycho(t, data, args...)
		if code != want {
			t.Fatalf("tycho %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, stdout, stderr)
		}
		return stdout + stderr
	}
	src := filepath.Join(work, "earlier")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, src, "earlier.csv", "x1,x2,y\n1,2,21.6\n3,4,3.9\n-2,11,6.8\n8,1,10.9\n")
	run(0, "data", "add", src, "--name", "earlier", "--title", "Earlier runs")
	file := writeFile(t, work, "c.yaml", `name: from-prior
parameters:
  - {name: x1, kind: continuous, bounds: [-5, 10]}
  - {name: x2, kind: continuous, bounds: [0, 15]}
objectives:
  - {name: y, direction: minimize}
prior_dataset: earlier@latest
budget: {max_experiments: 4}
initial_design: 2
seed: 5
lab: {kind: twin, name: branin}
`)
	run(0, "project", "set", "default", "--min-prior-grade", "gold")
	if out := run(1, "run", "--quiet", file); !strings.Contains(out, "earlier@1") || !strings.Contains(out, "requires gold") {
		t.Errorf("a version below the project's grade: %s", out)
	}
	if out := run(0, "campaigns"); strings.Contains(out, "from-prior") {
		t.Errorf("a refused campaign was created: %s", out)
	}
	run(0, "project", "set", "default", "--min-prior-grade", "none")
	run(0, "run", "--quiet", file)

	var card struct {
		Datasets []struct{ Ref, Digest string }
		Trained  []string `json:"trained_on_experiments"`
		Produced []struct {
			Generation int
		} `json:"produced_experiments"`
	}
	if err := json.Unmarshal([]byte(run(0, "model-card", "from-prior", "--json")), &card); err != nil {
		t.Fatal(err)
	}
	if len(card.Datasets) != 1 || card.Datasets[0].Ref != "default/earlier@1" || !strings.HasPrefix(card.Datasets[0].Digest, "sha256:") {
		t.Errorf("datasets: %+v", card.Datasets)
	}
	// The four prior results trained the models, and the models produced
	// the campaign's four experiments (the last one trained nothing).
	if len(card.Produced) != 4 || len(card.Trained) < 4 {
		t.Errorf("trained on %d, produced %d: %+v", len(card.Trained), len(card.Produced), card)
	}
	for _, p := range card.Produced {
		if p.Generation < 2 {
			t.Errorf("the prior data's generation is listed as produced: %+v", p)
		}
	}
	text := run(0, "model-card", "from-prior")
	if !strings.Contains(text, "default/earlier@1  sha256:") || !strings.Contains(text, "Experiments the models produced (4)") {
		t.Errorf("model card:\n%s", text)
	}
}
