package openlineage_test

import (
	"strings"
	"testing"

	"tycho"
	"tycho/openlineage"
)

// sample is an event as OpenLineage's Python client sends it, facets and
// all.
const sample = `{
  "eventType": "COMPLETE",
  "eventTime": "2026-11-20T10:15:30.123Z",
  "run": {
    "runId": "0190f1d8-7c3e-7a4b-9c1d-2e3f4a5b6c7d",
    "facets": {
      "parent": {"_producer": "x", "_schemaURL": "y",
        "run": {"runId": "0190f1d8-0000-7a4b-9c1d-2e3f4a5b6c7d"},
        "job": {"namespace": "airflow", "name": "nightly"}},
      "nominalTime": {"nominalStartTime": "2026-11-20T10:00:00Z"}
    }
  },
  "job": {"namespace": "airflow", "name": "nightly.clean yields", "facets": {"sql": {"query": "select 1"}}},
  "inputs": [
    {"namespace": "tycho", "name": "default/yields@2"},
    {"namespace": "s3://lab-bucket", "name": "raw/plate 7.csv", "facets": {"schema": {"fields": []}}}
  ],
  "outputs": [{"namespace": "s3://lab-bucket", "name": "clean/plate7.parquet"}],
  "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.24.0/client/python",
  "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent"
}`

func TestParseSample(t *testing.T) {
	ev, err := openlineage.Parse("sample", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	g := ev.Provenance()
	if err := g.Check(); err != nil {
		t.Fatalf("graph does not check: %v", err)
	}
	want := map[string]string{
		"openlineage/run/0190f1d8-7c3e-7a4b-9c1d-2e3f4a5b6c7d wasAssociatedWith openlineage/job/airflow/nightly.clean%20yields":              "",
		"openlineage/run/0190f1d8-7c3e-7a4b-9c1d-2e3f4a5b6c7d wasInformedBy openlineage/run/0190f1d8-0000-7a4b-9c1d-2e3f4a5b6c7d":            "",
		"openlineage/run/0190f1d8-7c3e-7a4b-9c1d-2e3f4a5b6c7d used dataset/default/yields@2":                                                 "",
		"openlineage/run/0190f1d8-7c3e-7a4b-9c1d-2e3f4a5b6c7d used openlineage/dataset/s3:%2F%2Flab-bucket/raw%2Fplate%207.csv":              "",
		"openlineage/dataset/s3:%2F%2Flab-bucket/clean%2Fplate7.parquet wasGeneratedBy openlineage/run/0190f1d8-7c3e-7a4b-9c1d-2e3f4a5b6c7d": "",
	}
	for _, e := range g.Edges {
		k := e.From + " " + string(e.Relation) + " " + e.To
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected edge %s", k)
		}
		delete(want, k)
	}
	for k := range want {
		t.Errorf("missing edge %s", k)
	}
	for _, n := range g.Nodes {
		if strings.HasPrefix(n.ID, "dataset/") {
			t.Errorf("the Tycho dataset %s is given as a node; it must be recorded already", n.ID)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct{ name, edit, want string }{
		{"bad type", `"eventType": "COMPLETE"|"eventType": "DONE"`, "eventType"},
		{"no time", `"eventTime": "2026-11-20T10:15:30.123Z",|`, "eventTime is missing"},
		{"bad time", `2026-11-20T10:15:30.123Z|yesterday`, "eventTime"},
		{"bad run id", `"runId": "0190f1d8-7c3e|"runId": "x0190f1d8-7c3e`, "run.runId"},
		{"no producer", `"producer": "https|"producer": "", "x": "https`, "producer is missing"},
		{"no job name", `"name": "nightly.clean yields"|"name": ""`, "job needs a namespace and a name"},
		{"bad tycho name", `default/yields@2|default/yields@latest`, "inputs[0]"},
		{"inputs not a list", `"inputs": [|"inputs": {"a": [`, "inputs"},
		{"two values", `"eventTime"|"eventTime"`, ""},
	} {
		from, to, _ := strings.Cut(tc.edit, "|")
		src := strings.Replace(sample, from, to, 1)
		if tc.name == "two values" {
			src += " {}"
			tc.want = "more than one JSON value"
		}
		if tc.name == "inputs not a list" {
			src = strings.Replace(src, `"outputs"`, `"x": 1}, "outputs"`, 1)
		}
		_, err := openlineage.Parse("ev.json", []byte(src))
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if tycho.ErrorCode(err) != tycho.EINVALID || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "ev.json") {
			t.Errorf("%s: error %v, want EINVALID naming ev.json and %q", tc.name, err, tc.want)
		}
	}
}

func TestReadEvents(t *testing.T) {
	one := strings.Join(strings.Fields(sample), " ")
	for name, src := range map[string]string{
		"object":        sample,
		"array":         "[" + sample + "," + sample + "]",
		"JSON lines":    one + "\n\n" + one + "\n",
		"pretty object": "\n" + sample + "\n",
	} {
		evs, err := openlineage.ReadEvents(name, strings.NewReader(src))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(evs) == 0 || evs[0].Job.Name != "nightly.clean yields" {
			t.Errorf("%s: %d events", name, len(evs))
		}
	}
	_, err := openlineage.ReadEvents("x.jsonl", strings.NewReader(one+"\n{\"eventTime\": 5}\n"))
	if err == nil || !strings.Contains(err.Error(), "x.jsonl: line 2") {
		t.Errorf("bad second line: %v", err)
	}
	if _, err := openlineage.ReadEvents("empty", strings.NewReader("\n")); err == nil {
		t.Error("no events accepted")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`{"eventTime":"2026-01-01T00:00:00Z","run":{"runId":"0190f1d8-7c3e-7a4b-9c1d-2e3f4a5b6c7d"},"job":{"namespace":"a","name":"b"},"producer":"p"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := openlineage.Parse("fuzz", data)
		if err != nil {
			if tycho.ErrorCode(err) != tycho.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if err := ev.Provenance().Check(); err != nil {
			t.Fatalf("accepted event makes a bad graph: %v", err)
		}
	})
}
