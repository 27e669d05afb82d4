package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
