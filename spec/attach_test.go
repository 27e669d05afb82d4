package spec_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"tycho"
	"tycho/spec"
)

// descCampaign is a campaign whose categorical parameter, ligand, takes its
// descriptors from ligands.csv; PARAM is replaced by the rest of the
// parameter's fields, each line indented by four spaces, from line 6.
const descCampaign = `name: t
parameters:
  - {name: x, kind: continuous, bounds: [0, 1]}
  - name: ligand
    kind: categorical
PARAM
objectives:
  - {name: y, direction: minimize}
budget: {max_experiments: 10}
lab: {kind: twin, name: branin}
`

const ligandsCSV = "name,mw,charge,smiles\nb,1,2,CC\na,3,4.5,CO\n"

// descriptorCases load ligands.csv, or csv if set, into the parameter
// ligand. In want, CAMPAIGN and CSV stand for the paths of the campaign
// file and the CSV file.
var descriptorCases = []struct {
	name  string
	param string
	csv   string
	// For a good case, the parameter's choices and its descriptors.
	choices []string
	names   []string
	values  [][]float64
	// For a bad case, the whole Parse error.
	want string
}{
	{name: "ChoicesFromFile",
		param:   "    descriptors:\n      file: ligands.csv\n",
		choices: []string{"b", "a"}, names: []string{"mw", "charge"}, values: [][]float64{{1, 2}, {3, 4.5}}},
	{name: "ReorderedToChoices",
		param:   "    choices: [a, b]\n    descriptors:\n      file: ligands.csv\n",
		choices: []string{"a", "b"}, names: []string{"mw", "charge"}, values: [][]float64{{3, 4.5}, {1, 2}}},
	{name: "FewerChoicesThanRows",
		param:   "    choices: [a]\n    descriptors:\n      file: ligands.csv\n",
		choices: []string{"a"}, names: []string{"mw", "charge"}, values: [][]float64{{3, 4.5}}},
	{name: "NumericChoices",
		param:   "    choices: [2, 1.5]\n    descriptors:\n      file: ligands.csv\n",
		csv:     "id,d\n1.5,10\n2,20\n",
		choices: []string{"2", "1.5"}, names: []string{"d"}, values: [][]float64{{20}, {10}}},
	{name: "NonNumericSkipped", // smiles is text and pka has a gap
		param:   "    descriptors:\n      file: ligands.csv\n",
		csv:     "name,smiles,pka,mw\nb,CC,,1\na,CO,4,3\n",
		choices: []string{"b", "a"}, names: []string{"mw"}, values: [][]float64{{1}, {3}}},
	{name: "KeyColumn",
		param:   "    descriptors:\n      file: ligands.csv\n      key: id\n",
		csv:     "mw,id,charge\n1,b,2\n3,a,4\n",
		choices: []string{"b", "a"}, names: []string{"mw", "charge"}, values: [][]float64{{1, 2}, {3, 4}}},
	{name: "NumericKeyNotADescriptor",
		param:   "    descriptors:\n      file: ligands.csv\n",
		csv:     "code,mw\n7,1\n8,3\n",
		choices: []string{"7", "8"}, names: []string{"mw"}, values: [][]float64{{1}, {3}}},
	{name: "ExplicitColumns",
		param:   "    descriptors:\n      file: ligands.csv\n      columns: [charge]\n",
		choices: []string{"b", "a"}, names: []string{"charge"}, values: [][]float64{{2}, {4.5}}},
	{name: "ExplicitColumnsInTheirOrder",
		param:   "    descriptors:\n      file: ligands.csv\n      columns: [charge, mw]\n      reduce: 1\n",
		choices: []string{"b", "a"}, names: []string{"charge", "mw"}, values: [][]float64{{2, 1}, {4.5, 3}}},
	{name: "ExplicitColumnGapInUnusedRow", // only the rows of the choices are read
		param:   "    choices: [a]\n    descriptors:\n      file: ligands.csv\n      columns: [pka]\n",
		csv:     "name,pka\nb,\na,4\n",
		choices: []string{"a"}, names: []string{"pka"}, values: [][]float64{{4}}},
	{name: "BOMAndBlankLines",
		param:   "    descriptors:\n      file: ligands.csv\n",
		csv:     "\xef\xbb\xbfname,mw\n\nb,1\n\na,3\n",
		choices: []string{"b", "a"}, names: []string{"mw"}, values: [][]float64{{1}, {3}}},

	{name: "ErrExplicitColumnNotNumeric",
		param: "    descriptors:\n      file: ligands.csv\n      columns: [mw, smiles]\n",
		want:  `CAMPAIGN:7: parameters[1].descriptors: CSV:2: smiles: "CC" is not a finite number`},
	{name: "ErrExplicitColumnNotNumericInChoiceOrder",
		param: "    choices: [a, b]\n    descriptors:\n      file: ligands.csv\n      columns: [smiles]\n",
		want:  `CAMPAIGN:8: parameters[1].descriptors: CSV:3: smiles: "CO" is not a finite number`},
	{name: "ErrExplicitColumnEmpty",
		param: "    descriptors:\n      file: ligands.csv\n      columns: [pka]\n",
		csv:   "name,pka\nb,1\na,\n",
		want:  `CAMPAIGN:7: parameters[1].descriptors: CSV:3: pka: no value`},
	{name: "ErrExplicitColumnUnknown",
		param: "    descriptors:\n      file: ligands.csv\n      columns: [mw, nope]\n",
		want:  `CAMPAIGN:7: parameters[1].descriptors: CSV: no column "nope"`},
	{name: "ErrMissingChoiceRow",
		param: "    choices: [a, c, b]\n    descriptors:\n      file: ligands.csv\n",
		want:  `CAMPAIGN:8: parameters[1].descriptors: CSV: no row for choice "c" in column name`},
	{name: "ErrMissingChoiceRowKeyColumn",
		param: "    choices: [a, c]\n    descriptors:\n      file: ligands.csv\n      key: id\n",
		csv:   "mw,id\n1,a\n2,b\n",
		want:  `CAMPAIGN:8: parameters[1].descriptors: CSV: no row for choice "c" in column id`},
	{name: "ErrDuplicateKey",
		param: "    descriptors:\n      file: ligands.csv\n",
		csv:   "name,mw\nb,1\na,2\n\nb,3\n",
		want:  `CAMPAIGN:7: parameters[1].descriptors: CSV:5: name: "b" appears twice`},
	{name: "ErrEmptyKey",
		param: "    descriptors:\n      file: ligands.csv\n",
		csv:   "name,mw\nb,1\n,2\n",
		want:  `CAMPAIGN:7: parameters[1].descriptors: CSV:3: name: no value`},
	{name: "ErrUnknownKeyColumn",
		param: "    descriptors:\n      file: ligands.csv\n      key: id\n",
		want:  `CAMPAIGN:7: parameters[1].descriptors: CSV: no key column "id" (columns: name, mw, charge, smiles)`},
	{name: "ErrNoNumericColumns",
		param: "    descriptors:\n      file: ligands.csv\n",
		csv:   "name,smiles\nb,CC\na,CO\n",
		want:  `CAMPAIGN:7: parameters[1].descriptors: CSV: no numeric descriptor columns`},
	{name: "ErrOnlyAHeader",
		param: "    descriptors:\n      file: ligands.csv\n",
		csv:   "name,mw\n",
		want:  `CAMPAIGN:7: parameters[1].descriptors: CSV: no numeric descriptor columns`},
	{name: "ErrRaggedCSV",
		param: "    descriptors:\n      file: ligands.csv\n",
		csv:   "name,mw\nb,1\na\n",
		want:  `CAMPAIGN:7: parameters[1].descriptors: CSV:3: 1 fields, the header has 2`},
	{name: "ErrEmptyCSV",
		param: "    descriptors:\n      file: ligands.csv\n",
		csv:   "\n",
		want:  `CAMPAIGN:7: parameters[1].descriptors: CSV: the file is empty; want a header row`},
	{name: "ErrNotUTF8",
		param: "    descriptors:\n      file: ligands.csv\n",
		csv:   "name,mw\nb,1\ncaf\xe9,3\n",
		want:  `CAMPAIGN:7: parameters[1].descriptors: CSV:3: not UTF-8 text`},
	{name: "ErrMissingFile",
		param: "    descriptors:\n      file: nope.csv\n",
		want:  `CAMPAIGN:7: parameters[1].descriptors: stat DIR/nope.csv: no such file or directory`},
	{name: "ErrDirectory",
		param: "    descriptors:\n      file: .\n",
		want:  `CAMPAIGN:7: parameters[1].descriptors: DIR: not a regular file`},
	{name: "ErrFlowMappingLine",
		param: "    choices: [a, c]\n    descriptors: {file: ligands.csv, key: name}\n",
		want:  `CAMPAIGN:7: parameters[1].descriptors: CSV: no row for choice "c" in column name`},
	{name: "ErrWithOtherProblems", // reported in line order with the rest
		param: "    descriptors:\n      file: ligands.csv\n      key: id\n    log: true\n",
		want: "CAMPAIGN:7: parameters[1].descriptors: CSV: no key column \"id\" (columns: name, mw, charge, smiles)\n" +
			"CAMPAIGN:9: parameters[1].log: log scale applies to continuous parameters only"},
}

