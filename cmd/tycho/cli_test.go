package main_test

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBadSpecCreatesNothing(t *testing.T) {
	work := t.TempDir()
	data := filepath.Join(work, "data")
	file := writeFile(t, work, "bad.yaml", "name: bad\nparameters:\n  - {name: x, kind: continuous, bounds: [5, 1]}\n"+
		"objectives:\n  - {name: y, direction: minimize}\nbudget: {max_experiments: 5}\nlab: {kind: twin, name: ackley}\n")
	code, _, stderr := runTycho(t, data, "run", file)
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if want := file + ":3: parameters[0].bounds: lower bound 5 is not below upper bound 1"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q does not contain %q", stderr, want)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("a bad campaign file created the data directory (stat: %v)", err)
	}

	// An unknown lab names the lab's line.
	file = writeFile(t, work, "lab.yaml", "name: bad\nparameters:\n  - {name: x, kind: continuous, bounds: [0, 1]}\n"+
		"objectives:\n  - {name: y, direction: minimize}\nbudget: {max_experiments: 5}\nlab:\n  kind: twin\n  name: braninn\n")
	_, _, stderr = runTycho(t, data, "run", file)
	if want := file + `:9: lab.name: unknown twin "braninn"`; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q does not contain %q", stderr, want)
	}
}

func TestRunShowExport(t *testing.T) {
	data := t.TempDir()
	example := filepath.Join(repoRoot(t), "examples", "rosenbrock.yaml")
	code, stdout, stderr := runTycho(t, data, "run", "--quiet", example)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"status", "best", "operator=alice"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("run summary does not contain %q:\n%s", want, stdout)
		}
	}

	code, stdout, _ = runTycho(t, data, "campaigns")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "ID ") {
		t.Fatalf("campaigns: exit %d, output:\n%s", code, stdout)
	}
	id := strings.Fields(lines[1])[0]
	if !strings.HasPrefix(id, "rosenbrock-") {
		t.Errorf("campaign ID %q does not start with the campaign's name", id)
	}

	code, stdout, _ = runTycho(t, data, "show", id[:len("rosenbrock-")+4])
	if code != 0 || !strings.Contains(stdout, "SEQ") || !strings.Contains(stdout, "BEST SO FAR") || !strings.Contains(stdout, "best ") {
		t.Errorf("show by ID prefix: exit %d, output:\n%s", code, stdout)
	}

	code, stdout, _ = runTycho(t, data, "export", "--format", "json", id)
	if code != 0 {
		t.Fatalf("export json: exit %d", code)
	}
	var doc struct {
		Experiments []struct {
			Seq        int                `json:"seq"`
			Parameters map[string]any     `json:"parameters"`
			Results    map[string]float64 `json:"results"`
		} `json:"experiments"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("export json: %v", err)
	}
	if len(doc.Experiments) == 0 {
		t.Fatal("export json: no experiments")
	}
	for i, e := range doc.Experiments {
		if e.Seq != i+1 || len(e.Parameters) != 4 || e.Parameters["operator"] != "alice" {
			t.Errorf("experiment %d: seq %d parameters %v", i, e.Seq, e.Parameters)
		}
		if _, ok := e.Results["y"]; !ok {
			t.Errorf("experiment %d has no result y: %v", i, e.Results)
		}
		if x3 := e.Parameters["x3"].(float64); x3 != float64(int(x3)) {
			t.Errorf("integer parameter x3 = %g is not whole", x3)
		}
	}

	out := filepath.Join(t.TempDir(), "out.csv")
	if code, _, stderr := runTycho(t, data, "export", "--format", "csv", "-o", out, id); code != 0 {
		t.Fatalf("export csv: exit %d: %s", code, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(rows[0], ","), "seq,id,generation,state,attempt,x1,x2,x3,operator,y,error,created_at,finished_at"; got != want {
		t.Errorf("csv header = %s, want %s", got, want)
	}
	if len(rows) != len(doc.Experiments)+1 {
		t.Errorf("csv has %d rows, want %d", len(rows), len(doc.Experiments)+1)
	}

	if code, _, stderr := runTycho(t, data, "export", "--format", "xml", id); code != 1 || !strings.Contains(stderr, `unknown format "xml"`) {
		t.Errorf("export xml: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runTycho(t, data, "show", "nope"); code != 1 || !strings.Contains(stderr, `campaign "nope" not found`) {
		t.Errorf("show nope: exit %d, stderr %q", code, stderr)
	}
}

func TestResume(t *testing.T) {
	work := t.TempDir()
	data := filepath.Join(work, "data")
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "examples", "branin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, work, "b.yaml", string(src))
	if code, _, stderr := runTycho(t, data, "run", "--resume", file); code != 1 || !strings.Contains(stderr, "no campaign was started from") {
		t.Errorf("resume before any run: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runTycho(t, data, "run", "--quiet", file); code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	// Resuming a finished campaign shows it and changes nothing.
	code, stdout, stderr := runTycho(t, data, "run", "--resume", file)
	if code != 0 || !strings.Contains(stderr, "already finished") || !strings.Contains(stdout, "best") {
		t.Errorf("resume finished: exit %d, stdout %q stderr %q", code, stdout, stderr)
	}
	// A changed file is not silently resumed.
	writeFile(t, work, "b.yaml", strings.Replace(string(src), "seed: 1", "seed: 2", 1))
	if code, _, stderr := runTycho(t, data, "run", "--resume", file); code != 1 || !strings.Contains(stderr, "changed since campaign") {
		t.Errorf("resume changed file: exit %d, stderr %q", code, stderr)
	}
}
