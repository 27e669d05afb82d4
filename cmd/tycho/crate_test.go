package main_test

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestExportImportCrate exports a data directory as an RO-Crate and
// imports it into a new one, which then answers every command as the
// first did.
func TestExportImportCrate(t *testing.T) {
	work := t.TempDir()
	data := filepath.Join(work, "data")
	run := func(want int, args ...string) (string, string) {
		t.Helper()
		code, stdout, stderr := runTycho(t, data, args...)
		if code != want {
			t.Fatalf("tycho %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, stdout, stderr)
		}
		return stdout, stderr
	}
	src := filepath.Join(work, "src")
	if err := os.MkdirAll(filepath.Join(src, "raw"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, src, "yields.csv", "id,yield\n1,0.5\n")
	writeFile(t, src, "raw/notes.txt", "plate 1\n")
	run(0, "data", "add", src, "--name", "screen", "--title", "Screen", "--license", "CC-BY-4.0")
	writeFile(t, src, "yields.csv", "id,yield\n1,0.6\n")
	run(0, "data", "add", src, "--name", "screen")
	campaign := writeFile(t, work, "branin.yaml", "name: branin\nparameters:\n  - {name: x1, kind: continuous, bounds: [-5, 10]}\n"+
		"  - {name: x2, kind: continuous, bounds: [0, 15]}\nobjectives:\n  - {name: y, direction: minimize}\n"+
		"budget: {max_experiments: 8}\nseed: 1\nlab: {kind: twin, name: branin}\n")
	run(0, "run", "--quiet", campaign)
	list, _ := run(0, "campaigns")
	id := strings.Fields(strings.Split(strings.TrimSpace(list), "\n")[1])[0]

	crate := filepath.Join(work, "out.zip")
	if _, stderr := run(0, "export", "--project", "default", crate); !strings.Contains(stderr, "exported project default to "+crate) {
		t.Errorf("export says %q", stderr)
	}
	// Flags may follow the file; - is standard output.
	stdout, _ := run(0, "export", "-", "--project=default")
	if _, err := zip.NewReader(bytes.NewReader([]byte(stdout)), int64(len(stdout))); err != nil {
		t.Errorf("export to standard output is not a ZIP file: %v", err)
	}
	// Without --project, export is still the campaign export.
	if csv, _ := run(0, "export", id); !strings.HasPrefix(csv, "seq,id,generation,state") {
		t.Errorf("export CAMPAIGN: %q", csv)
	}

	copyData := filepath.Join(work, "copy")
	if _, stderr := run(0, "import", crate, "--data", copyData); !strings.Contains(stderr, "imported "+crate) {
		t.Errorf("import says %q", stderr)
	}
	for _, args := range [][]string{
		{"campaigns"},
		{"show", id},
		{"export", id},
		{"export", "--format", "json", id},
		{"data", "ls"},
		{"data", "show", "screen@1"},
		{"data", "versions", "screen"},
		{"lineage", "campaign/" + id, "--down"},
	} {
		want, _ := run(0, args...)
		at := 1 // after the command, and a subcommand
		if args[0] == "data" {
			at = 2
		}
		got, _ := run(0, slices.Concat(args[:at], []string{"--data", copyData}, args[at:])...)
		if strings.TrimSpace(want) == "" {
			t.Errorf("tycho %s says nothing", strings.Join(args, " "))
		}
		if got != want {
			t.Errorf("tycho %s differs after the import:\ngot  %s\nwant %s", strings.Join(args, " "), got, want)
		}
	}
	got := filepath.Join(work, "got")
	run(0, "data", "get", "screen@1", "-o", got, "--data", copyData)
	if b, err := os.ReadFile(filepath.Join(got, "yields.csv")); err != nil || string(b) != "id,yield\n1,0.5\n" {
		t.Errorf("get after import: %q, %v", b, err)
	}

	// An existing empty directory is taken; a directory with anything in
	// it is not, and is left as it was.
	empty := filepath.Join(work, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	run(0, "import", "--data", empty, crate)
	if _, err := os.Stat(filepath.Join(empty, "tycho.db")); err != nil {
		t.Errorf("import into an empty directory: %v", err)
	}
	_, stderr := run(1, "import", "--data", copyData, crate)
	if !strings.Contains(stderr, "is not empty") {
		t.Errorf("import into a full directory: %q", stderr)
	}

	// A damaged crate is refused, naming the entry, and leaves nothing.
	damaged := filepath.Join(work, "damaged.zip")
	rewrite(t, crate, damaged, "datasets/screen/1/data/yields.csv", []byte("id,yield\n1,0.9\n"))
	fresh := filepath.Join(work, "fresh")
	_, stderr = run(1, "import", "--data", fresh, damaged)
	if !strings.Contains(stderr, `entry "datasets/screen/1/data/yields.csv": its SHA-256 is`) {
		t.Errorf("import of a damaged crate: %q", stderr)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("a refused import left %s (%v)", fresh, err)
	}
	if left, _ := filepath.Glob(filepath.Join(work, ".*")); len(left) > 0 {
		t.Errorf("a refused import left %v", left)
	}

	run(2, "import")
	run(2, "export", "--project", "default")
	if _, stderr := run(1, "import", filepath.Join(work, "none.zip"), "--data", fresh); !strings.Contains(stderr, "no such file") {
		t.Errorf("import of a missing file: %q", stderr)
	}
}

// rewrite copies the ZIP file from to the file to, with the entry named
// name holding data instead.
func rewrite(t *testing.T, from, to, name string, data []byte) {
	t.Helper()
	zr, err := zip.OpenReader(from)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: f.Method})
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == name {
			w.Write(data)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