func TestDescriptors(t *testing.T) {
	for _, tc := range descriptorCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			campaign := filepath.Join(dir, "c.yaml")
			csv := filepath.Join(dir, "ligands.csv")
			data := tc.csv
			if data == "" {
				data = ligandsCSV
			}
			if err := os.WriteFile(csv, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			src := strings.Replace(descCampaign, "PARAM\n", tc.param, 1)
			s, err := spec.Parse(campaign, []byte(src), nil)
			if tc.want != "" {
				if err == nil {
					t.Fatalf("parsed %+v, want an error", s.Parameters[1])
				}
				var e *tycho.Error
				if !errors.As(err, &e) || e.Code != tycho.EINVALID {
					t.Fatalf("error %v is not EINVALID", err)
				}
				want := strings.NewReplacer("CAMPAIGN", campaign, "CSV", csv, "DIR", dir).Replace(tc.want)
				if e.Message != want {
					t.Errorf("got\n%s\nwant\n%s", e.Message, want)
				}
				return
			}
			if err != nil {
				t.Fatal(tycho.ErrorMessage(err))
			}
			p := s.Parameters[1]
			if !reflect.DeepEqual(p.Choices, tc.choices) {
				t.Errorf("choices: got %q, want %q", p.Choices, tc.choices)
			}
			if p.Descriptors == nil {
				t.Fatal("no descriptors")
			}
			if !reflect.DeepEqual(p.Descriptors.Names, tc.names) {
				t.Errorf("names: got %q, want %q", p.Descriptors.Names, tc.names)
			}
			if !reflect.DeepEqual(p.Descriptors.Values, tc.values) {
				t.Errorf("values: got %v, want %v", p.Descriptors.Values, tc.values)
			}
			if p.Descriptors.File != "ligands.csv" {
				t.Errorf("file: got %q, want it as written", p.Descriptors.File)
			}
		})
	}
}

