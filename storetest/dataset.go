package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"tycho"
)

// RunDatasets runs the conformance suite of tycho.DatasetService against
// the services open returns, a fresh one for each test.
func RunDatasets(t *testing.T, open func(t *testing.T) tycho.DatasetService) {
	tests := []struct {
		name string
		f    func(*testing.T, tycho.DatasetService)
	}{
		{"VersionRoundTrip", testVersionRoundTrip},
		{"VersionsNumberedPerDataset", testVersionsNumbered},
		{"SameDataAddsNoVersion", testSameDataAddsNoVersion},
		{"FindVersionByRef", testFindVersionByRef},
		{"ErrDatasetNotFound", testDatasetNotFound},
		{"ErrBadVersion", testBadVersion},
		{"QualityRoundTrip", testQualityRoundTrip},
		{"NewQualityAddsVersion", testNewQualityAddsVersion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, open(t)) })
	}
}

// hashOf returns the hex SHA-256 of s.
func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// version returns a version of dataset name whose files hold the given
// contents, each file one chunk.
func version(name string, contents map[string]string) *tycho.DatasetVersion {
	v := &tycho.DatasetVersion{Project: "p1", Dataset: name, Metadata: tycho.Metadata{
		Title:        "Suzuki–Miyaura yields",
		Description:  "High-throughput screen",
		Publisher:    "Pfizer",
		License:      "CC-BY-4.0",
		Creators:     []tycho.Creator{{Name: "Ada Lovelace", ORCID: "0000-0002-1825-0097"}, {Name: "B. Student"}},
		Keywords:     []string{"catalysis", "HTE"},
		Temporal:     &tycho.Period{Start: time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2018, 6, 30, 0, 0, 0, 0, time.UTC)},
		Spatial:      "Groton, CT",
		Jurisdiction: "US",
	}}
	for p, c := range contents {
		h := hashOf(c)
		v.Files = append(v.Files, tycho.File{Path: p, Size: int64(len(c)), SHA256: h, Chunks: []tycho.Chunk{{Hash: h, Size: int64(len(c))}}})
	}
	return v
}

func mustAdd(t *testing.T, s tycho.DatasetService, v *tycho.DatasetVersion) *tycho.DatasetVersion {
	t.Helper()
	got, err := s.AddVersion(ctx, v)
	if err != nil {
		t.Fatalf("add version of %s: %v", v.Dataset, err)
	}
	return got
}

func testVersionRoundTrip(t *testing.T, s tycho.DatasetService) {
	v := version("yields", map[string]string{"b.csv": "x,y\n1,2\n", "a/data.csv": "id\n1\n", "ünï code.txt": "é"})
	// A file of two chunks.
	v.Files = append(v.Files, tycho.File{Path: "big.bin", Size: 7, SHA256: hashOf("abcdefg"),
		Chunks: []tycho.Chunk{{Hash: hashOf("abc"), Size: 3}, {Hash: hashOf("defg"), Size: 4}}})
	added := mustAdd(t, s, v)
	if added.Number != 1 || added.Digest != tycho.ManifestDigest(v.Files) || added.FileCount != 4 || added.Size != 8+5+2+7 || added.CreatedAt.IsZero() {
		t.Errorf("added: number %d digest %s files %d size %d created %v", added.Number, added.Digest, added.FileCount, added.Size, added.CreatedAt)
	}
	got, err := s.FindVersion(ctx, "p1", "yields", "1")
	if err != nil {
		t.Fatal(err)
	}
	want := *added
	want.Files = sortedFiles(v.Files)
	same(t, "found", got, &want)

	d, err := s.FindDataset(ctx, "p1", "yields")
	if err != nil {
		t.Fatal(err)
	}
	latest := *added
	latest.Files = nil
	same(t, "dataset latest", d.Latest, &latest)
	if d.Name != "yields" || d.Project != "p1" || d.CreatedAt.IsZero() {
		t.Errorf("dataset: %+v", d)
	}
}

