package spec

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"tycho"
	"tycho/internal/csvfile"
)

// Resolve returns the path of a file a campaign file refers to: relative
// paths are taken from the campaign file's directory.
func Resolve(campaignFile, path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(filepath.Dir(campaignFile), path)
}

// loadDescriptors reads the descriptor file of every categorical parameter
// that names one, filling in Descriptors.Names and Values and, where the
// parameter lists no choices, the choices from the file.
func (p *parser) loadDescriptors(d *decoder, s *tycho.Spec) {
	for i := range s.Parameters {
		par := &s.Parameters[i]
		desc := par.Descriptors
		if desc == nil || desc.File == "" || par.Kind != tycho.Categorical {
			continue
		}
		field := fmt.Sprintf("parameters[%d].descriptors", i)
		if err := readDescriptors(Resolve(p.file, desc.File), par); err != nil {
			p.add(d.lineOf(field+".file"), field, "%s", message(err))
			d.failed[field] = true
			d.failed[fmt.Sprintf("parameters[%d].choices", i)] = true
		}
	}
}

// readDescriptors reads the descriptors of par's choices from path.
func readDescriptors(path string, par *tycho.Parameter) error {
	f, err := csvfile.Read(path)
	if err != nil {
		return err
	}
	return descriptors(f, par)
}

// ParseDescriptors reads the descriptors of par's choices from CSV data;
// name is the file's path as messages show it. It fills in
// par.Descriptors.Names and Values and, if par lists no choices, the
// choices. Returns EINVALID naming file, line and column.
func ParseDescriptors(name string, data []byte, par *tycho.Parameter) error {
	f, err := csvfile.Parse(name, data)
	if err != nil {
		return err
	}
	return descriptors(f, par)
}

func descriptors(f *csvfile.File, par *tycho.Parameter) error {
	path := f.Name
	desc := par.Descriptors
	key := 0
	if desc.Key != "" {
		if key = f.Column(desc.Key); key < 0 {
			return tycho.Errorf(tycho.EINVALID, "%s: no key column %q (columns: %s)", path, desc.Key, strings.Join(f.Header, ", "))
		}
	}
	var cols []int
	if len(desc.Columns) > 0 {
		for _, c := range desc.Columns {
			j := f.Column(c)
			if j < 0 {
				return tycho.Errorf(tycho.EINVALID, "%s: no column %q", path, c)
			}
			cols = append(cols, j)
		}
	} else {
		for j := range f.Header {
			if j != key && f.Numeric(j) {
				cols = append(cols, j)
			}
		}
	}
	if len(cols) == 0 {
		return tycho.Errorf(tycho.EINVALID, "%s: no numeric descriptor columns", path)
	}
	rows := map[string]int{}
	var keys []string
	for i, r := range f.Rows {
		k := r[key]
		if k == "" {
			return f.Errorf(i, key, "no value")
		}
		if _, dup := rows[k]; dup {
			return f.Errorf(i, key, "%q appears twice", k)
		}
		rows[k] = i
		keys = append(keys, k)
	}
	if len(par.Choices) == 0 {
		par.Choices = keys
	}
	desc.Names = desc.Names[:0]
	for _, j := range cols {
		desc.Names = append(desc.Names, f.Header[j])
	}
	desc.Values = make([][]float64, len(par.Choices))
	for c, choice := range par.Choices {
		i, ok := rows[choice]
		if !ok {
			return tycho.Errorf(tycho.EINVALID, "%s: no row for choice %q in column %s", path, choice, f.Header[key])
		}
		row := make([]float64, len(cols))
		for k, j := range cols {
			v, err := f.Float(i, j)
			if err != nil {
				return err
			}
			row[k] = v
		}
		desc.Values[c] = row
	}
	return nil
}

// ReadPriorData reads the earlier results a spec's prior_data names;
// campaignFile is the path of the campaign file it is relative to. The CSV
// has a column per varied parameter and per objective, and optionally per
// outcome; other columns are ignored. A row whose objectives are all empty
// is an experiment that failed. The experiments returned are completed or
// failed, in file order, with Seq from 1 and Generation 0.
func ReadPriorData(campaignFile string, s *tycho.Spec) ([]*tycho.Experiment, error) {
	if s.PriorData == "" {
		return nil, nil
	}
	f, err := csvfile.Read(Resolve(campaignFile, s.PriorData))
	if err != nil {
		return nil, err
	}
	return PriorData(f, s)
}

