package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"tycho"
)

// pageView is what the HTML template renders.
type pageView struct {
	Title      string
	Campaign   *tycho.Campaign
	Created    string
	Updated    string
	Elapsed    string
	Generated  string
	Parameters []paramRow
	Objectives []objectiveRow
	Settings   []setting
	Counts     counts
	Best       []bestRow
	Multi      bool // two or more objectives
	Table      table
	// Charts is the number of charts the page's script should create.
	Charts  int
	Data    template.JS
	ChartJS template.JS
	AppJS   template.JS
	CSP     string
	// HasImportance, HasSlices, HasHypervolume say whether the optional
	// sections have data.
	HasImportance  bool
	HasSlices      bool
	HasHypervolume bool
	ParetoCount    int
}

type paramRow struct{ Name, Kind, Domain, Unit string }

type objectiveRow struct{ Name, Direction, Goal, Reference, Unit string }

type setting struct{ Name, Value string }

type counts struct{ Total, Completed, Failed, Pending, Abandoned int }

type bestRow struct {
	Objective, Direction, Value string
	Seq                         int
	Params                      string
}

// cell is one parameter value in the experiments table; numbers are
// aligned right.
type cell struct {
	Text string
	Num  bool
}

type table struct {
	Params     []string
	Objectives []string
	Rows       []tableRow
}

type tableRow struct {
	Seq        int
	State      string
	Params     []cell
	Objectives []string
	Error      string
	Pareto     bool
	Best       bool
}

// buildPage turns d into what the template renders.
func buildPage(d *Data) (*pageView, error) {
	c := d.Campaign
	spec := &c.Spec
	exps := sortedBySeq(d.Experiments)
	generated := d.Generated
	if generated.IsZero() {
		generated = time.Now()
	}
	pl := buildPayload(d, exps)
	data, err := json.Marshal(pl)
	if err != nil {
		return nil, fmt.Errorf("encode data: %w", err)
	}
	v := &pageView{
		Title:          title(c),
		Campaign:       c,
		Created:        formatTime(c.CreatedAt),
		Updated:        formatTime(c.UpdatedAt),
		Elapsed:        c.Elapsed.Round(time.Second).String(),
		Generated:      formatTime(generated),
		Parameters:     paramRows(spec),
		Objectives:     objectiveRows(spec),
		Settings:       settings(spec),
		Counts:         countStates(exps),
		Best:           bestRows(spec, exps),
		Multi:          len(spec.Objectives) >= 2,
		Table:          buildTable(spec, exps, paretoSeqs(d)),
		Charts:         chartCount(pl),
		Data:           template.JS(data), // json.Marshal escapes <, > and &
		ChartJS:        template.JS(chartJS),
		AppJS:          template.JS(appJS),
		CSP:            csp(),
		HasImportance:  len(pl.Importance) > 0,
		HasSlices:      len(pl.Slices) > 0,
		HasHypervolume: len(pl.Hypervolume) > 0,
		ParetoCount:    len(d.Pareto),
	}
	return v, nil
}

func title(c *tycho.Campaign) string {
	if c.Spec.Name != "" {
		return c.Spec.Name
	}
	return c.ID
}

// sortedBySeq returns a copy of exps ordered by Seq.
func sortedBySeq(exps []*tycho.Experiment) []*tycho.Experiment {
	s := slices.Clone(exps)
	slices.SortStableFunc(s, func(a, b *tycho.Experiment) int { return cmp.Compare(a.Seq, b.Seq) })
	return s
}

// paretoSeqs returns the Seq of each Pareto experiment.
func paretoSeqs(d *Data) map[int]bool {
	m := make(map[int]bool, len(d.Pareto))
	for _, i := range d.Pareto {
		m[d.Experiments[i].Seq] = true
	}
	return m
}

func paramRows(s *tycho.Spec) []paramRow {
	rows := make([]paramRow, 0, len(s.Parameters))
	for _, p := range s.Parameters {
		rows = append(rows, paramRow{Name: p.Name, Kind: string(p.Kind), Domain: domain(p), Unit: p.Unit})
	}
	return rows
}

// domain describes the values parameter p may take.
func domain(p tycho.Parameter) string {
	switch p.Kind {
	case tycho.Continuous, tycho.Integer:
		if len(p.Bounds) != 2 {
			return "—"
		}
		d := "[" + formatFloat(p.Bounds[0]) + ", " + formatFloat(p.Bounds[1]) + "]"
		if p.Log {
			d += ", log scale"
		}
		return d
	case tycho.Categorical:
		return "{" + strings.Join(p.Choices, ", ") + "}"
	case tycho.Fixed:
		return "= " + formatValue(p.Value)
	}
	return "—"
}

func objectiveRows(s *tycho.Spec) []objectiveRow {
	rows := make([]objectiveRow, 0, len(s.Objectives))
	for _, o := range s.Objectives {
		rows = append(rows, objectiveRow{
			Name:      o.Name,
			Direction: string(o.Direction),
			Goal:      formatOptional(o.Goal),
			Reference: formatOptional(o.Reference),
			Unit:      o.Unit,
		})
	}
	return rows
}

