package dataset_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"tycho"
	"tycho/blob"
	"tycho/dataset"
	"tycho/sqlite"
)

var ctx = context.Background()

func newService(t testing.TB) *dataset.Service {
	t.Helper()
	s, _ := newServiceIn(t)
	return s
}

// newServiceIn also returns the directory of the chunk store.
func newServiceIn(t testing.TB) (*dataset.Service, string) {
	t.Helper()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "tycho.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	dir := filepath.Join(t.TempDir(), "blobs")
	chunks, err := blob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &dataset.Service{Datasets: db, Chunks: chunks}, dir
}

// random returns n bytes that do not compress or repeat.
func random(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func write(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for p, data := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestAddGetRoundTrip(t *testing.T) {
	s := newService(t)
	src := t.TempDir()
	files := map[string][]byte{
		"yields.csv":         []byte("id,yield\n1,0.5\n2,0.7\n"),
		"empty.txt":          {},
		"raw/spectra.bin":    random(1, 10<<20+12345), // several chunks
		"raw/deeper/one.bin": random(2, dataset.MinChunk+1),
	}
	write(t, src, files)
	v, err := s.Add(ctx, dataset.AddRequest{Name: "screen", Paths: []string{src}, Metadata: tycho.Metadata{Title: "Screen"}})
	if err != nil {
		t.Fatal(err)
	}
	if v.Number != 1 || v.FileCount != 4 || v.Project != tycho.DefaultProject {
		t.Fatalf("version %d with %d files in %s", v.Number, v.FileCount, v.Project)
	}
	for _, f := range v.Files {
		if f.SHA256 != sha(files[f.Path]) || f.Size != int64(len(files[f.Path])) {
			t.Errorf("%s: sha256 %s size %d, want %s %d", f.Path, f.SHA256, f.Size, sha(files[f.Path]), len(files[f.Path]))
		}
		for _, c := range f.Chunks {
			if c.Size < dataset.MinChunk && c != f.Chunks[len(f.Chunks)-1] || c.Size > dataset.MaxChunk {
				t.Errorf("%s: chunk of %d bytes", f.Path, c.Size)
			}
		}
	}
	if n := len(find(v, "raw/spectra.bin").Chunks); n < 4 {
		t.Errorf("10 MiB in %d chunks, want several", n)
	}
	dst := t.TempDir()
	if _, err := s.Get(ctx, "", "screen", "1", dst); err != nil {
		t.Fatal(err)
	}
	for p, want := range files {
		got, err := os.ReadFile(filepath.Join(dst, filepath.FromSlash(p)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: got %d bytes (%v), want %d", p, len(got), err, len(want))
		}
	}
	_, err = s.Get(ctx, "", "screen", "1", dst)
	if tycho.ErrorCode(err) != tycho.ECONFLICT {
		t.Errorf("get over existing files: %v, want a conflict", err)
	}
}

func find(v *tycho.DatasetVersion, p string) *tycho.File {
	for i := range v.Files {
		if v.Files[i].Path == p {
			return &v.Files[i]
		}
	}
	return nil
}

// TestDedup edits 1 % of a file in one place: the new version shares
// almost all chunks with the old.
func TestDedup(t *testing.T) {
	s := newService(t)
	dir := t.TempDir()
	data := random(3, 32<<20)
	write(t, dir, map[string][]byte{"f.bin": data})
	v1, err := s.Add(ctx, dataset.AddRequest{Name: "d", Paths: []string{filepath.Join(dir, "f.bin")}})
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Clone(data)
	copy(edited[len(edited)/2:], random(4, len(edited)/100))
	write(t, dir, map[string][]byte{"f.bin": edited})
	v2, err := s.Add(ctx, dataset.AddRequest{Name: "d", Paths: []string{filepath.Join(dir, "f.bin")}})
	if err != nil {
		t.Fatal(err)
	}
	if v2.Number != 2 {
		t.Fatalf("edited file: version %d", v2.Number)
	}
	old := map[string]bool{}
	for _, c := range v1.Files[0].Chunks {
		old[c.Hash] = true
	}
	var reused int64
	for _, c := range v2.Files[0].Chunks {
		if old[c.Hash] {
			reused += c.Size
		}
	}
	if frac := float64(reused) / float64(len(edited)); frac < 0.85 {
		t.Errorf("reused %.1f %% of the bytes after a 1 %% edit, want most", 100*frac)
	}
	changes := dataset.Diff(v1, v2)
	if len(changes) != 1 || changes[0].Kind != 'M' || changes[0].Path != "f.bin" {
		t.Errorf("diff: %+v", changes)
	}
}

// failing fails every PutChunk after the first n.
type failing struct {
	tycho.ChunkStore
	n, puts atomic.Int64
}

func (f *failing) PutChunk(ctx context.Context, project, hash string, data []byte) error {
	if f.puts.Add(1) > f.n.Load() {
		return errors.New("disk unplugged")
	}
	return f.ChunkStore.PutChunk(ctx, project, hash, data)
}

// TestInterruptedAddLeavesNoVersion cuts an add short: no version is
// visible, and adding again stores only the chunks still missing.
func TestInterruptedAddLeavesNoVersion(t *testing.T) {
	s := newService(t)
	dir := t.TempDir()
	write(t, dir, map[string][]byte{"f.bin": random(5, 16<<20)})
	real := s.Chunks
	f := &failing{ChunkStore: real}
	f.n.Store(3)
	s.Chunks, s.Workers = f, 1
	if _, err := s.Add(ctx, dataset.AddRequest{Name: "d", Paths: []string{dir}}); err == nil || !strings.Contains(err.Error(), "disk unplugged") {
		t.Fatalf("add with a failing store: %v", err)
	}
	if _, err := s.Datasets.FindDataset(ctx, tycho.DefaultProject, "d"); tycho.ErrorCode(err) != tycho.ENOTFOUND {
		t.Fatalf("after a failed add the dataset exists (%v)", err)
	}
	counting := &failing{ChunkStore: real}
	counting.n.Store(1 << 40)
	s.Chunks = counting
	v, err := s.Add(ctx, dataset.AddRequest{Name: "d", Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if total := int64(len(v.Files[0].Chunks)); counting.puts.Load() != total-3 {
		t.Errorf("resumed add stored %d chunks of %d, want all but the 3 stored before", counting.puts.Load(), total)
	}
}

func TestAddRefuses(t *testing.T) {
	s := newService(t)
	dir := t.TempDir()
	write(t, dir, map[string][]byte{"a/x.csv": []byte("1"), "b/x.csv": []byte("2"), "f.csv": []byte("3")})
	if err := os.Symlink(filepath.Join(dir, "f.csv"), filepath.Join(dir, "link.csv")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		req  dataset.AddRequest
		want string
	}{
		{"nothing", dataset.AddRequest{Name: "d"}, "no files given"},
		{"missing", dataset.AddRequest{Name: "d", Paths: []string{filepath.Join(dir, "none")}}, "no such file"},
		{"symlink", dataset.AddRequest{Name: "d", Paths: []string{filepath.Join(dir, "link.csv")}}, "symbolic link"},
		{"symlink inside", dataset.AddRequest{Name: "d", Paths: []string{dir}}, "symbolic link"},
		{"collision", dataset.AddRequest{Name: "d", Paths: []string{filepath.Join(dir, "a"), filepath.Join(dir, "b")}}, "would both be x.csv"},
		{"bad name", dataset.AddRequest{Name: "../d", Paths: []string{filepath.Join(dir, "f.csv")}}, "dataset name"},
		{"bad project", dataset.AddRequest{Project: "a b", Name: "d", Paths: []string{filepath.Join(dir, "f.csv")}}, "project name"},
		{"bad ORCID", dataset.AddRequest{Name: "d", Paths: []string{filepath.Join(dir, "f.csv")},
			Metadata: tycho.Metadata{Creators: []tycho.Creator{{Name: "X", ORCID: "1234"}}}}, "ORCID"},
	} {
		_, err := s.Add(ctx, tc.req)
		if tycho.ErrorCode(err) != tycho.EINVALID || !strings.Contains(tycho.ErrorMessage(err), tc.want) {
			t.Errorf("%s: %v, want invalid and %q", tc.name, err, tc.want)
		}
	}
	ds, err := s.Datasets.ListDatasets(ctx, tycho.DefaultProject)
	if err != nil || len(ds) != 0 {
		t.Errorf("after refused adds: %d datasets (%v)", len(ds), err)
	}
}

// TestGetDetectsDamage damages a stored chunk: get fails, naming the
// file, and writes nothing under its name.
func TestGetDetectsDamage(t *testing.T) {
	s, blobs := newServiceIn(t)
	dir := t.TempDir()
	write(t, dir, map[string][]byte{"f.csv": []byte("id,yield\n1,0.5\n")})
	v, err := s.Add(ctx, dataset.AddRequest{Name: "d", Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	h := v.Files[0].Chunks[0].Hash
	chunk := filepath.Join(blobs, tycho.DefaultProject, "sha256", h[:2], h[2:])
	if err := os.WriteFile(chunk, []byte("id,yield\n1,0.9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	_, err = s.Get(ctx, "", "d", "", dst)
	if err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("get of a damaged chunk: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dst, "f.csv")); err == nil {
		t.Error("a damaged file was written")
	}
}
