package rocrate_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tycho"
	"tycho/blob"
	"tycho/rocrate"
)

// recorder is a Destination that keeps what it is given, and stores chunks
// in a real chunk store. It refuses nothing, so an import that fails has
// failed in its own checks.
type recorder struct {
	*blob.Store
	dir       string // holds the chunk store, blobs/
	mu        sync.Mutex
	versions  []*tycho.DatasetVersion
	campaigns []string
	prov      int
}

func newRecorder(t testing.TB, dir string) *recorder {
	t.Helper()
	s, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return &recorder{Store: s, dir: dir}
}

func (r *recorder) ImportCampaign(_ context.Context, c *tycho.Campaign, _ []*tycho.Generation, _ []*tycho.Experiment) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.campaigns = append(r.campaigns, c.ID)
	return nil
}

func (r *recorder) ImportVersion(_ context.Context, v *tycho.DatasetVersion) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.versions = append(r.versions, v)
	return nil
}

func (r *recorder) ImportProvenance(_ context.Context, g *tycho.ProvGraph) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prov += len(g.Nodes) + len(g.Edges)
	return nil
}

func (r *recorder) records() int { return len(r.versions) + len(r.campaigns) + r.prov }

// entry is one entry of an archive a test builds.
type entry struct {
	name   string
	data   []byte
	mode   fs.FileMode // 0 for a regular file
	method uint16
}