func sortedFiles(files []tycho.File) []tycho.File {
	out := append([]tycho.File(nil), files...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].Path < out[i].Path {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func testVersionsNumbered(t *testing.T, s tycho.DatasetService) {
	for i := range 3 {
		got := mustAdd(t, s, version("a", map[string]string{"f.csv": fmt.Sprint(i)}))
		if got.Number != i+1 {
			t.Errorf("version %d of a: number %d", i+1, got.Number)
		}
	}
	if got := mustAdd(t, s, version("b", map[string]string{"f.csv": "0"})); got.Number != 1 {
		t.Errorf("first version of b: number %d", got.Number)
	}
	other := version("a", map[string]string{"f.csv": "x"})
	other.Project = "p2"
	if got := mustAdd(t, s, other); got.Number != 1 {
		t.Errorf("first version of a in p2: number %d", got.Number)
	}
	vs, err := s.ListVersions(ctx, "p1", "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 3 || vs[0].Number != 1 || vs[2].Number != 3 || vs[0].Files != nil {
		t.Errorf("versions of a: %d, first %+v", len(vs), vs[0])
	}
	ds, err := s.ListDatasets(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].Name != "a" || ds[0].Latest.Number != 3 || ds[1].Name != "b" {
		t.Errorf("datasets of p1: %d: %+v", len(ds), ds)
	}
	if ds, err := s.ListDatasets(ctx, "p-none"); err != nil || len(ds) != 0 {
		t.Errorf("datasets of an empty project: %v, %v", ds, err)
	}
}

func testSameDataAddsNoVersion(t *testing.T, s tycho.DatasetService) {
	v := version("a", map[string]string{"f.csv": "1", "g.csv": "2"})
	first := mustAdd(t, s, v)
	again := mustAdd(t, s, version("a", map[string]string{"g.csv": "2", "f.csv": "1"}))
	if again.Number != first.Number || again.Digest != first.Digest {
		t.Errorf("the same files again made version %d (%s), want %d", again.Number, again.Digest, first.Number)
	}
	md := version("a", map[string]string{"f.csv": "1", "g.csv": "2"})
	md.Metadata.Title = "Corrected title"
	if got := mustAdd(t, s, md); got.Number != 2 || got.Digest != first.Digest {
		t.Errorf("new metadata: version %d digest %s; want 2 and the same digest", got.Number, got.Digest)
	}
}

func testFindVersionByRef(t *testing.T, s tycho.DatasetService) {
	v1 := mustAdd(t, s, version("a", map[string]string{"f.csv": "1"}))
	v2 := mustAdd(t, s, version("a", map[string]string{"f.csv": "2"}))
	for _, tc := range []struct {
		ref  string
		want int
	}{{"1", 1}, {"2", 2}, {"", 2}, {"latest", 2}, {v1.Digest, 1}, {v1.Digest[:15], 1}, {v2.Digest[:20], 2}} {
		got, err := s.FindVersion(ctx, "p1", "a", tc.ref)
		if err != nil {
			t.Errorf("find %q: %v", tc.ref, err)
			continue
		}
		if got.Number != tc.want || len(got.Files) != 1 {
			t.Errorf("find %q: version %d with %d files, want %d", tc.ref, got.Number, len(got.Files), tc.want)
		}
	}
	for _, ref := range []string{"3", "sha256:00000000"} {
		_, err := s.FindVersion(ctx, "p1", "a", ref)
		wantCode(t, "find "+ref, err, tycho.ENOTFOUND)
	}
	for _, ref := range []string{"0", "-1", "sha256:abc", "v1", "sha256:zzzzzzzz"} {
		_, err := s.FindVersion(ctx, "p1", "a", ref)
		wantCode(t, "find "+ref, err, tycho.EINVALID)
	}
}

func testDatasetNotFound(t *testing.T, s tycho.DatasetService) {
	mustAdd(t, s, version("a", map[string]string{"f.csv": "1"}))
	_, err := s.FindDataset(ctx, "p1", "none")
	wantCode(t, "find dataset", err, tycho.ENOTFOUND)
	_, err = s.FindDataset(ctx, "p2", "a")
	wantCode(t, "find dataset of another project", err, tycho.ENOTFOUND)
	_, err = s.ListVersions(ctx, "p1", "none")
	wantCode(t, "list versions", err, tycho.ENOTFOUND)
	_, err = s.FindVersion(ctx, "p1", "none", "1")
	wantCode(t, "find version", err, tycho.ENOTFOUND)
}

func testBadVersion(t *testing.T, s tycho.DatasetService) {
	good := func() *tycho.DatasetVersion { return version("a", map[string]string{"f.csv": "1"}) }
	for _, tc := range []struct {
		name string
		edit func(*tycho.DatasetVersion)
	}{
		{"no files", func(v *tycho.DatasetVersion) { v.Files = nil }},
		{"bad name", func(v *tycho.DatasetVersion) { v.Dataset = "a/b" }},
		{"bad project", func(v *tycho.DatasetVersion) { v.Project = "" }},
		{"dot-dot", func(v *tycho.DatasetVersion) { v.Files[0].Path = "../etc/passwd" }},
		{"absolute", func(v *tycho.DatasetVersion) { v.Files[0].Path = "/etc/passwd" }},
		{"backslash", func(v *tycho.DatasetVersion) { v.Files[0].Path = `a\b` }},
		{"unclean", func(v *tycho.DatasetVersion) { v.Files[0].Path = "a//b" }},
		{"duplicate", func(v *tycho.DatasetVersion) { v.Files = append(v.Files, v.Files[0]) }},
		{"file and directory", func(v *tycho.DatasetVersion) {
			f := v.Files[0]
			f.Path = "f.csv/x"
			v.Files = append(v.Files, f)
		}},
		{"sizes disagree", func(v *tycho.DatasetVersion) { v.Files[0].Size = 99 }},
		{"bad hash", func(v *tycho.DatasetVersion) { v.Files[0].SHA256 = "abc" }},
		{"bad chunk hash", func(v *tycho.DatasetVersion) { v.Files[0].Chunks[0].Hash = "ABC" }},
		{"bad ORCID", func(v *tycho.DatasetVersion) { v.Metadata.Creators[0].ORCID = "0000-0002-1825-0098" }},
		{"time runs backwards", func(v *tycho.DatasetVersion) { v.Metadata.Temporal.End = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) }},
	} {
		v := good()
		tc.edit(v)
		_, err := s.AddVersion(ctx, v)
		wantCode(t, tc.name, err, tycho.EINVALID)
	}
	if _, err := s.FindDataset(ctx, "p1", "a"); tycho.ErrorCode(err) != tycho.ENOTFOUND {
		t.Errorf("after refused versions the dataset exists (%v)", err)
	}
}

// quality returns a report with a table of every kind of problem.
func quality(grade tycho.Grade) *tycho.QualityReport {
	lo, hi := 0.0, 100.0
	return &tycho.QualityReport{
		Tables: []tycho.TableReport{{
			Path: "a/data.csv", Format: "csv", Rows: 3,
			Columns: []tycho.Column{
				{Name: "id", Type: tycho.ColumnInteger, Required: true, Declared: true},
				{Name: "yield [%]", Type: tycho.ColumnNumber, Unit: "%", Min: &lo, Max: &hi, Declared: true},
				{Name: "ünï", Type: tycho.ColumnString},
			},
			Quality: []tycho.ColumnQuality{
				{Name: "id"},
				{Name: "yield [%]", Missing: 1, TypeViolations: 1, OutOfRange: 1, Example: `row 2 (line 3): "high" is not a number`},
				{Name: "ünï", Missing: 3},
			},
			DuplicateRows:     1,
			DuplicatesPartial: true,
			HeaderProblem:     "columns 1 and 2 are both named \"x\"",
			AbsentColumns:     []string{"solvent"},
		}, {Path: "b.parquet", Format: "parquet", Error: "not a readable Parquet file"}},
		HasLicense:     true,
		HasDescription: true,
		Grade:          grade,
		Reasons:        []string{"silver: a/data.csv: 1 value is not a number"},
		CheckedAt:      time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
	}
}

func testQualityRoundTrip(t *testing.T, s tycho.DatasetService) {
	v := version("q", map[string]string{"a/data.csv": "id\n1\n", "b.parquet": "PAR1"})
	v.Quality = quality(tycho.GradeBronze)
	added := mustAdd(t, s, v)
	same(t, "added quality", added.Quality, v.Quality)
	got, err := s.FindVersion(ctx, "p1", "q", "")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "found quality", got.Quality, v.Quality)
	vs, err := s.ListVersions(ctx, "p1", "q")
	if err != nil || len(vs) != 1 {
		t.Fatalf("list versions: %d (%v)", len(vs), err)
	}
	same(t, "listed quality", vs[0].Quality, v.Quality)
	d, err := s.FindDataset(ctx, "p1", "q")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "dataset's latest quality", d.Latest.Quality, v.Quality)
	ds, err := s.ListDatasets(ctx, "p1")
	if err != nil || len(ds) != 1 {
		t.Fatalf("list datasets: %d (%v)", len(ds), err)
	}
	same(t, "listed dataset's quality", ds[0].Latest.Quality, v.Quality)

	// A version without a report has none.
	none := mustAdd(t, s, version("n", map[string]string{"f.txt": "x"}))
	got, err = s.FindVersion(ctx, "p1", "n", "1")
	if err != nil {
		t.Fatal(err)
	}
	if none.Quality != nil || got.Quality != nil {
		t.Errorf("a version added without a report has one: %+v", got.Quality)
	}
}

