package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"tycho"
	"tycho/optimize"
	"tycho/report"
)

// reportCommand is "tycho report": one self-contained HTML file with a
// campaign's convergence, what the model learned and, for several
// objectives, the Pareto front.
type reportCommand struct {
	stdout, stderr io.Writer
}

// slicePoints is the resolution of a model slice of a numeric parameter.
const slicePoints = 60

func (c *reportCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("report", "report [--data DIR] [-o FILE] CAMPAIGN", c.stderr)
	where := whereFlags(fs)
	out := fs.String("o", "", "write to FILE (default CAMPAIGN-ID.html)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	store, camp, exps, err := loadCampaign(ctx, where, fs.Arg(0))
	if err != nil {
		return err
	}
	defer store.Close()
	d, err := reportData(ctx, camp, exps)
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = camp.ID + ".html"
	}
	if path == "-" {
		path = ""
	}
	if err := writeOutput(c.stdout, path, func(w io.Writer) error { return report.Write(w, d) }); err != nil {
		return err
	}
	if path != "" {
		fmt.Fprintf(c.stderr, "wrote %s\n", path)
	}
	return nil
}

// reportData gathers what the report shows: the experiments, the model's
// lengthscales and slices through the best point, and the Pareto front.
func reportData(ctx context.Context, camp *tycho.Campaign, exps []*tycho.Experiment) (*report.Data, error) {
	a, err := optimize.Analyze(ctx, &camp.Spec, exps)
	if err != nil {
		return nil, err
	}
	d := &report.Data{Campaign: camp, Experiments: exps, Hypervolume: a.History, Generated: time.Now()}
	index := map[*tycho.Experiment]int{}
	for i, e := range exps {
		index[e] = i
	}
	for _, e := range a.Pareto {
		d.Pareto = append(d.Pareto, index[e])
	}
	if a.Model == nil {
		return d, nil
	}
	params, ls := a.Model.Lengthscales()
	for i, p := range params {
		d.Importance = append(d.Importance, report.Importance{Parameter: p.Name, Lengthscale: ls[i]})
	}
	at := a.Recommended
	if at == nil {
		at = camp.Spec.Best(exps)
	}
	if at == nil {
		return d, nil
	}
	for _, p := range params {
		sl, err := modelSlice(a.Model, camp.Spec.Objectives[0].Name, p, at.Params)
		if err != nil {
			return nil, err
		}
		d.Slices = append(d.Slices, sl)
	}
	return d, nil
}

// modelSlice varies one parameter of params across its domain and
// records the model's mean and 95 % band of the first objective.
func modelSlice(m *optimize.Model, objective string, p tycho.Parameter, params tycho.Params) (report.Slice, error) {
	sl := report.Slice{Objective: objective, Parameter: p.Name}
	var values []any
	switch p.Kind {
	case tycho.Categorical:
		for _, c := range p.Choices {
			values = append(values, c)
			sl.Labels = append(sl.Labels, c)
		}
	default:
		lo, hi := p.Lower(), p.Upper()
		for i := range slicePoints {
			t := float64(i) / (slicePoints - 1)
			v := lo + t*(hi-lo)
			if p.Log {
				v = math.Exp(math.Log(lo) + t*(math.Log(hi)-math.Log(lo)))
			}
			if p.Kind == tycho.Integer {
				v = math.Round(v)
			}
			values = append(values, math.Min(math.Max(v, lo), hi))
			sl.X = append(sl.X, values[len(values)-1].(float64))
		}
	}
	q := make(tycho.Params, len(params))
	for k, v := range params {
		q[k] = v
	}
	for _, v := range values {
		q[p.Name] = v
		mean, sd, err := m.Predict(q)
		if err != nil {
			return sl, err
		}
		sl.Mean = append(sl.Mean, mean)
		sl.Lower = append(sl.Lower, mean-1.96*sd)
		sl.Upper = append(sl.Upper, mean+1.96*sd)
	}
	return sl, nil
}
