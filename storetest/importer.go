package storetest

import (
	"context"
	"math"
	"testing"
	"time"

	"tycho"
)

// ImporterStore is a store that `tycho import` can write into: records
// are imported as they are and then read back through the services.
type ImporterStore interface {
	tycho.Store
	tycho.DatasetService
	tycho.ProvenanceService
	tycho.Importer
	// ImportProvenance stores nodes and edges as they are. (It belongs in
	// tycho.Importer once the domain takes it.)
	ImportProvenance(ctx context.Context, g *tycho.ProvGraph) error
}

// RunImporter runs the conformance suite of tycho.Importer against the
// stores open returns, a new, empty one for each test.
func RunImporter(t *testing.T, open func(t *testing.T) ImporterStore) {
	tests := []struct {
		name string
		f    func(*testing.T, ImporterStore)
	}{
		{"ImportCampaignRoundTrip", testImportCampaign},
		{"ImportedCampaignGoesOn", testImportedCampaignGoesOn},
		{"ErrImportCampaignExists", testImportCampaignExists},
		{"ErrImportCampaignInvalidStoresNothing", testImportCampaignInvalid},
		{"ImportVersionRoundTrip", testImportVersion},
		{"ErrImportVersion", testImportVersionErrors},
		{"ImportProvenance", testImportProvenance},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, open(t)) })
	}
}

// importedCampaign returns a finished-looking campaign of two
// generations whose experiments are in every kind of state, with every
// field set, as an export holds them.
func importedCampaign(id string) (*tycho.Campaign, []*tycho.Generation, []*tycho.Experiment) {
	c := newCampaign(id, t0)
	c.Status, c.StopReason = tycho.CampaignFailed, "lab failed: \xff"
	gens := []*tycho.Generation{
		{CampaignID: id, Index: 1, Strategy: "sobol", Seed: 1, Observations: 0, Pending: 0, FitTime: time.Millisecond, ProposeTime: 2 * time.Millisecond, CreatedAt: t0},
		{CampaignID: id, Index: 2, Key: "k-2", Strategy: "gp", Seed: math.MaxUint64, Observations: 2, Pending: 1,
			Model:       map[string]any{"lengthscales": map[string]any{"x1": 0.25}, "ard": true},
			Acquisition: []float64{-1.5, math.Inf(-1)}, FitTime: time.Second, ProposeTime: time.Minute, CreatedAt: t0.Add(time.Hour)},
	}
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	params := func(x float64) tycho.Params {
		return tycho.Params{"x1": x, "x2": 1e-300, "n": 3.0, "solvent": "thf", "operator": "alice"}
	}
	exps := []*tycho.Experiment{
		{ID: id + "-e1", CampaignID: id, Seq: 1, Generation: 1, Params: params(0.5), State: tycho.ExperimentCompleted, Attempt: 2,
			Result:    &tycho.Result{Objectives: map[string]float64{"y": 1.25}, Noise: map[string]float64{"y": math.NaN()}, Metadata: map[string]any{"run": "a"}},
			CreatedAt: at(1), StartedAt: at(2), FinishedAt: at(3)},
		{ID: id + "-e2", CampaignID: id, Seq: 2, Generation: 1, Params: params(-1), State: tycho.ExperimentFailed, Attempt: 1,
			Error: "driver: exit 1\n\x00\xfe", CreatedAt: at(1), StartedAt: at(2), FinishedAt: at(4)},
		{ID: id + "-e3", CampaignID: id, Seq: 3, Generation: 2, Params: params(2), State: tycho.ExperimentRunning, Attempt: 1,
			Lease: &tycho.Lease{Holder: "robot-1", Expires: at(90)}, CreatedAt: at(61), StartedAt: at(62)},
		{ID: id + "-e4", CampaignID: id, Seq: 4, Generation: 2, Params: params(3), State: tycho.ExperimentProposed, CreatedAt: at(61)},
		{ID: id + "-e5", CampaignID: id, Seq: 5, Generation: 2, Params: params(4), State: tycho.ExperimentAbandoned, Attempt: 1,
			Error: "stopped", CreatedAt: at(61), StartedAt: at(62), FinishedAt: at(63)},
	}
	return c, gens, exps
}

func mustImportCampaign(t *testing.T, s ImporterStore, c *tycho.Campaign, gens []*tycho.Generation, exps []*tycho.Experiment) {
	t.Helper()
	if err := s.ImportCampaign(ctx, c, gens, exps); err != nil {
		t.Fatalf("import campaign %s: %v", c.ID, err)
	}
}

