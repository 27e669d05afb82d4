package quality_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"tycho"
	"tycho/quality"
)

var ctx = context.Background()

func csvReport(t *testing.T, data string, declared ...tycho.Column) tycho.TableReport {
	t.Helper()
	rep, err := quality.CSV(ctx, "t.csv", strings.NewReader(data), ',', declared)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Columns) != len(rep.Quality) {
		t.Fatalf("%d columns but %d quality entries", len(rep.Columns), len(rep.Quality))
	}
	return rep
}

// col returns the column and quality of the named column.
func col(t *testing.T, rep tycho.TableReport, name string) (tycho.Column, tycho.ColumnQuality) {
	t.Helper()
	for i, c := range rep.Columns {
		if c.Name == name {
			return c, rep.Quality[i]
		}
	}
	t.Fatalf("no column %q in %+v", name, rep.Columns)
	return tycho.Column{}, tycho.ColumnQuality{}
}

func ptr(f float64) *float64 { return &f }

func TestCSVInfersTypes(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,temperature [K],yield (%),ok,when,name,mostly,empty\n")
	for i := 1; i <= 20; i++ {
		mostly := fmt.Sprint(i * 3)
		if i == 13 {
			mostly = "n.d."
		}
		fmt.Fprintf(&b, "%d,%d.5,%d,%v,2024-01-%02dT10:00:00Z,s%d,%s,\n", i, 290+i, i, i%2 == 0, i, i, mostly)
	}
	rep := csvReport(t, b.String())
	if rep.Rows != 20 || rep.Format != "csv" || rep.Path != "t.csv" || rep.Error != "" || rep.HeaderProblem != "" {
		t.Fatalf("report: %+v", rep)
	}
	for _, tc := range []struct {
		name       string
		typ        tycho.ColumnType
		unit       string
		violations int64
		missing    int64
	}{
		{"id", tycho.ColumnInteger, "", 0, 0},
		{"temperature [K]", tycho.ColumnNumber, "K", 0, 0},
		{"yield (%)", tycho.ColumnInteger, "%", 0, 0},
		{"ok", tycho.ColumnBoolean, "", 0, 0},
		{"when", tycho.ColumnTime, "", 0, 0},
		{"name", tycho.ColumnString, "", 0, 0},
		{"mostly", tycho.ColumnInteger, "", 1, 0}, // 19 of 20 are integers
		{"empty", tycho.ColumnString, "", 0, 20},
	} {
		c, q := col(t, rep, tc.name)
		if c.Type != tc.typ || c.Unit != tc.unit || c.Declared || q.TypeViolations != tc.violations || q.Missing != tc.missing {
			t.Errorf("%s: %+v %+v, want type %s unit %q, %d violations, %d missing", tc.name, c, q, tc.typ, tc.unit, tc.violations, tc.missing)
		}
	}
	if _, q := col(t, rep, "mostly"); q.Example != `row 13 (line 14): "n.d." is not an integer` {
		t.Errorf("example: %q", q.Example)
	}
}

