package quality_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"tycho"
	"tycho/quality"
)

const goodYAML = `# the screen's tables
tables:
  - path: yields.csv
    columns:
      - name: entry
        type: integer
        required: true
        min: 1
      - {name: yield, type: number, unit: "%", min: 0, max: 100.0, required: true}
      - {name: run_at, type: datetime}
  - path: "raw/*.csv"
    columns:
      - {name: wavelength, type: number, unit: nm, min: 1e2}
      - {name: ok, type: boolean, required: false}
`

const goodJSON = `{
	"tables": [
		{"path": "yields.csv", "columns": [
			{"name": "entry", "type": "integer", "required": true, "min": 1},
			{"name": "yield", "type": "number", "unit": "%", "min": 0, "max": 100.0, "required": true},
			{"name": "run_at", "type": "datetime"}
		]},
		{"path": "raw\/*.csv", "columns": [
			{"name": "wavelength", "type": "number", "unit": "nm", "min": 1e2},
			{"name": "ok", "type": "boolean", "required": false}
		]}
	]
}`

func TestParseSchema(t *testing.T) {
	want := &quality.Schema{Tables: []quality.TableSchema{
		{Path: "yields.csv", Columns: []tycho.Column{
			{Name: "entry", Type: tycho.ColumnInteger, Required: true, Min: ptr(1), Declared: true},
			{Name: "yield", Type: tycho.ColumnNumber, Unit: "%", Min: ptr(0), Max: ptr(100), Required: true, Declared: true},
			{Name: "run_at", Type: tycho.ColumnTime, Declared: true},
		}},
		{Path: "raw/*.csv", Columns: []tycho.Column{
			{Name: "wavelength", Type: tycho.ColumnNumber, Unit: "nm", Min: ptr(100), Declared: true},
			{Name: "ok", Type: tycho.ColumnBoolean, Declared: true},
		}},
	}}
	for _, tc := range []struct{ name, data string }{
		{"schema.yaml", goodYAML},
		{"schema.json", goodJSON},
		{"schema", goodJSON}, // JSON by its first byte
	} {
		got, err := quality.ParseSchema(tc.name, []byte(tc.data))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\ngot  %+v\nwant %+v", tc.name, got, want)
		}
	}
}

