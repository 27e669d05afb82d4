package rocrate_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"tycho"
	"tycho/blob"
	"tycho/campaign"
	"tycho/dataset"
	"tycho/optimize"
	"tycho/rocrate"
	"tycho/spec"
	"tycho/sqlite"
	"tycho/twin"
)

var ctx = context.Background()

// store is a data directory: the SQLite store and the chunk store. It is
// both a rocrate.Source and a rocrate.Destination.
type store struct {
	*sqlite.DB
	*blob.Store
	dir string
}

func openStore(t testing.TB, dir string) *store {
	t.Helper()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "tycho.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	chunks, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return &store{DB: db, Store: chunks, dir: dir}
}

// random returns n bytes that do not compress or repeat.
func random(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// addVersion adds the files as a new version of dataset name through the
// dataset service, as `tycho data add` does, and records the version's
// provenance if the store has not.
func addVersion(t testing.TB, s *store, project, name string, files map[string][]byte, md tycho.Metadata) *tycho.DatasetVersion {
	t.Helper()
	dir := t.TempDir()
	for p, data := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	svc := &dataset.Service{Datasets: s.DB, Chunks: s.Store}
	v, err := svc.Add(ctx, dataset.AddRequest{Project: project, Name: name, Paths: []string{dir}, Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordProvenance(ctx, tycho.VersionProvenance(v)); err != nil {
		t.Fatal(err)
	}
	return v
}

var metadata = tycho.Metadata{
	Title:        "Suzuki–Miyaura yields",
	Description:  "High-throughput screen, <plate 1> & \"2\"",
	Publisher:    "Pfizer",
	License:      "CC-BY-4.0",
	Creators:     []tycho.Creator{{Name: "Ada Lovelace", ORCID: "0000-0002-1825-0097"}, {Name: "B. Student"}},
	Keywords:     []string{"catalysis", "HTE"},
	Temporal:     &tycho.Period{Start: time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2018, 6, 30, 0, 0, 0, 0, time.UTC)},
	Spatial:      "https://www.geonames.org/4951257",
	Jurisdiction: "US",
}

const branin = `name: branin
parameters:
  - {name: x1, kind: continuous, bounds: [-5, 10]}
  - {name: x2, kind: continuous, bounds: [0, 15]}
objectives:
  - {name: y, direction: minimize}
budget: {max_experiments: 8}
seed: 1
lab: {kind: twin, name: branin}
`

// runCampaign creates a campaign from a campaign file and runs it to the
// end with its twin lab.
func runCampaign(t testing.TB, s *store, source string) *tycho.Campaign {
	t.Helper()
	sp, err := spec.Parse("campaign.yaml", []byte(source), nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(source))
	c := &tycho.Campaign{ID: campaign.NewID(sp.Name), Spec: *sp, Source: []byte(source), SourceDigest: hex.EncodeToString(sum[:]),
		SourceName: "/lab/campaigns/" + sp.Name + ".yaml", Status: tycho.CampaignRunning}
	if err := s.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	lab, err := twin.New(sp)
	if err != nil {
		t.Fatal(err)
	}
	r := &campaign.Runner{Store: s.DB, Lab: lab, Strategy: &optimize.Strategy{}}
	done, err := r.Run(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != tycho.CampaignCompleted {
		t.Fatalf("campaign %s: %s (%s)", done.ID, done.Status, done.StopReason)
	}
	return done
}

// agentCampaign leaves a campaign of an agent lab in flight: a result
// with non-finite noise, a failure whose message is not UTF-8, a lease
// still held, and a proposal.
func agentCampaign(t testing.TB, s *store) {
	t.Helper()
	sp, err := spec.Parse("agent.yaml", []byte(strings.ReplaceAll(branin, "{kind: twin, name: branin}", "{kind: agent, name: reactor}")), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &tycho.Campaign{ID: "reactor-run", Spec: *sp, SourceDigest: "none", Status: tycho.CampaignRunning}
	if err := s.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	var exps []*tycho.Experiment
	for i := range 4 {
		exps = append(exps, &tycho.Experiment{ID: "reactor-e" + string(rune('1'+i)), Params: tycho.Params{"x1": float64(i), "x2": 0.5}})
	}
	g := &tycho.Generation{CampaignID: c.ID, Index: 1, Key: "key-\xff", Strategy: "sobol", Seed: math.MaxUint64,
		Model: map[string]any{"nan": math.NaN()}, Acquisition: []float64{math.Inf(-1), 1}}
	if err := s.AddGeneration(ctx, g, exps); err != nil {
		t.Fatal(err)
	}
	leased, err := s.LeaseExperiments(ctx, tycho.LeaseRequest{Lab: "reactor", Holder: "robot-1", Max: 2, TTL: time.Hour})
	if err != nil || len(leased) != 2 {
		t.Fatalf("lease: %v, %v", leased, err)
	}
	res := &tycho.Result{Objectives: map[string]float64{"y": 1.5}, Noise: map[string]float64{"y": math.Inf(1)}, Metadata: map[string]any{"plate": "A1"}}
	if _, err := s.CompleteLeased(ctx, leased[0].ID, leased[0].Lease.Token, res); err != nil {
		t.Fatal(err)
	}
	e, err := s.StartExperiment(ctx, "reactor-e4")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.FailExperiment(ctx, e.ID, e.Attempt, "driver: exit 1\n\xfe\x00"); err != nil {
		t.Fatal(err)
	}
}

// project fills a data directory with two datasets of two versions each,
// whose files share chunks, a dataset of another project, two campaigns
// run to the end and one in flight.
func project(t testing.TB, s *store) {
	t.Helper()
	big := random(1, 3<<20) // several chunks
	edited := slices.Clone(big)
	copy(edited[2<<20:], "an edit in the third megabyte")
	addVersion(t, s, tycho.DefaultProject, "screen", map[string][]byte{"big.bin": big, "yields.csv": []byte("id,yield\n1,0.5\n")}, metadata)
	addVersion(t, s, tycho.DefaultProject, "screen", map[string][]byte{"big.bin": edited, "yields.csv": []byte("id,yield\n1,0.5\n"), "raw/notes.txt": []byte("plate 1\n")}, metadata)
	addVersion(t, s, tycho.DefaultProject, "notes", map[string][]byte{"ünï code/é 100%.txt": []byte("é"), "empty": nil, "big.bin": big}, tycho.Metadata{Title: "Notes"})
	addVersion(t, s, tycho.DefaultProject, "notes", map[string][]byte{"ünï code/é 100%.txt": []byte("é"), "empty": nil, "big.bin": big}, tycho.Metadata{Title: "Notes, corrected", License: "MIT OR Apache-2.0"})
	addVersion(t, s, "other", "secret", map[string][]byte{"s.txt": []byte("not for the default project")}, tycho.Metadata{})
	runCampaign(t, s, branin)
	runCampaign(t, s, strings.ReplaceAll(strings.ReplaceAll(branin, "seed: 1", "seed: 2\nbatch_size: 2\nstrategy: sobol"), "name: branin\nparameters", "name: branin-sobol\nparameters"))
	agentCampaign(t, s)
}

func export(t testing.TB, s rocrate.Source, project string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := rocrate.Export(ctx, &buf, s, project); err != nil {
		t.Fatalf("export: %v", err)
	}
	return buf.Bytes()
}

func importInto(t testing.TB, crate []byte) *store {
	t.Helper()
	dst := openStore(t, t.TempDir())
	if err := rocrate.Import(ctx, bytes.NewReader(crate), int64(len(crate)), dst); err != nil {
		t.Fatalf("import: %v", err)
	}
	return dst
}

// same fails t unless got and want are deeply equal.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("%s differ:\ngot  %s\nwant %s", what, g, w)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// graph reads a store's whole provenance graph, a small page at a time.
func graph(t *testing.T, s tycho.ProvenanceService) *tycho.ProvGraph {
	t.Helper()
	out := &tycho.ProvGraph{}
	after := ""
	for {
		g, next, err := s.ListProvenance(ctx, after, 7)
		if err != nil {
			t.Fatal(err)
		}
		out.Nodes = append(out.Nodes, g.Nodes...)
		out.Edges = append(out.Edges, g.Edges...)
		if next == "" {
			return out
		}
		after = next
	}
}

// chunkFiles lists the chunk files of a project in a chunk store.
func chunkFiles(t *testing.T, dir, project string) []string {
	t.Helper()
	var out []string
	root := filepath.Join(dir, "blobs", project)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, rel)
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestRoundTrip exports a project, imports it into an empty data
// directory, and compares every record and every hash.
func TestRoundTrip(t *testing.T) {
	src := openStore(t, t.TempDir())
	project(t, src)
	crate := export(t, src, tycho.DefaultProject)
	dst := importInto(t, crate)

	// Campaigns, generations, experiments.
	camps := must[[]*tycho.Campaign](t)(src.ListCampaigns(ctx))
	if len(camps) != 3 {
		t.Fatalf("%d campaigns in the source, want 3", len(camps))
	}
	same(t, "campaigns", must[[]*tycho.Campaign](t)(dst.ListCampaigns(ctx)), camps)
	for _, c := range camps {
		same(t, c.ID+" generations", must[[]*tycho.Generation](t)(dst.ListGenerations(ctx, c.ID)), must[[]*tycho.Generation](t)(src.ListGenerations(ctx, c.ID)))
		exps := must[[]*tycho.Experiment](t)(src.ListExperiments(ctx, c.ID))
		if len(exps) == 0 {
			t.Fatalf("campaign %s has no experiments", c.ID)
		}
		same(t, c.ID+" experiments", must[[]*tycho.Experiment](t)(dst.ListExperiments(ctx, c.ID)), exps)
	}
	same(t, "experiment counts", must[map[tycho.ExperimentState]int](t)(dst.CountExperiments(ctx)), must[map[tycho.ExperimentState]int](t)(src.CountExperiments(ctx)))

	// Datasets, versions, files, chunks.
	sets := must[[]*tycho.Dataset](t)(src.ListDatasets(ctx, tycho.DefaultProject))
	if len(sets) != 2 {
		t.Fatalf("%d datasets in the source, want 2", len(sets))
	}
	same(t, "datasets", must[[]*tycho.Dataset](t)(dst.ListDatasets(ctx, tycho.DefaultProject)), sets)
	chunks := map[string]bool{}
	for _, d := range sets {
		same(t, d.Name, must[*tycho.Dataset](t)(dst.FindDataset(ctx, d.Project, d.Name)), must[*tycho.Dataset](t)(src.FindDataset(ctx, d.Project, d.Name)))
		versions := must[[]*tycho.DatasetVersion](t)(src.ListVersions(ctx, d.Project, d.Name))
		same(t, d.Name+" versions", must[[]*tycho.DatasetVersion](t)(dst.ListVersions(ctx, d.Project, d.Name)), versions)
		for _, v := range versions {
			want := must[*tycho.DatasetVersion](t)(src.FindVersion(ctx, v.Project, v.Dataset, v.Digest))
			got := must[*tycho.DatasetVersion](t)(dst.FindVersion(ctx, v.Project, v.Dataset, v.Digest))
			same(t, v.Ref(), got, want)
			for _, f := range want.Files {
				for _, c := range f.Chunks {
					chunks[c.Hash] = true
				}
			}
		}
	}
	if len(chunks) < 5 {
		t.Errorf("the project has %d chunks; the test wants files of several", len(chunks))
	}
	for h := range chunks {
		a, b := readChunk(t, src, h), readChunk(t, dst, h)
		if sum := sha256.Sum256(b); !bytes.Equal(a, b) || hex.EncodeToString(sum[:]) != h {
			t.Errorf("chunk %s differs after the round trip", h)
		}
	}
	same(t, "chunk files", chunkFiles(t, dst.dir, tycho.DefaultProject), chunkFiles(t, src.dir, tycho.DefaultProject))
	if got := chunkFiles(t, dst.dir, "other"); len(got) > 0 {
		t.Errorf("another project's chunks were exported: %v", got)
	}
	if _, err := dst.FindDataset(ctx, "other", "secret"); tycho.ErrorCode(err) != tycho.ENOTFOUND {
		t.Errorf("another project's dataset was exported: %v", err)
	}

	// Provenance, less the other project's dataset.
	want := graph(t, src)
	filtered := &tycho.ProvGraph{}
	for _, n := range want.Nodes {
		if !strings.HasPrefix(n.ID, "dataset/other/") {
			filtered.Nodes = append(filtered.Nodes, n)
		}
	}
	for _, e := range want.Edges {
		if !strings.HasPrefix(e.From, "dataset/other/") && !strings.HasPrefix(e.To, "dataset/other/") {
			filtered.Edges = append(filtered.Edges, e)
		}
	}
	if len(filtered.Nodes) < 20 || len(filtered.Edges) < 20 || len(filtered.Nodes) == len(want.Nodes) {
		t.Errorf("the source graph has %d nodes and %d edges (%d of this project); the test wants more, and some of another project",
			len(want.Nodes), len(want.Edges), len(filtered.Nodes))
	}
	same(t, "provenance", graph(t, dst), filtered)

	// The imported store goes on: a new version, a new campaign.
	next := addVersion(t, dst, tycho.DefaultProject, "screen", map[string][]byte{"more.csv": []byte("x\n")}, tycho.Metadata{})
	if next.Number != 3 {
		t.Errorf("a version added after the import is number %d, want 3", next.Number)
	}
	runCampaign(t, dst, strings.ReplaceAll(branin, "seed: 1", "seed: 3"))

	// Exporting the import gives the same crate, but for the time of
	// export.
	if a, b := entriesOf(t, crate), entriesOf(t, export(t, importInto(t, crate), tycho.DefaultProject)); !reflect.DeepEqual(slices.Sorted(maps.Keys(a)), slices.Sorted(maps.Keys(b))) {
		t.Errorf("a re-export has other entries")
	} else {
		for name, data := range a {
			if name != "ro-crate-metadata.json" && name != "tycho-export.json" && !bytes.Equal(data, b[name]) {
				t.Errorf("%s differs in a re-export", name)
			}
		}
	}
}

func readChunk(t *testing.T, s tycho.ChunkStore, h string) []byte {
	t.Helper()
	rc, err := s.OpenChunk(ctx, tycho.DefaultProject, h)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// entriesOf reads every entry of a crate.
func entriesOf(t testing.TB, crate []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(crate), int64(len(crate)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = b
	}
	return out
}

// TestOtherProject exports a project other than the default: its datasets
// and their provenance, no campaigns.
func TestOtherProject(t *testing.T) {
	src := openStore(t, t.TempDir())
	addVersion(t, src, "other", "secret", map[string][]byte{"s.txt": []byte("x")}, tycho.Metadata{})
	addVersion(t, src, tycho.DefaultProject, "public", map[string][]byte{"p.txt": []byte("y")}, tycho.Metadata{})
	runCampaign(t, src, branin)
	dst := importInto(t, export(t, src, "other"))
	if cs := must[[]*tycho.Campaign](t)(dst.ListCampaigns(ctx)); len(cs) != 0 {
		t.Errorf("another project's export holds %d campaigns", len(cs))
	}
	if ds := must[[]*tycho.Dataset](t)(dst.ListDatasets(ctx, tycho.DefaultProject)); len(ds) != 0 {
		t.Errorf("another project's export holds the default project's datasets")
	}
	same(t, "version", must[*tycho.DatasetVersion](t)(dst.FindVersion(ctx, "other", "secret", "1")), must[*tycho.DatasetVersion](t)(src.FindVersion(ctx, "other", "secret", "1")))
	g := graph(t, dst)
	if len(g.Nodes) != 1 || g.Nodes[0].ID != "dataset/other/secret@1" || len(g.Edges) != 0 {
		t.Errorf("provenance of another project's export: %+v", g)
	}
	var buf bytes.Buffer
	if err := rocrate.Export(ctx, &buf, src, "../x"); tycho.ErrorCode(err) != tycho.EINVALID {
		t.Errorf("export of project ../x: %v, want EINVALID", err)
	}
}

// TestExportDetectsDamage damages a chunk: the export fails rather than
// exporting damaged bytes.
func TestExportDetectsDamage(t *testing.T) {
	src := openStore(t, t.TempDir())
	v := addVersion(t, src, tycho.DefaultProject, "d", map[string][]byte{"a.txt": []byte("hello")}, tycho.Metadata{})
	h := v.Files[0].Chunks[0].Hash
	p := filepath.Join(src.dir, "blobs", tycho.DefaultProject, "sha256", h[:2], h[2:])
	if err := os.WriteFile(p, []byte("jello"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := rocrate.Export(ctx, io.Discard, src, tycho.DefaultProject)
	if err == nil || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), "a.txt") {
		t.Errorf("export of a damaged chunk: %v, want an error naming the file as damaged", err)
	}
}

// extract writes a crate's entries under dir, as unzip would.
func extract(t *testing.T, crate []byte, dir string) {
	t.Helper()
	for name, data := range entriesOf(t, crate) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReadWithoutTycho reads a crate as docs/exit.md tells a user to:
// the bags check with sha256sum, the records read with jq, and the JSON-LD
// holds what it should.
func TestReadWithoutTycho(t *testing.T) {
	src := openStore(t, t.TempDir())
	project(t, src)
	crate := export(t, src, tycho.DefaultProject)
	dir := t.TempDir()
	extract(t, crate, dir)

	t.Run("BagsCheckWithSha256sum", func(t *testing.T) {
		if _, err := exec.LookPath("sha256sum"); err != nil {
			t.Skip("sha256sum is not installed")
		}
		bags, _ := filepath.Glob(filepath.Join(dir, "datasets", "*", "*"))
		if len(bags) != 4 {
			t.Fatalf("%d bags, want 4", len(bags))
		}
		for _, bag := range bags {
			for _, m := range []string{"manifest-sha256.txt", "tagmanifest-sha256.txt"} {
				cmd := exec.Command("sha256sum", "--strict", "-c", m)
				cmd.Dir = bag
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("sha256sum -c %s in %s: %v\n%s", m, bag, err, out)
				}
			}
		}
		// And it notices damage.
		bag := filepath.Join(dir, "datasets", "screen", "1")
		if err := os.WriteFile(filepath.Join(bag, "data", "yields.csv"), []byte("id,yield\n1,0.9\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sha256sum", "--quiet", "-c", "manifest-sha256.txt")
		cmd.Dir = bag
		if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "data/yields.csv: FAILED") {
			t.Errorf("sha256sum -c after damage: %v\n%s", err, out)
		}
	})

	t.Run("RecordsReadWithJq", func(t *testing.T) {
		if _, err := exec.LookPath("jq"); err != nil {
			t.Skip("jq is not installed")
		}
		files, _ := filepath.Glob(filepath.Join(dir, "campaigns", "*", "experiments.jsonl"))
		if len(files) != 3 {
			t.Fatalf("%d experiments.jsonl files, want 3", len(files))
		}
		// The command of docs/exit.md: completed experiments with their
		// parameters and objectives.
		cmd := exec.Command("jq", "-c", `select(.state == "completed") | [.seq, .params, .result.objectives]`, files[0])
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(out), "\n"); n < 2 {
			t.Errorf("jq found %d completed experiments in %s:\n%s", n, files[0], out)
		}
	})

	t.Run("ROCrateMetadata", func(t *testing.T) {
		var doc struct {
			Context []any            `json:"@context"`
			Graph   []map[string]any `json:"@graph"`
		}
		b := must[[]byte](t)(os.ReadFile(filepath.Join(dir, "ro-crate-metadata.json")))
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Context) == 0 || doc.Context[0] != "https://w3id.org/ro/crate/1.1/context" {
			t.Errorf("@context %v", doc.Context)
		}
		byID := map[string]map[string]any{}
		for _, e := range doc.Graph {
			id, _ := e["@id"].(string)
			if byID[id] != nil {
				t.Errorf("entity %s comes twice", id)
			}
			byID[id] = e
		}
		desc := byID["ro-crate-metadata.json"]
		if desc == nil || !reflect.DeepEqual(desc["conformsTo"], map[string]any{"@id": "https://w3id.org/ro/crate/1.1"}) {
			t.Errorf("metadata descriptor %v", desc)
		}
		root := byID["./"]
		if root == nil || !reflect.DeepEqual(root["conformsTo"], map[string]any{"@id": "https://w3id.org/ro/wfrun/process/0.5"}) {
			t.Fatalf("root %v", root)
		}
		// Every reference names an entity of the crate or the web, and
		// every part exists in the archive.
		var check func(v any)
		check = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				if id, ok := v["@id"].(string); ok && len(v) == 1 && byID[id] == nil && !strings.HasPrefix(id, "http") {
					t.Errorf("reference to %s, which is not an entity", id)
				}
				for _, x := range v {
					check(x)
				}
			case []any:
				for _, x := range v {
					check(x)
				}
			}
		}
		for _, e := range doc.Graph {
			check(e)
		}
		for _, p := range root["hasPart"].([]any) {
			id := p.(map[string]any)["@id"].(string)
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(id))); err != nil {
				t.Errorf("part %s: %v", id, err)
			}
		}
		actions := 0
		for _, m := range root["mentions"].([]any) {
			a := byID[m.(map[string]any)["@id"].(string)]
			if a["@type"] != "CreateAction" || a["instrument"] == nil || a["actionStatus"] == nil {
				t.Errorf("mentioned action %v", a)
			}
			actions++
		}
		exps := 0
		for _, c := range must[[]*tycho.Campaign](t)(src.ListCampaigns(ctx)) {
			exps += len(must[[]*tycho.Experiment](t)(src.ListExperiments(ctx, c.ID)))
		}
		if actions != 3+exps {
			t.Errorf("%d actions, want one per campaign (3) and per experiment (%d)", actions, exps)
		}
		v := byID["datasets/screen/1/"]
		if v == nil || v["name"] != metadata.Title || v["license"] == nil || len(v["creator"].([]any)) != 2 {
			t.Errorf("dataset version entity %v", v)
		}
	})

	t.Run("ProvO", func(t *testing.T) {
		var doc struct {
			Context map[string]any   `json:"@context"`
			Graph   []map[string]any `json:"@graph"`
		}
		b := must[[]byte](t)(os.ReadFile(filepath.Join(dir, "provenance", "prov.jsonld")))
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Context["prov"] != "http://www.w3.org/ns/prov#" {
			t.Errorf("context %v", doc.Context)
		}
		g := graph(t, src)
		if len(doc.Graph) < len(g.Nodes)-1 { // less the other project's
			t.Errorf("%d node objects for %d nodes", len(doc.Graph), len(g.Nodes))
		}
		var used, generated, qualified int
		for _, o := range doc.Graph {
			types, _ := o["@type"].([]any)
			if len(types) == 0 || !strings.HasPrefix(types[0].(string), "prov:") {
				t.Errorf("node %v has no PROV class", o["@id"])
			}
			if !strings.HasPrefix(o["@id"].(string), "urn:tycho:") {
				t.Errorf("node IRI %v", o["@id"])
			}
			used += len(asList(o["prov:used"]))
			generated += len(asList(o["prov:wasGeneratedBy"]))
			qualified += len(asList(o["prov:qualifiedUsage"]))
		}
		if used == 0 || generated == 0 || qualified != used {
			t.Errorf("prov:used %d, prov:wasGeneratedBy %d, prov:qualifiedUsage %d", used, generated, qualified)
		}
	})

	t.Run("DCAT", func(t *testing.T) {
		var doc map[string]any
		b := must[[]byte](t)(os.ReadFile(filepath.Join(dir, "catalog.jsonld")))
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		var version map[string]any
		for _, d := range asList(doc["dcat:dataset"]) {
			for _, v := range asList(d.(map[string]any)["dcat:hasVersion"]) {
				if v := v.(map[string]any); v["@id"] == "urn:tycho:dataset:default:screen:2" {
					version = v
				}
			}
		}
		if version == nil || version["dct:title"] != metadata.Title {
			t.Fatalf("no record of screen@2 in the catalogue: %s", b)
		}
		// The version's PROV node is the same resource.
		prov := must[[]byte](t)(os.ReadFile(filepath.Join(dir, "provenance", "prov.jsonld")))
		if !bytes.Contains(prov, []byte(`"@id":"urn:tycho:dataset:default:screen:2"`)) {
			t.Errorf("prov.jsonld does not name screen@2 as the catalogue does")
		}
		dists := asList(version["dcat:distribution"])
		if len(dists) != 3 {
			t.Fatalf("%d distributions, want 3", len(dists))
		}
		for _, d := range dists {
			d := d.(map[string]any)
			sum := d["spdx:checksum"].(map[string]any)["spdx:checksumValue"].(map[string]any)["@value"].(string)
			data := must[[]byte](t)(os.ReadFile(filepath.Join(dir, "datasets", "screen", "2", "data", filepath.FromSlash(d["dct:title"].(string)))))
			if h := sha256.Sum256(data); hex.EncodeToString(h[:]) != sum {
				t.Errorf("distribution %v: checksum %s, file hashes to %x", d["dct:title"], sum, h)
			}
		}
	})
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
