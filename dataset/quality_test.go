package dataset_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"tycho"
	"tycho/dataset"
	"tycho/quality"
)

type row struct {
	ID    int64   `parquet:"id"`
	Yield float64 `parquet:"yield"`
}

func parquetFile(t *testing.T, rows []row) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestAddReportsQuality adds tables of each format, a damaged Parquet file
// and a file that is no table, under a schema: the version carries their
// reports and a grade, stamped by the service's clock.
func TestAddReportsQuality(t *testing.T) {
	s := newService(t)
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	s.Now = func() time.Time { return now }
	dir := t.TempDir()
	good := parquetFile(t, []row{{1, 50}, {2, 150}, {2, 150}})
	write(t, dir, map[string][]byte{
		"yields.csv":       []byte("entry,yield (%)\n1,50\n2,x\n"),
		"raw/plate.TSV":    []byte("well\tabs [AU]\nA1\t0.5\n"),
		"raw/good.parquet": good,
		"raw/bad.Parquet":  append(bytes.Clone(good[:len(good)-6]), 0xff, 0xff),
		"notes.txt":        []byte("plate 1\n"),
	})
	schema, err := quality.ParseSchema("s.yaml", []byte(`tables:
  - path: "*.parquet"
    columns: [{name: yield, type: number, unit: "%", min: 0, max: 100}]
`))
	if err != nil {
		t.Fatal(err)
	}
	md := tycho.Metadata{Title: "Screen", License: "CC-BY-4.0"}
	v, err := s.Add(ctx, dataset.AddRequest{Name: "screen", Paths: []string{dir}, Metadata: md, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	q := v.Quality
	if q == nil {
		t.Fatal("no quality report")
	}
	var paths []string
	for _, tab := range q.Tables {
		paths = append(paths, tab.Format+":"+tab.Path)
	}
	if got := strings.Join(paths, " "); got != "parquet:raw/bad.Parquet parquet:raw/good.parquet tsv:raw/plate.TSV csv:yields.csv" {
		t.Fatalf("tables %s", got)
	}
	if bad := q.Tables[0]; !strings.Contains(bad.Error, "not a readable Parquet file") {
		t.Errorf("damaged Parquet: %+v", bad)
	}
	if g := q.Tables[1]; g.Rows != 3 || g.DuplicateRows != 1 || g.Quality[1].OutOfRange != 2 || !g.Columns[1].Declared || g.Columns[0].Declared {
		t.Errorf("good Parquet: %+v", g)
	}
	if tsv := q.Tables[2]; tsv.Rows != 1 || tsv.Columns[1].Unit != "AU" || tsv.Columns[1].Type != tycho.ColumnNumber {
		t.Errorf("TSV: %+v", tsv)
	}
	if csv := q.Tables[3]; csv.Rows != 2 || csv.Columns[1].Unit != "" || csv.Columns[1].Type != tycho.ColumnString {
		t.Errorf("CSV: %+v", csv)
	}
	if q.Grade != tycho.GradeNone || !q.HasLicense || q.HasDescription || !q.CheckedAt.Equal(now) {
		t.Errorf("grade %q, licence %v, description %v, checked %v", q.Grade, q.HasLicense, q.HasDescription, q.CheckedAt)
	}
	if len(q.Reasons) == 0 || !strings.HasPrefix(q.Reasons[0], "bronze: raw/bad.Parquet: cannot be read as a table") {
		t.Errorf("reasons %q", q.Reasons)
	}
	stored, err := s.Datasets.FindVersion(ctx, tycho.DefaultProject, "screen", "1")
	if err != nil {
		t.Fatal(err)
	}
	if stored.Quality == nil || stored.Quality.Grade != q.Grade || len(stored.Quality.Tables) != 4 || !stored.Quality.CheckedAt.Equal(now) {
		t.Errorf("stored report: %+v", stored.Quality)
	}

	// The same again, later: no new version. Under another schema: a new
	// version of the same files.
	now = now.Add(time.Hour)
	again, err := s.Add(ctx, dataset.AddRequest{Name: "screen", Paths: []string{dir}, Metadata: md, Schema: schema})
	if err != nil || again.Number != 1 {
		t.Fatalf("added again: version %d (%v), want 1", again.Number, err)
	}
	other, err := s.Add(ctx, dataset.AddRequest{Name: "screen", Paths: []string{dir}, Metadata: md})
	if err != nil || other.Number != 2 || other.Digest != v.Digest || other.Quality.Tables[1].Columns[1].Declared {
		t.Fatalf("added without the schema: version %d (%v)", other.Number, err)
	}
}

// TestAddGradesMetadataAlone adds files that are no tables.
func TestAddGradesMetadataAlone(t *testing.T) {
	s := newService(t)
	dir := t.TempDir()
	write(t, dir, map[string][]byte{"spectrum.bin": random(9, 1000)})
	md := tycho.Metadata{Title: "Spectra", Description: "Raman", Publisher: "Lab", License: "CC0-1.0",
		Creators: []tycho.Creator{{Name: "Ada Lovelace", ORCID: "0000-0002-1825-0097"}}}
	v, err := s.Add(ctx, dataset.AddRequest{Name: "spectra", Paths: []string{dir}, Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	if v.Quality.Grade != tycho.GradeGold || len(v.Quality.Tables) != 0 || len(v.Quality.Reasons) != 0 {
		t.Errorf("report: %+v", v.Quality)
	}
}

// TestAddFailsWhileAnalyzing fails the chunk store while a large CSV is
// being read: the add fails with the store's error, the analysis is
// cancelled, and there is no version.
func TestAddFailsWhileAnalyzing(t *testing.T) {
	s := newService(t)
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "big.csv"), 24<<20)
	f := &failing{ChunkStore: s.Chunks}
	s.Chunks, s.Workers = f, 1
	if _, err := s.Add(ctx, dataset.AddRequest{Name: "d", Paths: []string{dir}}); err == nil || !strings.Contains(err.Error(), "disk unplugged") {
		t.Fatalf("add with a failing store: %v", err)
	}
	if _, err := s.Datasets.FindDataset(ctx, tycho.DefaultProject, "d"); tycho.ErrorCode(err) != tycho.ENOTFOUND {
		t.Errorf("after a failed add the dataset exists (%v)", err)
	}
}
