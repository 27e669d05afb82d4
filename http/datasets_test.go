package http_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tycho"
	"tycho/blob"
	"tycho/dataset"
	"tycho/dcat"
	tychohttp "tycho/http"
	"tycho/sqlite"
	"tycho/storetest"
)

// dataEnv is a server with a SQLite store and a chunk directory, on
// loopback, and a client of it.
type dataEnv struct {
	db     *sqlite.DB
	chunks *blob.Store
	server *tychohttp.Server
	url    string
	client *tychohttp.Client
	puts   atomic.Int64 // chunk PUTs the server answered
}

// newDataEnv starts the server; wrap, if not nil, wraps its dataset
// service and chunk store.
func newDataEnv(t testing.TB, wrap func(tycho.DatasetService, tycho.ChunkStore) (tycho.DatasetService, tycho.ChunkStore)) *dataEnv {
	t.Helper()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "tycho.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	chunks, err := blob.Open(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	e := &dataEnv{db: db, chunks: chunks}
	var ds tycho.DatasetService = db
	var cs tycho.ChunkStore = chunks
	if wrap != nil {
		ds, cs = wrap(ds, cs)
	}
	e.server = &tychohttp.Server{Store: db, Datasets: ds, Chunks: cs}
	h := e.server.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "PUT" {
			e.puts.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	e.url = ts.URL
	if e.client, err = tychohttp.NewClient(ts.URL, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.client.Close() })
	return e
}

// TestDatasetsOverHTTP runs the dataset suite through the client and the
// server: the client is a tycho.DatasetService like any other.
// The suite stores versions without their chunks, which the server
// refuses; here its chunk store says it has every chunk.
func TestDatasetsOverHTTP(t *testing.T) {
	storetest.RunDatasets(t, func(t *testing.T) tycho.DatasetService {
		return newDataEnv(t, func(ds tycho.DatasetService, cs tycho.ChunkStore) (tycho.DatasetService, tycho.ChunkStore) {
			return ds, hasAll{cs}
		}).client
	})
}

// hasAll is a chunk store that claims to hold every chunk.
type hasAll struct{ tycho.ChunkStore }

func (hasAll) Missing(context.Context, string, []string) ([]string, error) { return nil, nil }

