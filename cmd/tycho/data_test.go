package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tycho"
)

// TestDataCommands adds two versions, lists, shows, diffs and gets them
// through the CLI, flags after the paths as the usage gives them.
func TestDataCommands(t *testing.T) {
	work := t.TempDir()
	data := filepath.Join(work, "data")
	src := filepath.Join(work, "src")
	if err := os.MkdirAll(filepath.Join(src, "raw"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, src, "yields.csv", "id,yield\n1,0.5\n")
	writeFile(t, src, "raw/notes.txt", "plate 1\n")
	run := func(want int, args ...string) string {
		t.Helper()
		code, stdout, stderr := runTycho(t, data, args...)
		if code != want {
			t.Fatalf("tycho %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, stdout, stderr)
		}
		return stdout + stderr
	}
	out := run(0, "data", "add", src, "--name", "screen", "--title", "Screen", "--license", "CC-BY-4.0",
		"--creator", "Ada Lovelace,0000-0002-1825-0097", "--keyword", "catalysis", "--temporal", "2017-01-01/2018-06-30")
	if !strings.HasPrefix(out, "screen@1: 2 files") {
		t.Errorf("add: %q", out)
	}
	writeFile(t, src, "yields.csv", "id,yield\n1,0.6\n")
	writeFile(t, src, "raw/extra.txt", "more\n")
	run(0, "data", "add", src, "--name", "screen", "--title", "Screen")
	if out := run(0, "data", "ls"); !strings.Contains(out, "screen  2") {
		t.Errorf("ls: %q", out)
	}
	if out := run(0, "data", "show", "screen@1"); !strings.Contains(out, "orcid.org/0000-0002-1825-0097") || !strings.Contains(out, "raw/notes.txt") || !strings.Contains(out, "2017-01-01/2018-06-30") {
		t.Errorf("show: %q", out)
	}
	if out := run(0, "data", "diff", "screen@1", "screen@2"); !strings.Contains(out, "+ raw/extra.txt") || !strings.Contains(out, "M yields.csv") {
		t.Errorf("diff: %q", out)
	}
	dst := filepath.Join(work, "out")
	run(0, "data", "get", "screen@1", "-o", dst)
	if b, err := os.ReadFile(filepath.Join(dst, "yields.csv")); err != nil || string(b) != "id,yield\n1,0.5\n" {
		t.Errorf("got %q (%v)", b, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"data", "show", "nope"}, "dataset nope not found"},
		{[]string{"data", "get", "screen@9", "-o", dst}, "no version 9"},
		{[]string{"data", "get", "screen@1", "-o", dst}, "exists already"},
		{[]string{"data", "add", filepath.Join(work, "none"), "--name", "x"}, "no such file"},
		{[]string{"data", "add", src, "--name", "x", "--creator", "B,123"}, `ORCID "123"`},
		{[]string{"data", "add", src, "--name", "x", "--temporal", "2017"}, "want START/END"},
	} {
		if out := run(1, tc.args...); !strings.Contains(out, tc.want) {
			t.Errorf("tycho %s: %q, want %q", strings.Join(tc.args, " "), out, tc.want)
		}
	}
	run(2, "data", "add", src) // no --name
}

// TestDataQuality adds tables under a schema and reads their report back
// as the add prints it, in "data show", and from "data quality" as text and
// as JSON.
func TestDataQuality(t *testing.T) {
	work := t.TempDir()
	data := filepath.Join(work, "data")
	src := filepath.Join(work, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, src, "yields.csv", "entry,solvent,yield\n1,THF,50\n2,MeCN,104\n3,DMF,x\n3,DMF,x\n")
	writeFile(t, src, "notes.txt", "plate 1\n")
	schema := writeFile(t, work, "schema.yaml", `tables:
  - path: yields.csv
    columns:
      - {name: entry, type: integer, required: true}
      - {name: yield, type: number, unit: "%", min: 0, max: 100}
`)
	run := func(want int, args ...string) string {
		t.Helper()
		code, stdout, stderr := runTycho(t, data, args...)
		if code != want {
			t.Fatalf("tycho %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, stdout, stderr)
		}
		return stdout + stderr
	}
	out := run(0, "data", "add", src, "--name", "screen", "--schema", schema, "--license", "CC-BY-4.0", "--title", "Screen")
	if !strings.Contains(out, "\nquality: bronze (tycho data quality screen@1 says why not higher)\n") {
		t.Errorf("add: %q", out)
	}
	out = run(0, "data", "show", "screen")
	for _, want := range []string{
		"  quality   bronze (checked ",
		"            silver: no description\n",
		"  table     yields.csv: 4 rows, 3 columns, 0.0 % missing, 1 duplicate rows, 2 type violations, 1 out of range\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show: %q\nwant it to contain %q", out, want)
		}
	}
	out = run(0, "data", "quality", "screen@1")
	for _, want := range []string{
		"screen@1: bronze (checked ",
		"  licence yes, description no\n",
		`  silver: yields.csv: column yield: 2 values are not a number; first: row 3 (line 4): "x" is not a number`,
		"  gold: yields.csv: columns not declared in a schema (--schema): solvent\n",
		"yields.csv (csv): 4 rows, 3 columns, 1 duplicate rows\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("quality: %q\nwant it to contain %q", out, want)
		}
	}
	// The column table: name, type, unit, range, missing, bad type, out
	// of range, first problem.
	for _, want := range []string{
		`entry integer* required 0 0 0`,
		`solvent string 0 0 0`,
		`yield number* % [0, 100] 0 2 1 row 3 (line 4): "x" is not a number`,
	} {
		found := false
		for _, line := range strings.Split(out, "\n") {
			found = found || strings.Join(strings.Fields(line), " ") == want
		}
		if !found {
			t.Errorf("quality: %q\nwant a line %q", out, want)
		}
	}
	var q tycho.QualityReport
	if err := json.Unmarshal([]byte(run(0, "data", "quality", "screen", "--json")), &q); err != nil {
		t.Fatal(err)
	}
	if q.Grade != tycho.GradeBronze || len(q.Tables) != 1 || q.Tables[0].DuplicateRows != 1 || !q.Tables[0].Columns[2].Declared || q.Tables[0].Quality[2].OutOfRange != 1 {
		t.Errorf("JSON report: %+v", q)
	}

	bad := writeFile(t, work, "bad.yaml", "tables:\n  - path: yields.csv\n    columns:\n      - {name: yield, type: float}\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"data", "add", src, "--name", "x", "--schema", bad}, bad + `:4: tables[0].columns[0].type: unknown type "float"`},
		{[]string{"data", "add", src, "--name", "x", "--schema", filepath.Join(work, "none.yaml")}, "none.yaml"},
		{[]string{"data", "quality", "nope"}, "dataset nope not found"},
	} {
		if out := run(1, tc.args...); !strings.Contains(out, tc.want) {
			t.Errorf("tycho %s: %q, want %q", strings.Join(tc.args, " "), out, tc.want)
		}
	}
	run(2, "data", "quality")
	if out := run(0, "data", "versions", "screen"); strings.Count(out, "\n") != 2 {
		t.Errorf("a refused schema added a version: %q", out)
	}
}

