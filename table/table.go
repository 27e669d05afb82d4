// Package table provides a lab that answers experiments from a table of
// measured results — a CSV file with a column per parameter and per
// measured quantity, such as a high-throughput screen that covers a whole
// space. Benchmarking an optimizer against real measurements, and
// replaying a published data set, both run through it.
package table

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"tycho"
	"tycho/internal/csvfile"
)

// Lab answers an experiment with the row whose parameter values match
// it. Rows that repeat a combination are replicates: the lab answers with
// their mean and reports their standard deviation as the noise.
type Lab struct {
	file    string
	params  []string // varied parameters, in declaration order
	outputs []string // objectives and outcomes, in declaration order
	rows    map[string][]float64
	noise   map[string][]float64
}

var _ tycho.Lab = (*Lab)(nil)

// New reads the table at path for spec s. Columns are matched to the
// spec's varied parameters, objectives and outcomes by name, or by
// s.Lab.Columns where it maps a name to a column. Every parameter and
// objective needs a column; outcomes without one are not reported.
// Categorical values must be among the parameter's choices (rows with
// other values are ignored, so a campaign may search part of a table);
// numbers are matched by value. Returns EINVALID naming file, line and
// column of the first problem.
func New(path string, s *tycho.Spec) (*Lab, error) {
	f, err := csvfile.Read(path)
	if err != nil {
		return nil, err
	}
	return newLab(f, s)
}

// Parse is New for CSV data in memory; name is its path as messages show
// it.
func Parse(name string, data []byte, s *tycho.Spec) (*Lab, error) {
	f, err := csvfile.Parse(name, data)
	if err != nil {
		return nil, err
	}
	return newLab(f, s)
}

func newLab(f *csvfile.File, s *tycho.Spec) (*Lab, error) {
	l := &Lab{file: f.Name, rows: map[string][]float64{}, noise: map[string][]float64{}}
	column := func(name string, required bool) (int, error) {
		c := name
		if m, ok := s.Lab.Columns[name]; ok {
			c = m
		}
		j := f.Column(c)
		if j < 0 && required {
			return -1, tycho.Errorf(tycho.EINVALID, "%s: no column %q for %s (columns: %s)", f.Name, c, name, strings.Join(f.Header, ", "))
		}
		return j, nil
	}
	var pcols []int
	var pars []*tycho.Parameter
	for i := range s.Parameters {
		p := &s.Parameters[i]
		if p.Kind == tycho.Fixed {
			continue
		}
		j, err := column(p.Name, true)
		if err != nil {
			return nil, err
		}
		l.params, pcols, pars = append(l.params, p.Name), append(pcols, j), append(pars, p)
	}
	var ocols []int
	for _, o := range s.Objectives {
		j, err := column(o.Name, true)
		if err != nil {
			return nil, err
		}
		l.outputs, ocols = append(l.outputs, o.Name), append(ocols, j)
	}
	for _, o := range s.Outcomes {
		if j, _ := column(o.Name, false); j >= 0 {
			l.outputs, ocols = append(l.outputs, o.Name), append(ocols, j)
		}
	}

	// Replicates are combined per output with Welford's running mean and
	// variance; an empty cell is a value not measured.
	type acc struct{ n, mean, m2 []float64 }
	accs := map[string]*acc{}
	key := make([]string, len(pars))
rows:
	for i, row := range f.Rows {
		for k, p := range pars {
			v := row[pcols[k]]
			if p.Kind == tycho.Categorical {
				if !contains(p.Choices, v) {
					continue rows
				}
				key[k] = v
				continue
			}
			x, err := f.Float(i, pcols[k])
			if err != nil {
				return nil, err
			}
			key[k] = canonical(x)
		}
		kk := strings.Join(key, "\x00")
		a, ok := accs[kk]
		if !ok {
			n := len(ocols)
			a = &acc{make([]float64, n), make([]float64, n), make([]float64, n)}
			accs[kk] = a
		}
		for k, j := range ocols {
			if row[j] == "" {
				continue
			}
			v, err := f.Float(i, j)
			if err != nil {
				return nil, err
			}
			a.n[k]++
			d := v - a.mean[k]
			a.mean[k] += d / a.n[k]
			a.m2[k] += d * (v - a.mean[k])
		}
	}
	if len(accs) == 0 {
		return nil, tycho.Errorf(tycho.EINVALID, "%s: no row matches the campaign's parameters", f.Name)
	}
	for kk, a := range accs {
		mean := make([]float64, len(ocols))
		var sd []float64
		for k := range mean {
			mean[k] = a.mean[k]
			if a.n[k] == 0 {
				mean[k] = math.NaN() // not measured
			}
			if a.n[k] > 1 {
				if sd == nil {
					sd = make([]float64, len(ocols))
				}
				sd[k] = math.Sqrt(a.m2[k] / (a.n[k] - 1))
			}
		}
		l.rows[kk] = mean
		if sd != nil {
			l.noise[kk] = sd
		}
	}
	return l, nil
}

// Len returns the number of distinct parameter combinations in the table.
func (l *Lab) Len() int { return len(l.rows) }

// Values returns the value of an objective or outcome of every distinct
// combination, in no particular order.
func (l *Lab) Values(name string) []float64 {
	k := index(l.outputs, name)
	if k < 0 {
		return nil
	}
	var out []float64
	for _, v := range l.rows {
		if !math.IsNaN(v[k]) {
			out = append(out, v[k])
		}
	}
	return out
}

// Run implements tycho.Lab. An experiment whose parameters are not in the
// table, or whose row lacks an objective, fails with EINVALID.
func (l *Lab) Run(ctx context.Context, e *tycho.Experiment) (*tycho.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key := make([]string, len(l.params))
	for i, name := range l.params {
		v, ok := e.Params[name]
		if !ok {
			return nil, tycho.Errorf(tycho.EINVALID, "parameter %q has no value", name)
		}
		switch v := v.(type) {
		case string:
			key[i] = v
		case float64:
			key[i] = canonical(v)
		default:
			return nil, tycho.Errorf(tycho.EINVALID, "parameter %q: %v is not a number or a choice", name, v)
		}
	}
	vals, ok := l.rows[strings.Join(key, "\x00")]
	if !ok {
		return nil, tycho.Errorf(tycho.EINVALID, "%s has no measurement for %s", l.file, describe(l.params, key))
	}
	res := &tycho.Result{Objectives: map[string]float64{}}
	sd := l.noise[strings.Join(key, "\x00")]
	for k, name := range l.outputs {
		if math.IsNaN(vals[k]) {
			continue
		}
		res.Objectives[name] = vals[k]
		if sd != nil && sd[k] > 0 {
			if res.Noise == nil {
				res.Noise = map[string]float64{}
			}
			res.Noise[name] = sd[k]
		}
	}
	return res, nil
}

func canonical(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func describe(names, values []string) string {
	parts := make([]string, len(names))
	for i := range names {
		parts[i] = fmt.Sprintf("%s=%s", names[i], values[i])
	}
	return strings.Join(parts, ", ")
}

func contains(list []string, s string) bool { return index(list, s) >= 0 }

func index(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