func testImportCampaign(t *testing.T, s ImporterStore) {
	c, gens, exps := importedCampaign("c-1")
	mustImportCampaign(t, s, c, gens, exps)
	same(t, "campaign", mustFind(t, s, "c-1"), c)
	gotGens, err := s.ListGenerations(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "generations", gotGens, gens)
	same(t, "experiments", mustList(t, s, "c-1"), exps)
	g, err := s.FindGeneration(ctx, "c-1", "k-2")
	if err != nil || g.Index != 2 {
		t.Errorf("generation by key k-2: %v, %v", g, err)
	}
	// An import records no provenance of its own: the export brings it.
	if p, _, err := s.ListProvenance(ctx, "", 10); err != nil || len(p.Nodes)+len(p.Edges) != 0 {
		t.Errorf("an imported campaign recorded provenance: %+v, %v", p, err)
	}
}

// testImportedCampaignGoesOn checks the revisions and the leases of an
// imported campaign: a reader sees everything once and then only what
// changes, and a lease without its token can only lapse.
func testImportedCampaignGoesOn(t *testing.T, s ImporterStore) {
	c, gens, exps := importedCampaign("c-1")
	c.Status = tycho.CampaignRunning
	mustImportCampaign(t, s, c, gens, exps)
	all, cursor, err := s.ListExperimentsSince(ctx, "c-1", 0)
	if err != nil || len(all) != len(exps) {
		t.Fatalf("first read: %d experiments (%v), want %d", len(all), err, len(exps))
	}
	e := mustStart(t, s, "c-1-e4")
	if e.Attempt != 1 {
		t.Errorf("started imported experiment: attempt %d, want 1", e.Attempt)
	}
	changed, _, err := s.ListExperimentsSince(ctx, "c-1", cursor)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "changed after the import", ids(changed), []string{"c-1-e4"})
	_, err = s.CompleteLeased(ctx, "c-1-e3", "", result(1))
	wantCode(t, "complete an imported lease without its token", err, tycho.ECONFLICT)
	mustImportCampaign(t, s, newCampaignOnly("c-2"), []*tycho.Generation{{CampaignID: "c-2", Index: 1, Strategy: "sobol", CreatedAt: t0}}, nil)
	if got := addGen(t, s, "c-2", 2, 2); got[0].Seq != 1 {
		t.Errorf("first experiment after importing a campaign without any: seq %d, want 1", got[0].Seq)
	}
}

func newCampaignOnly(id string) *tycho.Campaign {
	c := newCampaign(id, t0)
	c.Status = tycho.CampaignRunning
	return c
}

func testImportCampaignExists(t *testing.T, s ImporterStore) {
	c, gens, exps := importedCampaign("c-1")
	mustImportCampaign(t, s, c, gens, exps)
	c2, gens2, exps2 := importedCampaign("c-1")
	wantCode(t, "import it again", s.ImportCampaign(ctx, c2, gens2, exps2), tycho.ECONFLICT)

	mustCreate(t, s, newCampaign("c-2", t0))
	c3, gens3, exps3 := importedCampaign("c-2")
	wantCode(t, "import over a created campaign", s.ImportCampaign(ctx, c3, gens3, exps3), tycho.ECONFLICT)

	// An experiment ID taken by another campaign stores nothing.
	c4, gens4, exps4 := importedCampaign("c-3")
	exps4[1].ID = "c-1-e1"
	wantCode(t, "experiment ID taken", s.ImportCampaign(ctx, c4, gens4, exps4), tycho.ECONFLICT)
	_, err := s.FindCampaign(ctx, "c-3")
	wantCode(t, "find the campaign whose import failed", err, tycho.ENOTFOUND)
}

