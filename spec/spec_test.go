package spec_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"tycho"
	"tycho/spec"
	"tycho/table"
	"tycho/twin"
)

// labs accepts only the twins "branin" and "hartmann6", as cmd/tycho's
// check of the twin package would.
func labs(s *tycho.Spec) error {
	switch s.Lab.Name {
	case "branin", "hartmann6":
		return nil
	case "plain":
		return errors.New("lab is offline")
	}
	return tycho.Errorf(tycho.EINVALID, "unknown twin %q", s.Lab.Name)
}

// good is a minimal valid campaign file; the cases below change it.
const good = `name: t
parameters:
  - name: x1
    kind: continuous
    bounds: [-5, 10]
  - {name: x2, kind: continuous, bounds: [0, 15]}
objectives:
  - {name: y, direction: minimize}
budget: {max_experiments: 10}
lab: {kind: twin, name: branin}
`

// edit returns good with old replaced by new, which must occur once.
func edit(old, new string) string {
	if strings.Count(good, old) != 1 {
		panic("edit: " + old + " does not occur once in good")
	}
	return strings.Replace(good, old, new, 1)
}

func TestParse(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		s, err := spec.Parse("good.yaml", []byte(good), labs)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := [3]any{s.BatchSize, s.Strategy, s.InitialDesign}, [3]any{1, "gp", 6}; got != want {
			t.Errorf("batch size, strategy, initial design: got %v, want %v", got, want)
		}
		if s.Stop.GoalReached != nil {
			t.Errorf("stop.goal_reached: got %v, want unset when no objective has a goal", *s.Stop.GoalReached)
		}
	})

	t.Run("AllFields", func(t *testing.T) {
		src := `# Every field, with an anchor and a merge key.
name: full
description: |
  Two lines
  of text.
parameters:
  - &unit {name: temp, kind: continuous, bounds: [1, 100], log: true, unit: K}
  - {<<: *unit, name: steps, kind: integer, bounds: [1, 10], log: false}
  - {name: solvent, kind: categorical, choices: [water, "2", 3]}
  - {name: operator, kind: fixed, value: alice}
  - {name: pressure, kind: fixed, value: 2}
  - {name: made, kind: fixed, value: 2024-05-01}
objectives:
  - {name: yield, direction: maximize, goal: 0.9, unit: "%"}
budget: {max_experiments: 1e2, max_wall_time: 2h30m}
batch_size: 4
initial_design: 8
strategy: sobol
stop:
  goal_reached: false
  no_improvement: {epsilon: 0.01, experiments: 5}
seed: 18446744073709551615
lab: {kind: twin, name: hartmann6, noise: 0.1}
`
		got, err := spec.Parse("full.yaml", []byte(src), labs)
		if err != nil {
			t.Fatal(err)
		}
		goal, no := 0.9, false
		want := &tycho.Spec{
			Name:        "full",
			Description: "Two lines\nof text.\n",
			Parameters: []tycho.Parameter{
				{Name: "temp", Kind: tycho.Continuous, Bounds: []float64{1, 100}, Log: true, Unit: "K"},
				{Name: "steps", Kind: tycho.Integer, Bounds: []float64{1, 10}, Unit: "K"},
				{Name: "solvent", Kind: tycho.Categorical, Choices: []string{"water", "2", "3"}},
				{Name: "operator", Kind: tycho.Fixed, Value: "alice"},
				{Name: "pressure", Kind: tycho.Fixed, Value: 2.0},
				{Name: "made", Kind: tycho.Fixed, Value: "2024-05-01"},
			},
			Objectives:    []tycho.Objective{{Name: "yield", Direction: tycho.Maximize, Goal: &goal, Unit: "%"}},
			Budget:        tycho.Budget{MaxExperiments: 100, MaxWallTime: tycho.Duration(150 * time.Minute)},
			BatchSize:     4,
			InitialDesign: 8,
			Strategy:      "sobol",
			Stop:          tycho.StopRules{GoalReached: &no, NoImprovement: &tycho.NoImprovement{Epsilon: 0.01, Experiments: 5}},
			Seed:          18446744073709551615,
			Lab:           tycho.LabSpec{Kind: "twin", Name: "hartmann6", Noise: 0.1},
		}
		if !reflect.DeepEqual(got, want) {
			g, _ := json.MarshalIndent(got, "", "  ")
			w, _ := json.MarshalIndent(want, "", "  ")
			t.Errorf("got\n%s\nwant\n%s", g, w)
		}
	})

	t.Run("GoalReachedDefault", func(t *testing.T) {
		s, err := spec.Parse("goal.yaml", []byte(edit("direction: minimize}", "direction: minimize, goal: 0.5}")), nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.Stop.GoalReached == nil || !*s.Stop.GoalReached {
			t.Errorf("stop.goal_reached: got %v, want true when an objective has a goal", s.Stop.GoalReached)
		}
	})
}