// TestDescriptorsStored checks that a spec with descriptors survives a
// round trip through JSON, as it is stored, without its file.
func TestDescriptorsStored(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ligands.csv"), []byte(ligandsCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(descCampaign, "PARAM\n", "    choices: [a, b]\n    descriptors:\n      file: ligands.csv\n      reduce: -1\n", 1)
	s, err := spec.Parse(filepath.Join(dir, "c.yaml"), []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var again tycho.Spec
	if err := json.Unmarshal(b, &again); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Parameters[1], s.Parameters[1]) {
		t.Errorf("got %+v, want %+v", again.Parameters[1], s.Parameters[1])
	}
	if errs := again.Validate(); len(errs) > 0 {
		t.Errorf("stored spec does not validate: %v", errs)
	}
}

// TestDescriptorsRelative reads the campaign files in testdata/attach,
// whose files are relative to them.
func TestDescriptorsRelative(t *testing.T) {
	t.Run("Good", func(t *testing.T) {
		s, err := spec.ReadFile("testdata/attach/campaign.yaml", nil)
		if err != nil {
			t.Fatal(tycho.ErrorMessage(err))
		}
		p := s.Parameter("ligand")
		want := &tycho.Descriptors{File: "ligands.csv", Key: "ligand", Reduce: -1,
			Names: []string{"cone_angle"}, Values: [][]float64{{145}, {170}, {256}}}
		if !reflect.DeepEqual(p.Choices, []string{"PPh3", "PCy3", "XPhos"}) || !reflect.DeepEqual(p.Descriptors, want) {
			t.Errorf("got choices %q, descriptors %+v, want %+v", p.Choices, p.Descriptors, want)
		}
	})
	t.Run("ErrMissingChoice", func(t *testing.T) {
		_, err := spec.ReadFile("testdata/attach/missing_choice.yaml", nil)
		want := `testdata/attach/missing_choice.yaml:6: parameters[0].descriptors: testdata/attach/ligands.csv: no row for choice "SPhos" in column ligand`
		if got := tycho.ErrorMessage(err); got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	})
}