func TestCSVMissingValues(t *testing.T) {
	values := []string{"", "  ", "NA", "na", "N/A", "#N/A", "NaN", "nan", "null", "NULL", "None", "-", "0", "none"}
	var b strings.Builder
	b.WriteString("v\n")
	for _, v := range values {
		fmt.Fprintf(&b, "%q\n", v)
	}
	rep := csvReport(t, b.String())
	if _, q := col(t, rep, "v"); q.Missing != 10 {
		t.Errorf("%d missing of %q, want 10 (None, -, 0 and none are values)", q.Missing, values)
	}
	for _, v := range values {
		want := v != "None" && v != "-" && v != "0" && v != "none"
		if got := quality.Missing(v); got != want {
			t.Errorf("Missing(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestCSVDeclared(t *testing.T) {
	data := "entry,temperature [K],yield,catalyst,run\n" +
		"1,300,50,Pd,2024-01-01\n" +
		"2,310,104.5,Pd,2024-01-02\n" +
		"3,abc,-1,,yesterday\n" +
		"4,305,,Ni,2024-01-04\n" +
		"4,305,,Ni,2024-01-04\n"
	rep := csvReport(t, data,
		tycho.Column{Name: "entry", Type: tycho.ColumnInteger, Required: true, Declared: true},
		tycho.Column{Name: "temperature", Type: tycho.ColumnNumber, Min: ptr(273.15), Max: ptr(373.15), Declared: true},
		tycho.Column{Name: "yield", Type: tycho.ColumnNumber, Unit: "%", Min: ptr(0), Max: ptr(100), Required: true, Declared: true},
		tycho.Column{Name: "catalyst", Type: tycho.ColumnString, Declared: true},
		tycho.Column{Name: "run", Type: tycho.ColumnTime, Declared: true},
		tycho.Column{Name: "solvent", Type: tycho.ColumnString, Declared: true},
	)
	if rep.DuplicateRows != 1 {
		t.Errorf("%d duplicate rows, want 1", rep.DuplicateRows)
	}
	if len(rep.AbsentColumns) != 1 || rep.AbsentColumns[0] != "solvent" {
		t.Errorf("absent columns %q, want [solvent]", rep.AbsentColumns)
	}
	for _, tc := range []struct {
		name                     string
		unit                     string
		missing, violations, out int64
		example                  string
	}{
		{"entry", "", 0, 0, 0, ""},
		{"temperature [K]", "K", 0, 1, 0, `row 3 (line 4): "abc" is not a number`},
		{"yield", "%", 2, 0, 2, "row 2 (line 3): 104.5 is outside [0, 100]"},
		{"catalyst", "", 1, 0, 0, ""},
		{"run", "", 0, 1, 0, `row 3 (line 4): "yesterday" is not a datetime (RFC 3339 or YYYY-MM-DD)`},
	} {
		c, q := col(t, rep, tc.name)
		if !c.Declared || c.Unit != tc.unit || q.Missing != tc.missing || q.TypeViolations != tc.violations || q.OutOfRange != tc.out || q.Example != tc.example {
			t.Errorf("%s: %+v %+v\nwant unit %q, %d missing, %d violations, %d out of range, example %q", tc.name, c, q, tc.unit, tc.missing, tc.violations, tc.out, tc.example)
		}
	}
	// A required column's missing values are its example once nothing
	// else is wrong.
	rep = csvReport(t, "a\n1\n\n \n", tycho.Column{Name: "a", Type: tycho.ColumnInteger, Required: true, Declared: true})
	if _, q := col(t, rep, "a"); q.Missing != 1 || q.Example != `row 2 (line 4): missing (""), but the column is required` {
		t.Errorf("required: %+v", q)
	}
}

func TestCSVProblems(t *testing.T) {
	for _, tc := range []struct {
		name, data  string
		rows        int64
		err, header string
		comma       rune
	}{
		{name: "empty", data: "", err: "the file is empty"},
		{name: "header only", data: "a,b\n", rows: 0},
		{name: "ragged", data: "a,b\n1,2\n3\n4,5\n", rows: 1, err: "line 3: 1 fields, but the header has 2"},
		{name: "bare quote", data: "a,b\n1,2\n3,x\"y\n", rows: 1, err: `line 3, byte 4: bare " in non-quoted-field`},
		{name: "no name", data: "a,,c\n1,2,3\n", rows: 1, header: "column 2 of the first row has no name"},
		{name: "twice", data: "a,b,a\n1,2,3\n", rows: 1, header: `columns 1 and 3 are both named "a"`},
		{name: "numbers", data: "1,2.5,3\n4,5,6\n", rows: 1, header: "only numbers"},
		{name: "blank lines", data: "a,b\n\n1,2\n\n3,4\n", rows: 2},
		{name: "byte-order mark", data: "\xef\xbb\xbfa,b\n1,2\n", rows: 1},
		{name: "quoted newline", data: "a,b\n\"x\ny\",2\n3,4\n", rows: 2},
		{name: "tsv", data: "a\tb\n1\t\"2\n", rows: 1, comma: '\t'},
	} {
		t.Run(tc.name, func(t *testing.T) {
			comma := tc.comma
			if comma == 0 {
				comma = ','
			}
			rep, err := quality.CSV(ctx, "t.csv", strings.NewReader(tc.data), comma, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Rows != tc.rows || !contains(rep.Error, tc.err) || !contains(rep.HeaderProblem, tc.header) {
				t.Errorf("rows %d, error %q, header problem %q; want %d, %q, %q", rep.Rows, rep.Error, rep.HeaderProblem, tc.rows, tc.err, tc.header)
			}
			if tc.header != "" && rep.Columns[0].Name == "" {
				t.Errorf("columns %+v", rep.Columns)
			}
		})
	}
	rep, _ := quality.CSV(ctx, "t.tsv", strings.NewReader("a\tb\n1\t2\n"), '\t', nil)
	if rep.Format != "tsv" || len(rep.Columns) != 2 {
		t.Errorf("tsv: %+v", rep)
	}
	rep, _ = quality.CSV(ctx, "t.csv", strings.NewReader("a,,c\n1,2,3\n"), ',', nil)
	if rep.Columns[1].Name != "column 2" {
		t.Errorf("an unnamed column is called %q", rep.Columns[1].Name)
	}
}

// contains is strings.Contains, except that want "" wants got "".
func contains(got, want string) bool {
	if want == "" {
		return got == ""
	}
	return strings.Contains(got, want)
}

func TestCSVCancelled(t *testing.T) {
	c, cancel := context.WithCancel(ctx)
	cancel()
	data := "a\n" + strings.Repeat("1\n", 10000)
	if _, err := quality.CSV(c, "t.csv", strings.NewReader(data), ',', nil); err != context.Canceled {
		t.Errorf("cancelled: %v", err)
	}
}

// TestCSVReadSize reads the same file in one-byte reads: the report is
// the same.
func TestCSVReadSize(t *testing.T) {
	data := "x,y\n1,a\n2,\"b\nc\"\n2,\"b\nc\"\nNA,d\n"
	want := csvReport(t, data)
	got, err := quality.CSV(ctx, "t.csv", iotest.OneByteReader(strings.NewReader(data)), ',', nil)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || got.DuplicateRows != 1 {
		t.Errorf("one byte at a time: %+v\nat once: %+v", got, want)
	}
}

func TestDuplicateCheckIsBounded(t *testing.T) {
	defer quality.SetMaxRowHashes(1 << 12)()
	var b strings.Builder
	b.WriteString("id\n")
	for i := range 5000 {
		fmt.Fprintln(&b, i)
	}
	for i := range 100 {
		fmt.Fprintln(&b, i) // remembered: among the first rows
	}
	rep := csvReport(t, b.String())
	if !rep.DuplicatesPartial || rep.DuplicateRows != 100 || rep.Rows != 5100 {
		t.Errorf("partial %v, %d duplicates of %d rows; want partial, 100 of 5100", rep.DuplicatesPartial, rep.DuplicateRows, rep.Rows)
	}
	rep = csvReport(t, "id\n1\n2\n1\n")
	if rep.DuplicatesPartial || rep.DuplicateRows != 1 {
		t.Errorf("small table: partial %v, %d duplicates", rep.DuplicatesPartial, rep.DuplicateRows)
	}
}

// rows generates a large CSV without holding it, and samples the heap as
// it is read.
type rows struct {
	n, total int
	buf      []byte
	maxHeap  uint64
}

func (r *rows) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) && r.n < r.total {
		r.n++
		r.buf = fmt.Appendf(r.buf, "%d,%d.25,catalyst-%d,2024-02-03T04:05:06Z\n", r.n, r.n%977, r.n%13)
		if r.n%100000 == 0 {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			r.maxHeap = max(r.maxHeap, m.HeapAlloc)
		}
	}
	if len(r.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	if len(r.buf) == 0 {
		r.buf = r.buf[:0:0]
	}
	return n, nil
}

// TestCSVStreams reads about 100 MB of CSV in a few MB of heap.
func TestCSVStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 100 MB")
	}
	r := &rows{total: 2_000_000, buf: []byte("id,x,c,t\n")}
	rep, err := quality.CSV(ctx, "big.csv", r, ',', nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 2_000_000 || rep.DuplicateRows != 0 || rep.Error != "" {
		t.Fatalf("%d rows, %d duplicates, error %q", rep.Rows, rep.DuplicateRows, rep.Error)
	}
	// The row hashes take 16 bytes a row at most (64 MiB for 4 million
	// slots); the rows themselves would take 100 MB.
	if r.maxHeap > 80<<20 {
		t.Errorf("heap reached %d MB while reading", r.maxHeap>>20)
	}
}

// TestSuzukiData reads the Suzuki–Miyaura screen, if it is there.
func TestSuzukiData(t *testing.T) {
	dir := "/work/shared/data/suzuki"
	path := filepath.Join(dir, "experiment_index.csv")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("the Suzuki–Miyaura data is not at %s (%v)", dir, err)
	}
	s, err := quality.ParseSchema("s.yaml", []byte(`tables:
  - path: experiment_index.csv
    columns:
      - {name: entry, type: integer, required: true, min: 1}
      - {name: yield, type: number, unit: "%", min: 0, max: 100, required: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := quality.File(ctx, path, "experiment_index.csv", "csv", s)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 3696 || rep.Error != "" || rep.DuplicateRows != 0 || len(rep.Columns) != 7 {
		t.Fatalf("report: %d rows, %d duplicates, %d columns, error %q", rep.Rows, rep.DuplicateRows, len(rep.Columns), rep.Error)
	}
	if c, q := col(t, rep, "yield"); !c.Declared || c.Unit != "%" || q.OutOfRange != 0 || q.TypeViolations != 0 || q.Missing != 0 {
		t.Errorf("yield: %+v %+v", c, q)
	}
	if c, _ := col(t, rep, "Ligand_SMILES"); c.Type != tycho.ColumnString || c.Declared {
		t.Errorf("Ligand_SMILES: %+v", c)
	}
	md := tycho.Metadata{Title: "Suzuki–Miyaura cross-coupling screen", Description: "5760 reactions, Perera et al. 2018",
		Publisher: "Pfizer", License: "MIT"}
	g := quality.Grade(md, []tycho.TableReport{rep})
	if g.Grade != tycho.GradeSilver {
		t.Errorf("graded %s, want silver: %q", g.Grade, g.Reasons)
	}
}
