package optimize_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"tycho"
	"tycho/optimize"
)

// BenchmarkSuggest times one GP proposal (fit and acquisition) on a
// six-dimensional problem with n observations.
func BenchmarkSuggest(b *testing.B) {
	for _, n := range []int{10, 100, 500, 1000} {
		b.Run(fmt.Sprintf("obs=%d", n), func(b *testing.B) {
			s := &tycho.Spec{Name: "b", Objectives: []tycho.Objective{{Name: "y", Direction: tycho.Minimize}},
				Budget: tycho.Budget{MaxExperiments: n + 1}, InitialDesign: 2, Seed: 1, Lab: tycho.LabSpec{Kind: "twin", Name: "b"}}
			for i := range 6 {
				s.Parameters = append(s.Parameters, tycho.Parameter{Name: fmt.Sprint("x", i), Kind: tycho.Continuous, Bounds: []float64{0, 1}})
			}
			s.SetDefaults()
			rng := rand.New(rand.NewPCG(1, 1))
			var done []*tycho.Experiment
			for i := range n {
				p := tycho.Params{}
				var y float64
				for j := range 6 {
					v := rng.Float64()
					p[fmt.Sprint("x", j)] = v
					y += math.Sin(3*v*float64(j+1)) * v
				}
				done = append(done, &tycho.Experiment{Seq: i + 1, Params: p, State: tycho.ExperimentCompleted,
					Result: &tycho.Result{Objectives: map[string]float64{"y": y}}})
			}
			st := &optimize.Strategy{}
			seed := uint64(0)
			for b.Loop() {
				seed++
				if _, err := st.Suggest(context.Background(), &tycho.SuggestRequest{Spec: s, Completed: done, N: 1, Seed: seed}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
