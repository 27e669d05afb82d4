package report

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"tycho"
)

const xss = `</script><script>alert(1)</script>`

var t0 = time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)

func ptr(v float64) *float64 { return &v }

func completed(seq int, params tycho.Params, objs map[string]float64) *tycho.Experiment {
	return &tycho.Experiment{
		ID: "e" + strconv.Itoa(seq), CampaignID: "c-123", Seq: seq, Params: params,
		State: tycho.ExperimentCompleted, Result: &tycho.Result{Objectives: objs},
	}
}

// singleObjective is a one-objective campaign with completed, failed,
// NaN-valued and running experiments and a fitted model.
func singleObjective() *Data {
	c := &tycho.Campaign{
		ID: "c-123", Status: tycho.CampaignRunning, CreatedAt: t0, UpdatedAt: t0.Add(time.Hour),
		Elapsed: 42 * time.Minute, SourceName: "suzuki.yaml",
		Spec: tycho.Spec{
			Name: "suzuki coupling",
			Parameters: []tycho.Parameter{
				{Name: "temp", Kind: tycho.Continuous, Bounds: []float64{20, 80}, Unit: "°C"},
				{Name: "catalyst", Kind: tycho.Categorical, Choices: []string{"Pd", "Ni", "Cu"}},
				{Name: "steps", Kind: tycho.Integer, Bounds: []float64{1, 10}},
				{Name: "solvent", Kind: tycho.Fixed, Value: "water"},
			},
			Objectives: []tycho.Objective{{Name: "yield", Direction: tycho.Maximize, Goal: ptr(90), Unit: "%"}},
			Budget:     tycho.Budget{MaxExperiments: 30, MaxWallTime: tycho.Duration(2 * time.Hour)},
			BatchSize:  1, InitialDesign: 4, Strategy: "gp", Seed: 7,
			Lab: tycho.LabSpec{Kind: "twin", Name: "suzuki"},
		},
	}
	p := func(temp float64, cat string, steps float64) tycho.Params {
		return tycho.Params{"temp": temp, "catalyst": cat, "steps": steps, "solvent": "water"}
	}
	failed := &tycho.Experiment{Seq: 3, Params: p(30, "Cu", 2), State: tycho.ExperimentFailed, Error: "instrument offline"}
	running := &tycho.Experiment{Seq: 6, Params: p(60, "Pd", 5), State: tycho.ExperimentRunning}
	return &Data{
		Campaign: c,
		Experiments: []*tycho.Experiment{
			completed(1, p(25, "Pd", 3), map[string]float64{"yield": 50}),
			completed(2, p(70, "Ni", 8), map[string]float64{"yield": 70}),
			failed,
			completed(4, p(55, "Pd", 4), map[string]float64{"yield": math.NaN()}),
			completed(5, p(40, "Ni", 6), map[string]float64{"yield": 65}),
			running,
		},
		Importance: []Importance{{"temp", 0.2}, {"catalyst", 0.5}, {"steps", 2}},
		Slices: []Slice{
			{Objective: "yield", Parameter: "temp", X: []float64{20, 50, 80},
				Mean: []float64{40, 60, 55}, Lower: []float64{30, 52, 45}, Upper: []float64{50, 68, 65}},
			{Objective: "yield", Parameter: "catalyst", Labels: []string{"Pd", "Ni", "Cu"},
				Mean: []float64{60, 70, math.NaN()}, Lower: []float64{50, 62, math.Inf(-1)}, Upper: []float64{70, 78, math.Inf(1)}},
		},
		Generated: t0.Add(2 * time.Hour),
	}
}