// priorCampaign has every kind of parameter, two objectives and an outcome.
const priorCampaign = `name: p
parameters:
  - {name: temp, kind: continuous, bounds: [20, 80]}
  - {name: steps, kind: integer, bounds: [1, 10]}
  - {name: solvent, kind: categorical, choices: [water, ethanol]}
  - {name: operator, kind: fixed, value: alice}
objectives:
  - {name: yield, direction: maximize}
  - {name: cost, direction: minimize}
outcomes:
  - {name: purity}
budget: {max_experiments: 10}
lab: {kind: twin, name: branin}
`

func priorSpec(t testing.TB) *tycho.Spec {
	t.Helper()
	s, err := spec.Parse("p.yaml", []byte(priorCampaign), nil)
	if err != nil {
		t.Fatal(tycho.ErrorMessage(err))
	}
	return s
}

// done and failed build the experiments ParsePriorData returns.
func done(seq int, temp, steps float64, solvent string, objectives map[string]float64) *tycho.Experiment {
	return &tycho.Experiment{Seq: seq, State: tycho.ExperimentCompleted,
		Params: tycho.Params{"temp": temp, "steps": steps, "solvent": solvent, "operator": "alice"},
		Result: &tycho.Result{Objectives: objectives}}
}

func failed(seq int, temp, steps float64, solvent string) *tycho.Experiment {
	return &tycho.Experiment{Seq: seq, State: tycho.ExperimentFailed, Error: "no result in the prior data",
		Params: tycho.Params{"temp": temp, "steps": steps, "solvent": solvent, "operator": "alice"}}
}

const priorHeader = "temp,steps,solvent,yield,cost,purity\n"

