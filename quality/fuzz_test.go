package quality_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math"
	"path"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"tycho"
	"tycho/quality"
)

// FuzzSchema parses arbitrary schemas: a schema is either refused with
// EINVALID on lines that name the file, or accepted with every rule
// holding, and then reads back the same from its JSON form.
func FuzzSchema(f *testing.F) {
	f.Add([]byte(goodYAML), false)
	f.Add([]byte(goodJSON), true)
	f.Add([]byte(goldSchema), false)
	f.Add([]byte("tables:\n  - path: a.csv\n    columns: &c [{name: a, type: string}]\n  - {path: b.csv, columns: *c}\n"), false)
	f.Add([]byte("tables:\n  - {path: \"[\", columns: [{name: a, type: number, min: 3, max: 1}]}\n"), false)
	f.Add([]byte(`{"tables": [{"path": "a.csv", "columns": [{"name": "a", "type": "number", "min": 1e400}]}]}`), true)
	f.Add([]byte("tables:\n  - path: a.csv\n    columns:\n      - {name: a, type: number, min: 0x10, max: .inf, required: ~}\n"), false)
	f.Add([]byte("<<: {tables: []}\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		name := "s.yaml"
		if isJSON {
			name = "s.json"
		}
		s, err := quality.ParseSchema(name, data)
		if err != nil {
			if tycho.ErrorCode(err) != tycho.EINVALID {
				t.Fatalf("error %v, want EINVALID", err)
			}
			for _, line := range strings.Split(tycho.ErrorMessage(err), "\n") {
				if !strings.HasPrefix(line, name) && !strings.HasPrefix(line, "… and") {
					t.Fatalf("error line %q does not name the file", line)
				}
			}
			return
		}
		checkSchema(t, s)
		again, err := quality.ParseSchema("again.json", schemaJSON(t, s))
		if err != nil {
			t.Fatalf("the JSON form of an accepted schema is refused: %v", err)
		}
		if !reflect.DeepEqual(again, s) {
			t.Fatalf("round trip:\ngot  %+v\nwant %+v", again, s)
		}
	})
}

func checkSchema(t *testing.T, s *quality.Schema) {
	t.Helper()
	if len(s.Tables) == 0 {
		t.Fatal("a schema without tables")
	}
	paths := map[string]bool{}
	for _, tab := range s.Tables {
		if _, err := path.Match(tab.Path, ""); err != nil || tab.Path == "" || paths[tab.Path] {
			t.Fatalf("path %q (%v)", tab.Path, err)
		}
		paths[tab.Path] = true
		if len(tab.Columns) == 0 {
			t.Fatalf("table %q without columns", tab.Path)
		}
		names := map[string]bool{}
		for _, c := range tab.Columns {
			numeric := c.Type == tycho.ColumnInteger || c.Type == tycho.ColumnNumber
			switch {
			case c.Name == "" || names[c.Name]:
				t.Fatalf("column name %q", c.Name)
			case !c.Declared:
				t.Fatalf("column %q not marked declared", c.Name)
			case c.Type != tycho.ColumnString && c.Type != tycho.ColumnBoolean && c.Type != tycho.ColumnTime && !numeric:
				t.Fatalf("column %q of type %q", c.Name, c.Type)
			case (c.Min != nil || c.Max != nil) && !numeric:
				t.Fatalf("column %q of type %s has a range", c.Name, c.Type)
			case c.Min != nil && c.Max != nil && *c.Min > *c.Max:
				t.Fatalf("column %q: min %v > max %v", c.Name, *c.Min, *c.Max)
			}
			for _, b := range []*float64{c.Min, c.Max} {
				if b != nil && (math.IsNaN(*b) || math.IsInf(*b, 0)) {
					t.Fatalf("column %q: bound %v", c.Name, *b)
				}
			}
			names[c.Name] = true
		}
	}
}

