package quality_test

import (
	"fmt"
	"strings"
	"testing"

	"tycho"
	"tycho/quality"
)

// goldMetadata meets every metadata requirement.
func goldMetadata() tycho.Metadata {
	return tycho.Metadata{
		Title:       "Suzuki–Miyaura screen",
		Description: "Yields of 5760 cross-couplings",
		Publisher:   "Pfizer",
		License:     "CC-BY-4.0",
		Creators:    []tycho.Creator{{Name: "Ada Lovelace", ORCID: "0000-0002-1825-0097"}},
	}
}

// goldSchema declares every column of goldCSV.
const goldSchema = `tables:
  - path: "*.csv"
    columns:
      - {name: entry, type: integer, required: true, min: 1}
      - {name: solvent, type: string}
      - {name: yield, type: number, unit: "%", min: 0, max: 100, required: true}
`

const goldCSV = "entry,solvent,yield\n1,THF,50\n2,MeCN,60.5\n3,DMF,0\n4,THF,100\n"

// table reports on a CSV under a schema ("" for none).
func table(t *testing.T, data, schema string) tycho.TableReport {
	t.Helper()
	var cols []tycho.Column
	if schema != "" {
		s, err := quality.ParseSchema("s.yaml", []byte(schema))
		if err != nil {
			t.Fatal(err)
		}
		cols = s.For("t.csv")
	}
	rep, err := quality.CSV(ctx, "t.csv", strings.NewReader(data), ',', cols)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestGrade(t *testing.T) {
	md := goldMetadata
	edit := func(f func(*tycho.Metadata)) tycho.Metadata { m := md(); f(&m); return m }
	for _, tc := range []struct {
		name   string
		md     tycho.Metadata
		tables []tycho.TableReport
		want   tycho.Grade
		reason string // the first reason
	}{
		{"gold without tables", md(), nil, tycho.GradeGold, ""},
		{"gold", md(), []tycho.TableReport{table(t, goldCSV, goldSchema)}, tycho.GradeGold, ""},
		{"no licence", edit(func(m *tycho.Metadata) { m.License = " " }), nil, tycho.GradeNone, "bronze: no licence"},
		{"licence only", tycho.Metadata{License: "MIT"}, nil, tycho.GradeBronze, "silver: no title"},
		{"no description", edit(func(m *tycho.Metadata) { m.Description = "" }), nil, tycho.GradeBronze, "silver: no description"},
		{"no publisher", edit(func(m *tycho.Metadata) { m.Publisher = "" }), nil, tycho.GradeBronze, "silver: no publisher"},
		{"not SPDX", edit(func(m *tycho.Metadata) { m.License = "Proprietary" }), nil, tycho.GradeBronze,
			`silver: licence "Proprietary" is not a valid SPDX licence expression`},
		{"lower-case operator", edit(func(m *tycho.Metadata) { m.License = "MIT or Apache-2.0" }), nil, tycho.GradeBronze, "silver: licence"},
		{"SPDX expression", edit(func(m *tycho.Metadata) { m.License = "MIT OR (Apache-2.0 WITH LLVM-exception)" }), nil, tycho.GradeGold, ""},
		{"LicenseRef", edit(func(m *tycho.Metadata) { m.License = "MIT AND LicenseRef-lab" }), nil, tycho.GradeSilver,
			`gold: licence "MIT AND LicenseRef-lab" uses identifiers that are not on the SPDX licence list`},
		{"deprecated", edit(func(m *tycho.Metadata) { m.License = "GPL-2.0" }), nil, tycho.GradeSilver, "gold: licence"},
		{"no creators", edit(func(m *tycho.Metadata) { m.Creators = nil }), nil, tycho.GradeSilver, "gold: no creators"},
		{"no ORCID", edit(func(m *tycho.Metadata) { m.Creators = append(m.Creators, tycho.Creator{Name: "B. Student"}) }), nil,
			tycho.GradeSilver, "gold: creator B. Student has no ORCID iD"},

		{"unreadable", md(), []tycho.TableReport{table(t, "a,b\n1,2\n3\n", "")}, tycho.GradeNone,
			"bronze: t.csv: cannot be read as a table: line 3: 1 fields, but the header has 2"},
		{"no header", md(), []tycho.TableReport{table(t, "1,2\n3,4\n", "")}, tycho.GradeNone, "bronze: t.csv: no usable header row"},
		{"no rows", md(), []tycho.TableReport{table(t, "entry,solvent,yield\n", goldSchema)}, tycho.GradeBronze, "silver: t.csv: has no rows"},
		{"missing", md(), []tycho.TableReport{table(t, goldCSV+"5,,\n", goldSchema)}, tycho.GradeBronze,
			"silver: t.csv: 13.3 % of values are missing (at most 5 %)"},
		{"type violation", md(), []tycho.TableReport{table(t, goldCSV+"5,THF,high\n", goldSchema)}, tycho.GradeBronze,
			`silver: t.csv: column yield: 1 value is not a number; first: row 5 (line 6): "high" is not a number`},
		{"empty column", md(), []tycho.TableReport{table(t, "a,b\n1,\n2,\n", "")}, tycho.GradeBronze,
			"silver: t.csv: 50.0 % of values are missing"},
		{"absent column", md(), []tycho.TableReport{table(t, "entry,yield\n1,5\n", goldSchema)}, tycho.GradeBronze,
			"silver: t.csv: the schema declares columns the file lacks: solvent"},
		{"duplicates", md(), []tycho.TableReport{table(t, goldCSV+"4,THF,100\n", goldSchema)}, tycho.GradeSilver,
			"gold: t.csv: 1 row duplicates an earlier row"},
		{"out of range", md(), []tycho.TableReport{table(t, goldCSV+"5,THF,100.5\n", goldSchema)}, tycho.GradeSilver,
			"gold: t.csv: column yield: 1 value outside [0, 100]; first: row 5 (line 6): 100.5 is outside [0, 100]"},
		// One of 24 values missing: few enough for silver.
		{"required missing", md(), []tycho.TableReport{table(t, "entry,solvent,yield\n"+
			"1,THF,1\n2,THF,2\n3,THF,3\n4,THF,4\n5,THF,5\n6,THF,6\n7,THF,7\n8,THF,\n", goldSchema)}, tycho.GradeSilver,
			"gold: t.csv: column yield is required but 1 value is missing"},
		{"undeclared", md(), []tycho.TableReport{table(t, "entry,yield [%]\n1,5.5\n", "")}, tycho.GradeSilver,
			"gold: t.csv: columns not declared in a schema (--schema): entry, yield [%]"},
		{"no unit", md(), []tycho.TableReport{table(t, goldCSV, strings.Replace(goldSchema, `unit: "%", `, "", 1))}, tycho.GradeSilver,
			"gold: t.csv: number columns without a unit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := quality.Grade(tc.md, tc.tables)
			if r.Grade != tc.want {
				t.Errorf("grade %q, want %q; reasons:\n%s", r.Grade, tc.want, strings.Join(r.Reasons, "\n"))
			}
			if tc.reason == "" && len(r.Reasons) > 0 || tc.reason != "" && (len(r.Reasons) == 0 || !strings.HasPrefix(r.Reasons[0], tc.reason)) {
				t.Errorf("reasons:\n%s\nwant the first to start %q", strings.Join(r.Reasons, "\n"), tc.reason)
			}
			if len(r.Tables) != len(tc.tables) || r.HasLicense != (strings.TrimSpace(tc.md.License) != "") || r.HasDescription != (tc.md.Description != "") {
				t.Errorf("report: %d tables, licence %v, description %v", len(r.Tables), r.HasLicense, r.HasDescription)
			}
		})
	}
}