var priorCases = []struct {
	name string
	csv  string
	want []*tycho.Experiment
	err  string
}{
	{name: "Good", csv: priorHeader + "25,3,water,0.5,10,0.9\n80,10,ethanol,0.75,12,0.8\n",
		want: []*tycho.Experiment{
			done(1, 25, 3, "water", map[string]float64{"yield": 0.5, "cost": 10, "purity": 0.9}),
			done(2, 80, 10, "ethanol", map[string]float64{"yield": 0.75, "cost": 12, "purity": 0.8}),
		}},
	{name: "BoundsInclusive", csv: priorHeader + "20,1,water,1,2,3\n80,10,water,-1,-2,-3\n",
		want: []*tycho.Experiment{
			done(1, 20, 1, "water", map[string]float64{"yield": 1, "cost": 2, "purity": 3}),
			done(2, 80, 10, "water", map[string]float64{"yield": -1, "cost": -2, "purity": -3}),
		}},
	{name: "NumberForms", csv: priorHeader + " 2.5e1 ,3.0,ethanol,5E-1,1e1,\n",
		want: []*tycho.Experiment{
			done(1, 25, 3, "ethanol", map[string]float64{"yield": 0.5, "cost": 10}),
		}},
	{name: "OutcomeEmpty", csv: priorHeader + "25,3,water,0.5,10,\n",
		want: []*tycho.Experiment{
			done(1, 25, 3, "water", map[string]float64{"yield": 0.5, "cost": 10}),
		}},
	{name: "OutcomeColumnOptional", csv: "temp,steps,solvent,yield,cost\n25,3,water,0.5,10\n",
		want: []*tycho.Experiment{
			done(1, 25, 3, "water", map[string]float64{"yield": 0.5, "cost": 10}),
		}},
	{name: "ExtraColumnsIgnored", csv: "notes,cost,yield,solvent,date,steps,temp,operator\n\"hot, fast\",10,0.5,water,2024-05-01,3,25,bob\n",
		want: []*tycho.Experiment{
			done(1, 25, 3, "water", map[string]float64{"yield": 0.5, "cost": 10}),
		}},
	{name: "AllObjectivesEmptyFailed", csv: priorHeader + "25,3,water,0.5,10,\n30,4,ethanol,,,n/a\n35,5,water, , ,\n",
		want: []*tycho.Experiment{
			done(1, 25, 3, "water", map[string]float64{"yield": 0.5, "cost": 10}),
			failed(2, 30, 4, "ethanol"),
			failed(3, 35, 5, "water"),
		}},
	{name: "SeqCountsRowsNotLines", csv: "\n" + priorHeader + "\n25,3,water,0.5,10,\n\n\n30,4,ethanol,,,\n",
		want: []*tycho.Experiment{
			done(1, 25, 3, "water", map[string]float64{"yield": 0.5, "cost": 10}),
			failed(2, 30, 4, "ethanol"),
		}},
	{name: "HeaderOnly", csv: priorHeader, want: nil},

	{name: "ErrAboveBound", csv: priorHeader + "25,3,water,0.5,10,\n80.5,3,water,0.5,10,\n",
		err: "prior.csv:3: temp: 80.5 is outside the bounds [20, 80]"},
	{name: "ErrBelowBound", csv: priorHeader + "19.99,3,water,0.5,10,\n",
		err: "prior.csv:2: temp: 19.99 is outside the bounds [20, 80]"},
	{name: "ErrIntegerOutOfBounds", csv: priorHeader + "25,0,water,0.5,10,\n",
		err: "prior.csv:2: steps: 0 is outside the bounds [1, 10]"},
	{name: "ErrIntegerNotWhole", csv: priorHeader + "25,2.5,water,0.5,10,\n",
		err: "prior.csv:2: steps: 2.5 is not a whole number"},
	{name: "ErrNotAChoice", csv: priorHeader + "25,3,acetone,0.5,10,\n",
		err: `prior.csv:2: solvent: "acetone" is not one of the choices of solvent`},
	{name: "ErrChoiceCase", csv: priorHeader + "25,3,Water,0.5,10,\n",
		err: `prior.csv:2: solvent: "Water" is not one of the choices of solvent`},
	{name: "ErrEmptyChoice", csv: priorHeader + "25,3,,0.5,10,\n",
		err: `prior.csv:2: solvent: "" is not one of the choices of solvent`},
	{name: "ErrParameterEmpty", csv: priorHeader + "25,,water,,,\n",
		err: "prior.csv:2: steps: no value"},
	{name: "ErrParameterNotANumber", csv: priorHeader + "hot,3,water,0.5,10,\n",
		err: `prior.csv:2: temp: "hot" is not a finite number`},
	{name: "ErrParameterNaN", csv: priorHeader + "NaN,3,water,0.5,10,\n",
		err: `prior.csv:2: temp: "NaN" is not a finite number`},
	{name: "ErrMissingParameterColumn", csv: "temp,solvent,yield,cost\n25,water,0.5,10\n",
		err: `prior.csv: no column "steps" (columns: temp, solvent, yield, cost)`},
	{name: "ErrMissingObjectiveColumn", csv: "temp,steps,solvent,yield\n25,3,water,0.5\n",
		err: `prior.csv: no column "cost" (columns: temp, steps, solvent, yield)`},
	{name: "ErrSomeObjectivesEmpty", csv: priorHeader + "25,3,water,0.5,10,\n\n30,4,water,0.5,,\n",
		err: "prior.csv:4: some objectives have values and some do not; leave them all empty for an experiment that failed"},
	{name: "ErrOtherObjectiveEmpty", csv: priorHeader + "30,4,water,,7,\n",
		err: "prior.csv:2: some objectives have values and some do not; leave them all empty for an experiment that failed"},
	{name: "ErrObjectiveNotANumber", csv: priorHeader + "25,3,water,high,10,\n",
		err: `prior.csv:2: yield: "high" is not a finite number`},
	{name: "ErrObjectiveInfinite", csv: priorHeader + "25,3,water,0.5,+Inf,\n",
		err: `prior.csv:2: cost: "+Inf" is not a finite number`},
	{name: "ErrOutcomeNotANumber", csv: priorHeader + "25,3,water,0.5,10,n/a\n",
		err: `prior.csv:2: purity: "n/a" is not a finite number`},
	{name: "ErrRagged", csv: priorHeader + "25,3\n",
		err: "prior.csv:2: 2 fields, the header has 6"},
	{name: "ErrEmpty", csv: "",
		err: "prior.csv: the file is empty; want a header row"},
}