// settings lists the spec's budget, strategy and other run settings.
func settings(s *tycho.Spec) []setting {
	budget := strconv.Itoa(s.Budget.MaxExperiments) + " experiments"
	if s.Budget.MaxWallTime > 0 {
		budget += ", " + time.Duration(s.Budget.MaxWallTime).String() + " wall time"
	}
	out := []setting{
		{"Budget", budget},
		{"Strategy", orDash(s.Strategy)},
		{"Batch size", strconv.Itoa(s.BatchSize)},
		{"Initial design", strconv.Itoa(s.InitialDesign)},
		{"Seed", strconv.FormatUint(s.Seed, 10)},
		{"Lab", orDash(strings.TrimSpace(s.Lab.Kind + " " + s.Lab.Name))},
	}
	if n := s.Stop.NoImprovement; n != nil {
		out = append(out, setting{"Stop when stalled",
			fmt.Sprintf("improvement ≤ %s over %d experiments", formatFloat(n.Epsilon), n.Experiments)})
	}
	if g := s.Stop.GoalReached; g != nil {
		out = append(out, setting{"Stop at goal", strconv.FormatBool(*g)})
	}
	return out
}

func countStates(exps []*tycho.Experiment) counts {
	c := counts{Total: len(exps)}
	for _, e := range exps {
		switch {
		case e.State == tycho.ExperimentCompleted:
			c.Completed++
		case e.State == tycho.ExperimentFailed:
			c.Failed++
		case e.State == tycho.ExperimentAbandoned:
			c.Abandoned++
		default:
			c.Pending++
		}
	}
	return c
}

// objectiveValue returns e's finite value of objective name, if it is
// completed and has one.
func objectiveValue(e *tycho.Experiment, name string) (float64, bool) {
	if e.State != tycho.ExperimentCompleted || e.Result == nil {
		return 0, false
	}
	v, ok := e.Result.Objectives[name]
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// bestOf returns the completed experiment with the best value of o, the
// earliest on ties, or nil if none has a value.
func bestOf(o *tycho.Objective, exps []*tycho.Experiment) *tycho.Experiment {
	var best *tycho.Experiment
	var bv float64
	for _, e := range exps {
		v, ok := objectiveValue(e, o.Name)
		if ok && (best == nil || o.Better(v, bv)) {
			best, bv = e, v
		}
	}
	return best
}

func bestRows(s *tycho.Spec, exps []*tycho.Experiment) []bestRow {
	rows := make([]bestRow, 0, len(s.Objectives))
	for i := range s.Objectives {
		o := &s.Objectives[i]
		row := bestRow{Objective: o.Name, Direction: string(o.Direction), Value: "—"}
		if e := bestOf(o, exps); e != nil {
			row.Value = formatFloat(e.Result.Objectives[o.Name])
			row.Seq = e.Seq
			row.Params = formatParams(s, e.Params)
		}
		rows = append(rows, row)
	}
	return rows
}

// paramNames returns the spec's parameters in order, then any other
// parameter the experiments carry, sorted.
func paramNames(s *tycho.Spec, exps []*tycho.Experiment) []string {
	names := make([]string, 0, len(s.Parameters))
	seen := map[string]bool{}
	for _, p := range s.Parameters {
		names = append(names, p.Name)
		seen[p.Name] = true
	}
	var extra []string
	for _, e := range exps {
		for k := range e.Params {
			if !seen[k] {
				extra = append(extra, k)
				seen[k] = true
			}
		}
	}
	sort.Strings(extra)
	return append(names, extra...)
}

func objectiveNames(s *tycho.Spec) []string {
	names := make([]string, len(s.Objectives))
	for i, o := range s.Objectives {
		names[i] = o.Name
	}
	return names
}

func buildTable(s *tycho.Spec, exps []*tycho.Experiment, pareto map[int]bool) table {
	t := table{Params: paramNames(s, exps), Objectives: objectiveNames(s)}
	var best *tycho.Experiment
	if len(s.Objectives) == 1 {
		best = bestOf(&s.Objectives[0], exps)
	}
	for _, e := range exps {
		r := tableRow{Seq: e.Seq, State: string(e.State), Error: e.Error, Pareto: pareto[e.Seq], Best: e == best}
		for _, p := range t.Params {
			v := e.Params[p]
			r.Params = append(r.Params, cell{Text: formatValue(v), Num: isNumber(v)})
		}
		for _, o := range t.Objectives {
			r.Objectives = append(r.Objectives, formatObjective(e, o))
		}
		t.Rows = append(t.Rows, r)
	}
	return t
}

func formatObjective(e *tycho.Experiment, name string) string {
	if e.Result == nil {
		return ""
	}
	v, ok := e.Result.Objectives[name]
	if !ok {
		return "—"
	}
	return formatFloat(v)
}

// formatParams writes params as "name=value, …" in the spec's order.
func formatParams(s *tycho.Spec, params tycho.Params) string {
	var parts []string
	for _, p := range s.Parameters {
		if v, ok := params[p.Name]; ok {
			parts = append(parts, p.Name+"="+formatValue(v))
		}
	}
	return strings.Join(parts, ", ")
}

func formatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "—"
	case float64:
		return formatFloat(v)
	case float32:
		return formatFloat(float64(v))
	case string:
		return v
	}
	return fmt.Sprint(v)
}

func isNumber(v any) bool {
	switch v.(type) {
	case float64, float32, int, int64:
		return true
	}
	return false
}

func formatFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func formatOptional(v *float64) string {
	if v == nil {
		return "—"
	}
	return formatFloat(*v)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format("2006-01-02 15:04:05 MST")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