// schemaJSON writes a schema in its JSON form.
func schemaJSON(t *testing.T, s *quality.Schema) []byte {
	type column struct {
		Name     string   `json:"name"`
		Type     string   `json:"type"`
		Unit     *string  `json:"unit,omitempty"`
		Min      *float64 `json:"min,omitempty"`
		Max      *float64 `json:"max,omitempty"`
		Required bool     `json:"required"`
	}
	type table struct {
		Path    string   `json:"path"`
		Columns []column `json:"columns"`
	}
	var doc struct {
		Tables []table `json:"tables"`
	}
	for _, tab := range s.Tables {
		out := table{Path: tab.Path}
		for _, c := range tab.Columns {
			jc := column{Name: c.Name, Type: string(c.Type), Min: c.Min, Max: c.Max, Required: c.Required}
			if c.Unit != "" {
				jc.Unit = &c.Unit
			}
			out.Columns = append(out.Columns, jc)
		}
		doc.Tables = append(doc.Tables, out)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fuzzColumns are declared for FuzzCSVReport's files when it asks.
var fuzzColumns = []tycho.Column{
	{Name: "a", Type: tycho.ColumnInteger, Min: ptr(0), Max: ptr(10), Required: true, Declared: true},
	{Name: "b", Type: tycho.ColumnNumber, Unit: "K", Min: ptr(-1.5), Declared: true},
	{Name: "c", Type: tycho.ColumnBoolean, Declared: true},
	{Name: "d", Type: tycho.ColumnTime, Required: true, Declared: true},
	{Name: "e", Type: tycho.ColumnString, Declared: true},
}

// FuzzCSVReport reports on arbitrary files: the counts are consistent,
// the duplicates are those a plain reading finds, reading a byte at a
// time changes nothing, and the report grades.
func FuzzCSVReport(f *testing.F) {
	f.Add([]byte(goldCSV), false, true)
	f.Add([]byte("a,b,c,d,e\n1,2.5,true,2024-01-01,x\n1,2.5,true,2024-01-01,x\n11,-2,maybe,never,\n,,,,\n"), false, true)
	f.Add([]byte("a\tb [K]\n1\t\"2\n3\t4\n"), true, false)
	f.Add([]byte("\xef\xbb\xbfx,x\n\"a\"\"b\",\"c\nd\"\n1,2,3\n"), false, false)
	f.Add([]byte("1,2\n3,4\n\n5,6\n"), false, false)
	f.Add([]byte("a,b\nNA,nan\n#N/A,null\n inf ,-Infinity\n1e400,0x10\n"), false, true)
	f.Fuzz(func(t *testing.T, data []byte, tsv, declare bool) {
		comma := ','
		if tsv {
			comma = '\t'
		}
		var declared []tycho.Column
		if declare {
			declared = fuzzColumns
		}
		rep, err := quality.CSV(ctx, "f.csv", bytes.NewReader(data), comma, declared)
		if err != nil {
			t.Fatal(err)
		}
		checkReport(t, rep)
		slow, err := quality.CSV(ctx, "f.csv", iotest.OneByteReader(bytes.NewReader(data)), comma, declared)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(slow, rep) {
			t.Fatalf("a byte at a time:\n%+v\nat once:\n%+v", slow, rep)
		}
		if rep.Error == "" && len(rep.Columns) > 0 {
			if want := duplicates(t, data, comma); rep.DuplicateRows != want {
				t.Fatalf("%d duplicate rows, a plain reading finds %d", rep.DuplicateRows, want)
			}
		}
		g := quality.Grade(goldMetadata(), []tycho.TableReport{rep})
		if g.Grade.Rank() < 0 || (g.Grade == tycho.GradeGold) != (len(g.Reasons) == 0) {
			t.Fatalf("grade %q with reasons %q", g.Grade, g.Reasons)
		}
		if _, err := json.Marshal(g); err != nil {
			t.Fatal(err)
		}
	})
}

func checkReport(t *testing.T, rep tycho.TableReport) {
	t.Helper()
	if len(rep.Columns) != len(rep.Quality) {
		t.Fatalf("%d columns, %d quality entries", len(rep.Columns), len(rep.Quality))
	}
	if rep.Rows < 0 || rep.DuplicateRows < 0 || rep.DuplicateRows >= max(rep.Rows, 1) || rep.DuplicatesPartial {
		t.Fatalf("%d rows, %d duplicates, partial %v", rep.Rows, rep.DuplicateRows, rep.DuplicatesPartial)
	}
	for i, c := range rep.Columns {
		q := rep.Quality[i]
		if q.Name != c.Name {
			t.Fatalf("column %d: %q and %q", i, c.Name, q.Name)
		}
		present := rep.Rows - q.Missing
		if q.Missing < 0 || present < 0 || q.TypeViolations < 0 || q.TypeViolations > present || q.OutOfRange < 0 || q.OutOfRange > present-q.TypeViolations {
			t.Fatalf("column %s: %d rows, %+v", c.Name, rep.Rows, q)
		}
		problem := q.TypeViolations > 0 || q.OutOfRange > 0 || c.Required && q.Missing > 0
		if problem != (q.Example != "") {
			t.Fatalf("column %s: %+v, example %q", c.Name, q, q.Example)
		}
	}
}

// duplicates counts repeated rows by reading the file plainly.
func duplicates(t *testing.T, data []byte, comma rune) int64 {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	r.Comma, r.FieldsPerRecord = comma, -1
	r.TrimLeadingSpace, r.LazyQuotes = comma != '\t', comma == '\t'
	seen := map[string]bool{}
	var dups int64
	width := -1 // before the header
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return dups
		} else if err != nil {
			t.Fatalf("the report read a file a plain reading cannot: %v", err)
		}
		if width < 0 {
			width = len(rec)
			continue
		}
		if len(rec) != width && len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line in a table of several columns
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		b, _ := json.Marshal(rec)
		if seen[string(b)] {
			dups++
		}
		seen[string(b)] = true
	}
}