// badCases are campaign files Parse must reject, with the whole error
// message it must give.
var badCases = []struct {
	name string
	yaml string
	want string
}{
	{"ErrUnknownKey", edit("    bounds: [-5, 10]\n", "    bounds: [-5, 10]\n    colour: red\n"),
		"bad.yaml:6: parameters[0].colour: unknown field (known: name, kind, bounds, log, choices, value, unit, descriptors)"},
	{"ErrUnknownKeyInFlowMapping", edit("{name: x2, kind:", "{name: x2, colour: red, kind:"),
		"bad.yaml:6: parameters[1].colour: unknown field (known: name, kind, bounds, log, choices, value, unit, descriptors)"},
	{"ErrUnknownTopLevelKey", good + "budgett: 3\n",
		"bad.yaml:11: budgett: unknown field (known: name, description, parameters, objectives, outcomes, constraints, prior_data, prior_dataset, budget, batch_size, initial_design, strategy, stop, seed, lab)"},
	{"ErrPriorTwice", good + "prior_data: a.csv\nprior_dataset: screen@2\n",
		"bad.yaml:12: prior_dataset: give prior_data or prior_dataset, not both"},
	{"ErrPriorDatasetName", good + "prior_dataset: ../screen@2\n",
		`bad.yaml:11: prior_dataset: dataset name "../screen": use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'`},
	{"ErrPriorDatasetPath", good + "prior_dataset: screen@2:/etc/passwd\n",
		`bad.yaml:11: prior_dataset: file path "/etc/passwd": is absolute`},
	{"ErrBoundsInverted", edit("[0, 15]", "[15, 0]"),
		"bad.yaml:6: parameters[1].bounds: lower bound 15 is not below upper bound 0"},
	{"ErrEmptyChoices", edit("  - {name: x2, kind: continuous, bounds: [0, 15]}\n", "  - {name: x2, kind: continuous, bounds: [0, 15]}\n  - name: solvent\n    kind: categorical\n    choices: []\n"),
		"bad.yaml:9: parameters[2].choices: a categorical parameter needs at least one choice"},
	{"ErrChoiceTwice", edit("  - {name: x2, kind: continuous, bounds: [0, 15]}\n", "  - {name: x2, kind: continuous, bounds: [0, 15]}\n  - name: solvent\n    kind: categorical\n    choices:\n      - water\n      - water\n"),
		`bad.yaml:11: parameters[2].choices[1]: choice "water" is listed twice`},
	{"ErrObjectiveTwice", edit("  - {name: y, direction: minimize}\n", "  - {name: y, direction: minimize}\n  - {name: y, direction: maximize}\n"),
		`bad.yaml:9: objectives[1].name: objective "y" is already declared at objectives[0]`},
	{"ErrFourObjectives", edit("  - {name: y, direction: minimize}\n", "  - {name: y, direction: minimize}\n  - {name: a, direction: maximize}\n  - {name: b, direction: maximize}\n  - {name: c, direction: maximize}\n"),
		"bad.yaml:7: objectives: at most 3 objectives can be optimized together, got 4"},
	{"ErrConstraintSyntax", good + "constraints: [\"x1 + * x2 <= 1\"]\n",
		`bad.yaml:11: constraints[0]: constraint "x1 + * x2 <= 1": column 6: want a number or a name, got "* x2 <= 1"`},
	{"ErrConstraintUnknownName", good + "constraints:\n  - x1 + x3 <= 1\n",
		`bad.yaml:12: constraints[0]: "x3" is not a parameter, objective or outcome`},
	{"ErrConstraintMixed", good + "constraints:\n  - x1 + y <= 1\n",
		"bad.yaml:12: constraints[0]: an outcome constraint names one objective or outcome alone, not with x1, y"},
	{"ErrConstraintNotText", good + "constraints:\n  - {x1: 1}\n",
		`bad.yaml:12: constraints[0]: want a constraint such as "x1 + x2 <= 1", got a mapping`},
	{"ErrDescriptorsOnContinuous", edit("bounds: [-5, 10]", "bounds: [-5, 10]\n    descriptors: {file: d.csv}"),
		"bad.yaml:6: parameters[0].descriptors: descriptors apply to categorical parameters only"},
	{"ErrDescriptorsMissingFile", edit("  - {name: x2, kind: continuous, bounds: [0, 15]}\n", "  - {name: x2, kind: continuous, bounds: [0, 15]}\n  - name: solvent\n    kind: categorical\n    descriptors: {file: testdata/nope.csv}\n"),
		"bad.yaml:9: parameters[2].descriptors: stat testdata/nope.csv: no such file or directory"},
	{"ErrTableWithoutFile", edit("lab: {kind: twin, name: branin}", "lab: {kind: table}"),
		"bad.yaml:10: lab.file: a table lab needs the CSV file of results it answers from"},
	{"ErrUnknownLab", edit("name: branin", "name: nope"),
		`bad.yaml:10: lab.name: unknown twin "nope"`},
	{"ErrLabPlainError", edit("lab: {kind: twin, name: branin}", "lab:\n  kind: twin\n  name: plain"),
		"bad.yaml:12: lab.name: lab is offline"},
	{"ErrUnknownLabKind", edit("kind: twin", "kind: robot"),
		`bad.yaml:10: lab.kind: unknown lab kind "robot" (want one of twin, table, agent, external)`},
	{"ErrWrongType", edit("max_experiments: 10", "max_experiments: lots"),
		`bad.yaml:9: budget.max_experiments: want a whole number, got text "lots"`},
	{"ErrWrongTypeInList", edit("[0, 15]", `[0, "15"]`),
		`bad.yaml:6: parameters[1].bounds[1]: want a number, got text "15"`},
	{"ErrWrongTypeList", edit("bounds: [-5, 10]", "bounds: -5..10"),
		`bad.yaml:5: parameters[0].bounds: want a list, got text "-5..10"`},
	{"ErrWrongTypeMapping", edit("budget: {max_experiments: 10}", "budget: 10"),
		"bad.yaml:9: budget: want a mapping, got 10"},
	{"ErrFractionalCount", edit("max_experiments: 10", "max_experiments: 2.5"),
		"bad.yaml:9: budget.max_experiments: want a whole number, got 2.5"},
	{"ErrNegativeSeed", good + "seed: -1\n",
		"bad.yaml:11: seed: want a non-negative whole number, got -1"},
	{"ErrNotBoolean", edit("bounds: [-5, 10]", "bounds: [-5, 10]\n    log: yes"),
		`bad.yaml:6: parameters[0].log: want true or false, got text "yes"`},
	{"ErrBadDuration", edit("max_experiments: 10", "max_experiments: 10, max_wall_time: soon"),
		`bad.yaml:9: budget.max_wall_time: invalid duration "soon" (want e.g. 90s, 30m, 2h)`},
	{"ErrDurationNoUnit", edit("budget: {max_experiments: 10}", "budget:\n  max_experiments: 10\n  max_wall_time: 60"),
		`bad.yaml:11: budget.max_wall_time: invalid duration "60" (want e.g. 90s, 30m, 2h)`},
	{"ErrMissingName", strings.TrimPrefix(good, "name: t\n"),
		"bad.yaml:1: name: is required"},
	{"ErrMissingParameterName", edit("  - name: x1\n    kind", "  - kind"),
		"bad.yaml:3: parameters[0].name: is required"},
	{"ErrMissingObjectives", edit("objectives:\n  - {name: y, direction: minimize}\n", ""),
		"bad.yaml:1: objectives: at least one objective is required"},
	{"ErrMissingBudget", edit("budget: {max_experiments: 10}\n", ""),
		"bad.yaml:1: budget.max_experiments: must be positive, got 0"},
	{"ErrMissingLabName", edit("lab: {kind: twin, name: branin}", "lab:\n  kind: twin"),
		"bad.yaml:10: lab.name: is required"},
	{"ErrTwoDocuments", good + "---\nname: u\n",
		"bad.yaml:11: a campaign file holds one YAML document; a second one starts here"},
	{"ErrEmptyFile", "",
		"bad.yaml:1: the campaign file is empty"},
	{"ErrOnlyComments", "# nothing yet\n",
		"bad.yaml:1: the campaign file is empty"},
	{"ErrNotAMapping", "- 1\n- 2\n",
		"bad.yaml:1: a campaign file is a mapping of fields (name, parameters, objectives, …), not a list"},
	{"ErrIntegerNotWhole", edit("[0, 15]}", "[0, 15]}\n  - {name: n, kind: integer, bounds: [0.5, 3]}"),
		"bad.yaml:7: parameters[2].bounds: integer bounds must be whole numbers, got [0.5, 3]"},
	{"ErrLogNonPositive", edit("bounds: [0, 15]", "bounds: [0, 15], log: true"),
		"bad.yaml:6: parameters[1].bounds: log scale needs a positive lower bound, got 0"},
	{"ErrFieldOfOtherKind", edit("bounds: [0, 15]", "bounds: [0, 15], choices: [a, b]"),
		"bad.yaml:6: parameters[1].choices: does not apply to a continuous parameter"},
	{"ErrBinaryText", edit("name: t", "name: !!binary /w=="),
		`bad.yaml:1: name: want text, got !!binary "/w=="`},
	{"ErrMergeNotMapping", edit("{max_experiments: 10}", "{<<: [10]}"),
		"bad.yaml:9: budget: << merges a mapping or a list of mappings, not 10\n" +
			"bad.yaml:9: budget.max_experiments: must be positive, got 0"},
	{"ErrDuplicateKey", "name: t\nname: u\n" + strings.TrimPrefix(good, "name: t\n"),
		"bad.yaml:2: name: field given twice (first at line 1)"},
	{"ErrDuplicateKeyInFlowMapping", edit("{max_experiments: 10}", "{max_experiments: 10, max_experiments: 20}"),
		"bad.yaml:9: budget.max_experiments: field given twice (first at line 9)"},
	{"ErrInfiniteNoise", edit("name: branin}", "name: branin, noise: .inf}"),
		"bad.yaml:10: lab.noise: must be finite"},
	{"ErrSyntax", "name: t\nparameters: [\n",
		"bad.yaml:2: did not find expected node content"},
	{"ErrSyntaxFirstLine", "name: a: b\n",
		"bad.yaml:1: mapping values are not allowed in this context"},
	{"ErrControlCharacter", "name: t\ndescription: \x01\n",
		"bad.yaml:2: control characters are not allowed"},
	{"ErrUnknownAnchor", "name: t\n\nseed: *nope\n",
		"bad.yaml:3: unknown anchor 'nope' referenced"},
	{"ErrSeveral", edit("bounds: [-5, 10]", "bounds: [10, -5]\n    colour: red") + "strategy: bayes\n",
		"bad.yaml:5: parameters[0].bounds: lower bound 10 is not below upper bound -5\n" +
			"bad.yaml:6: parameters[0].colour: unknown field (known: name, kind, bounds, log, choices, value, unit, descriptors)\n" +
			`bad.yaml:12: strategy: unknown strategy "bayes" (want one of gp, random, sobol)`},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range badCases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := spec.Parse("bad.yaml", []byte(tc.yaml), labs)
			if err == nil {
				t.Fatalf("parsed %+v, want an error", s)
			}
			var e *tycho.Error
			if !errors.As(err, &e) || e.Code != tycho.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			if e.Message != tc.want {
				t.Errorf("got\n%s\nwant\n%s", e.Message, tc.want)
			}
		})
	}
}

