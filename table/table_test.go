package table_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"tycho"
	"tycho/table"
)

func tableSpec() *tycho.Spec {
	s := &tycho.Spec{
		Name: "t",
		Parameters: []tycho.Parameter{
			{Name: "ligand", Kind: tycho.Categorical, Choices: []string{"L1", "L2"}},
			{Name: "temp", Kind: tycho.Continuous, Bounds: []float64{20, 100}},
			{Name: "who", Kind: tycho.Fixed, Value: "me"},
		},
		Objectives: []tycho.Objective{{Name: "yield", Direction: tycho.Maximize}},
		Outcomes:   []tycho.Outcome{{Name: "cost"}},
		Lab:        tycho.LabSpec{Kind: "table", File: "t.csv", Columns: map[string]string{"ligand": "Ligand"}},
	}
	s.SetDefaults()
	return s
}

const data = `Ligand,temp,yield,cost,notes
L1,20,10,1,a
L1,60,30,2,b
L2,60,50,,c
L2,60,54,,replicate
L3,60,99,1,not a choice of this campaign
L2,1e2,70,5,d
`

func run(t *testing.T, lab *table.Lab, p tycho.Params) (*tycho.Result, error) {
	t.Helper()
	return lab.Run(context.Background(), &tycho.Experiment{Seq: 1, Attempt: 1, Params: p})
}

func TestTable(t *testing.T) {
	lab, err := table.Parse("t.csv", []byte(data), tableSpec())
	if err != nil {
		t.Fatal(err)
	}
	if lab.Len() != 4 {
		t.Errorf("%d combinations, want 4 (L3 is not a choice; L2 at 60 is replicated)", lab.Len())
	}
	res, err := run(t, lab, tycho.Params{"ligand": "L1", "temp": 60.0, "who": "me"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Objectives["yield"] != 30 || res.Objectives["cost"] != 2 || res.Noise != nil {
		t.Errorf("L1 at 60: %+v", res)
	}
	// Numbers match by value: 1e2 is 100.
	res, err = run(t, lab, tycho.Params{"ligand": "L2", "temp": 100.0})
	if err != nil || res.Objectives["yield"] != 70 {
		t.Errorf("L2 at 100: %+v, %v", res, err)
	}
	// Replicates: their mean, with their standard deviation as noise; an
	// outcome not measured is not reported.
	res, err = run(t, lab, tycho.Params{"ligand": "L2", "temp": 60.0})
	if err != nil || res.Objectives["yield"] != 52 || math.Abs(res.Noise["yield"]-math.Sqrt(8)) > 1e-12 {
		t.Errorf("replicated L2 at 60: %+v, %v", res, err)
	}
	if _, ok := res.Objectives["cost"]; ok {
		t.Errorf("cost reported though not measured: %+v", res)
	}
	// A combination the table lacks fails the experiment, naming it.
	_, err = run(t, lab, tycho.Params{"ligand": "L1", "temp": 42.0})
	if tycho.ErrorCode(err) != tycho.EINVALID || !strings.Contains(tycho.ErrorMessage(err), "ligand=L1, temp=42") {
		t.Errorf("missing combination: %v", err)
	}
}

func TestTableErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"NoColumn", "Ligand,yield\nL1,3\n", `t.csv: no column "temp" for temp (columns: Ligand, yield)`},
		{"NoObjective", "Ligand,temp\nL1,3\n", `t.csv: no column "yield" for yield (columns: Ligand, temp)`},
		{"BadNumber", "Ligand,temp,yield\nL1,hot,3\n", `t.csv:2: temp: "hot" is not a finite number`},
		{"BadValue", "Ligand,temp,yield\nL1,20,NaN\n", `t.csv:2: yield: "NaN" is not a finite number`},
		{"NothingMatches", "Ligand,temp,yield\nL9,20,1\n", "t.csv: no row matches the campaign's parameters"},
		{"Ragged", "Ligand,temp,yield\nL1,20\n", "t.csv:2: 2 fields, the header has 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := table.Parse("t.csv", []byte(tc.data), tableSpec())
			if tycho.ErrorCode(err) != tycho.EINVALID || tycho.ErrorMessage(err) != tc.want {
				t.Errorf("got %v\nwant %s", err, tc.want)
			}
		})
	}
}

// FuzzTable checks that no table panics the lab, that errors are
// EINVALID, and that an accepted table answers its own rows.
func FuzzTable(f *testing.F) {
	f.Add([]byte(data))
	f.Add([]byte("Ligand,temp,yield\nL1,20,1\nL1,20,1\n"))
	f.Add([]byte("Ligand,temp,yield,cost\nL2,-0,1e308,\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lab, err := table.Parse("t.csv", b, tableSpec())
		if err != nil {
			if tycho.ErrorCode(err) != tycho.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if lab.Len() == 0 {
			t.Fatal("accepted a table with no usable row")
		}
		for _, v := range lab.Values("yield") {
			if math.IsNaN(v) {
				t.Fatalf("NaN yield")
			}
		}
	})
}
