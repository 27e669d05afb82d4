package tycho

import (
	"fmt"
	"math"
	"strings"
)

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

// Best returns the completed experiment that meets the outcome
// constraints with the best value of the spec's first objective, the
// earliest on ties, or nil if none has a value.
func (s *Spec) Best(exps []*Experiment) *Experiment {
	var best *Experiment
	var bv float64
	for _, e := range exps {
		v, ok := s.Value(e)
		if ok && s.Feasible(e) && (best == nil || s.Objectives[0].Better(v, bv)) {
			best, bv = e, v
		}
	}
	return best
}

// StrategyPriorData is the strategy recorded for the generation that
// holds a campaign's imported prior data.
const StrategyPriorData = "prior_data"

// IsPrior reports whether e was imported from the spec's prior data rather
// than proposed: prior data is always generation 1.
func (s *Spec) IsPrior(e *Experiment) bool { return s.HasPrior() && e.Generation == 1 }

// GoalReachedBy returns the first completed experiment that meets the goal
// of every objective that has one, or nil.
func (s *Spec) GoalReachedBy(exps []*Experiment) *Experiment {
	goals := 0
	for _, o := range s.Objectives {
		if o.Goal != nil {
			goals++
		}
	}
	if goals == 0 {
		return nil
	}
	for _, e := range exps {
		if e.State != ExperimentCompleted || e.Result == nil {
			continue
		}
		met := 0
		for _, o := range s.Objectives {
			if v, ok := e.Result.Objectives[o.Name]; ok && o.Reached(v) {
				met++
			}
		}
		if met == goals {
			return e
		}
	}
	return nil
}

// Describe returns an experiment's objective values as "name = value"
// pairs in the spec's order.
func (s *Spec) Describe(e *Experiment) string {
	var parts []string
	for _, o := range s.Objectives {
		if e.Result == nil {
			break
		}
		if v, ok := e.Result.Objectives[o.Name]; ok {
			parts = append(parts, fmt.Sprintf("%s = %.6g", o.Name, v))
		}
	}
	return strings.Join(parts, ", ")
}

// Feasible reports whether a completed experiment's results meet every
// outcome constraint; a constrained outcome that was not measured does
// not.
func (s *Spec) Feasible(e *Experiment) bool {
	for _, c := range s.OutcomeConstraints() {
		ok := c.Holds(func(name string) (float64, bool) {
			if e.Result == nil {
				return 0, false
			}
			v, ok := e.Result.Objectives[name]
			return v, ok && !math.IsNaN(v)
		})
		if !ok {
			return false
		}
	}
	return true
}
