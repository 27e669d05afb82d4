package spec_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tycho"
	"tycho/spec"
)

// labs accepts only the twins "branin" and "hartmann6".
func labs(s *tycho.Spec) error {
	if s.Lab.Name != "branin" && s.Lab.Name != "hartmann6" {
		return tycho.Errorf(tycho.EINVALID, "unknown twin %q", s.Lab.Name)
	}
	return nil
}

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

func TestParse(t *testing.T) {
	s, err := spec.Parse("good.yaml", []byte(good), labs)
	if err != nil {
		t.Fatal(err)
	}
	if s.BatchSize != 1 || s.Strategy != "gp" || s.InitialDesign != 6 || len(s.Parameters) != 2 {
		t.Errorf("defaults: batch %d strategy %q initial %d params %d; want 1, gp, 6, 2", s.BatchSize, s.Strategy, s.InitialDesign, len(s.Parameters))
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string // each must appear in the message, in order
	}{
		{"ErrUnknownKey", strings.Replace(good, "    bounds: [-5, 10]", "    bounds: [-5, 10]\n    colour: red", 1),
			[]string{"bad.yaml:6: parameters[0].colour: unknown field (known: name, kind, bounds, log, choices, value, unit)"}},
		{"ErrUnknownTopKey", good + "budgett: 3\n", []string{"bad.yaml:11: budgett: unknown field (known: name, description,"}},
		{"ErrBoundsInverted", strings.Replace(good, "[0, 15]", "[15, 0]", 1),
			[]string{"bad.yaml:6: parameters[1].bounds: lower bound 15 is not below upper bound 0"}},
		{"ErrEmptyChoices", strings.Replace(good, "  - {name: x2, kind: continuous, bounds: [0, 15]}", "  - name: solvent\n    kind: categorical\n    choices: []", 1),
			[]string{"bad.yaml:8: parameters[1].choices: a categorical parameter needs at least one choice"}},
		{"ErrObjectiveTwice", strings.Replace(good, "  - {name: y, direction: minimize}", "  - {name: y, direction: minimize}\n  - {name: y, direction: maximize}", 1),
			[]string{"bad.yaml:9: objectives[1].name: objective \"y\" is already declared at objectives[0]"}},
		{"ErrUnknownLab", strings.Replace(good, "name: branin", "name: nope", 1),
			[]string{"bad.yaml:10: lab.name: unknown twin \"nope\""}},
		{"ErrUnknownLabKind", strings.Replace(good, "kind: twin", "kind: robot", 1),
			[]string{"bad.yaml:10: lab.kind: unknown lab kind \"robot\""}},
		{"ErrWrongType", strings.Replace(good, "max_experiments: 10", "max_experiments: lots", 1),
			[]string{`bad.yaml:9: budget.max_experiments: cannot use text "lots" here: want a whole number`}},
		{"ErrBadDuration", strings.Replace(good, "max_experiments: 10", "max_experiments: 10, max_wall_time: soon", 1),
			[]string{`bad.yaml:9: budget.max_wall_time: invalid duration "soon"`}},
		{"ErrMissingRequired", strings.Replace(good, "name: t\n", "", 1), []string{"bad.yaml:1: name: is required"}},
		{"ErrMissingObjectives", strings.Replace(good, "objectives:\n  - {name: y, direction: minimize}\n", "", 1),
			[]string{"bad.yaml:1: objectives: at least one objective is required"}},
		{"ErrTwoDocuments", good + "---\nname: u\n", []string{"bad.yaml:11: a campaign file holds one YAML document"}},
		{"ErrEmptyFile", "", []string{"bad.yaml:1: the campaign file is empty"}},
		{"ErrNotAMapping", "- 1\n- 2\n", []string{"bad.yaml:1: a campaign file is a mapping"}},
		{"ErrIntegerNotWhole", strings.Replace(good, "[0, 15]}", "[0, 15]}\n  - {name: n, kind: integer, bounds: [0.5, 3]}", 1),
			[]string{"bad.yaml:7: parameters[2].bounds: integer bounds must be whole numbers"}},
		{"ErrLogNonPositive", strings.Replace(good, "bounds: [0, 15]", "bounds: [0, 15], log: true", 1),
			[]string{"bad.yaml:6: parameters[1].bounds: log scale needs a positive lower bound"}},
		{"ErrDuplicateKey", strings.Replace(good, "name: t\n", "name: t\nname: u\n", 1), []string{"bad.yaml:2:", `key "name" appears twice (first at line 1)`}},
		{"ErrSyntax", "name: [\n", []string{"bad.yaml:"}},
		{"ErrSeveral", strings.Replace(strings.Replace(good, "[0, 15]", "[15, 0]", 1), "max_experiments: 10", "max_experiments: 0", 1),
			[]string{"bad.yaml:6: parameters[1].bounds:", "\nbad.yaml:9: budget.max_experiments: must be positive"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := spec.Parse("bad.yaml", []byte(tc.yaml), labs)
			if err == nil {
				t.Fatalf("parsed %+v, want an error", s)
			}
			var e *tycho.Error
			if !errors.As(err, &e) || e.Code != tycho.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			rest := e.Message
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("message\n%s\ndoes not contain %q", e.Message, w)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestExamples(t *testing.T) {
	files, err := filepath.Glob("../examples/*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := spec.ReadFile(f, nil); err != nil {
				t.Error(err)
			}
		})
	}
}

// FuzzParse checks that no input panics the reader and that every input is
// either a valid spec or a clean EINVALID error naming the file.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../examples/*.yaml")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(good))
	f.Add([]byte(""))
	f.Add([]byte("name: [\n"))
	f.Add([]byte(good + "---\nx: 1\n"))
	f.Add([]byte(strings.Replace(good, "[0, 15]", "[15, 0]", 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := spec.Parse("fuzz.yaml", data, nil)
		if err == nil {
			if errs := s.Validate(); len(errs) > 0 {
				t.Fatalf("accepted an invalid spec: %v", errs)
			}
			return
		}
		var e *tycho.Error
		if !errors.As(err, &e) || e.Code != tycho.EINVALID {
			t.Fatalf("error %v is not EINVALID", err)
		}
		for _, line := range strings.Split(e.Message, "\n") {
			if !strings.HasPrefix(line, "fuzz.yaml:") {
				t.Fatalf("error line %q does not name the file", line)
			}
		}
	})
}