func testImportCampaignInvalid(t *testing.T, s ImporterStore) {
	for _, tc := range []struct {
		name  string
		spoil func(c *tycho.Campaign, gens []*tycho.Generation, exps []*tycho.Experiment) []*tycho.Experiment
	}{
		{"ErrExperimentOfAnotherCampaign", func(_ *tycho.Campaign, _ []*tycho.Generation, exps []*tycho.Experiment) []*tycho.Experiment {
			exps[2].CampaignID = "c-other"
			return exps
		}},
		{"ErrGenerationOfAnotherCampaign", func(_ *tycho.Campaign, gens []*tycho.Generation, exps []*tycho.Experiment) []*tycho.Experiment {
			gens[1].CampaignID = "c-other"
			return exps
		}},
		{"ErrGenerationMissing", func(_ *tycho.Campaign, _ []*tycho.Generation, exps []*tycho.Experiment) []*tycho.Experiment {
			exps[0].Generation = 7
			return exps
		}},
		{"ErrSeqTwice", func(_ *tycho.Campaign, _ []*tycho.Generation, exps []*tycho.Experiment) []*tycho.Experiment {
			exps[1].Seq = 1
			return exps
		}},
		{"ErrExperimentTwice", func(_ *tycho.Campaign, _ []*tycho.Generation, exps []*tycho.Experiment) []*tycho.Experiment {
			return append(exps, exps[0])
		}},
		{"ErrGenerationTwice", func(_ *tycho.Campaign, gens []*tycho.Generation, exps []*tycho.Experiment) []*tycho.Experiment {
			gens[1].Index = 1
			return exps
		}},
		{"ErrUnknownState", func(_ *tycho.Campaign, _ []*tycho.Generation, exps []*tycho.Experiment) []*tycho.Experiment {
			exps[0].State = "lost"
			return exps
		}},
		{"ErrUnknownStatus", func(c *tycho.Campaign, _ []*tycho.Generation, exps []*tycho.Experiment) []*tycho.Experiment {
			c.Status = "paused"
			return exps
		}},
		{"ErrNonFiniteParameter", func(_ *tycho.Campaign, _ []*tycho.Generation, exps []*tycho.Experiment) []*tycho.Experiment {
			exps[0].Params["x1"] = math.Inf(1)
			return exps
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, gens, exps := importedCampaign("c-bad")
			exps = tc.spoil(c, gens, exps)
			wantCode(t, "import", s.ImportCampaign(ctx, c, gens, exps), tycho.EINVALID)
			_, err := s.FindCampaign(ctx, "c-bad")
			wantCode(t, "find the campaign whose import failed", err, tycho.ENOTFOUND)
		})
	}
}

// importedVersion returns version number n of dataset name as an export
// holds it: numbered, dated and with its digest.
func importedVersion(name string, n int, contents map[string]string) *tycho.DatasetVersion {
	v := version(name, contents)
	v.Files = sortedFiles(v.Files)
	v.Number, v.Digest, v.CreatedAt = n, tycho.ManifestDigest(v.Files), t0.Add(time.Duration(n)*time.Hour)
	v.FileCount = len(v.Files)
	for _, f := range v.Files {
		v.Size += f.Size
	}
	return v
}

func testImportVersion(t *testing.T, s ImporterStore) {
	v1 := importedVersion("yields", 1, map[string]string{"a.csv": "x\n1\n", "raw/b.txt": "b"})
	v1.Quality = &tycho.QualityReport{
		Tables: []tycho.TableReport{{Path: "a.csv", Format: "csv", Rows: 1, Columns: []tycho.Column{{Name: "x", Type: tycho.ColumnInteger}},
			Quality: []tycho.ColumnQuality{{Name: "x", Missing: 1}}}},
		HasLicense: true, Grade: tycho.GradeSilver, Reasons: []string{"no description"}, CheckedAt: t0,
	}
	v2 := importedVersion("yields", 2, map[string]string{"a.csv": "x\n2\n", "raw/b.txt": "b"})
	v2.Files = append(v2.Files, tycho.File{Path: "z.bin", Size: 7, SHA256: hashOf("abcdefg"),
		Chunks: []tycho.Chunk{{Hash: hashOf("abc"), Size: 3}, {Hash: hashOf("defg"), Size: 4}}})
	v2.Digest, v2.Size, v2.FileCount = tycho.ManifestDigest(v2.Files), v2.Size+7, 3
	for _, v := range []*tycho.DatasetVersion{v1, v2} {
		if err := s.ImportVersion(ctx, v); err != nil {
			t.Fatalf("import %s: %v", v.Ref(), err)
		}
	}
	for _, v := range []*tycho.DatasetVersion{v1, v2} {
		got, err := s.FindVersion(ctx, "p1", "yields", v.Digest)
		if err != nil {
			t.Fatal(err)
		}
		same(t, v.Ref(), got, v)
	}
	d, err := s.FindDataset(ctx, "p1", "yields")
	if err != nil {
		t.Fatal(err)
	}
	if !d.CreatedAt.Equal(v1.CreatedAt) || d.Latest.Number != 2 {
		t.Errorf("dataset created %v with latest %d; want %v and 2", d.CreatedAt, d.Latest.Number, v1.CreatedAt)
	}
	// The dataset goes on from the imported versions.
	next, err := s.AddVersion(ctx, version("yields", map[string]string{"c.csv": "c"}))
	if err != nil || next.Number != 3 {
		t.Errorf("add after import: %v, %v; want version 3", next, err)
	}
	if again, err := s.AddVersion(ctx, version("other", map[string]string{"a.csv": "x\n1\n"})); err != nil || again.Number != 1 {
		t.Errorf("add to another dataset: %v, %v", again, err)
	}
}

