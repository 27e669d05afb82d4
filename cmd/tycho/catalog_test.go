package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"tycho"
	"tycho/dcat"
)

// catalogDoc is the part of a catalogue the tests read.
type catalogDoc struct {
	ID       string `json:"@id"`
	Type     string `json:"@type"`
	Title    string `json:"dct:title"`
	Datasets []struct {
		ID       string `json:"@id"`
		Versions []struct {
			ID      string `json:"@id"`
			Title   string `json:"dct:title"`
			License struct {
				ID string `json:"@id"`
			} `json:"dct:license"`
			Distributions []struct {
				Title    string `json:"dct:title"`
				Checksum struct {
					Value struct {
						Value string `json:"@value"`
					} `json:"spdx:checksumValue"`
				} `json:"spdx:checksum"`
			} `json:"dcat:distribution"`
		} `json:"dcat:hasVersion"`
	} `json:"dcat:dataset"`
}

// TestDataCatalog adds a dataset to a data directory and writes its
// catalogue with tycho data catalog, to standard output and to a file.
func TestDataCatalog(t *testing.T) {
	ctx := context.Background()
	work := t.TempDir()
	data := filepath.Join(work, "data")
	src := filepath.Join(work, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "yields.csv"), []byte("id,yield\n1,0.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(sub func(*dataCommand, context.Context, []string) error, args ...string) (string, error) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if !slices.Contains(args, "--data") {
			args = append(args, "--data", data)
		}
		err := sub(&dataCommand{stdout: &stdout, stderr: &stderr}, ctx, args)
		return stdout.String() + stderr.String(), err
	}
	if out, err := run((*dataCommand).add, src, "--name", "screen", "--title", "Screen", "--license", "CC-BY-4.0"); err != nil {
		t.Fatalf("add: %v\n%s", err, out)
	}

	out, err := run((*dataCommand).catalog, "--project", "default", "--publisher", "Example Lab")
	if err != nil {
		t.Fatalf("catalog: %v\n%s", err, out)
	}
	var doc catalogDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("catalog output is not JSON: %v\n%s", err, out)
	}
	if doc.Type != "dcat:Catalog" || doc.ID != "urn:tycho:catalog" || doc.Title != "Tycho datasets" || len(doc.Datasets) != 1 {
		t.Fatalf("catalogue: %+v", doc)
	}
	d := doc.Datasets[0]
	if d.ID != "urn:tycho:dataset:default:screen" || len(d.Versions) != 1 {
		t.Fatalf("dataset: %+v", d)
	}
	v := d.Versions[0]
	if v.Title != "Screen" || v.License.ID != "https://spdx.org/licenses/CC-BY-4.0" || len(v.Distributions) != 1 ||
		v.Distributions[0].Title != "yields.csv" || v.Distributions[0].Checksum.Value.Value != "8b5ec7cf9505a2e48940b447c993ba7a19de4e2e1d0d357dcd963c238651fad4" {
		t.Errorf("version: %+v", v)
	}

	// To a file, under a server's URL.
	file := filepath.Join(work, "catalog.jsonld")
	if out, err := run((*dataCommand).catalog, "--project", "default", "--out", file, "--base-url", "https://tycho.example.org"); err != nil || out != "" {
		t.Fatalf("catalog --out: %v, output %q", err, out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc = catalogDoc{}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Datasets) != 1 || doc.Datasets[0].ID != "https://tycho.example.org/v1/projects/default/datasets/screen" {
		t.Errorf("catalogue file (%v): %s", err, b)
	}

	// Every project: only if the store can list them.
	out, err = run((*dataCommand).catalog)
	db, oerr := openStore(ctx, data, false)
	if oerr != nil {
		t.Fatal(oerr)
	}
	_, canList := any(db).(dcat.ProjectLister)
	db.Close()
	if canList {
		if err != nil || !strings.Contains(out, "urn:tycho:dataset:default:screen") {
			t.Errorf("catalogue of every project: %v\n%s", err, out)
		}
	} else if tycho.ErrorCode(err) != tycho.EINVALID || !strings.Contains(tycho.ErrorMessage(err), "name the project") {
		t.Errorf("catalogue of every project from a store that cannot list them: %v, want EINVALID", err)
	}

	for _, tc := range []struct {
		name string
		args []string
		code string
		want string
	}{
		{"BadBaseURL", []string{"--project", "default", "--base-url", "tycho.example.org"}, tycho.EINVALID, `base URL "tycho.example.org"`},
		{"BadProject", []string{"--project", "a/b"}, tycho.EINVALID, `project name "a/b"`},
		{"NoTitle", []string{"--project", "default", "--title", ""}, tycho.EINVALID, "title is required"},
		{"NoData", []string{"--project", "default", "--data", filepath.Join(work, "none")}, tycho.ENOTFOUND, "no Tycho data"},
		{"OutInMissingDir", []string{"--project", "default", "--out", filepath.Join(work, "none", "c.jsonld")}, tycho.EINTERNAL, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run((*dataCommand).catalog, tc.args...)
			if tycho.ErrorCode(err) != tc.code || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %s mentioning %q", err, tc.code, tc.want)
			}
		})
	}
	if _, err := run((*dataCommand).catalog, "--project", "default", "stray"); !errors.Is(err, errUsage) {
		t.Errorf("a stray argument: %v, want a usage error", err)
	}
	if _, err := os.Stat(filepath.Join(work, "none")); !os.IsNotExist(err) {
		t.Errorf("a failed catalogue created %s (%v)", filepath.Join(work, "none"), err)
	}
}

// TestDataCatalogDispatched runs tycho data catalog from the command line,
// once "tycho data" dispatches it.
func TestDataCatalogDispatched(t *testing.T) {
	var stdout, stderr bytes.Buffer
	t.Setenv("TYCHO_DATA", t.TempDir())
	code := Main(context.Background(), []string{"data", "catalog", "--project", "p1"}, &stdout, &stderr)
	if strings.Contains(stderr.String(), `unknown subcommand "catalog"`) {
		t.Skip(`tycho data does not dispatch "catalog" yet (cmd/tycho/datacmd.go)`)
	}
	// An empty data directory has no store yet.
	if code != 1 || !strings.Contains(stderr.String(), "no Tycho data") {
		t.Errorf("exit %d, stderr %q; want 1 and no Tycho data", code, stderr.String())
	}
}