func TestSchemaFor(t *testing.T) {
	s, err := quality.ParseSchema("s.yaml", []byte(`tables:
  - {path: yields.csv, columns: [{name: a, type: integer}]}
  - {path: "raw/*.csv", columns: [{name: b, type: integer}]}
  - {path: "*.csv", columns: [{name: c, type: integer}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{"yields.csv", "a"},
		{"raw/x.csv", "b"},
		{"deep/er/x.csv", "c"}, // no slash in the pattern: the base name
		{"raw/sub/x.csv", "c"},
		{"notes.txt", ""},
	} {
		cols := s.For(tc.path)
		got := ""
		if len(cols) > 0 {
			got = cols[0].Name
		}
		if got != tc.want {
			t.Errorf("For(%q): column %q, want %q", tc.path, got, tc.want)
		}
	}
	var none *quality.Schema
	if none.For("x.csv") != nil {
		t.Error("a nil schema declares columns")
	}
}

func TestParseSchemaErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file, data string
		want             []string
	}{
		{"empty", "s.yaml", "", []string{"s.yaml: the schema is empty"}},
		{"no tables", "s.yaml", "tables: []\n", []string{"s.yaml: no tables"}},
		{"not a mapping", "s.yaml", "- a\n", []string{"s.yaml:1: want a mapping with tables, got a list"}},
		{"unknown top", "s.yaml", "tables: []\ncolumns: []\n", []string{"s.yaml:2: columns: unknown field (known: tables)"}},
		{"unknown column field", "s.yaml", "tables:\n  - path: a.csv\n    columns:\n      - {name: a, type: integer, unti: K}\n",
			[]string{"s.yaml:4: tables[0].columns[0].unti: unknown field (known: name, type, unit, min, max, required)"}},
		{"wrong types", "s.yaml", "tables:\n  - path: a.csv\n    columns:\n      - name: a\n        type: number\n        min: low\n        required: yes\n        unit: 1\n",
			[]string{"s.yaml:6: tables[0].columns[0].min: want a number, got the string \"low\"",
				"s.yaml:7: tables[0].columns[0].required: want true or false, got the string \"yes\"",
				"s.yaml:8: tables[0].columns[0].unit: want a string, got the number 1 (quote it if it is text)"}},
		{"bad type", "s.yaml", "tables:\n  - path: a.csv\n    columns:\n      - {name: a, type: float}\n",
			[]string{`s.yaml:4: tables[0].columns[0].type: unknown type "float": use integer, number, boolean, datetime or string`}},
		{"no type", "s.yaml", "tables:\n  - path: a.csv\n    columns:\n      - {name: a}\n", []string{"s.yaml:4: tables[0].columns[0]: no type"}},
		{"no name", "s.yaml", "tables:\n  - path: a.csv\n    columns:\n      - {type: string}\n", []string{"s.yaml:4: tables[0].columns[0]: no name"}},
		{"range on a string", "s.yaml", "tables:\n  - path: a.csv\n    columns:\n      - {name: a, type: string, max: 3}\n",
			[]string{"s.yaml:4: tables[0].columns[0].max: a range applies to integer and number columns only, not string"}},
		{"min above max", "s.yaml", "tables:\n  - path: a.csv\n    columns:\n      - name: a\n        type: number\n        min: 5\n        max: 1\n",
			[]string{"s.yaml:7: tables[0].columns[0].max: max 1 is below min 5"}},
		{"infinite", "s.yaml", "tables:\n  - path: a.csv\n    columns:\n      - {name: a, type: number, max: .inf}\n",
			[]string{"s.yaml:4: tables[0].columns[0].max: want a finite number"}},
		{"column twice", "s.yaml", "tables:\n  - path: a.csv\n    columns:\n      - {name: a, type: number}\n      - {name: a, type: string}\n",
			[]string{`s.yaml:5: tables[0].columns[1].name: column "a" is declared twice`}},
		{"field twice", "s.yaml", "tables:\n  - path: a.csv\n    path: b.csv\n    columns: [{name: a, type: string}]\n",
			[]string{"s.yaml:3: tables[0].path: given twice"}},
		{"path twice", "s.yaml", "tables:\n  - {path: a.csv, columns: [{name: a, type: string}]}\n  - {path: a.csv, columns: [{name: a, type: string}]}\n",
			[]string{`s.yaml:3: tables[1].path: "a.csv" is given twice`}},
		{"bad glob", "s.yaml", "tables:\n  - {path: \"[a.csv\", columns: [{name: a, type: string}]}\n",
			[]string{`s.yaml:2: tables[0].path: "[a.csv" is not a valid glob`}},
		{"absolute", "s.yaml", "tables:\n  - {path: /a.csv, columns: [{name: a, type: string}]}\n",
			[]string{`s.yaml:2: tables[0].path: "/a.csv" is absolute`}},
		{"no columns", "s.yaml", "tables:\n  - path: a.csv\n", []string{"s.yaml:2: tables[0].columns: no columns declared"}},
		{"no path", "s.yaml", "tables:\n  - columns: [{name: a, type: string}]\n", []string{"s.yaml:2: tables[0]: no path"}},
		{"alias", "s.yaml", "tables:\n  - path: a.csv\n    columns: &c [{name: a, type: string}]\n  - path: b.csv\n    columns: *c\n",
			[]string{"s.yaml:3: tables[0].columns: anchors (&c) are not allowed"}},
		{"two documents", "s.yaml", "tables: []\n---\ntables: []\n", []string{"s.yaml:2: a schema holds one YAML document"}},
		{"syntax", "s.yaml", "tables: [\n", []string{"s.yaml: "}},
		{"json unknown", "s.json", `{"tables": [{"path": "a.csv", "columns": [{"name": "a", "type": "string", "units": "K"}]}]}`,
			[]string{"s.json: /tables/0/columns/0/units: unknown field"}},
		{"json wrong type", "s.json", `{"tables": [{"path": "a.csv", "columns": [{"name": "a", "type": "number", "min": "0"}]}]}`,
			[]string{"s.json: /tables/0/columns/0/min: want a number, got a string"}},
		{"json duplicate", "s.json", `{"tables": [], "tables": []}`, []string{"s.json: malformed JSON", "duplicate object member name"}},
		{"json bad type", "s.json", `{"tables": [{"path": "a.csv", "columns": [{"name": "a", "type": "text"}]}]}`,
			[]string{`s.json: /tables/0/columns/0/type: unknown type "text"`}},
		{"json syntax", "s.json", `{"tables": [`, []string{"s.json: malformed JSON"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := quality.ParseSchema(tc.file, []byte(tc.data))
			if tycho.ErrorCode(err) != tycho.EINVALID {
				t.Fatalf("error %v, want EINVALID", err)
			}
			msg := tycho.ErrorMessage(err)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error:\n%s\nwant it to contain %q", msg, w)
				}
			}
		})
	}
}

func TestReadSchema(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "schema.yaml")
	if err := os.WriteFile(path, []byte(goodYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := quality.ReadSchema(path); err != nil || len(s.Tables) != 2 {
		t.Errorf("read: %v, %v", s, err)
	}
	_, err := quality.ReadSchema(filepath.Join(dir, "none.yaml"))
	if tycho.ErrorCode(err) != tycho.EINVALID || !strings.Contains(tycho.ErrorMessage(err), "none.yaml") {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, quality.MaxSchemaSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := quality.ReadSchema(big); !strings.Contains(tycho.ErrorMessage(err), "larger than") {
		t.Errorf("big file: %v", err)
	}
}