func TestParsePriorData(t *testing.T) {
	s := priorSpec(t)
	for _, tc := range priorCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := spec.ParsePriorData("prior.csv", []byte(tc.csv), s)
			if tc.err != "" {
				if err == nil {
					t.Fatalf("got %d experiments, want an error", len(got))
				}
				var e *tycho.Error
				if !errors.As(err, &e) || e.Code != tycho.EINVALID {
					t.Fatalf("error %v is not EINVALID", err)
				}
				if e.Message != tc.err {
					t.Errorf("got\n%s\nwant\n%s", e.Message, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(tycho.ErrorMessage(err))
			}
			if !reflect.DeepEqual(got, tc.want) {
				g, _ := json.MarshalIndent(got, "", "  ")
				w, _ := json.MarshalIndent(tc.want, "", "  ")
				t.Errorf("got\n%s\nwant\n%s", g, w)
			}
		})
	}
}

func TestReadPriorData(t *testing.T) {
	t.Run("Relative", func(t *testing.T) {
		const campaign = "testdata/attach/campaign.yaml"
		s, err := spec.ReadFile(campaign, nil)
		if err != nil {
			t.Fatal(tycho.ErrorMessage(err))
		}
		got, err := spec.ReadPriorData(campaign, s)
		if err != nil {
			t.Fatal(tycho.ErrorMessage(err))
		}
		params := func(temp, steps float64, ligand string) tycho.Params {
			return tycho.Params{"temp": temp, "steps": steps, "ligand": ligand, "operator": "alice"}
		}
		want := []*tycho.Experiment{
			{Seq: 1, Params: params(25, 3, "PPh3"), State: tycho.ExperimentCompleted,
				Result: &tycho.Result{Objectives: map[string]float64{"yield": 0.42, "cost": 11.5, "purity": 0.91}}},
			{Seq: 2, Params: params(80, 10, "PCy3"), State: tycho.ExperimentCompleted,
				Result: &tycho.Result{Objectives: map[string]float64{"yield": 0.77, "cost": 14}}},
			{Seq: 3, Params: params(50.5, 1, "XPhos"), State: tycho.ExperimentFailed, Error: "no result in the prior data"},
		}
		if !reflect.DeepEqual(got, want) {
			g, _ := json.MarshalIndent(got, "", "  ")
			w, _ := json.MarshalIndent(want, "", "  ")
			t.Errorf("got\n%s\nwant\n%s", g, w)
		}
	})
	t.Run("None", func(t *testing.T) {
		s := priorSpec(t)
		got, err := spec.ReadPriorData("testdata/attach/campaign.yaml", s)
		if got != nil || err != nil {
			t.Errorf("got %v, %v, want nothing for a spec without prior_data", got, err)
		}
	})
	t.Run("ErrMissingFile", func(t *testing.T) {
		s := priorSpec(t)
		s.PriorData = "nope.csv"
		_, err := spec.ReadPriorData("testdata/attach/campaign.yaml", s)
		if got, want := tycho.ErrorMessage(err), "stat testdata/attach/nope.csv: no such file or directory"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
		if got := tycho.ErrorCode(err); got != tycho.EINVALID {
			t.Errorf("code: got %q, want %q", got, tycho.EINVALID)
		}
	})
	t.Run("ErrNamesFile", func(t *testing.T) {
		dir := t.TempDir()
		campaign := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(filepath.Join(dir, "prior.csv"), []byte(priorHeader+"25,3,water,0.5,10,\n25,3,water,,1,\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := spec.Parse(campaign, []byte(priorCampaign+"prior_data: prior.csv\n"), nil)
		if err != nil {
			t.Fatal(tycho.ErrorMessage(err))
		}
		_, err = spec.ReadPriorData(campaign, s)
		want := filepath.Join(dir, "prior.csv") + ":3: some objectives have values and some do not; leave them all empty for an experiment that failed"
		if got := tycho.ErrorMessage(err); got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	})
}

// TestPriorDataHugeInteger checks that whole values beyond the int64 range
// are accepted for an integer parameter whose bounds admit them.
func TestPriorDataHugeInteger(t *testing.T) {
	s := &tycho.Spec{
		Parameters: []tycho.Parameter{{Name: "n", Kind: tycho.Integer, Bounds: []float64{0, 1e20}}},
		Objectives: []tycho.Objective{{Name: "y", Direction: tycho.Minimize}},
	}
	got, err := spec.ParsePriorData("prior.csv", []byte("n,y\n1e19,1\n"), s)
	if err != nil {
		t.Fatal(tycho.ErrorMessage(err))
	}
	if v := got[0].Params["n"]; v != 1e19 {
		t.Errorf("got %v, want 1e19", v)
	}
}

// fuzzSpec is the fixed spec FuzzPriorData reads rows of.
func fuzzSpec() *tycho.Spec {
	return &tycho.Spec{
		Name: "fuzz",
		Parameters: []tycho.Parameter{
			{Name: "x", Kind: tycho.Continuous, Bounds: []float64{-1, 2.5}},
			{Name: "n", Kind: tycho.Integer, Bounds: []float64{-3, 5}},
			{Name: "c", Kind: tycho.Categorical, Choices: []string{"a", "b", "long name"}},
			{Name: "f", Kind: tycho.Fixed, Value: 1.5},
		},
		Objectives: []tycho.Objective{{Name: "y1", Direction: tycho.Minimize}, {Name: "y2", Direction: tycho.Maximize}},
		Outcomes:   []tycho.Outcome{{Name: "o"}},
	}
}

// FuzzPriorData checks that no input panics ParsePriorData, that every
// error is EINVALID, and that every experiment it returns has each varied
// parameter within its domain and is either completed with every
// objective finite or failed.
func FuzzPriorData(f *testing.F) {
	for _, seed := range []string{
		"x,n,c,y1,y2\n0,1,a,1,2\n",
		"x,n,c,y1,y2,o\n-1,-3,b,1e3,-2,0.5\n2.5,5,long name,0,0,\n0.5,0,a,,,\n",
		"y2,c,extra,n,x,y1\n1,\"long name\",z,2,1.25,3\n\n",
		"x,n,c,y1,y2\n3,1,a,1,2\n",
		"x,n,c,y1,y2\n0,1.5,a,1,2\n",
		"x,n,c,y1,y2\n0,1,d,1,2\n",
		"x,n,c,y1,y2\n0,1,a,1,\n",
		"x,n,c,y1,y2\n0,1,a,NaN,1\n",
		"x,n,c,y1\n0,1,a,1\n",
		"\xef\xbb\xbfx,n,c,y1,y2\r\n0x1p0,1e0,a,-0,+1\r\n",
	} {
		f.Add([]byte(seed))
	}
	for _, tc := range priorCases {
		f.Add([]byte(tc.csv))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := fuzzSpec()
		exps, err := spec.ParsePriorData("fuzz.csv", data, s)
		if err != nil {
			var e *tycho.Error
			if !errors.As(err, &e) || e.Code != tycho.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			if !strings.HasPrefix(e.Message, "fuzz.csv") {
				t.Fatalf("error %q does not name the file", e.Message)
			}
			return
		}
		for i, e := range exps {
			if e.Seq != i+1 || e.Generation != 0 {
				t.Fatalf("experiment %d: seq %d, generation %d", i, e.Seq, e.Generation)
			}
			if len(e.Params) != len(s.Parameters) {
				t.Fatalf("experiment %d: params %v", i, e.Params)
			}
			for _, p := range s.Parameters {
				v, ok := e.Params[p.Name]
				if !ok {
					t.Fatalf("experiment %d: no value of %s", i, p.Name)
				}
				switch p.Kind {
				case tycho.Fixed:
					if v != p.Value {
						t.Fatalf("experiment %d: fixed %s is %v, want %v", i, p.Name, v, p.Value)
					}
				case tycho.Categorical:
					if c, ok := v.(string); !ok || !contains(p.Choices, c) {
						t.Fatalf("experiment %d: %s is %#v, not a choice", i, p.Name, v)
					}
				default:
					x, ok := v.(float64)
					if !ok || math.IsNaN(x) || x < p.Lower() || x > p.Upper() {
						t.Fatalf("experiment %d: %s is %#v, outside [%g, %g]", i, p.Name, v, p.Lower(), p.Upper())
					}
					if p.Kind == tycho.Integer && x != math.Trunc(x) {
						t.Fatalf("experiment %d: integer %s is %v", i, p.Name, x)
					}
				}
			}
			switch e.State {
			case tycho.ExperimentCompleted:
				if e.Result == nil || e.Error != "" {
					t.Fatalf("experiment %d: completed with result %v, error %q", i, e.Result, e.Error)
				}
				for _, o := range s.Objectives {
					v, ok := e.Result.Objectives[o.Name]
					if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("experiment %d: objective %s is %v (present %v)", i, o.Name, v, ok)
					}
				}
				for name, v := range e.Result.Objectives {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("experiment %d: %s is %v", i, name, v)
					}
					if name != "y1" && name != "y2" && name != "o" {
						t.Fatalf("experiment %d: result names %q", i, name)
					}
				}
			case tycho.ExperimentFailed:
				if e.Result != nil || e.Error == "" {
					t.Fatalf("experiment %d: failed with result %v, error %q", i, e.Result, e.Error)
				}
			default:
				t.Fatalf("experiment %d: state %q", i, e.State)
			}
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// FuzzDescriptors checks that no descriptor file panics the reader, that
// every error is EINVALID, and that accepted descriptors have one finite
// row per choice.
func FuzzDescriptors(f *testing.F) {
	f.Add([]byte("name,bp,mw\nwater,100,18\nthf,66,72\n"), "")
	f.Add([]byte("\xef\xbb\xbfkey,a\n\"x,y\",1\nz,2e3\n"), "key")
	f.Add([]byte("name,bp\nwater,NaN\n"), "name")
	f.Add([]byte("name\nwater\n"), "")
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		par := &tycho.Parameter{Name: "p", Kind: tycho.Categorical, Descriptors: &tycho.Descriptors{File: "d.csv", Key: key}}
		err := spec.ParseDescriptors("d.csv", data, par)
		if err != nil {
			if tycho.ErrorCode(err) != tycho.EINVALID || !strings.HasPrefix(tycho.ErrorMessage(err), "d.csv") {
				t.Fatalf("error %v is not EINVALID naming the file", err)
			}
			return
		}
		d := par.Descriptors
		if len(d.Values) != len(par.Choices) || len(par.Choices) == 0 {
			t.Fatalf("%d rows for %d choices", len(d.Values), len(par.Choices))
		}
		for _, row := range d.Values {
			if len(row) != len(d.Names) {
				t.Fatalf("row of %d for %d names", len(row), len(d.Names))
			}
			for _, v := range row {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("non-finite descriptor %v", v)
				}
			}
		}
	})
}
