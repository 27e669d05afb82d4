package twin

import (
	"slices"
)

// Model is a simulator with named inputs and several outputs, such as a
// kinetic model of a reaction. A campaign maps parameters to inputs and
// objectives or outcomes to outputs by name.
type Model struct {
	Name    string
	Inputs  []Input
	Outputs []string
	// Directions says, per output, whether it is better large or small,
	// for benchmarks and examples.
	Maximize []bool
	// Eval evaluates the outputs at the inputs, in declaration order.
	Eval func(x []float64) ([]float64, error)
}

var models = map[string]*Model{
	"snar": {
		Name:     "snar",
		Inputs:   SnArInputs,
		Outputs:  []string{"sty", "e_factor"},
		Maximize: []bool{true, false},
		Eval: func(x []float64) ([]float64, error) {
			sty, e, err := SnAr(x[0], x[1], x[2], x[3])
			return []float64{sty, e}, err
		},
	},
}

// LookupModel returns the built-in model called name.
func LookupModel(name string) (*Model, bool) {
	m, ok := models[name]
	return m, ok
}

func modelNames() []string {
	var out []string
	for n := range models {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
