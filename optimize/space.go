package optimize

import (
	"fmt"
	"math"

	"tycho"
)

// Space maps a campaign's parameters to points of the unit cube and back.
//
// The encoded space, which the GP sees, has one coordinate per continuous
// or integer parameter (log-scaled where declared) and a block of
// coordinates per categorical parameter: one per choice (one-hot), or,
// where the choices have descriptors, one per retained principal component
// of the standardized descriptors, scaled to [0, 1]. The sampling space has
// one coordinate per varied parameter; a categorical coordinate u picks
// choice ⌊u·k⌋. Fixed parameters appear in neither and are added back on
// decoding. Linear parameter constraints become half-spaces of the encoded
// space.
type Space struct {
	params  []tycho.Parameter // varied, in declaration order
	fixed   []tycho.Parameter
	offsets []int    // offset of each varied parameter in the encoded space
	tables  []*Block // for a categorical parameter, its block; else nil
	names   []string
	width   int
	// cons are the linear constraints as a·x ≤ b on the encoded point.
	cons []halfSpace
}

// Block is the encoding of one categorical parameter: the encoded
// coordinates it occupies and, per choice, the values they take.
type Block struct {
	Coords []int
	Table  [][]float64
}

type halfSpace struct {
	a []float64
	b float64
}

// NewSpace returns the space of a spec.
func NewSpace(spec *tycho.Spec) *Space {
	s := &Space{}
	for _, p := range spec.Parameters {
		if p.Kind == tycho.Fixed {
			s.fixed = append(s.fixed, p)
			continue
		}
		s.params = append(s.params, p)
		s.offsets = append(s.offsets, s.width)
		if p.Kind != tycho.Categorical {
			s.tables = append(s.tables, nil)
			s.names = append(s.names, p.Name)
			s.width++
			continue
		}
		table, names := encodeChoices(p)
		b := &Block{Table: table}
		for k := range names {
			b.Coords = append(b.Coords, s.width+k)
		}
		s.tables = append(s.tables, b)
		s.names = append(s.names, names...)
		s.width += len(names)
	}
	for _, c := range spec.LinearConstraints() {
		s.cons = append(s.cons, s.halfSpace(c))
	}
	return s
}

// halfSpace turns a constraint on parameter values into a·x ≤ b on the
// encoded point: a value is lo + x·(hi − lo).
func (s *Space) halfSpace(c tycho.Constraint) halfSpace {
	h := halfSpace{a: make([]float64, s.width), b: c.Bound}
	sign := 1.0
	if c.Op == ">=" {
		sign = -1
	}
	h.b *= sign
	for _, t := range c.Terms {
		for i, p := range s.params {
			if p.Name != t.Name {
				continue
			}
			lo, hi := p.Lower(), p.Upper()
			h.a[s.offsets[i]] += sign * t.Coef * (hi - lo)
			h.b -= sign * t.Coef * lo
		}
	}
	return h
}

// Width returns the dimension of the encoded space.
func (s *Space) Width() int { return s.width }

// Dims returns the dimension of the sampling space.
func (s *Space) Dims() int { return len(s.params) }

// Constrained reports whether the space has linear constraints.
func (s *Space) Constrained() bool { return len(s.cons) > 0 }

// Feasible reports whether an encoded point satisfies every linear
// constraint, with a small tolerance for rounding.
func (s *Space) Feasible(x []float64) bool { return s.violation(x) <= 1e-9 }

// FeasibleParams reports whether parameter values satisfy every linear
// constraint.
func (s *Space) FeasibleParams(p tycho.Params) bool {
	if len(s.cons) == 0 {
		return true
	}
	x, err := s.Encode(p)
	return err == nil && s.Feasible(x)
}

// violation returns the largest amount by which x violates a constraint,
// or 0.
func (s *Space) violation(x []float64) float64 {
	var worst float64
	for _, h := range s.cons {
		var ax float64
		for j, a := range h.a {
			ax += a * x[j]
		}
		worst = math.Max(worst, ax-h.b)
	}
	return worst
}

// penalty returns Σ max(0, a·x − b)² and writes its gradient into grad
// (added to what grad holds).
func (s *Space) penalty(x, grad []float64) float64 {
	var p float64
	for _, h := range s.cons {
		var ax float64
		for j, a := range h.a {
			ax += a * x[j]
		}
		if v := ax - h.b; v > 0 {
			p += v * v
			if grad != nil {
				for j, a := range h.a {
					grad[j] += 2 * v * a
				}
			}
		}
	}
	return p
}

// Encode returns the encoded point of params. Returns an error naming the
// parameter whose value is missing or out of its domain.
func (s *Space) Encode(params tycho.Params) ([]float64, error) {
	x := make([]float64, s.width)
	for i, p := range s.params {
		v, ok := params[p.Name]
		if !ok {
			return nil, fmt.Errorf("parameter %q has no value", p.Name)
		}
		o := s.offsets[i]
		if b := s.tables[i]; b != nil {
			c, _ := v.(string)
			k := index(p.Choices, c)
			if k < 0 {
				return nil, fmt.Errorf("parameter %q: %v is not one of its choices", p.Name, v)
			}
			copy(x[o:], b.Table[k])
			continue
		}
		f, ok := toFloat(v)
		if !ok {
			return nil, fmt.Errorf("parameter %q: %v is not a number", p.Name, v)
		}
		lo, hi := p.Lower(), p.Upper()
		if f < lo || f > hi {
			return nil, fmt.Errorf("parameter %q: %g is outside [%g, %g]", p.Name, f, lo, hi)
		}
		if p.Log {
			x[o] = (math.Log(f) - math.Log(lo)) / (math.Log(hi) - math.Log(lo))
		} else {
			x[o] = (f - lo) / (hi - lo)
		}
	}
	return x, nil
}

