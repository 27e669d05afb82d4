package tycho

import "math"

// Value returns the value of the spec's first objective in e's result, and
// false if e has no finite value for it.
func (s *Spec) Value(e *Experiment) (float64, bool) {
	if e.State != ExperimentCompleted || e.Result == nil || len(s.Objectives) == 0 {
		return 0, false
	}
	v, ok := e.Result.Objectives[s.Objectives[0].Name]
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// Best returns the completed experiment with the best value of the spec's
// first objective, the earliest on ties, or nil if none has a value.
func (s *Spec) Best(exps []*Experiment) *Experiment {
	var best *Experiment
	var bv float64
	for _, e := range exps {
		v, ok := s.Value(e)
		if ok && (best == nil || s.Objectives[0].Better(v, bv)) {
			best, bv = e, v
		}
	}
	return best
}
