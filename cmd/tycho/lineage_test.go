package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tycho"
)

// TestLineageCommand runs a campaign and walks its provenance both ways
// through the CLI, then records an OpenLineage file that reads a dataset
// version.
func TestLineageCommand(t *testing.T) {
	work := t.TempDir()
	data := filepath.Join(work, "data")
	file := writeFile(t, work, "b.yaml", `name: lineage-demo
parameters:
  - {name: x1, kind: continuous, bounds: [-5, 10]}
  - {name: x2, kind: continuous, bounds: [0, 15]}
objectives:
  - {name: y, direction: minimize}
budget: {max_experiments: 6}
initial_design: 3
seed: 3
lab: {kind: twin, name: branin}
`)
	run := func(want int, args ...string) string {
		t.Helper()
		code, stdout, stderr := runTycho(t, data, args...)
		if code != want {
			t.Fatalf("tycho %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, stdout, stderr)
		}
		return stdout + stderr
	}
	run(0, "run", "--quiet", file)

	// Down from the campaign: its fits, their models and proposals, the
	// experiments that used those and the results they generated.
	var down tycho.Lineage
	if err := json.Unmarshal([]byte(run(0, "lineage", "lineage-demo", "--down", "--depth", "4", "--json")), &down); err != nil {
		t.Fatal(err)
	}
	var result string
	kinds := map[string]int{}
	for _, n := range down.Nodes {
		kinds[n.Type]++
		if n.Type == tycho.ProvTypeResult && result == "" {
			result = n.ID
		}
	}
	if kinds[tycho.ProvTypeModelFit] == 0 || kinds[tycho.ProvTypeProposal] != 6 || kinds[tycho.ProvTypeExperiment] != 6 || result == "" {
		t.Fatalf("down from the campaign: %v", kinds)
	}
	// Up from a result, in text: the experiment, its proposal, the fit,
	// the campaign and the lab.
	up := run(0, "lineage", result, "--depth", "5")
	for _, want := range []string{"wasGeneratedBy " + result, "fit/", "campaign/", "lab/branin", "strategy/"} {
		if !strings.Contains(up, want) {
			t.Errorf("up from %s lacks %q:\n%s", result, want, up)
		}
	}
	// The experiment ID alone is enough.
	exp := strings.TrimPrefix(result, "result/")
	if out := run(0, "lineage", exp, "--depth", "1"); !strings.HasPrefix(out, "experiment/"+exp) {
		t.Errorf("lineage by experiment ID: %s", out)
	}

	// OpenLineage: a pipeline read version 1 of a dataset.
	src := filepath.Join(work, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, src, "yields.csv", "id,yield\n1,0.5\n")
	run(0, "data", "add", src, "--name", "screen", "--title", "Screen")
	events := writeFile(t, work, "events.jsonl",
		`{"eventType":"START","eventTime":"2026-11-20T10:00:00Z","run":{"runId":"0190f1d8-7c3e-7a4b-9c1d-2e3f4a5b6c7d"},"job":{"namespace":"nb","name":"fit"},"inputs":[{"namespace":"tycho","name":"default/screen@1"}],"producer":"p"}`+"\n"+
			`{"eventType":"COMPLETE","eventTime":"2026-11-20T10:05:00Z","run":{"runId":"0190f1d8-7c3e-7a4b-9c1d-2e3f4a5b6c7d"},"job":{"namespace":"nb","name":"fit"},"outputs":[{"namespace":"nb","name":"model.pkl"}],"producer":"p"}`+"\n")
	if out := run(0, "lineage", "ingest", events); !strings.Contains(out, "recorded 2 OpenLineage events") {
		t.Errorf("ingest: %s", out)
	}
	if out := run(0, "lineage", "screen@1", "--down", "--depth", "2"); !strings.Contains(out, "openlineage/dataset/nb/model.pkl") {
		t.Errorf("what came from screen@1:\n%s", out)
	}
	bad := writeFile(t, work, "bad.jsonl", `{"eventTime":"2026-11-20T10:00:00Z","run":{"runId":"0190f1d8-7c3e-7a4b-9c1d-2e3f4a5b6c7d"},"job":{"namespace":"nb","name":"fit"},"inputs":[{"namespace":"tycho","name":"default/screen@7"}],"producer":"p"}`)
	if out := run(1, "lineage", "ingest", bad); !strings.Contains(out, "dataset/default/screen@7") {
		t.Errorf("ingest of an unknown version: %s", out)
	}
	if out := run(1, "lineage", "no-such-thing"); !strings.Contains(out, `nothing in the provenance graph is called "no-such-thing"`) {
		t.Errorf("unknown ID: %s", out)
	}
}
