package spec_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// schema compiles docs/campaign.schema.json.
func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	s, err := c.Compile("../docs/campaign.schema.json")
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
	files, _ := filepath.Glob("../examples/*.yaml")
	for _, f := range append(files, "good") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src := []byte(good)
			if f != "good" {
				var err error
				if src, err = os.ReadFile(f); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Validate(asJSON(t, src)); err != nil {
				t.Errorf("schema rejects %s: %v", f, err)
			}
		})
	}
}

func TestSchemaRejects(t *testing.T) {
	s := schema(t)
	for name, doc := range map[string]string{
		"UnknownKey":          good + "colour: red\n",
		"UnknownParameterKey": strings.Replace(good, "bounds: [0, 15]}", "bounds: [0, 15], colour: red}", 1),
		"MissingObjectives":   strings.Replace(good, "objectives:\n  - {name: y, direction: minimize}\n", "", 1),
		"EmptyChoices":        strings.Replace(good, "kind: continuous, bounds: [0, 15]", "kind: categorical, choices: []", 1),
		"BadDirection":        strings.Replace(good, "direction: minimize", "direction: up", 1),
		"BadDuration":         strings.Replace(good, "max_experiments: 10", "max_experiments: 10, max_wall_time: soon", 1),
		"NoBounds":            strings.Replace(good, ", bounds: [0, 15]", "", 1),
	} {
		t.Run(name, func(t *testing.T) {
			if err := s.Validate(asJSON(t, []byte(doc))); err == nil {
				t.Errorf("schema accepts:\n%s", doc)
			}
		})
	}
}