// twoObjective is a two-objective campaign with a Pareto front and a
// hypervolume trace.
func twoObjective() *Data {
	c := &tycho.Campaign{
		ID: "c-456", Status: tycho.CampaignCompleted, CreatedAt: t0,
		Spec: tycho.Spec{
			Name:       "trade-off",
			Parameters: []tycho.Parameter{{Name: "x", Kind: tycho.Continuous, Bounds: []float64{0, 1}}},
			Objectives: []tycho.Objective{
				{Name: "yield", Direction: tycho.Maximize},
				{Name: "cost", Direction: tycho.Minimize, Reference: ptr(10)},
			},
			Budget: tycho.Budget{MaxExperiments: 10}, Strategy: "gp", Seed: 1,
		},
	}
	obj := func(y, cost float64) map[string]float64 { return map[string]float64{"yield": y, "cost": cost} }
	return &Data{
		Campaign: c,
		Experiments: []*tycho.Experiment{
			completed(1, tycho.Params{"x": 0.1}, obj(10, 1)),
			completed(2, tycho.Params{"x": 0.5}, obj(50, 5)),
			completed(3, tycho.Params{"x": 0.4}, obj(30, 6)),
			completed(4, tycho.Params{"x": 0.9}, obj(80, 9)),
		},
		Pareto:      []int{3, 0, 1},
		Hypervolume: []float64{9, 45, 45, 92},
		Generated:   t0,
	}
}

func render(t *testing.T, d *Data) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, d); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.String()
}

var dataRE = regexp.MustCompile(`(?s)<script type="application/json" id="report-data">(.*?)</script>`)

// decode returns the JSON data embedded in page.
func decode(t *testing.T, page string) map[string]any {
	t.Helper()
	m := dataRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no report-data script in page")
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(m[1]), &v); err != nil {
		t.Fatalf("report data is not valid JSON: %v", err)
	}
	return v
}

// get follows a path of object keys and array indices through v.
func get(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %q: not an object: %v", k, v)
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at [%d]: not an array that long: %v", k, v)
			}
			v = a[k]
		}
	}
	return v
}

