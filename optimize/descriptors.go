package optimize

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"tycho"
)

// explainedVariance is the share of the descriptors' variance that the
// principal components kept by default explain.
const explainedVariance = 0.99

// encodeChoices returns the encoding table of a categorical parameter (one
// row per choice) and a name per encoded coordinate. Without descriptors
// the encoding is one-hot. With them, each descriptor is standardized over
// the choices (constant ones are dropped), the result is reduced to its
// leading principal components as the spec asks, and each component is
// scaled to [0, 1] over the choices.
func encodeChoices(p tycho.Parameter) ([][]float64, []string) {
	k := len(p.Choices)
	d := p.Descriptors
	if d == nil || len(d.Values) != k || k < 2 {
		table := make([][]float64, k)
		names := make([]string, k)
		for i, c := range p.Choices {
			table[i] = make([]float64, k)
			table[i][i] = 1
			names[i] = p.Name + "=" + c
		}
		return table, names
	}
	z, cols := standardize(d.Values)
	if len(cols) == 0 {
		// Every descriptor is constant: the choices are indistinguishable
		// by them, so fall back to telling them apart one-hot.
		cp := p
		cp.Descriptors = nil
		return encodeChoices(cp)
	}
	var names []string
	if d.Reduce == -1 {
		for _, j := range cols {
			names = append(names, p.Name+"."+d.Names[j])
		}
	} else {
		z = principalComponents(z, d.Reduce)
		for i := range z[0] {
			names = append(names, fmt.Sprintf("%s.pc%d", p.Name, i+1))
		}
	}
	scaleColumns(z)
	return z, names
}

// standardize returns the columns of v that vary, each centred and scaled
// to unit standard deviation, and their indices.
func standardize(v [][]float64) ([][]float64, []int) {
	n := len(v)
	var cols []int
	var means, sds []float64
	for j := range v[0] {
		var m float64
		for i := range n {
			m += v[i][j]
		}
		m /= float64(n)
		var ss float64
		for i := range n {
			ss += (v[i][j] - m) * (v[i][j] - m)
		}
		sd := math.Sqrt(ss / float64(n))
		if sd <= 1e-12*math.Max(1, math.Abs(m)) {
			continue
		}
		cols, means, sds = append(cols, j), append(means, m), append(sds, sd)
	}
	out := make([][]float64, n)
	for i := range n {
		out[i] = make([]float64, len(cols))
		for k, j := range cols {
			out[i][k] = (v[i][j] - means[k]) / sds[k]
		}
	}
	return out, cols
}

// principalComponents projects the centred rows of z onto their leading
// principal components: keep of them, or if keep is 0 as many as explain
// explainedVariance of the variance. At most rows−1 components carry
// variance, so no more are kept.
func principalComponents(z [][]float64, keep int) [][]float64 {
	n, m := len(z), len(z[0])
	a := mat.NewDense(n, m, nil)
	for i, row := range z {
		a.SetRow(i, row)
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		return z
	}
	sv := svd.Values(nil)
	var total float64
	for _, s := range sv {
		total += s * s
	}
	r := 0
	for _, s := range sv {
		if s > 1e-9*sv[0] {
			r++
		}
	}
	if keep <= 0 {
		var acc float64
		keep = 0
		for keep < r && acc < explainedVariance*total {
			acc += sv[keep] * sv[keep]
			keep++
		}
	}
	keep = max(1, min(keep, r))
	var u mat.Dense
	svd.UTo(&u)
	out := make([][]float64, n)
	for i := range n {
		out[i] = make([]float64, keep)
		for c := range keep {
			out[i][c] = u.At(i, c) * sv[c]
		}
	}
	return out
}

// scaleColumns maps each column of z linearly onto [0, 1].
func scaleColumns(z [][]float64) {
	for j := range z[0] {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, row := range z {
			lo, hi = math.Min(lo, row[j]), math.Max(hi, row[j])
		}
		for _, row := range z {
			if hi > lo {
				row[j] = (row[j] - lo) / (hi - lo)
			} else {
				row[j] = 0.5
			}
		}
	}
}
