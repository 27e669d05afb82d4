package http_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"tycho"
	"tycho/api"
)

// TestRoutesMatchOpenAPI fails when the server's routes and
// api/openapi.yaml disagree, in either direction.
func TestRoutesMatchOpenAPI(t *testing.T) {
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi: %q, want 3.1.x", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "get", "post", "put", "patch", "delete":
				documented = append(documented, strings.ToUpper(method)+" "+path)
			case "parameters", "summary", "description":
			default:
				t.Errorf("%s: unexpected key %q", path, method)
			}
		}
	}
	served := newEnv(t).server.Routes()
	slices.Sort(documented)
	slices.Sort(served)
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is served but not in api/openapi.yaml", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("route %s is in api/openapi.yaml but not served", r)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.url + "/v1/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Equal(body, api.OpenAPI) {
		t.Errorf("GET /v1/openapi.yaml: %d, %d bytes; want 200 and the document", resp.StatusCode, len(body))
	}
}

// problem sends a request and checks that it is refused with a
// problem+json of the given status whose detail mentions want, and
// returns the problem.
func problem(t *testing.T, method, url, body string, status int, want string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v", method, url, err)
	}
	if resp.StatusCode != status || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%s %s %s: %d %s, want %d problem+json (%v)", method, url, body, resp.StatusCode, resp.Header.Get("Content-Type"), status, p)
	}
	if d, _ := p["detail"].(string); !strings.Contains(d, want) {
		t.Errorf("%s %s %s: detail %q, want it to mention %q", method, url, body, d, want)
	}
	if int(p["status"].(float64)) != resp.StatusCode || p["type"] == "" || p["title"] == "" {
		t.Errorf("problem %v lacks RFC 9457 members", p)
	}
	return p
}

const askTellCampaign = `name: asktell
parameters:
  - {name: x, kind: continuous, bounds: [0, 1]}
  - {name: solvent, kind: categorical, choices: [water, thf]}
objectives:
  - {name: y, direction: maximize}
budget: {max_experiments: 6}
initial_design: 2
strategy: random
lab: {kind: external}
`

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	c := e.createAskTell(t)
	exps, err := e.client.Suggest(ctx, c, tycho.SuggestParams{N: 2})
	if err != nil {
		t.Fatal(err)
	}
	x := exps[0]
	u := e.url + "/v1"
	big := `{"source": "` + strings.Repeat("a", 5<<20) + `"}`
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		want, field              string
	}{
		{"Malformed", "POST", "/campaigns", `{"source": "x"`, 400, "malformed JSON", ""},
		{"Trailing", "POST", "/campaigns", `{"source": "x"} {}`, 400, "malformed JSON", ""},
		{"Empty", "POST", "/campaigns", ``, 400, "body is empty", ""},
		{"DuplicateKey", "POST", "/campaigns/" + c + "/suggest", `{"n": 1, "n": 2}`, 400, "duplicate", "/n"},
		{"UnknownField", "POST", "/campaigns/" + c + "/suggest", `{"n": 1, "colour": "red"}`, 400, "/colour: unknown field", "/colour"},
		{"WrongType", "POST", "/campaigns/" + c + "/suggest", `{"n": "two"}`, 400, "/n: want a number, got JSON string", "/n"},
		{"WrongTypeNested", "POST", "/experiments/" + x.ID + "/result", `{"token": "t", "objectives": {"y": "high"}}`, 400, "/objectives/y", "/objectives/y"},
		{"OutOfRange", "POST", "/campaigns/" + c + "/suggest", `{"n": 0}`, 400, "n: ask for between 1 and", "/n"},
		{"TooLarge", "POST", "/campaigns", big, 413, "larger than", ""},
		{"UnknownCampaign", "GET", "/campaigns/nope", ``, 404, `campaign "nope" not found`, ""},
		{"UnknownExperiment", "POST", "/experiments/e-nope/result", `{"token": "t", "objectives": {"y": 1}}`, 404, `experiment "e-nope" not found`, ""},
		{"NotLeasedToCaller", "POST", "/experiments/" + x.ID + "/result", `{"token": "someone-elses", "objectives": {"y": 1}}`, 409, "not leased to the caller", ""},
		{"MissingObjective", "POST", "/experiments/" + x.ID + "/result", `{"token": "t", "objectives": {}}`, 400, "objectives.y: is missing", "/objectives/y"},
		{"BadSpec", "POST", "/campaigns", `{"source": "name: x\nparameters: []\n"}`, 400, "campaign.yaml:", "/source"},
		{"BadParams", "POST", "/campaigns/" + c + "/experiments", `{"params": {"x": 2, "solvent": "water"}, "result": {"objectives": {"y": 1}}}`, 400, "params.x: 2 is outside the bounds", "/params/x"},
		{"UndeclaredObjective", "POST", "/experiments/" + x.ID + "/result", `{"token": "t", "objectives": {"y": 1, "z": 2}}`, 400, "objectives.z: the campaign measures no such", "/objectives/z"},
		{"BadLease", "POST", "/labs/r1/leases", `{"holder": "a", "max": 1, "ttl_seconds": -1}`, 400, "ttl_seconds", "/ttl_seconds"},
		{"BadCursor", "GET", "/campaigns/" + c + "/experiments?since=-1", ``, 400, "since: want the cursor", "since"},
		{"CursorNotANumber", "GET", "/campaigns/" + c + "/experiments?since=yesterday", ``, 400, "since: want the cursor", "since"},
		{"WrongMethod", "DELETE", "/campaigns/" + c, ``, 405, "DELETE is not allowed", ""},
		{"NoRoute", "GET", "/nothing", ``, 404, "no route GET /v1/nothing", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := problem(t, tc.method, u+tc.path, tc.body, tc.status, tc.want)
			if f, _ := p["field"].(string); f != tc.field {
				t.Errorf("field %q, want %q", f, tc.field)
			}
		})
	}
	// Nothing was written by any of them.
	stored, err := e.db.ListExperiments(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 2 {
		t.Errorf("%d experiments after the bad requests, want the 2 suggested", len(stored))
	}
	for _, s := range stored {
		if s.State != tycho.ExperimentDispatched || s.Result != nil {
			t.Errorf("experiment %d: %s %+v after bad requests", s.Seq, s.State, s.Result)
		}
	}
	cs, err := e.db.ListCampaigns(ctx)
	if err != nil || len(cs) != 1 {
		t.Errorf("%d campaigns after bad creates (%v), want 1", len(cs), err)
	}
}
