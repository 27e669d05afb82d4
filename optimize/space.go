package optimize

import (
	"fmt"
	"math"

	"tycho"
)

// Space maps a campaign's parameters to points of the unit cube and back.
//
// The encoded space, which the GP sees, has one coordinate per continuous
// or integer parameter (log-scaled where declared) and one per choice of a
// categorical parameter (one-hot). The sampling space has one coordinate
// per varied parameter; a categorical coordinate u picks choice ⌊u·k⌋.
// Fixed parameters appear in neither and are added back on decoding.
type Space struct {
	params  []tycho.Parameter // varied, in declaration order
	fixed   []tycho.Parameter
	offsets []int // offset of each varied parameter in the encoded space
	width   int
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
		if p.Kind == tycho.Categorical {
			s.width += len(p.Choices)
		} else {
			s.width++
		}
	}
	return s
}

// Width returns the dimension of the encoded space.
func (s *Space) Width() int { return s.width }

// Dims returns the dimension of the sampling space.
func (s *Space) Dims() int { return len(s.params) }

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
		if p.Kind == tycho.Categorical {
			c, _ := v.(string)
			k := index(p.Choices, c)
			if k < 0 {
				return nil, fmt.Errorf("parameter %q: %v is not one of its choices", p.Name, v)
			}
			x[o+k] = 1
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
// the largest coordinate of a one-hot block picks the choice, and fixed
// parameters get their values.
func (s *Space) Decode(x []float64) tycho.Params {
	out := s.withFixed()
	for i, p := range s.params {
		o := s.offsets[i]
		switch p.Kind {
		case tycho.Categorical:
			out[p.Name] = p.Choices[argmax(x[o:o+len(p.Choices)])]
		default:
			out[p.Name] = s.value(p, clamp(x[o], 0, 1), false)
		}
	}
	return out
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
// grid and each one-hot block to its largest coordinate.
func (s *Space) Project(x []float64) {
	for i, p := range s.params {
		o := s.offsets[i]
		switch p.Kind {
		case tycho.Categorical:
			best := argmax(x[o : o+len(p.Choices)])
			for k := range p.Choices {
				x[o+k] = 0
			}
			x[o+best] = 1
		case tycho.Integer:
			lo, hi := p.Lower(), p.Upper()
			x[o] = (math.Round(lo+clamp(x[o], 0, 1)*(hi-lo)) - lo) / (hi - lo)
		}
	}
}

// Categorical returns a mask of the encoded coordinates that belong to
// categorical parameters.
func (s *Space) Categorical() []bool {
	m := make([]bool, s.width)
	for i, p := range s.params {
		if p.Kind == tycho.Categorical {
			for k := range p.Choices {
				m[s.offsets[i]+k] = true
			}
		}
	}
	return m
}

// Blocks returns the encoded coordinates of each categorical parameter.
func (s *Space) Blocks() [][]int {
	var out [][]int
	for i, p := range s.params {
		if p.Kind != tycho.Categorical {
			continue
		}
		b := make([]int, len(p.Choices))
		for k := range b {
			b[k] = s.offsets[i] + k
		}
		out = append(out, b)
	}
	return out
}

// Names returns a name for each encoded coordinate: the parameter's name,
// or "name=choice" in a one-hot block.
func (s *Space) Names() []string {
	var out []string
	for _, p := range s.params {
		if p.Kind == tycho.Categorical {
			for _, c := range p.Choices {
				out = append(out, p.Name+"="+c)
			}
			continue
		}
		out = append(out, p.Name)
	}
	return out
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

// argmax returns the index of the largest value, the first on ties.
func argmax(v []float64) int {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
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
