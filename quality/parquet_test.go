package quality_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"tycho"
	"tycho/quality"
)

type reading struct {
	ID          int64     `parquet:"id"`
	Temperature *float64  `parquet:"temperature,optional"`
	Name        string    `parquet:"name"`
	OK          bool      `parquet:"ok"`
	At          time.Time `parquet:"at,timestamp"`
	Code        string    `parquet:"code"`
}

// writeParquet writes rows as a Parquet file in two row groups and
// returns its path.
func writeParquet(t *testing.T, rows []reading) string {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[reading](&buf)
	half := len(rows) / 2
	for _, part := range [][]reading{rows[:half], rows[half:]} {
		if _, err := w.Write(part); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "r.parquet")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func readings() []reading {
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	var rows []reading
	for i := range 10 {
		temp := 290 + float64(i)
		r := reading{ID: int64(i + 1), Temperature: &temp, Name: "s" + string(rune('a'+i)), OK: i%2 == 0, At: at.Add(time.Duration(i) * time.Hour), Code: "42"}
		switch i {
		case 3:
			r.Temperature = nil
		case 4:
			nan := math.NaN()
			r.Temperature = &nan
		case 5:
			r.Name = "NA"
			r.Code = "x7"
		}
		rows = append(rows, r)
	}
	return append(rows, rows[0], rows[1]) // two duplicates
}

func TestParquet(t *testing.T) {
	path := writeParquet(t, readings())
	rep, err := quality.File(ctx, path, "r.parquet", "parquet", nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 12 || rep.DuplicateRows != 2 || rep.Format != "parquet" || rep.Error != "" || rep.HeaderProblem != "" {
		t.Fatalf("report: %+v", rep)
	}
	for _, tc := range []struct {
		name    string
		typ     tycho.ColumnType
		missing int64
	}{
		{"id", tycho.ColumnInteger, 0},
		{"temperature", tycho.ColumnNumber, 2}, // a null and a NaN
		{"name", tycho.ColumnString, 1},        // "NA"
		{"ok", tycho.ColumnBoolean, 0},
		{"at", tycho.ColumnTime, 0},
		{"code", tycho.ColumnString, 0},
	} {
		c, q := col(t, rep, tc.name)
		if c.Type != tc.typ || q.Missing != tc.missing || q.TypeViolations != 0 || c.Declared {
			t.Errorf("%s: %+v %+v, want type %s and %d missing", tc.name, c, q, tc.typ, tc.missing)
		}
	}
}

func TestParquetDeclared(t *testing.T) {
	path := writeParquet(t, readings())
	s, err := quality.ParseSchema("s.yaml", []byte(`tables:
  - path: "*.parquet"
    columns:
      - {name: id, type: number, min: 1, max: 10}
      - {name: temperature, type: integer, unit: K, required: true}
      - {name: code, type: integer}
      - {name: name, type: string}
      - {name: pressure, type: number}
`))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := quality.File(ctx, path, "data/r.parquet", "parquet", s)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.AbsentColumns) != 1 || rep.AbsentColumns[0] != "pressure" {
		t.Errorf("absent: %q", rep.AbsentColumns)
	}
	for _, tc := range []struct {
		name            string
		violations, out int64
		example         string
	}{
		{"id", 0, 0, ""},
		{"temperature", 0, 0, "row 4: missing (\"null\"), but the column is required"},
		{"code", 1, 0, `row 6: "x7" is not an integer`},
		{"name", 0, 0, ""},
	} {
		c, q := col(t, rep, tc.name)
		if !c.Declared || q.TypeViolations != tc.violations || q.OutOfRange != tc.out || q.Example != tc.example {
			t.Errorf("%s: %+v %+v, want %d violations, %d out of range, example %q", tc.name, c, q, tc.violations, tc.out, tc.example)
		}
	}
	if c, _ := col(t, rep, "temperature"); c.Unit != "K" || c.Type != tycho.ColumnInteger {
		t.Errorf("temperature: %+v", c)
	}

	// 290.5 is not an integer; 11 and 12 are past max.
	rows := readings()
	half := 290.5
	rows[0].Temperature = &half
	rows[1].ID, rows[2].ID = 11, 12
	rep, err = quality.File(ctx, writeParquet(t, rows[:10]), "r.parquet", "parquet", s)
	if err != nil {
		t.Fatal(err)
	}
	if _, q := col(t, rep, "temperature"); q.TypeViolations != 1 || q.Example != `row 1: "290.5" is not an integer` {
		t.Errorf("temperature: %+v", q)
	}
	if _, q := col(t, rep, "id"); q.OutOfRange != 2 || q.Example != "row 2: 11 is outside [1, 10]" {
		t.Errorf("id: %+v", q)
	}
}

func TestParquetDamaged(t *testing.T) {
	path := writeParquet(t, readings())
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"csv", []byte("a,b\n1,2\n"), "not a readable Parquet file"},
		{"empty", nil, "not a readable Parquet file"},
		{"truncated", good[:len(good)/2], "not a readable Parquet file"},
		{"bad footer", append(bytes.Clone(good[:len(good)-8]), 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1'), "not a readable Parquet file"},
		{"damaged pages", damagePages(good), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.parquet")
			if err := os.WriteFile(p, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			rep, err := quality.File(ctx, p, "x.parquet", "parquet", nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Error == "" || !strings.Contains(rep.Error, tc.want) {
				t.Errorf("error %q, want one containing %q", rep.Error, tc.want)
			}
		})
	}
}

// damagePages overwrites the middle of a Parquet file, where its pages
// are, keeping the footer.
func damagePages(good []byte) []byte {
	b := bytes.Clone(good)
	for i := 8; i < len(b)/2; i++ {
		b[i] = byte(i * 7)
	}
	return b
}

func TestFileFormats(t *testing.T) {
	for name, want := range map[string]string{"a.csv": "csv", "A.CSV": "csv", "x/b.TsV": "tsv", "c.Parquet": "parquet", "d.txt": "", "csv": "", "e.csv.gz": ""} {
		if got := quality.Format(name); got != want {
			t.Errorf("Format(%q) = %q, want %q", name, got, want)
		}
	}
	rep, err := quality.File(ctx, filepath.Join(t.TempDir(), "none.csv"), "none.csv", "csv", nil)
	if err != nil || !strings.Contains(rep.Error, "no such file") {
		t.Errorf("missing file: %+v, %v", rep, err)
	}
}