// ParsePriorData parses prior data from CSV bytes; name is the file's path
// as messages show it.
func ParsePriorData(name string, data []byte, s *tycho.Spec) ([]*tycho.Experiment, error) {
	f, err := csvfile.Parse(name, data)
	if err != nil {
		return nil, err
	}
	return PriorData(f, s)
}

// PriorData turns a parsed CSV file into experiments of spec s.
func PriorData(f *csvfile.File, s *tycho.Spec) ([]*tycho.Experiment, error) {
	col := func(name string) (int, error) {
		j := f.Column(name)
		if j < 0 {
			return 0, tycho.Errorf(tycho.EINVALID, "%s: no column %q (columns: %s)", f.Name, name, strings.Join(f.Header, ", "))
		}
		return j, nil
	}
	type binding struct {
		p   *tycho.Parameter
		col int
	}
	var params []binding
	for i := range s.Parameters {
		p := &s.Parameters[i]
		if p.Kind == tycho.Fixed {
			continue
		}
		j, err := col(p.Name)
		if err != nil {
			return nil, err
		}
		params = append(params, binding{p, j})
	}
	var objs, outs []int
	var objNames, outNames []string
	for _, o := range s.Objectives {
		j, err := col(o.Name)
		if err != nil {
			return nil, err
		}
		objs, objNames = append(objs, j), append(objNames, o.Name)
	}
	for _, o := range s.Outcomes {
		if j := f.Column(o.Name); j >= 0 {
			outs, outNames = append(outs, j), append(outNames, o.Name)
		}
	}
	var out []*tycho.Experiment
	for i, row := range f.Rows {
		e := &tycho.Experiment{Seq: i + 1, Params: tycho.Params{}}
		for _, p := range s.Parameters {
			if p.Kind == tycho.Fixed {
				e.Params[p.Name] = p.Value
			}
		}
		for _, b := range params {
			v, err := paramValue(f, i, b.col, b.p)
			if err != nil {
				return nil, err
			}
			e.Params[b.p.Name] = v
		}
		res := &tycho.Result{Objectives: map[string]float64{}}
		empty := 0
		for k, j := range objs {
			if row[j] == "" {
				empty++
				continue
			}
			v, err := f.Float(i, j)
			if err != nil {
				return nil, err
			}
			res.Objectives[objNames[k]] = v
		}
		switch empty {
		case 0:
			for k, j := range outs {
				if row[j] == "" {
					continue
				}
				v, err := f.Float(i, j)
				if err != nil {
					return nil, err
				}
				res.Objectives[outNames[k]] = v
			}
			e.State, e.Result = tycho.ExperimentCompleted, res
		case len(objs):
			e.State, e.Error = tycho.ExperimentFailed, "no result in the prior data"
		default:
			return nil, tycho.Errorf(tycho.EINVALID, "%s:%d: some objectives have values and some do not; leave them all empty for an experiment that failed", f.Name, f.Lines[i])
		}
		out = append(out, e)
	}
	return out, nil
}

// paramValue reads parameter p from row i, column j, checking its domain.
func paramValue(f *csvfile.File, i, j int, p *tycho.Parameter) (any, error) {
	if p.Kind == tycho.Categorical {
		v := f.Rows[i][j]
		for _, c := range p.Choices {
			if c == v {
				return v, nil
			}
		}
		return nil, f.Errorf(i, j, "%q is not one of the choices of %s", v, p.Name)
	}
	v, err := f.Float(i, j)
	if err != nil {
		return nil, err
	}
	lo, hi := p.Lower(), p.Upper()
	switch {
	case v < lo || v > hi:
		return nil, f.Errorf(i, j, "%g is outside the bounds [%g, %g]", v, lo, hi)
	case p.Kind == tycho.Integer && v != math.Trunc(v):
		return nil, f.Errorf(i, j, "%g is not a whole number", v)
	}
	return v, nil
}

// message returns an error's message without its code.
func message(err error) string {
	var e *tycho.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}