func floats(t *testing.T, pts any, key string) []float64 {
	t.Helper()
	var out []float64
	for _, p := range pts.([]any) {
		out = append(out, p.(map[string]any)[key].(float64))
	}
	return out
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWriteEmbedsChartJS(t *testing.T) {
	page := render(t, singleObjective())
	if !strings.Contains(page, "Chart.js v"+ChartJSVersion) {
		t.Error("page lacks the Chart.js banner")
	}
	// The library is embedded verbatim, apart from its source map comment.
	if !strings.Contains(page, stripSourceMap(chartJSSource)) {
		t.Error("page lacks the embedded Chart.js code")
	}
	if !strings.Contains(page, "Permission is hereby granted") {
		t.Error("page lacks the Chart.js license")
	}
	if strings.Contains(page, "sourceMappingURL") {
		t.Error("page refers to a source map")
	}
}

func TestWriteSingleObjectiveData(t *testing.T) {
	page := render(t, singleObjective())
	data := decode(t, page)

	if got := get(t, data, "campaign", "name"); got != "suzuki coupling" {
		t.Errorf("campaign name = %v", got)
	}
	conv := get(t, data, "convergence", 0)
	if got := get(t, conv, "objective"); got != "yield" {
		t.Errorf("convergence objective = %v", got)
	}
	pts := get(t, conv, "points")
	if got, want := floats(t, pts, "x"), []float64{1, 2, 5}; !equal(got, want) {
		t.Errorf("convergence seqs = %v, want %v (NaN and failed left out)", got, want)
	}
	if got, want := floats(t, pts, "y"), []float64{50, 70, 65}; !equal(got, want) {
		t.Errorf("convergence values = %v, want %v", got, want)
	}
	if got, want := floats(t, get(t, conv, "best"), "y"), []float64{50, 70, 70}; !equal(got, want) {
		t.Errorf("best so far = %v, want %v", got, want)
	}

	// Most important (shortest lengthscale) first, drawn as 1/lengthscale.
	if got := get(t, data, "importance", 0, "parameter"); got != "temp" {
		t.Errorf("most important parameter = %v, want temp", got)
	}
	if got := get(t, data, "importance", 0, "inverse"); got != 5.0 {
		t.Errorf("1/lengthscale of temp = %v, want 5", got)
	}

	if got := get(t, data, "slices", 1, "labels", 2); got != "Cu" {
		t.Errorf("categorical slice label = %v", got)
	}
	if _, ok := get(t, data, "pareto").(map[string]any); ok {
		t.Error("single-objective report has Pareto data")
	}

	for _, want := range []string{
		"<td>temp</td><td>continuous</td><td>[20, 80]</td>",
		"{Pd, Ni, Cu}",
		"= water",
		"30 experiments, 2h0m0s wall time",
		"instrument offline",
		`<span class="n">4</span>completed`, // #1, #2, #5 and #4, whose value is NaN
		`<span class="n">1</span>failed`,
		`<span class="n">1</span>pending`,
		`data-expected-charts="4"`, // convergence, importance, two slices
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// The best of a maximized objective is the largest value.
	if !regexp.MustCompile(`<td class="num">70</td><td>#2</td><td>temp=70, catalyst=Ni, steps=8, solvent=water</td>`).MatchString(page) {
		t.Error("summary does not show experiment #2 (yield 70) as best")
	}
}

func TestWriteMinimizeBest(t *testing.T) {
	d := singleObjective()
	d.Campaign.Spec.Objectives[0].Direction = tycho.Minimize
	data := decode(t, render(t, d))
	if got, want := floats(t, get(t, data, "convergence", 0, "best"), "y"), []float64{50, 50, 50}; !equal(got, want) {
		t.Errorf("best so far when minimizing = %v, want %v", got, want)
	}
}

func TestWriteNaN(t *testing.T) {
	d := singleObjective()
	d.Experiments[1].Params["temp"] = math.Inf(1)
	d.Hypervolume = []float64{1, math.NaN()}
	page := render(t, d)
	data := decode(t, page)
	objs := get(t, data, "experiments", 3, "objectives").(map[string]any)
	if v, ok := objs["yield"]; !ok || v != nil {
		t.Errorf("NaN objective encoded as %v (present %v), want null", v, ok)
	}
	if got := get(t, data, "experiments", 1, "params", "temp"); got != nil {
		t.Errorf("+Inf parameter encoded as %v, want null", got)
	}
	if got := get(t, data, "slices", 1, "mean", 2); got != nil {
		t.Errorf("NaN slice mean encoded as %v, want null", got)
	}
	if got := get(t, data, "slices", 1, "lower", 2); got != nil {
		t.Errorf("-Inf slice bound encoded as %v, want null", got)
	}
	if !strings.Contains(page, `<td class="num">NaN</td>`) {
		t.Error("table does not show the NaN objective value")
	}
}

func TestWriteTwoObjectives(t *testing.T) {
	page := render(t, twoObjective())
	data := decode(t, page)
	front := get(t, data, "pareto", "front")
	// Pareto indices 3, 0, 1 are experiments #4, #1, #2, ordered by yield.
	if got, want := floats(t, front, "seq"), []float64{1, 2, 4}; !equal(got, want) {
		t.Errorf("Pareto front seqs = %v, want %v", got, want)
	}
	if got, want := floats(t, front, "y"), []float64{1, 5, 9}; !equal(got, want) {
		t.Errorf("Pareto front costs = %v, want %v", got, want)
	}
	if got := len(get(t, data, "pareto", "points").([]any)); got != 4 {
		t.Errorf("Pareto chart has %d points, want 4", got)
	}
	if got := get(t, data, "hypervolume", 3); got != 92.0 {
		t.Errorf("last hypervolume = %v, want 92", got)
	}
	for _, want := range []string{
		`data-expected-charts="4"`, // two convergence, Pareto, hypervolume
		"No model fitted.",
		`<span class="n">3</span>on the Pareto front`,
		"(Pareto)",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if got := strings.Count(page, "(Pareto)"); got != 3 {
		t.Errorf("%d table rows marked Pareto, want 3", got)
	}
}

var attrRE = regexp.MustCompile(`(?i)\b(?:src|href|action|poster|data)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))`)

func TestWriteNoExternalReferences(t *testing.T) {
	for name, d := range map[string]*Data{"single": singleObjective(), "two": twoObjective()} {
		page := render(t, d)
		for _, m := range attrRE.FindAllStringSubmatch(page, -1) {
			v := strings.ToLower(strings.TrimSpace(m[1] + m[2] + m[3]))
			if strings.HasPrefix(v, "http:") || strings.HasPrefix(v, "https:") || strings.HasPrefix(v, "//") {
				t.Errorf("%s: external reference %s", name, m[0])
			}
		}
		// Outside the embedded library (whose banner and license name its
		// home page) there is no URL at all.
		rest := strings.Replace(page, chartJS, "", 1)
		for _, bad := range []string{"http://", "https://", "url(", "@import"} {
			if strings.Contains(rest, bad) {
				t.Errorf("%s: page contains %q", name, bad)
			}
		}
	}
}

func TestWriteEscapesXSS(t *testing.T) {
	d := singleObjective()
	s := &d.Campaign.Spec
	s.Name = xss
	s.Description = xss
	d.Campaign.ID = xss
	s.Parameters[1].Choices = []string{xss, "Ni"}
	d.Experiments[0].Params["catalyst"] = xss
	d.Experiments[2].Error = xss
	d.Slices[1].Labels[0] = xss
	d.Importance[0].Parameter = xss

	page := render(t, d)
	if strings.Contains(page, "<script>alert") {
		t.Error("injected script element in page")
	}
	if got := strings.Count(strings.ToLower(page), "<script"); got != 3 {
		t.Errorf("page has %d script elements, want 3", got)
	}
	if got := strings.Count(strings.ToLower(page), "</script"); got != 3 {
		t.Errorf("page has %d script end tags, want 3", got)
	}
	data := decode(t, page)
	if got := get(t, data, "campaign", "name"); got != xss {
		t.Errorf("campaign name round-trips as %q", got)
	}
	if got := get(t, data, "experiments", 0, "params", "catalyst"); got != xss {
		t.Errorf("categorical value round-trips as %q", got)
	}
	if !strings.Contains(page, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("name not HTML-escaped in the page text")
	}
}

func TestWriteErrors(t *testing.T) {
	bad := map[string]*Data{
		"nil data":     nil,
		"no campaign":  {},
		"pareto index": func() *Data { d := twoObjective(); d.Pareto = []int{4}; return d }(),
		"slice length": func() *Data { d := singleObjective(); d.Slices[0].Mean = d.Slices[0].Mean[:1]; return d }(),
	}
	for name, d := range bad {
		if err := Write(&bytes.Buffer{}, d); err == nil {
			t.Errorf("%s: Write succeeded", name)
		}
	}
}

func TestWriteNoExperiments(t *testing.T) {
	d := singleObjective()
	d.Experiments, d.Importance, d.Slices = nil, nil, nil
	data := decode(t, render(t, d))
	if got := get(t, data, "convergence", 0, "points").([]any); len(got) != 0 {
		t.Errorf("convergence points = %v, want none", got)
	}
}

var (
	bodyRE  = regexp.MustCompile(`<body[^>]*\bdata-charts="(\d+)"[^>]*\bdata-expected-charts="(\d+)"`)
	errorRE = regexp.MustCompile(`(?s)<pre id="js-error"[^>]*>(.*?)</pre>`)
)

// TestRenderInChromium opens the page in headless Chromium and checks that
// every chart was created without a script error.
func TestRenderInChromium(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("skipping: %s not found (apt-get install chromium to run this test)", chromium)
	}
	if testing.Short() {
		t.Skip("skipping browser test in short mode")
	}
	for name, d := range map[string]*Data{"single": singleObjective(), "two": twoObjective()} {
		t.Run(name, func(t *testing.T) {
			dom := dumpDOM(t, chromium, render(t, d))
			m := bodyRE.FindStringSubmatch(dom)
			if m == nil {
				t.Fatalf("no body with data-charts in the DOM:\n%.2000s", dom)
			}
			if m[1] != m[2] || m[1] == "0" {
				t.Errorf("%s charts created, want %s", m[1], m[2])
			}
			e := errorRE.FindStringSubmatch(dom)
			if e == nil {
				t.Fatal("no #js-error element in the DOM")
			}
			if strings.TrimSpace(e[1]) != "" {
				t.Errorf("script error: %s", e[1])
			}
		})
	}
}

func dumpDOM(t *testing.T, chromium, page string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--user-data-dir="+t.TempDir(),
		"--virtual-time-budget=5000", "--dump-dom", "file://"+file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	return string(out)
}
