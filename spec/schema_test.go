package spec_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"tycho/spec"
)

// schema compiles docs/campaign.schema.json.
func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	s, err := jsonschema.NewCompiler().Compile("../docs/campaign.schema.json")
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return s
}

// asJSON converts a YAML document to the value a JSON decoder would give.
func asJSON(t *testing.T, src []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSchemaAcceptsExamples keeps the JSON Schema and the reader in step:
// every example must pass both.
func TestSchemaAcceptsExamples(t *testing.T) {
	s := schema(t)
	docs := map[string][]byte{"good": []byte(good)}
	for _, f := range examples(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[filepath.Base(f)] = b
	}
	for name, src := range docs {
		t.Run(name, func(t *testing.T) {
			if err := s.Validate(asJSON(t, src)); err != nil {
				t.Errorf("schema rejects %s: %v", name, err)
			}
			if needsSharedData(t, filepath.Join("../examples", name)) {
				return
			}
			if _, err := spec.Parse(name, src, nil); err != nil {
				t.Errorf("reader rejects %s: %v", name, err)
			}
		})
	}
}

// TestSchemaRejects shows the schema is not vacuous: it rejects documents
// the reader rejects for the same reason.
func TestSchemaRejects(t *testing.T) {
	s := schema(t)
	for _, tc := range []struct{ name, doc string }{
		{"UnknownKey", good + "colour: red\n"},
		{"UnknownParameterKey", edit("bounds: [0, 15]}", "bounds: [0, 15], colour: red}")},
		{"UnknownBudgetKey", edit("{max_experiments: 10}", "{max_experiments: 10, max_time: 1h}")},
		{"UnknownLabKey", edit("name: branin}", "name: branin, sd: 1}")},
		{"MissingName", good[len("name: t\n"):]},
		{"MissingObjectives", edit("objectives:\n  - {name: y, direction: minimize}\n", "")},
		{"NoObjectives", edit("objectives:\n  - {name: y, direction: minimize}\n", "objectives: []\n")},
		{"MissingBudget", edit("budget: {max_experiments: 10}\n", "")},
		{"MissingLab", edit("lab: {kind: twin, name: branin}\n", "")},
		{"EmptyChoices", edit("kind: continuous, bounds: [0, 15]", "kind: categorical, choices: []")},
		{"BoundsOnCategorical", edit("kind: continuous, bounds: [0, 15]", "kind: categorical, choices: [a], bounds: [0, 1]")},
		{"FractionalIntegerBounds", edit("kind: continuous, bounds: [0, 15]", "kind: integer, bounds: [0.5, 15]")},
		{"NoBounds", edit(", bounds: [0, 15]", "")},
		{"ThreeBounds", edit("[0, 15]", "[0, 15, 20]")},
		{"UnknownKind", edit("kind: continuous, bounds: [0, 15]", "kind: real, bounds: [0, 15]")},
		{"BadDirection", edit("direction: minimize", "direction: up")},
		{"BadDuration", edit("max_experiments: 10", "max_experiments: 10, max_wall_time: soon")},
		{"ZeroExperiments", edit("max_experiments: 10", "max_experiments: 0")},
		{"BadStrategy", good + "strategy: bayes\n"},
		{"NegativeSeed", good + "seed: -1\n"},
		{"NegativeEpsilon", good + "stop: {no_improvement: {epsilon: -1, experiments: 3}}\n"},
		{"BadLabKind", edit("kind: twin", "kind: robot")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Validate(asJSON(t, []byte(tc.doc))); err == nil {
				t.Errorf("schema accepts:\n%s", tc.doc)
			}
			if _, err := spec.Parse("bad.yaml", []byte(tc.doc), nil); err == nil {
				t.Errorf("reader accepts:\n%s", tc.doc)
			}
		})
	}
}