// testNewQualityAddsVersion adds the same files and metadata with a report
// made later (no new version) and with a different report (a new version
// with the same digest).
func testNewQualityAddsVersion(t *testing.T, s tycho.DatasetService) {
	files := map[string]string{"a/data.csv": "id\n1\n"}
	v := version("q", files)
	v.Quality = quality(tycho.GradeBronze)
	first := mustAdd(t, s, v)
	later := version("q", files)
	later.Quality = quality(tycho.GradeBronze)
	later.Quality.CheckedAt = later.Quality.CheckedAt.Add(time.Hour)
	if got := mustAdd(t, s, later); got.Number != first.Number {
		t.Errorf("the same report made later: version %d, want %d", got.Number, first.Number)
	} else {
		same(t, "the earlier report", got.Quality, first.Quality)
	}
	graded := version("q", files)
	graded.Quality = quality(tycho.GradeSilver)
	graded.Quality.Reasons = nil
	got := mustAdd(t, s, graded)
	if got.Number != 2 || got.Digest != first.Digest {
		t.Fatalf("a new report: version %d digest %s, want 2 and %s", got.Number, got.Digest, first.Digest)
	}
	found, err := s.FindVersion(ctx, "p1", "q", "2")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "the new report", found.Quality, graded.Quality)
}