// Decode returns the parameters of an encoded point: integers are rounded,
// a categorical block picks the choice whose encoding is nearest, and fixed
// parameters get their values.
func (s *Space) Decode(x []float64) tycho.Params {
	out := s.withFixed()
	for i, p := range s.params {
		if b := s.tables[i]; b != nil {
			out[p.Name] = p.Choices[b.nearest(x)]
			continue
		}
		out[p.Name] = s.value(p, clamp(x[s.offsets[i]], 0, 1), false)
	}
	return out
}

// nearest returns the choice whose encoding is nearest to x's block, the
// first on ties.
func (b *Block) nearest(x []float64) int {
	best, bd := 0, math.Inf(1)
	for k, row := range b.Table {
		var d float64
		for j, c := range b.Coords {
			d += (x[c] - row[j]) * (x[c] - row[j])
		}
		if d < bd {
			best, bd = k, d
		}
	}
	return best
}

// set writes choice k's encoding into x.
func (b *Block) set(x []float64, k int) {
	for j, c := range b.Coords {
		x[c] = b.Table[k][j]
	}
}

// FromUnit returns the parameters of a point u of the sampling space, so
// that uniform u gives uniform choices and uniform integers.
func (s *Space) FromUnit(u []float64) tycho.Params {
	out := s.withFixed()
	for i, p := range s.params {
		if p.Kind == tycho.Categorical {
			k := min(int(u[i]*float64(len(p.Choices))), len(p.Choices)-1)
			out[p.Name] = p.Choices[k]
			continue
		}
		out[p.Name] = s.value(p, clamp(u[i], 0, 1), true)
	}
	return out
}

// Project makes an encoded point valid in place: integers snap to their
// grid and each categorical block to its nearest choice.
func (s *Space) Project(x []float64) {
	for i, p := range s.params {
		o := s.offsets[i]
		switch {
		case s.tables[i] != nil:
			b := s.tables[i]
			b.set(x, b.nearest(x))
		case p.Kind == tycho.Integer:
			lo, hi := p.Lower(), p.Upper()
			x[o] = (math.Round(lo+clamp(x[o], 0, 1)*(hi-lo)) - lo) / (hi - lo)
		}
	}
}

// Categorical returns a mask of the encoded coordinates that belong to
// categorical parameters.
func (s *Space) Categorical() []bool {
	m := make([]bool, s.width)
	for _, b := range s.Blocks() {
		for _, c := range b.Coords {
			m[c] = true
		}
	}
	return m
}

// Blocks returns the encoding of each categorical parameter.
func (s *Space) Blocks() []*Block {
	var out []*Block
	for _, b := range s.tables {
		if b != nil {
			out = append(out, b)
		}
	}
	return out
}

// Combinations returns the number of combinations of categorical choices,
// saturating at math.MaxInt.
func (s *Space) Combinations() int {
	n := 1
	for _, b := range s.Blocks() {
		k := len(b.Table)
		if n > math.MaxInt/k {
			return math.MaxInt
		}
		n *= k
	}
	return n
}

// Names returns a name for each encoded coordinate: the parameter's name,
// "name=choice" in a one-hot block, or "name.pc1"… for descriptors.
func (s *Space) Names() []string { return s.names }

// Parameters returns the varied parameters in declaration order, and the
// encoded coordinates of each.
func (s *Space) Parameters() ([]tycho.Parameter, [][]int) {
	coords := make([][]int, len(s.params))
	for i := range s.params {
		if b := s.tables[i]; b != nil {
			coords[i] = b.Coords
		} else {
			coords[i] = []int{s.offsets[i]}
		}
	}
	return s.params, coords
}

// value maps u ∈ [0,1] to a value of a numeric parameter. With uniform set,
// integers are drawn uniformly (each value gets an equal share of [0,1));
// otherwise they are rounded to the nearest.
func (s *Space) value(p tycho.Parameter, u float64, uniform bool) float64 {
	lo, hi := p.Lower(), p.Upper()
	switch {
	case p.Kind == tycho.Integer && uniform:
		return math.Min(lo+math.Floor(u*(hi-lo+1)), hi)
	case p.Kind == tycho.Integer:
		return math.Round(lo + u*(hi-lo))
	case p.Log:
		return clamp(math.Exp(math.Log(lo)+u*(math.Log(hi)-math.Log(lo))), lo, hi)
	default:
		return lo + u*(hi-lo)
	}
}

func (s *Space) withFixed() tycho.Params {
	out := make(tycho.Params, len(s.params)+len(s.fixed))
	for _, p := range s.fixed {
		out[p.Name] = p.Value
	}
	return out
}

func index(list []string, v string) int {
	for i, c := range list {
		if c == v {
			return i
		}
	}
	return -1
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	}
	return 0, false
}