// bomb returns a small file whose aliases expand to far more values than
// it holds: k parameters of k choices each, or merges k deep and 10 wide.
func bomb(merge bool, k int) string {
	var b strings.Builder
	if !merge {
		refs := func(name string) string { return strings.TrimSuffix(strings.Repeat("*"+name+", ", k), ", ") }
		fmt.Fprintf(&b, "s: &s x\nc: &c [%s]\nm: &m {name: p, kind: categorical, choices: *c}\nparameters: [%s]\n", refs("s"), refs("m"))
		return b.String()
	}
	b.WriteString("a0: &a0 {name: x}\n")
	for i := 1; i <= k; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", ")
		fmt.Fprintf(&b, "a%d: &a%d {<<: [%s]}\n", i, i, refs)
	}
	fmt.Fprintf(&b, "lab: {<<: *a%d}\n", k)
	return b.String()
}

func TestParseAliasBomb(t *testing.T) {
	for _, tc := range []struct {
		name  string
		merge bool
		k     int
	}{
		{"Lists", false, 1000}, // a million choices
		{"Merges", true, 10},   // ten billion merged fields
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := spec.Parse("bomb.yaml", []byte(bomb(tc.merge, tc.k)), nil)
			msg := tycho.ErrorMessage(err)
			if want := ": the file expands to more than 65536 values; are aliases nested too deep?"; !strings.Contains(msg, want) {
				t.Errorf("got %.300q…, want it to contain %q", msg, want)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	t.Run("NamesFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(path, []byte(edit("[0, 15]", "[15, 0]")), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := spec.ReadFile(path, nil)
		if got, want := tycho.ErrorMessage(err), path+":6: parameters[1].bounds: lower bound 15 is not below upper bound 0"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("ErrMissingFile", func(t *testing.T) {
		_, err := spec.ReadFile(filepath.Join(t.TempDir(), "nope.yaml"), nil)
		if got, want := tycho.ErrorCode(err), tycho.EINVALID; got != want {
			t.Errorf("code: got %q, want %q (error %v)", got, want, err)
		}
	})
}

// examples returns the paths of examples/*.yaml.
func examples(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob("../examples/*.yaml")
	if err != nil || len(files) < 5 {
		tb.Fatalf("examples: got %v (%v), want at least 5 files", files, err)
	}
	return files
}

// TestExamples parses every example, checking its lab against the real
// twins as `tycho run` does.
func TestExamples(t *testing.T) {
	for _, f := range examples(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if needsSharedData(t, f) {
				return
			}
			_, err := spec.ReadFile(f, func(s *tycho.Spec) error {
				switch s.Lab.Kind {
				case tycho.LabTable:
					_, err := table.New(spec.Resolve(f, s.Lab.File), s)
					return err
				case tycho.LabTwin:
					_, err := twin.New(s)
					return err
				}
				return nil // an agent or external lab lives outside the process
			})
			if err != nil {
				t.Error(tycho.ErrorMessage(err))
			}
		})
	}
}

// FuzzParse checks that no input panics the reader, that every input is
// either a valid spec or an EINVALID error whose every line names the file,
// and that an accepted spec survives a round trip through JSON, as it is
// stored.
func FuzzParse(f *testing.F) {
	for _, file := range examples(f) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(good))
	for _, tc := range badCases {
		f.Add([]byte(tc.yaml))
	}
	f.Add([]byte(bomb(false, 4)))
	f.Add([]byte(bomb(true, 4)))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := spec.Parse("fuzz.yaml", data, nil)
		if err != nil {
			var e *tycho.Error
			if !errors.As(err, &e) || e.Code != tycho.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			for _, line := range strings.Split(e.Message, "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml:") {
					t.Fatalf("error line %q does not name the file", line)
				}
			}
			return
		}
		if errs := s.Validate(); len(errs) > 0 {
			t.Fatalf("accepted an invalid spec: %v", errs)
		}
		b, err := json.Marshal(withoutLoadedDescriptors(s))
		if err != nil {
			t.Fatalf("accepted a spec that cannot be stored: %v", err)
		}
		// JSON is YAML: the stored form must read back as the same spec.
		again, err := spec.Parse("fuzz.json", b, nil)
		if err != nil {
			t.Fatalf("stored form %s does not parse: %v", b, err)
		}
		if !reflect.DeepEqual(again, s) {
			t.Fatalf("round trip through JSON: got %+v, want %+v", again, s)
		}
	})
}

// withoutLoadedDescriptors returns a copy of s without the descriptor
// values the reader loaded, as a campaign file would give it.
func withoutLoadedDescriptors(s *tycho.Spec) *tycho.Spec {
	c := *s
	c.Parameters = slices.Clone(s.Parameters)
	for i, p := range c.Parameters {
		if p.Descriptors != nil {
			d := *p.Descriptors
			d.Names, d.Values = nil, nil
			c.Parameters[i].Descriptors = &d
		}
	}
	return &c
}

// needsSharedData reports, after skipping t, whether an example reads the
// shared data sets (../shared/data beside the repository) and they are
// absent.
func needsSharedData(t *testing.T, file string) bool {
	b, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(b), "shared/data/") {
		return false
	}
	if _, err := os.Stat("../../shared/data/suzuki"); err != nil {
		t.Skipf("%s reads ../shared/data/suzuki beside the repository, which is absent here", filepath.Base(file))
		return true
	}
	return false
}
