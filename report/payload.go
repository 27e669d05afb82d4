package report

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"tycho"
)

// num is a float64 that encodes NaN and ±Inf, which JSON cannot hold, as
// null.
type num float64

// MarshalJSON implements json.Marshaler.
func (n num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

func nums(fs []float64) []num {
	if fs == nil {
		return nil
	}
	out := make([]num, len(fs))
	for i, f := range fs {
		out[i] = num(f)
	}
	return out
}

// payload is the data the page's script draws its charts from. It is
// placed in the page as JSON.
type payload struct {
	Campaign    campaignJSON     `json:"campaign"`
	Objectives  []objectiveJSON  `json:"objectives"`
	Parameters  []parameterJSON  `json:"parameters"`
	Convergence []convergence    `json:"convergence"`
	Importance  []importanceJSON `json:"importance"`
	Slices      []sliceJSON      `json:"slices"`
	Pareto      *paretoJSON      `json:"pareto,omitempty"`
	Hypervolume []num            `json:"hypervolume,omitempty"`
	Experiments []experimentJSON `json:"experiments"`
}

type campaignJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

type objectiveJSON struct {
	Name      string `json:"name"`
	Direction string `json:"direction"`
	Unit      string `json:"unit,omitempty"`
	Goal      *num   `json:"goal,omitempty"`
}

type parameterJSON struct {
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Bounds  []num    `json:"bounds,omitempty"`
	Choices []string `json:"choices,omitempty"`
	Unit    string   `json:"unit,omitempty"`
}

// point is one experiment in a chart.
type point struct {
	X   num `json:"x"`
	Y   num `json:"y"`
	Seq int `json:"seq"`
}

// convergence is one objective's values by Seq and its best so far.
type convergence struct {
	Objective string  `json:"objective"`
	Points    []point `json:"points"`
	Best      []point `json:"best"`
}

type importanceJSON struct {
	Parameter   string `json:"parameter"`
	Lengthscale num    `json:"lengthscale"`
	// Inverse is 1/lengthscale, the bar drawn; null if the lengthscale is
	// not positive and finite.
	Inverse num `json:"inverse"`
}

type sliceJSON struct {
	Objective string   `json:"objective"`
	Parameter string   `json:"parameter"`
	X         []num    `json:"x,omitempty"`
	Labels    []string `json:"labels,omitempty"`
	Mean      []num    `json:"mean"`
	Lower     []num    `json:"lower"`
	Upper     []num    `json:"upper"`
}

// paretoJSON is the first two objectives of every completed experiment and
// the non-dominated ones among them, ordered by the first.
type paretoJSON struct {
	X      string  `json:"x"`
	Y      string  `json:"y"`
	Points []point `json:"points"`
	Front  []point `json:"front"`
}

type experimentJSON struct {
	Seq        int            `json:"seq"`
	State      string         `json:"state"`
	Params     map[string]any `json:"params"`
	Objectives map[string]num `json:"objectives,omitempty"`
	Error      string         `json:"error,omitempty"`
}

// buildPayload gathers the chart data of d; exps are d's experiments by
// Seq.
func buildPayload(d *Data, exps []*tycho.Experiment) *payload {
	s := &d.Campaign.Spec
	p := &payload{
		Campaign:    campaignJSON{ID: d.Campaign.ID, Name: s.Name, Status: string(d.Campaign.Status)},
		Objectives:  objectivesJSON(s),
		Parameters:  parametersJSON(s),
		Convergence: convergences(s, exps),
		Importance:  importances(d.Importance),
		Slices:      slicesJSON(d.Slices),
		Hypervolume: nums(d.Hypervolume),
		Experiments: experimentsJSON(exps),
	}
	if len(s.Objectives) >= 2 {
		p.Pareto = pareto(s, d, exps)
	}
	return p
}

// chartCount returns the number of charts the page's script creates from
// p: the script and this function must agree.
func chartCount(p *payload) int {
	n := len(p.Convergence) + len(p.Slices)
	if len(p.Importance) > 0 {
		n++
	}
	if p.Pareto != nil {
		n++
	}
	if len(p.Hypervolume) > 0 {
		n++
	}
	return n
}

func objectivesJSON(s *tycho.Spec) []objectiveJSON {
	out := make([]objectiveJSON, 0, len(s.Objectives))
	for _, o := range s.Objectives {
		oj := objectiveJSON{Name: o.Name, Direction: string(o.Direction), Unit: o.Unit}
		if o.Goal != nil {
			g := num(*o.Goal)
			oj.Goal = &g
		}
		out = append(out, oj)
	}
	return out
}

func parametersJSON(s *tycho.Spec) []parameterJSON {
	out := make([]parameterJSON, 0, len(s.Parameters))
	for _, p := range s.Parameters {
		out = append(out, parameterJSON{
			Name: p.Name, Kind: string(p.Kind), Bounds: nums(p.Bounds), Choices: p.Choices, Unit: p.Unit,
		})
	}
	return out
}

// convergences returns, per objective, each completed experiment's finite
// value by Seq and the best value so far after each.
func convergences(s *tycho.Spec, exps []*tycho.Experiment) []convergence {
	out := make([]convergence, 0, len(s.Objectives))
	for i := range s.Objectives {
		o := &s.Objectives[i]
		c := convergence{Objective: o.Name, Points: []point{}, Best: []point{}}
		var best float64
		for _, e := range exps {
			v, ok := objectiveValue(e, o.Name)
			if !ok {
				continue
			}
			if len(c.Best) == 0 || o.Better(v, best) {
				best = v
			}
			c.Points = append(c.Points, point{X: num(e.Seq), Y: num(v), Seq: e.Seq})
			c.Best = append(c.Best, point{X: num(e.Seq), Y: num(best), Seq: e.Seq})
		}
		out = append(out, c)
	}
	return out
}

// importances returns the lengthscales with their inverses, most
// important first.
func importances(imp []Importance) []importanceJSON {
	out := make([]importanceJSON, 0, len(imp))
	for _, im := range imp {
		inv := math.NaN()
		if l := im.Lengthscale; l > 0 && !math.IsInf(l, 0) {
			inv = 1 / l
		}
		out = append(out, importanceJSON{Parameter: im.Parameter, Lengthscale: num(im.Lengthscale), Inverse: num(inv)})
	}
	slices.SortStableFunc(out, func(a, b importanceJSON) int {
		ai, bi := float64(a.Inverse), float64(b.Inverse)
		switch {
		case math.IsNaN(ai) || math.IsNaN(bi):
			return cmp.Compare(boolInt(math.IsNaN(ai)), boolInt(math.IsNaN(bi)))
		default:
			return cmp.Compare(bi, ai)
		}
	})
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func slicesJSON(ss []Slice) []sliceJSON {
	out := make([]sliceJSON, 0, len(ss))
	for _, s := range ss {
		out = append(out, sliceJSON{
			Objective: s.Objective, Parameter: s.Parameter,
			X: nums(s.X), Labels: s.Labels,
			Mean: nums(s.Mean), Lower: nums(s.Lower), Upper: nums(s.Upper),
		})
	}
	return out
}

// pareto returns the first two objectives of the completed experiments and
// of the Pareto experiments of d.
func pareto(s *tycho.Spec, d *Data, exps []*tycho.Experiment) *paretoJSON {
	x, y := s.Objectives[0].Name, s.Objectives[1].Name
	p := &paretoJSON{X: x, Y: y, Points: []point{}, Front: []point{}}
	for _, e := range exps {
		if pt, ok := xy(e, x, y); ok {
			p.Points = append(p.Points, pt)
		}
	}
	for _, i := range d.Pareto {
		if pt, ok := xy(d.Experiments[i], x, y); ok {
			p.Front = append(p.Front, pt)
		}
	}
	slices.SortStableFunc(p.Front, func(a, b point) int {
		return cmp.Or(cmp.Compare(a.X, b.X), cmp.Compare(a.Y, b.Y))
	})
	return p
}

// xy returns e's values of objectives x and y as a point, if both are
// finite.
func xy(e *tycho.Experiment, x, y string) (point, bool) {
	vx, okx := objectiveValue(e, x)
	vy, oky := objectiveValue(e, y)
	if !okx || !oky {
		return point{}, false
	}
	return point{X: num(vx), Y: num(vy), Seq: e.Seq}, true
}

func experimentsJSON(exps []*tycho.Experiment) []experimentJSON {
	out := make([]experimentJSON, 0, len(exps))
	for _, e := range exps {
		ej := experimentJSON{Seq: e.Seq, State: string(e.State), Params: paramsJSON(e.Params), Error: e.Error}
		if e.Result != nil {
			ej.Objectives = make(map[string]num, len(e.Result.Objectives))
			for k, v := range e.Result.Objectives {
				ej.Objectives[k] = num(v)
			}
		}
		out = append(out, ej)
	}
	return out
}

// paramsJSON copies params with floats as num, so that no value can make
// the JSON invalid.
func paramsJSON(params tycho.Params) map[string]any {
	out := make(map[string]any, len(params))
	for k, v := range params {
		switch v := v.(type) {
		case float64:
			out[k] = num(v)
		case float32:
			out[k] = num(v)
		default:
			out[k] = v
		}
	}
	return out
}