// TestGradeReasonsOrder lists the reasons of every grade above the one
// given, lowest grade first.
func TestGradeReasonsOrder(t *testing.T) {
	r := quality.Grade(tycho.Metadata{}, []tycho.TableReport{table(t, "a,b\n1,x\n1,x\n", "")})
	want := []string{
		"bronze: no licence: give one as an SPDX identifier, such as CC-BY-4.0",
		"silver: no title",
		"silver: no description",
		"silver: no publisher (the organisation that makes the data available)",
		"gold: no creators",
		"gold: t.csv: 1 row duplicates an earlier row",
		"gold: t.csv: columns not declared in a schema (--schema): a, b",
	}
	if r.Grade != tycho.GradeNone || strings.Join(r.Reasons, "\n") != strings.Join(want, "\n") {
		t.Errorf("grade %q, reasons:\n%s\nwant:\n%s", r.Grade, strings.Join(r.Reasons, "\n"), strings.Join(want, "\n"))
	}
}

func TestGradeReasonsBounded(t *testing.T) {
	var tables []tycho.TableReport
	for i := range 80 {
		rep := table(t, "a\n1\n1\n", "")
		rep.Path = fmt.Sprintf("t%02d.csv", i)
		tables = append(tables, rep)
	}
	r := quality.Grade(goldMetadata(), tables)
	if n := len(r.Reasons); n != 50 || !strings.Contains(r.Reasons[n-1], "and 111 more") {
		t.Errorf("%d reasons, the last %q", n, r.Reasons[n-1])
	}
}