// random returns n bytes that do not compress or repeat.
func random(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func writeFiles(t *testing.T, dir string, files map[string][]byte) {
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

// TestUploadDirectory adds a directory to a server with dataset.Service
// over the client, reads it back the same way, and adds it again, which
// uploads nothing and records nothing new.
func TestUploadDirectory(t *testing.T) {
	e := newDataEnv(t, nil)
	svc := &dataset.Service{Datasets: e.client, Chunks: e.client}
	src := t.TempDir()
	files := map[string][]byte{
		"big.bin":        random(1, 9<<20), // several chunks
		"tables/a.csv":   []byte("id,yield\n1,0.5\n"),
		"tables/b.csv":   []byte("id,yield\n2,0.7\n"),
		"empty.txt":      {},
		"ünï code/x.txt": []byte("é"),
	}
	writeFiles(t, src, files)
	md := tycho.Metadata{Title: "Screen", License: "CC-BY-4.0", Creators: []tycho.Creator{{Name: "Ada", ORCID: "0000-0002-1825-0097"}}}
	v, err := svc.Add(ctx, dataset.AddRequest{Project: "lab", Name: "screen", Paths: []string{src}, Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	if v.Number != 1 || v.FileCount != len(files) {
		t.Fatalf("added %s with %d files, want screen@1 with %d", v.Ref(), v.FileCount, len(files))
	}
	big := v.Files[0]
	if big.Path != "big.bin" || len(big.Chunks) < 3 {
		t.Fatalf("big.bin: %+v; want it cut in several chunks", big)
	}
	// The server's own store has the version, and its chunk directory
	// the chunks.
	stored, err := e.db.FindVersion(ctx, "lab", "screen", "latest")
	if err != nil || stored.Digest != v.Digest || stored.Metadata.Creators[0].ORCID != md.Creators[0].ORCID {
		t.Fatalf("stored: %+v (%v), want digest %s", stored, err, v.Digest)
	}
	var hashes []string
	for _, f := range v.Files {
		for _, c := range f.Chunks {
			hashes = append(hashes, c.Hash)
		}
	}
	if missing, err := e.chunks.Missing(ctx, "lab", hashes); err != nil || len(missing) != 0 {
		t.Fatalf("the server lacks chunks %v (%v)", missing, err)
	}
	puts := e.puts.Load()
	if puts == 0 {
		t.Fatal("no chunk was put")
	}

	dst := t.TempDir()
	if _, err := svc.Get(ctx, "lab", "screen", v.Digest[:15], dst); err != nil {
		t.Fatal(err)
	}
	for p, want := range files {
		got, err := os.ReadFile(filepath.Join(dst, filepath.FromSlash(p)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: got %d bytes (%v), want %d", p, len(got), err, len(want))
		}
	}

	again, err := svc.Add(ctx, dataset.AddRequest{Project: "lab", Name: "screen", Paths: []string{src}, Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	if again.Number != 1 || e.puts.Load() != puts {
		t.Errorf("the same directory again: version %d after %d more chunk puts, want 1 and none", again.Number, e.puts.Load()-puts)
	}
}

// recorder wraps a dataset service and chunk store and records the order
// of syncs and adds.
type recorder struct {
	tycho.DatasetService
	tycho.ChunkStore
	mu    sync.Mutex
	calls []string
}

func (r *recorder) note(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, s)
}

func (r *recorder) Sync(ctx context.Context, project string) error {
	r.note("sync")
	return r.ChunkStore.Sync(ctx, project)
}

func (r *recorder) AddVersion(ctx context.Context, v *tycho.DatasetVersion) (*tycho.DatasetVersion, error) {
	r.note("add")
	return r.DatasetService.AddVersion(ctx, v)
}

// TestVersionAfterSync checks that the server makes the chunks durable
// before it records the version that uses them.
func TestVersionAfterSync(t *testing.T) {
	rec := &recorder{}
	e := newDataEnv(t, func(ds tycho.DatasetService, cs tycho.ChunkStore) (tycho.DatasetService, tycho.ChunkStore) {
		rec.DatasetService, rec.ChunkStore = ds, cs
		return rec, rec
	})
	src := t.TempDir()
	writeFiles(t, src, map[string][]byte{"a.csv": []byte("x\n1\n")})
	svc := &dataset.Service{Datasets: e.client, Chunks: e.client}
	if _, err := svc.Add(ctx, dataset.AddRequest{Name: "d", Paths: []string{src}}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rec.calls, ","); got != "sync,add" {
		t.Errorf("the server called %s; want sync,add", got)
	}
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// send sends a request with a body of the given type and returns the
// status, the content type and the body.
func send(t *testing.T, method, url, contentType string, body []byte) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// manifest returns a version body with one file of one chunk holding
// content, after edit (if not nil) has changed the file's and the body's
// members.
func manifest(content string, edit func(file, body map[string]any)) string {
	h := sha([]byte(content))
	file := map[string]any{"path": "f.csv", "size": len(content), "sha256": h, "chunks": []any{map[string]any{"hash": h, "size": len(content)}}}
	body := map[string]any{"files": []any{file}, "metadata": map[string]any{"title": "T"}}
	if edit != nil {
		edit(file, body)
	}
	b, _ := json.Marshal(body)
	return string(b)
}

func TestDatasetBadInput(t *testing.T) {
	e := newDataEnv(t, nil)
	u := e.url + "/v1/projects/p1"
	stored := "stored chunk"
	if err := e.client.PutChunk(ctx, "p1", sha([]byte(stored)), []byte(stored)); err != nil {
		t.Fatal(err)
	}
	absent := "never put"
	many, _ := json.Marshal(map[string]any{"hashes": make([]string, tychohttp.MaxMissing+1)})
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		want, field              string
	}{
		{"UnknownDataset", "GET", "/datasets/nope", ``, 404, "dataset nope not found in project p1", ""},
		{"UnknownVersions", "GET", "/datasets/nope/versions", ``, 404, "dataset nope not found", ""},
		{"UnknownVersion", "GET", "/datasets/nope/versions/3", ``, 404, "dataset nope has no version 3 in project p1", ""},
		{"BadRef", "GET", "/datasets/nope/versions/v1", ``, 400, `version "v1"`, ""},
		{"BadProjectName", "GET", "/v1/projects/p%21/datasets", ``, 400, `project name "p!"`, ""},
		{"BadName", "POST", "/datasets/.hidden/versions", manifest(stored, nil), 400, `dataset name ".hidden"`, ""},
		{"MissingChunks", "POST", "/datasets/d/versions", manifest(absent, nil), 409, "1 chunks of the version are not stored in project p1: " + sha([]byte(absent)), "/files/0/chunks/0/hash"},
		{"Malformed", "POST", "/datasets/d/versions", `{"files": [`, 400, "malformed JSON", "/files"},
		{"UnknownField", "POST", "/datasets/d/versions", manifest(stored, func(_, b map[string]any) { b["metadata"] = map[string]any{"colour": "red"} }), 400, "/metadata/colour: unknown field", "/metadata/colour"},
		{"WrongType", "POST", "/datasets/d/versions", manifest(stored, func(f, _ map[string]any) { f["size"] = "12" }), 400, "/files/0/size: want a number, got JSON string", "/files/0/size"},
		{"BadPath", "POST", "/datasets/d/versions", manifest(stored, func(f, _ map[string]any) { f["path"] = "../f.csv" }), 400, "files/0/path: file path \"../f.csv\": leaves the dataset", "/files/0/path"},
		{"BadFileHash", "POST", "/datasets/d/versions", manifest(stored, func(f, _ map[string]any) { f["sha256"] = "X" }), 400, "files/0/sha256", "/files/0/sha256"},
		{"SizesDisagree", "POST", "/datasets/d/versions", manifest(stored, func(f, _ map[string]any) { f["size"] = 13 }), 400, "files/0/size: 13, but the file's chunks add up to 12", "/files/0/size"},
		{"BadORCID", "POST", "/datasets/d/versions", manifest(stored, func(_, b map[string]any) {
			b["metadata"] = map[string]any{"creators": []any{map[string]any{"name": "A", "orcid": "0000-0002-1825-0098"}}}
		}), 400, "metadata/creators/0/orcid", "/metadata/creators/0/orcid"},
		{"NoFiles", "POST", "/datasets/d/versions", `{"files": [], "metadata": {}}`, 400, "at least one file", "/files"},
		{"BadQuality", "POST", "/datasets/d/versions", manifest(stored, func(_, b map[string]any) { b["quality"] = map[string]any{"grade": 3} }), 400, "/quality/grade", "/quality/grade"},
		{"TooManyHashes", "POST", "/chunks/missing", string(many), 400, "at most 10000", "/hashes"},
		{"BadMissingHash", "POST", "/chunks/missing", `{"hashes": ["` + sha(nil) + `", "abc"]}`, 400, `hashes/1: "abc"`, "/hashes/1"},
		{"UnknownChunk", "GET", "/chunks/" + sha([]byte(absent)), ``, 404, "", ""},
		{"BadChunkHash", "GET", "/chunks/xyz", ``, 400, `chunk "xyz"`, ""},
		{"BadCatalogProject", "GET", "/v1/catalog?project=a!", ``, 400, `project: project name "a!"`, "project"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := u + tc.path // in project p1
			if strings.HasPrefix(tc.path, "/v1/") {
				url = e.url + tc.path
			}
			p := problem(t, tc.method, url, tc.body, tc.status, tc.want)
			if f, _ := p["field"].(string); f != tc.field {
				t.Errorf("field %q, want %q", f, tc.field)
			}
		})
	}
	t.Run("WrongHash", func(t *testing.T) {
		claimed := sha([]byte("something else"))
		status, ct, body := send(t, "PUT", u+"/chunks/"+claimed, "application/octet-stream", []byte("these bytes"))
		if status != 400 || ct != "application/problem+json" || !strings.Contains(string(body), "chunk "+claimed+": the body's SHA-256 is "+sha([]byte("these bytes"))) {
			t.Errorf("%d %s %s", status, ct, body)
		}
	})
	t.Run("OversizeChunk", func(t *testing.T) {
		big := make([]byte, tychohttp.MaxChunkBody+1)
		status, ct, body := send(t, "PUT", u+"/chunks/"+sha(big), "application/octet-stream", big)
		if status != 413 || ct != "application/problem+json" || !strings.Contains(string(body), "larger than a chunk may be") {
			t.Errorf("%d %s %s", status, ct, body)
		}
	})
	t.Run("ChunkAsJSON", func(t *testing.T) {
		status, _, body := send(t, "PUT", u+"/chunks/"+sha([]byte("{}")), "application/json", []byte("{}"))
		if status != 415 {
			t.Errorf("%d %s", status, body)
		}
	})
	// Nothing was recorded, and no bad chunk was stored.
	if ds, err := e.db.ListDatasets(ctx, "p1"); err != nil || len(ds) != 0 {
		t.Errorf("datasets after bad requests: %v (%v)", ds, err)
	}
	for _, h := range []string{sha([]byte("something else")), sha([]byte("these bytes")), sha(make([]byte, tychohttp.MaxChunkBody+1))} {
		if m, err := e.chunks.Missing(ctx, "p1", []string{h}); err != nil || len(m) != 1 {
			t.Errorf("chunk %s was stored (%v)", h, err)
		}
	}
	// Once the missing chunk is put, the same manifest is recorded.
	if err := e.client.PutChunk(ctx, "p1", sha([]byte(absent)), []byte(absent)); err != nil {
		t.Fatal(err)
	}
	status, _, body := send(t, "POST", u+"/datasets/d/versions", "application/json", []byte(manifest(absent, nil)))
	if status != 201 {
		t.Errorf("after putting the chunk: %d %s", status, body)
	}
}

func TestChunksOverHTTP(t *testing.T) {
	e := newDataEnv(t, nil)
	data := []byte("chunk bytes")
	h := sha(data)
	if err := e.client.PutChunk(ctx, "p1", h, data); err != nil {
		t.Fatal(err)
	}
	rc, err := e.client.OpenChunk(ctx, "p1", h)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("chunk read back: %q (%v)", got, err)
	}
	if _, err := e.client.OpenChunk(ctx, "p2", h); tycho.ErrorCode(err) != tycho.ENOTFOUND {
		t.Errorf("chunk of another project: %v, want not found", err)
	}
	if err := e.client.PutChunk(ctx, "p1", sha([]byte("other")), data); tycho.ErrorCode(err) != tycho.EINVALID {
		t.Errorf("put under the wrong hash: %v, want EINVALID", err)
	}
	// Missing asks in batches of MaxMissing.
	hashes := make([]string, tychohttp.MaxMissing+5)
	for i := range hashes {
		hashes[i] = sha([]byte{byte(i), byte(i >> 8)})
	}
	hashes[tychohttp.MaxMissing+2] = h
	missing, err := e.client.Missing(ctx, "p1", hashes)
	if err != nil || len(missing) != len(hashes)-1 {
		t.Errorf("missing: %d of %d (%v), want all but one", len(missing), len(hashes), err)
	}
}

// lister lets a test's SQLite store list its projects.
type lister struct {
	tycho.DatasetService
	projects []string
}

func (l lister) ListDatasetProjects(context.Context) ([]string, error) { return l.projects, nil }

func TestCatalogOverHTTP(t *testing.T) {
	e := newDataEnv(t, func(ds tycho.DatasetService, cs tycho.ChunkStore) (tycho.DatasetService, tycho.ChunkStore) {
		return lister{ds, []string{"p1", "p2"}}, cs
	})
	for _, p := range []string{"p1", "p2"} {
		src := t.TempDir()
		writeFiles(t, src, map[string][]byte{"a.csv": []byte("x\n" + p + "\n")})
		svc := &dataset.Service{Datasets: e.client, Chunks: e.client}
		if _, err := svc.Add(ctx, dataset.AddRequest{Project: p, Name: "d-" + p, Paths: []string{src}, Metadata: tycho.Metadata{Title: "T " + p}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{e.url + "/v1/projects/p1/datasets/d-p1", e.url + "/v1/projects/p2/datasets/d-p2"}},
		{"?project=p2", []string{e.url + "/v1/projects/p2/datasets/d-p2"}},
		{"?project=p3", nil},
	} {
		status, ct, body := send(t, "GET", e.url+"/v1/catalog"+tc.query, "", nil)
		if status != 200 || ct != dcat.ContentType {
			t.Fatalf("GET /v1/catalog%s: %d %s %s", tc.query, status, ct, body)
		}
		var doc struct {
			Type     string `json:"@type"`
			Datasets []struct {
				ID       string           `json:"@id"`
				Versions []map[string]any `json:"dcat:hasVersion"`
			} `json:"dcat:dataset"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("GET /v1/catalog%s: %v\n%s", tc.query, err, body)
		}
		var ids []string
		for _, d := range doc.Datasets {
			ids = append(ids, d.ID)
			if len(d.Versions) != 1 || d.Versions[0]["dcat:distribution"] == nil {
				t.Errorf("%s: versions %v", d.ID, d.Versions)
			}
		}
		if doc.Type != "dcat:Catalog" || strings.Join(ids, " ") != strings.Join(tc.want, " ") {
			t.Errorf("GET /v1/catalog%s: %s with datasets %v, want %v", tc.query, doc.Type, ids, tc.want)
		}
	}
}

// TestCatalogNeedsProjectList asks a store that cannot list its projects
// for the catalogue of all of them.
func TestCatalogNeedsProjectList(t *testing.T) {
	e := newDataEnv(t, func(ds tycho.DatasetService, cs tycho.ChunkStore) (tycho.DatasetService, tycho.ChunkStore) {
		return struct{ tycho.DatasetService }{ds}, cs
	})
	problem(t, "GET", e.url+"/v1/catalog", "", 400, "name the project")
}

// TestNoDatasetService checks a server without datasets answers 404.
func TestNoDatasetService(t *testing.T) {
	e := newEnv(t)
	problem(t, "GET", e.url+"/v1/projects/p1/datasets", "", 404, "does not serve datasets")
	problem(t, "GET", e.url+"/v1/catalog", "", 404, "does not serve datasets")
}

// failingFind fails to find the versions of one dataset.
type failingFind struct {
	tycho.DatasetService
	name string
}

func (f failingFind) FindVersion(ctx context.Context, project, name, ref string) (*tycho.DatasetVersion, error) {
	if name == f.name {
		return nil, tycho.Errorf(tycho.EINTERNAL, "disk on fire")
	}
	return f.DatasetService.FindVersion(ctx, project, name, ref)
}

// TestCatalogCutShort fails a catalogue early, before anything was sent,
// and late, after much was: the first is a problem, the second a broken
// connection, never a document that looks whole.
func TestCatalogCutShort(t *testing.T) {
	for _, tc := range []struct {
		name, fail string
	}{{"Early", "d00"}, {"Late", "d39"}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newDataEnv(t, func(ds tycho.DatasetService, cs tycho.ChunkStore) (tycho.DatasetService, tycho.ChunkStore) {
				return failingFind{ds, tc.fail}, cs
			})
			for i := range 40 {
				v := &tycho.DatasetVersion{Project: "p1", Dataset: "d" + strconv.Itoa(100 + i)[1:], Metadata: tycho.Metadata{Title: "T"}}
				for j := range 30 {
					c := strconv.Itoa(i*100 + j)
					v.Files = append(v.Files, tycho.File{Path: "file-" + c + ".csv", Size: int64(len(c)), SHA256: sha([]byte(c)),
						Chunks: []tycho.Chunk{{Hash: sha([]byte(c)), Size: int64(len(c))}}})
				}
				if _, err := e.db.AddVersion(ctx, v); err != nil {
					t.Fatal(err)
				}
			}
			resp, err := http.Get(e.url + "/v1/catalog?project=p1")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, readErr := io.ReadAll(resp.Body)
			if tc.fail == "d00" {
				if resp.StatusCode != 500 || resp.Header.Get("Content-Type") != "application/problem+json" || readErr != nil {
					t.Errorf("early failure: %d %s (%v), want a 500 problem", resp.StatusCode, resp.Header.Get("Content-Type"), readErr)
				}
				return
			}
			var doc any
			if resp.StatusCode != 200 || len(body) < 64<<10 {
				t.Fatalf("late failure: %d with %d bytes; want 200 and more than the first buffer", resp.StatusCode, len(body))
			}
			if readErr == nil || json.Unmarshal(body, &doc) == nil {
				t.Errorf("late failure: read error %v, and the body parses: the client cannot tell it is cut short", readErr)
			}
		})
	}
}

// qualityKeeper keeps the quality report of the versions added through
// it and adds it to those it finds, as a store that keeps reports does.
type qualityKeeper struct {
	tycho.DatasetService
	mu      sync.Mutex
	reports map[string]*tycho.QualityReport // by digest
}

func (q *qualityKeeper) AddVersion(ctx context.Context, v *tycho.DatasetVersion) (*tycho.DatasetVersion, error) {
	out, err := q.DatasetService.AddVersion(ctx, v)
	if err == nil {
		q.mu.Lock()
		q.reports[out.Digest] = v.Quality
		q.mu.Unlock()
	}
	return out, err
}

func (q *qualityKeeper) FindVersion(ctx context.Context, project, name, ref string) (*tycho.DatasetVersion, error) {
	v, err := q.DatasetService.FindVersion(ctx, project, name, ref)
	if err == nil {
		q.mu.Lock()
		v.Quality = q.reports[v.Digest]
		q.mu.Unlock()
	}
	return v, err
}

// TestQualityOverHTTP carries a version's quality report to the server
// and back, member for member.
func TestQualityOverHTTP(t *testing.T) {
	keeper := &qualityKeeper{reports: map[string]*tycho.QualityReport{}}
	e := newDataEnv(t, func(ds tycho.DatasetService, cs tycho.ChunkStore) (tycho.DatasetService, tycho.ChunkStore) {
		keeper.DatasetService = ds
		return keeper, hasAll{cs}
	})
	lo, hi := 0.0, 1.0
	q := &tycho.QualityReport{
		Tables: []tycho.TableReport{{Path: "f.csv", Format: "csv", Rows: 2, DuplicateRows: 1,
			Columns: []tycho.Column{{Name: "yield", Type: tycho.ColumnNumber, Unit: "%", Min: &lo, Max: &hi, Required: true, Declared: true}},
			Quality: []tycho.ColumnQuality{{Name: "yield", Missing: 1, OutOfRange: 1, Example: "row 3: 1.5"}}}},
		HasLicense: true, Grade: tycho.GradeBronze, Reasons: []string{"1 duplicate row"},
		CheckedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
	}
	h := sha([]byte("x"))
	v := &tycho.DatasetVersion{Project: "p1", Dataset: "d", Quality: q,
		Files: []tycho.File{{Path: "f.csv", Size: 1, SHA256: h, Chunks: []tycho.Chunk{{Hash: h, Size: 1}}}}}
	if _, err := e.client.AddVersion(ctx, v); err != nil {
		t.Fatal(err)
	}
	got, err := e.client.FindVersion(ctx, "p1", "d", "1")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(q)
	back, _ := json.Marshal(got.Quality)
	if !bytes.Equal(back, want) {
		t.Errorf("quality read back:\n%s\nwant\n%s", back, want)
	}
}