// build writes entries as a ZIP archive.
func build(t testing.TB, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: e.method, Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		if e.mode != 0 {
			h.SetMode(e.mode)
		} else {
			h.SetMode(0o644)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// entries reads a crate's entries in order.
func entries(t testing.TB, crate []byte) []entry {
	t.Helper()
	data := entriesOf(t, crate)
	zr, err := zip.NewReader(bytes.NewReader(crate), int64(len(crate)))
	if err != nil {
		t.Fatal(err)
	}
	var out []entry
	for _, f := range zr.File {
		out = append(out, entry{name: f.Name, data: data[f.Name], method: f.Method})
	}
	return out
}

// edit returns a copy of a crate's entries with the named one changed by
// f (nil drops it).
func edit(es []entry, name string, f func([]byte) []byte) []entry {
	var out []entry
	for _, e := range es {
		if e.name == name {
			if f == nil {
				continue
			}
			e.data = f(slices.Clone(e.data))
		}
		out = append(out, e)
	}
	return out
}

func replace(old, new string) func([]byte) []byte {
	return func(b []byte) []byte { return bytes.Replace(b, []byte(old), []byte(new), 1) }
}

// smallProject fills a store quickly: a dataset of two versions and a
// campaign of a generation, without running anything.
func smallProject(t testing.TB, s *store) {
	t.Helper()
	md := tycho.Metadata{Title: "T", License: "MIT"}
	addVersion(t, s, tycho.DefaultProject, "d", map[string][]byte{"a.csv": []byte("x\n1\n"), "sub/b.txt": []byte("b")}, md)
	addVersion(t, s, tycho.DefaultProject, "d", map[string][]byte{"a.csv": []byte("x\n2\n"), "sub/b.txt": []byte("b")}, md)
	agentCampaign(t, s)
}

var (
	smallOnce  sync.Once
	smallCrate []byte
)

// small returns the export of smallProject, made once.
func small(t testing.TB) []byte {
	smallOnce.Do(func() {
		s := openStore(t, t.TempDir())
		smallProject(t, s)
		smallCrate = export(t, s, tycho.DefaultProject)
	})
	if smallCrate == nil {
		t.Fatal("no small crate")
	}
	return smallCrate
}

// cases are archives Import must refuse, each with what its error says.
func cases(t testing.TB) []struct {
	name, want string
	crate      []byte
	limits     *rocrate.Limits
} {
	valid := entries(t, small(t))
	campaign := "campaigns/reactor-run/"
	with := func(extra ...entry) []byte { return build(t, append(slices.Clone(valid), extra...)) }
	editing := func(name string, f func([]byte) []byte) []byte { return build(t, edit(valid, name, f)) }
	zeros := make([]byte, 4<<20)
	tight := rocrate.DefaultLimits
	tight.Entries = 10
	tiny := rocrate.DefaultLimits
	tiny.FileSize, tiny.RecordSize = 3, 1<<20
	total := rocrate.DefaultLimits
	total.TotalSize = 10_000
	return []struct {
		name, want string
		crate      []byte
		limits     *rocrate.Limits
	}{
		{"ErrNotZip", "not a ZIP archive", []byte("PK\x03\x04 this is not a zip"), nil},
		{"ErrDotDot", `entry "datasets/d/1/data/../../../../etc/passwd": '..' would leave the export`, with(entry{name: "datasets/d/1/data/../../../../etc/passwd", data: []byte("x")}), nil},
		{"ErrDotDotAlone", `entry "../x"`, with(entry{name: "../x", data: []byte("x")}), nil},
		{"ErrAbsolute", `entry "/etc/cron.d/x": the name is an absolute path`, with(entry{name: "/etc/cron.d/x", data: []byte("x")}), nil},
		{"ErrBackslash", `entry "datasets\\d\\1\\data\\x": the name contains a backslash`, with(entry{name: `datasets\d\1\data\x`, data: []byte("x")}), nil},
		{"ErrDriveLetter", `entry "C:/Windows/x": the name starts with a drive letter`, with(entry{name: "C:/Windows/x", data: []byte("x")}), nil},
		{"ErrControl", `the name contains a control character`, with(entry{name: "datasets/d/1/data/a\nb", data: []byte("x")}), nil},
		{"ErrEmptyElement", `empty or '.' element`, with(entry{name: "datasets//d/1/x", data: []byte("x")}), nil},
		{"ErrSymlink", `entry "datasets/d/1/data/link": is a symbolic link`, with(entry{name: "datasets/d/1/data/link", data: []byte("/etc/passwd"), mode: fs.ModeSymlink | 0o777}), nil},
		{"ErrDevice", `entry "datasets/d/1/data/dev": is not a regular file`, with(entry{name: "datasets/d/1/data/dev", mode: fs.ModeDevice | 0o644}), nil},
		{"ErrDuplicate", `entry "datasets/d/1/data/a.csv": comes twice`, with(entry{name: "datasets/d/1/data/a.csv", data: []byte("x\n1\n")}), nil},
		{"ErrDuplicateDirectory", `entry "datasets/d/1/data/a.csv/": comes twice`, with(entry{name: "datasets/d/1/data/a.csv/", mode: fs.ModeDir | 0o755}), nil},
		{"ErrZipBomb", `entry "datasets/d/1/bag-info.txt": expands from`, editing("datasets/d/1/bag-info.txt", func([]byte) []byte { return zeros }), nil},
		{"ErrTooManyEntries", "more than 10 entries", small0(t, valid), &tight},
		{"ErrFileTooLarge", `entry "datasets/d/1/data/a.csv": holds 4 bytes; an import takes at most 3`, small0(t, valid), &tiny},
		{"ErrTotalTooLarge", "more than 10000 bytes", small0(t, valid), &total},
		{"ErrUnknownLayout", `entry "evil.sh": has no place in the layout`, with(entry{name: "evil.sh", data: []byte("rm -rf /")}), nil},
		{"ErrUnknownInBag", `entry "datasets/d/1/notes.txt": has no place`, with(entry{name: "datasets/d/1/notes.txt", data: []byte("x")}), nil},
		{"ErrBadVersionNumber", `"01" is not a version number`, with(entry{name: "datasets/d/01/bagit.txt", data: []byte("x")}), nil},
		{"ErrBadPayloadPath", `is longer than 4096 bytes`, with(entry{name: "datasets/d/1/data/" + strings.Repeat("a", 5000), data: []byte("x")}), nil},
		{"ErrMissingHeader", `no entry "tycho-export.json"`, build(t, edit(valid, "tycho-export.json", nil)), nil},
		{"ErrMissingManifest", `no entry "datasets/d/2/manifest-sha256.txt"`, build(t, edit(valid, "datasets/d/2/manifest-sha256.txt", nil)), nil},
		{"ErrMissingVersion", `it has datasets/d/2/ but not datasets/d/1/`, build(t, withoutPrefix(valid, "datasets/d/1/")), nil},
		{"ErrMissingCampaign", `the export holds 0 campaigns, but tycho-export.json counts 1`, build(t, withoutPrefix(valid, campaign)), nil},
		{"ErrBytesDisagree", `entry "datasets/d/1/data/a.csv": its SHA-256 is`, editing("datasets/d/1/data/a.csv", replace("1", "9")), nil},
		{"ErrExtraFile", `entry "datasets/d/1/data/extra.txt": is not in datasets/d/1/manifest-sha256.txt`, with(entry{name: "datasets/d/1/data/extra.txt", data: []byte("x")}), nil},
		{"ErrMissingFile", `lists data/sub/b.txt, which the export does not hold`, build(t, edit(valid, "datasets/d/1/data/sub/b.txt", nil)), nil},
		{"ErrManifestHash", `manifest-sha256.txt": its SHA-256 is not the version's digest`, editing("datasets/d/1/manifest-sha256.txt", func(b []byte) []byte {
			return bytes.Replace(b, b[:64], bytes.Repeat([]byte("0"), 64), 1)
		}), nil},
		{"ErrManifestForm", `is not in Tycho's form`, editing("datasets/d/1/manifest-sha256.txt", func(b []byte) []byte {
			lines := bytes.SplitAfter(b, []byte("\n"))
			return bytes.Join([][]byte{lines[1], lines[0]}, nil)
		}), nil},
		{"ErrManifestLine", `line 1 is not "SHA256  PATH"`, editing("datasets/d/1/manifest-sha256.txt", replace("  data/", " data/")), nil},
		{"ErrTagManifest", `entry "datasets/d/1/version.json": its SHA-256 is`, editing("datasets/d/1/version.json", replace(`"title": "T"`, `"title": "U"`)), nil},
		{"ErrDigest", `its SHA-256 is not the version's digest sha256:0000`, editing("datasets/d/1/version.json", func(b []byte) []byte {
			i := bytes.Index(b, []byte("sha256:"))
			copy(b[i+7:], bytes.Repeat([]byte("0"), 64))
			return b
		}), nil},
		{"ErrUnknownField", `entry "campaigns/reactor-run/campaign.json":`, editing(campaign+"campaign.json", replace(`"id":`, `"owner": "x", "id":`)), nil},
		{"ErrBadExperiment", `entry "campaigns/reactor-run/experiments.jsonl": line 2: experiment reactor-e2: unknown state "lost"`, editing(campaign+"experiments.jsonl", replace(`"state":"dispatched"`, `"state":"lost"`)), nil},
		{"ErrExperimentOfNoGeneration", `which generations.jsonl does not hold`, editing(campaign+"experiments.jsonl", replace(`"generation":1`, `"generation":7`)), nil},
		{"ErrNotJSON", `entry "campaigns/reactor-run/generations.jsonl": line 1:`, editing(campaign+"generations.jsonl", replace(`{`, `[`)), nil},
		{"ErrDuplicateNode", `node campaign/reactor-run comes twice`, editing("provenance/graph.jsonl", func(b []byte) []byte {
			i := bytes.Index(b, []byte(`{"node":{"id":"campaign/reactor-run"`))
			line := b[i : i+bytes.IndexByte(b[i:], '\n')+1]
			return append(b, line...)
		}), nil},
		{"ErrBadNode", `provenance ID`, editing("provenance/graph.jsonl", replace(`"id":"campaign/reactor-run"`, `"id":"campaign/reactor run"`)), nil},
		{"ErrNewerFormat", `format version 2: this Tycho reads version 1`, editing("tycho-export.json", replace(`"version": 1`, `"version": 2`)), nil},
		{"ErrOtherProject", `project "default", but the export is of project "x"`, editing("tycho-export.json", replace(`"project": "default"`, `"project": "x"`)), nil},
		{"ErrMetadataNotJSON", `entry "ro-crate-metadata.json"`, editing("ro-crate-metadata.json", func(b []byte) []byte { return b[:len(b)/2] }), nil},
		{"ErrCatalogNotJSON", `entry "catalog.jsonld"`, editing("catalog.jsonld", func(b []byte) []byte { return b[1:] }), nil},
		{"ErrMissingCatalog", `no entry "catalog.jsonld"`, build(t, edit(valid, "catalog.jsonld", nil)), nil},
		{"ErrProvONotJSON", `entry "provenance/prov.jsonld"`, editing("provenance/prov.jsonld", func(b []byte) []byte { return append(b, '{') }), nil},
	}
}

// small0 is the small crate as it is, for the cases that only lower the
// limits.
func small0(t testing.TB, valid []entry) []byte { return build(t, valid) }

func withoutPrefix(es []entry, prefix string) []entry {
	var out []entry
	for _, e := range es {
		if !strings.HasPrefix(e.name, prefix) {
			out = append(out, e)
		}
	}
	return out
}

// TestImportRefuses imports archives that are hostile or damaged: each is
// refused with an error that names what is wrong, and nothing is written.
func TestImportRefuses(t *testing.T) {
	for _, tc := range cases(t) {
		t.Run(tc.name, func(t *testing.T) {
			dst := newRecorder(t, t.TempDir())
			lim := rocrate.DefaultLimits
			if tc.limits != nil {
				lim = *tc.limits
			}
			err := lim.Import(ctx, bytes.NewReader(tc.crate), int64(len(tc.crate)), dst)
			if tycho.ErrorCode(err) != tycho.EINVALID || !strings.Contains(tycho.ErrorMessage(err), tc.want) {
				t.Fatalf("import: %v\nwant EINVALID containing %q", err, tc.want)
			}
			t.Log(tycho.ErrorMessage(err))
			if n := dst.records(); n > 0 {
				t.Errorf("a refused import wrote %d records", n)
			}
			if files := chunkFiles(t, dst.dir, tycho.DefaultProject); len(files) > 0 {
				t.Errorf("a refused import wrote %d chunks", len(files))
			}
		})
	}
}

// TestImportSmall imports the small crate, as a check that the cases
// above start from a crate Import takes, into both destinations.
func TestImportSmall(t *testing.T) {
	crate := small(t)
	dst := newRecorder(t, t.TempDir())
	if err := rocrate.Import(ctx, bytes.NewReader(crate), int64(len(crate)), dst); err != nil {
		t.Fatal(err)
	}
	if len(dst.versions) != 2 || len(dst.campaigns) != 1 || dst.prov == 0 {
		t.Errorf("imported %d versions, %d campaigns, %d provenance records", len(dst.versions), len(dst.campaigns), dst.prov)
	}
	importInto(t, crate)
	// Directory entries, as zip -r adds them, are taken.
	withDirs := build(t, append([]entry{{name: "datasets/", mode: fs.ModeDir | 0o755}, {name: "datasets/d/1/data/sub/", mode: fs.ModeDir | 0o755}}, entries(t, crate)...))
	importInto(t, withDirs)
}

// TestImportNotEmpty imports twice into one store: the second import
// conflicts. (The CLI imports into an empty directory only.)
func TestImportNotEmpty(t *testing.T) {
	crate := small(t)
	dst := importInto(t, crate)
	err := rocrate.Import(ctx, bytes.NewReader(crate), int64(len(crate)), dst)
	if tycho.ErrorCode(err) != tycho.ECONFLICT {
		t.Errorf("import into a store that holds the crate: %v, want ECONFLICT", err)
	}
}

// FuzzImport imports arbitrary archives: Import must not panic, must
// write nothing outside its destination directory, and must either import
// or refuse with EINVALID having written no record.
func FuzzImport(f *testing.F) {
	f.Add(small(f))
	for _, tc := range cases(f) {
		if tc.limits == nil {
			f.Add(tc.crate)
		}
	}
	f.Add([]byte{})
	lim := rocrate.DefaultLimits
	lim.TotalSize, lim.FileSize, lim.RecordSize = 64<<20, 16<<20, 16<<20
	f.Fuzz(func(t *testing.T, crate []byte) {
		outer := t.TempDir()
		dst := newRecorder(t, outer)
		err := lim.Import(ctx, bytes.NewReader(crate), int64(len(crate)), dst)
		if err != nil {
			if code := tycho.ErrorCode(err); code != tycho.EINVALID {
				t.Fatalf("import failed with %s, not EINVALID: %v", code, err)
			}
			if n := dst.records(); n > 0 {
				t.Fatalf("a refused import wrote %d records: %v", n, err)
			}
		} else {
			for _, v := range dst.versions {
				if v.Digest != tycho.ManifestDigest(v.Files) {
					t.Fatalf("imported %s with a digest that does not match its files", v.Ref())
				}
				if err := tycho.CheckVersion(v); err != nil {
					t.Fatalf("imported a version that fails its checks: %v", err)
				}
				for _, file := range v.Files {
					for _, c := range file.Chunks {
						if missing, err := dst.Missing(ctx, v.Project, []string{c.Hash}); err != nil || len(missing) > 0 {
							t.Fatalf("imported %s without its chunk %s", v.Ref(), c.Hash)
						}
					}
				}
			}
		}
		// Nothing lands beside the chunk store, and in it only chunks.
		err = filepath.WalkDir(outer, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(outer, p)
			parts := strings.Split(filepath.ToSlash(rel), "/")
			if len(parts) != 5 || parts[0] != "blobs" || parts[2] != "sha256" || len(parts[3]) != 2 || !tycho.ValidHash(parts[3]+parts[4]) {
				return fmt.Errorf("import wrote %s", rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