func testImportVersionErrors(t *testing.T, s ImporterStore) {
	v1 := importedVersion("yields", 1, map[string]string{"a.csv": "1"})
	if err := s.ImportVersion(ctx, v1); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "import version 1 again", s.ImportVersion(ctx, importedVersion("yields", 1, map[string]string{"a.csv": "1"})), tycho.ECONFLICT)

	for _, tc := range []struct {
		name string
		v    func() *tycho.DatasetVersion
	}{
		{"ErrDigest", func() *tycho.DatasetVersion {
			v := importedVersion("yields", 2, map[string]string{"a.csv": "2"})
			v.Digest = v1.Digest
			return v
		}},
		{"ErrFileHash", func() *tycho.DatasetVersion {
			v := importedVersion("yields", 2, map[string]string{"a.csv": "2"})
			v.Files[0].SHA256 = hashOf("3")
			return v
		}},
		{"ErrSize", func() *tycho.DatasetVersion {
			v := importedVersion("yields", 2, map[string]string{"a.csv": "2"})
			v.Size++
			return v
		}},
		{"ErrOutOfOrder", func() *tycho.DatasetVersion { return importedVersion("yields", 3, map[string]string{"a.csv": "3"}) }},
		{"ErrFirstIsNotOne", func() *tycho.DatasetVersion { return importedVersion("fresh", 2, map[string]string{"a.csv": "3"}) }},
		{"ErrNumberZero", func() *tycho.DatasetVersion { return importedVersion("fresh", 0, map[string]string{"a.csv": "3"}) }},
		{"ErrBadPath", func() *tycho.DatasetVersion { return importedVersion("fresh", 1, map[string]string{"../a.csv": "3"}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.v()
			wantCode(t, "import", s.ImportVersion(ctx, v), tycho.EINVALID)
			if got, err := s.FindVersion(ctx, v.Project, v.Dataset, "latest"); err == nil && got.Number != 1 {
				t.Errorf("a refused import stored version %d", got.Number)
			}
		})
	}
	if _, err := s.FindDataset(ctx, "p1", "fresh"); tycho.ErrorCode(err) != tycho.ENOTFOUND {
		t.Errorf("refused imports created dataset fresh: %v", err)
	}
}

func testImportProvenance(t *testing.T, s ImporterStore) {
	g := &tycho.ProvGraph{
		Nodes: []tycho.ProvNode{
			{ID: "campaign/c-1", Kind: tycho.ProvActivity, Type: tycho.ProvTypeCampaign, Label: "branin", Time: t0,
				Attributes: map[string]any{"strategy": "gp", "n": 2.0}},
			{ID: "result/e-1", Kind: tycho.ProvEntity, Type: tycho.ProvTypeResult, Time: t0.Add(time.Minute)},
		},
		Edges: []tycho.ProvEdge{
			{From: "campaign/c-1", Relation: tycho.Used, To: "dataset/default/old@1", Time: t0},
			{From: "result/e-1", Relation: tycho.WasGeneratedBy, To: "campaign/c-1", Time: t0.Add(time.Minute)},
		},
	}
	if err := s.ImportProvenance(ctx, g); err != nil {
		t.Fatalf("import a graph with an edge to a node never recorded: %v", err)
	}
	got, next, err := s.ListProvenance(ctx, "", 10)
	if err != nil || next != "" {
		t.Fatalf("list: next %q, %v", next, err)
	}
	same(t, "imported graph", got, g)
	wantCode(t, "import a node again", s.ImportProvenance(ctx, &tycho.ProvGraph{Nodes: g.Nodes[1:]}), tycho.ECONFLICT)
	wantCode(t, "import an edge again", s.ImportProvenance(ctx, &tycho.ProvGraph{Edges: g.Edges[:1]}), tycho.ECONFLICT)
	bad := &tycho.ProvGraph{Nodes: []tycho.ProvNode{{ID: "x/1", Kind: "thing", Time: t0}}}
	wantCode(t, "import a bad node", s.ImportProvenance(ctx, bad), tycho.EINVALID)
}