// TestProjectCommands shows a project's defaults, sets its minimum grade
// for prior data and shows it again.
func TestProjectCommands(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	run := func(want int, args ...string) string {
		t.Helper()
		code, stdout, stderr := runTycho(t, data, args...)
		if code != want {
			t.Fatalf("tycho %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, stdout, stderr)
		}
		return stdout + stderr
	}
	if out := run(1, "project", "show", "chem"); !strings.Contains(out, "no Tycho data") {
		t.Errorf("show before any data: %q", out)
	}
	out := run(0, "project", "set", "chem", "--min-prior-grade", "silver")
	if !strings.Contains(out, "project chem\n  prior data      dataset versions graded silver or better\n  updated ") {
		t.Errorf("set: %q", out)
	}
	if out := run(0, "project", "show", "chem"); !strings.Contains(out, "graded silver or better") {
		t.Errorf("show: %q", out)
	}
	if out := run(0, "project", "show", "other"); !strings.Contains(out, "any dataset version") || !strings.Contains(out, "the defaults (never set)") {
		t.Errorf("show an unset project: %q", out)
	}
	if out := run(0, "project", "set", "chem", "--min-prior-grade", "none"); !strings.Contains(out, "any dataset version") {
		t.Errorf("set none: %q", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"project", "set", "chem", "--min-prior-grade", "platinum"}, `grade "platinum"`},
		{[]string{"project", "set", "a/b", "--min-prior-grade", "gold"}, `project name "a/b"`},
		{[]string{"project", "show", "a/b"}, `project name "a/b"`},
	} {
		if out := run(1, tc.args...); !strings.Contains(out, tc.want) {
			t.Errorf("tycho %s: %q, want %q", strings.Join(tc.args, " "), out, tc.want)
		}
	}
	run(2, "project", "set", "chem")
	run(2, "project", "show")
	run(2, "project", "frob")
	run(2, "project")
}
