package http_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"tycho"
	"tycho/storetest"
)

// TestProvenanceOverHTTP runs the provenance conformance suite through
// the client and the server.
func TestProvenanceOverHTTP(t *testing.T) {
	storetest.RunProvenance(t, func(t *testing.T) storetest.ProvenanceStore { return newEnv(t).client })
}

const olEvent = `{"eventType": "COMPLETE", "eventTime": "2026-11-20T10:15:30Z",
  "run": {"runId": "0190f1d8-7c3e-7a4b-9c1d-2e3f4a5b6c7d"},
  "job": {"namespace": "airflow", "name": "clean"},
  "inputs": [{"namespace": "s3://bucket", "name": "raw/a b.csv", "facets": {"schema": {"fields": []}}}],
  "outputs": [{"namespace": "s3://bucket", "name": "clean/a.parquet"}],
  "producer": "https://example.org/producer", "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json"}`

func TestOpenLineage(t *testing.T) {
	e := newEnv(t)
	if err := e.client.ReportOpenLineage(ctx, []byte(olEvent)); err != nil {
		t.Fatal(err)
	}
	// The output's lineage reaches the input through the run, over a
	// path that needs escaping.
	l, err := e.client.Lineage(ctx, tycho.LineageQuery{ID: "openlineage/dataset/s3:%2F%2Fbucket/clean%2Fa.parquet", Depth: 2})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range l.Nodes {
		got = append(got, n.ID)
	}
	want := []string{"openlineage/run/0190f1d8-7c3e-7a4b-9c1d-2e3f4a5b6c7d", "openlineage/dataset/s3:%2F%2Fbucket/raw%2Fa%20b.csv", "openlineage/job/airflow/clean"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("lineage %v, want %v", got, want)
	}
	// A Tycho dataset that does not exist is refused, naming it.
	bad := strings.Replace(olEvent, `"namespace": "s3://bucket", "name": "raw/a b.csv"`, `"namespace": "tycho", "name": "default/ghost@1"`, 1)
	err = e.client.ReportOpenLineage(ctx, []byte(bad))
	if tycho.ErrorCode(err) != tycho.EINVALID || !strings.Contains(err.Error(), "dataset/default/ghost@1") {
		t.Errorf("unknown Tycho dataset: %v", err)
	}
}

func TestLineageBadInput(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ method, path, body, want string }{
		{"GET", "/v1/lineage/x?depth=deep", "", "depth: want an integer"},
		{"GET", "/v1/lineage/x?depth=1000", "", "lineage depth 1000"},
		{"GET", "/v1/lineage/x?direction=left", "", "lineage direction"},
		{"GET", "/v1/lineage/x?after=nonsense", "", "lineage cursor"},
		{"GET", "/v1/lineage/nothing-here", "", "not found"},
		{"GET", "/v1/provenance?limit=100000", "", "limit: at most"},
		{"POST", "/v1/provenance", `{"nodes": [{"id": "a", "kind": "entity", "colour": "red"}]}`, "unknown field"},
		{"POST", "/v1/provenance", `{"edges": [{"from": "a", "relation": "used", "to": "b"}]}`, "neither recorded nor given"},
		{"POST", "/v1/lineage/openlineage", `{"eventTime": "2026-01-01T00:00:00Z"}`, "run.runId"},
		{"POST", "/v1/lineage/openlineage", `not json`, "malformed JSON"},
	} {
		req, _ := http.NewRequest(tc.method, e.url+tc.path, bytes.NewReader([]byte(tc.body)))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Detail string `json:"detail"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode < 400 || !strings.Contains(p.Detail, tc.want) {
			t.Errorf("%s %s: %d %q, want an error saying %q", tc.method, tc.path, resp.StatusCode, p.Detail, tc.want)
		}
	}
}
