package main_test

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestMultiObjectiveReport runs the two-objective SnAr example (shortened),
// and checks the Pareto front and hypervolume in show, export and the
// report.
func TestMultiObjectiveReport(t *testing.T) {
	work := t.TempDir()
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "examples", "snar.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, work, "snar.yaml", strings.Replace(string(src), "max_experiments: 50", "max_experiments: 14", 1))
	data := filepath.Join(work, "data")
	if code, _, stderr := runTycho(t, data, "run", "--quiet", file); code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	code, stdout, stderr := runTycho(t, data, "show", "snar")
	if code != 0 || !strings.Contains(stdout, "pareto front") || !strings.Contains(stdout, "hypervolume") ||
		!strings.Contains(stdout, "reference sty = 0, e_factor = 50") {
		t.Fatalf("show: exit %d\n%s%s", code, stdout, stderr)
	}

	code, stdout, _ = runTycho(t, data, "export", "--format", "json", "snar")
	var doc struct {
		Experiments []struct {
			Seq     int                `json:"seq"`
			Results map[string]float64 `json:"results"`
		} `json:"experiments"`
		Analysis struct {
			ParetoFront []int              `json:"pareto_front"`
			Hypervolume float64            `json:"hypervolume"`
			Reference   map[string]float64 `json:"reference"`
		} `json:"analysis"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); code != 0 || err != nil {
		t.Fatalf("export json: exit %d, %v", code, err)
	}
	if len(doc.Analysis.ParetoFront) == 0 || doc.Analysis.Hypervolume <= 0 || doc.Analysis.Reference["e_factor"] != 50 {
		t.Fatalf("analysis %+v", doc.Analysis)
	}
	// Every front point is non-dominated among the results.
	res := map[int]map[string]float64{}
	for _, e := range doc.Experiments {
		res[e.Seq] = e.Results
	}
	for _, s := range doc.Analysis.ParetoFront {
		p := res[s]
		for q, r := range res {
			if q != s && r["sty"] >= p["sty"] && r["e_factor"] <= p["e_factor"] && (r["sty"] > p["sty"] || r["e_factor"] < p["e_factor"]) {
				t.Errorf("front point %d is dominated by %d", s, q)
			}
		}
	}

	code, stdout, _ = runTycho(t, data, "export", "snar")
	rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if code != 0 || err != nil || !contains(rows[0], "pareto") {
		t.Fatalf("export csv: exit %d, %v, header %v", code, err, rows[0])
	}

	out := filepath.Join(work, "snar.html")
	if code, _, stderr := runTycho(t, data, "report", "-o", out, "snar"); code != 0 {
		t.Fatalf("report: %s", stderr)
	}
	html, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<!DOCTYPE html>", "Chart.js v", "Pareto"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestPriorData warm-starts a campaign from an earlier campaign's export:
// the prior results are imported once, as generation 1, count for the
// model but not against the budget, and replace the initial design.
func TestPriorData(t *testing.T) {
	work := t.TempDir()
	data := filepath.Join(work, "data")
	example := filepath.Join(repoRoot(t), "examples", "branin.yaml")
	src, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	// An earlier campaign of 12 experiments, exported.
	first := writeFile(t, work, "first.yaml", strings.NewReplacer("max_experiments: 40", "max_experiments: 12", "goal: 0.3985", "goal: -1").Replace(string(src)))
	if code, _, stderr := runTycho(t, data, "run", "--quiet", first); code != 0 {
		t.Fatalf("first run: %s", stderr)
	}
	if code, _, stderr := runTycho(t, data, "export", "-o", filepath.Join(work, "earlier.csv"), "branin"); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	warm := writeFile(t, work, "warm.yaml", strings.NewReplacer("max_experiments: 40", "max_experiments: 5",
		"goal: 0.3985", "goal: -1", "seed: 1", "seed: 1\nprior_data: earlier.csv").Replace(strings.Replace(string(src), "name: branin", "name: warm", 1)))
	if code, _, stderr := runTycho(t, data, "run", "--quiet", warm); code != 0 {
		t.Fatalf("warm run: %s", stderr)
	}
	code, stdout, _ := runTycho(t, data, "export", "warm")
	rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if code != 0 || err != nil {
		t.Fatalf("export warm: %v", err)
	}
	gens := map[string]int{}
	for _, r := range rows[1:] {
		gens[r[2]]++
	}
	if gens["1"] != 12 || len(rows)-1 != 17 {
		t.Fatalf("want 12 prior experiments in generation 1 and 5 new ones, got %d rows by generation %v", len(rows)-1, gens)
	}
	// With 12 ≥ 2d+2 prior points the model proposes at once: generation
	// 2 is already the GP's.
	code, stdout, _ = runTycho(t, data, "export", "--format", "json", "warm")
	if code != 0 {
		t.Fatal("export json")
	}
	if !strings.Contains(stdout, `"prior_data": "earlier.csv"`) {
		t.Errorf("spec in the export does not name the prior data")
	}

	// Bad prior data is refused before anything is created, naming file,
	// line and column.
	writeFile(t, work, "bad.csv", "x1,x2,y\n1,2,3\n1,oops,4\n")
	bad := writeFile(t, work, "bad.yaml", strings.Replace(string(src), "seed: 1", "seed: 1\nprior_data: bad.csv", 1))
	code, _, stderr := runTycho(t, filepath.Join(work, "other"), "run", bad)
	if want := filepath.Join(work, "bad.csv") + `:3: x2: "oops" is not a finite number`; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr %q, want it to contain %q", code, stderr, want)
	}
	if _, err := os.Stat(filepath.Join(work, "other")); !os.IsNotExist(err) {
		t.Errorf("bad prior data created the data directory")
	}
}

// TestSuzukiTable runs the Suzuki example against the measured table for
// a few batches.
func TestSuzukiTable(t *testing.T) {
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "..", "shared", "data", "suzuki")); err != nil {
		t.Skip("the Suzuki–Miyaura data set is not at ../shared/data/suzuki beside the repository")
	}
	data := t.TempDir()
	src, err := os.ReadFile(filepath.Join(root, "examples", "suzuki.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, "examples", ".suzuki-test.yaml") // beside the original, for its relative paths
	if err := os.WriteFile(file, []byte(strings.Replace(string(src), "max_experiments: 100", "max_experiments: 15", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(file)
	code, stdout, stderr := runTycho(t, data, "run", "--quiet", file)
	if code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	if !strings.Contains(stdout, "15 completed") {
		t.Errorf("summary:\n%s", stdout)
	}
	code, stdout, _ = runTycho(t, data, "export", "suzuki")
	rows, _ := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		k := strings.Join(r[5:10], "|")
		if seen[k] {
			t.Errorf("reaction %s proposed twice", k)
		}
		seen[k] = true
		if y, err := strconv.ParseFloat(r[10], 64); err != nil || y < 0 || y > 100 {
			t.Errorf("yield %q", r[10])
		}
	}
	if code != 0 || len(seen) != 15 {
		t.Errorf("export: exit %d, %d distinct reactions", code, len(seen))
	}
}
