package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"tycho"
	"tycho/optimize"
	"tycho/spec"
	"tycho/table"
	"tycho/twin"
)

// regretProblem is a benchmark on a test function: a twin, its dimension,
// a budget and the noise of its measurements.
type regretProblem struct {
	name   string
	twin   string
	dims   int
	budget int
	noise  float64
}

var regretProblems = []regretProblem{
	{name: "Branin", twin: "branin", dims: 2, budget: 60},
	{name: "Hartmann6", twin: "hartmann6", dims: 6, budget: 100},
	{name: "Ackley-6", twin: "ackley", dims: 6, budget: 100},
	{name: "Hartmann6, noise sd 0.1", twin: "hartmann6", dims: 6, budget: 100, noise: 0.1},
}

// functionSpec returns the spec of a campaign minimizing a test function.
func functionSpec(p regretProblem, strategy string, batch int, seed uint64) (*tycho.Spec, *twin.Function) {
	f, _ := twin.Lookup(p.twin)
	s := &tycho.Spec{
		Name:       p.twin,
		Objectives: []tycho.Objective{{Name: "y", Direction: tycho.Minimize, Noisy: p.noise > 0}},
		Budget:     tycho.Budget{MaxExperiments: p.budget},
		BatchSize:  batch,
		Strategy:   strategy,
		Seed:       seed,
		Lab:        tycho.LabSpec{Kind: "twin", Name: p.twin, Noise: p.noise},
	}
	for i, b := range f.Domain(p.dims) {
		s.Parameters = append(s.Parameters, tycho.Parameter{Name: fmt.Sprintf("x%d", i+1), Kind: tycho.Continuous, Bounds: []float64{b[0], b[1]}})
	}
	s.SetDefaults()
	return s, f
}

// regret writes the simple-regret table.
func (b *bench) regret(w io.Writer) error {
	fmt.Fprintf(w, "## Simple regret on test functions\n\n")
	fmt.Fprintf(w, "log10 of simple regret after the budget: the noiseless value of the best point evaluated, less the global "+
		"minimum. Under noise the best point evaluated is judged by its noiseless value, as BoTorch's run was; the "+
		"\"recommended\" column is the regret of the point the model rates best, which is what `tycho show` reports. "+
		"GP: Matérn-5/2 ARD, LogEI (noisy EI under noise), 2d+2 scrambled Sobol points; batches by Kriging believer.\n\n")
	fmt.Fprintf(w, "| problem | evaluations | batch | GP median | GP quartiles | recommended median | random median | mean proposal |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|\n")
	for _, p := range regretProblems {
		random, _, _, err := b.regrets(p, "random", 1)
		if err != nil {
			return err
		}
		_, rmed, _ := quartiles(random)
		for _, batch := range []int{1, 4} {
			gp, rec, spent, err := b.regrets(p, "gp", batch)
			if err != nil {
				return err
			}
			q1, med, q3 := quartiles(gp)
			recommended := "–"
			if rec != nil {
				_, m, _ := quartiles(rec)
				recommended = fmt.Sprintf("%.2f", m)
			}
			fmt.Fprintf(w, "| %s | %d | %d | **%.2f** | %.2f / %.2f | %s | %.2f | %s |\n", p.name, p.budget, batch, med, q1, q3,
				recommended, rmed, spent.Round(time.Millisecond))
		}
	}
	fmt.Fprintln(w)
	return nil
}

// regrets runs a regret problem over the seeds and returns the log10
// regret of the best point evaluated and, under noise, of the recommended
// point.
func (b *bench) regrets(p regretProblem, strategy string, batch int) (best, recommended []float64, spent time.Duration, err error) {
	for seed := 1; seed <= b.seeds; seed++ {
		s, f := functionSpec(p, strategy, batch, uint64(seed))
		lab, err := twin.New(s)
		if err != nil {
			return nil, nil, 0, err
		}
		done, d, err := b.run(s, lab, p.budget, batch)
		if err != nil {
			return nil, nil, 0, err
		}
		spent += d / time.Duration(b.seeds)
		truth := func(e *tycho.Experiment) float64 {
			x := make([]float64, len(s.Parameters))
			for i, par := range s.Parameters {
				x[i] = e.Params[par.Name].(float64)
			}
			return f.Eval(x)
		}
		lowest := math.Inf(1)
		for _, e := range done {
			lowest = math.Min(lowest, truth(e))
		}
		best = append(best, log10Regret(f.Regret(lowest)))
		if p.noise > 0 && strategy == "gp" {
			a, err := optimize.Analyze(b.ctx, s, done)
			if err != nil {
				return nil, nil, 0, err
			}
			recommended = append(recommended, log10Regret(f.Regret(truth(a.Recommended))))
		}
		fmt.Fprintf(b.log, "%s %s batch %d seed %d: log10 regret %.3f\n", p.name, strategy, batch, seed, best[len(best)-1])
	}
	return best, recommended, spent, nil
}

func log10Regret(r float64) float64 { return math.Log10(math.Max(r, 1e-12)) }

// suzukiDir is where the Suzuki–Miyaura data set lives, beside the
// repository.
const suzukiDir = "../shared/data/suzuki"

// suzukiSpec reads examples/suzuki.yaml with the given strategy and seed.
func suzukiSpec(strategy string, seed uint64) (*tycho.Spec, tycho.Lab, error) {
	const file = "examples/suzuki.yaml"
	s, err := spec.ReadFile(file, nil)
	if err != nil {
		return nil, nil, err
	}
	s.Strategy, s.Seed = strategy, seed
	lab, err := table.New(spec.Resolve(file, s.Lab.File), s)
	return s, lab, err
}

// suzuki writes the Suzuki–Miyaura table benchmark.
func (b *bench) suzuki(w io.Writer) error {
	fmt.Fprintf(w, "## Suzuki–Miyaura: a real high-throughput screen\n\n")
	if _, err := os.Stat(suzukiDir); err != nil {
		fmt.Fprintf(w, "Skipped: the data set is not at %s.\n\n", suzukiDir)
		return nil
	}
	const budget, batch = 100, 5
	fmt.Fprintf(w, "examples/suzuki.yaml: 3696 measured reactions (4 electrophiles × 3 nucleophiles × 11 ligands × 7 bases × "+
		"4 solvents), each component encoded by its DFT descriptors reduced by PCA; batches of %d, %d experiments, "+
		"5 initial Sobol points; the table lab answers with the measured yield. The table holds 71, 10 and 5 reactions "+
		"at or above 95 %%, 98 %% and 99 %%. Experiments to reach a yield: median over seeds (\">%d\" if not reached).\n\n", batch, budget, budget)
	fmt.Fprintf(w, "| strategy | to ≥ 95 %% | to ≥ 98 %% | to ≥ 99 %% | reached 99 %% | best after 10 | 20 | 30 | 50 | 100 | mean proposal (batch of 5) |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, strategy := range []string{"gp", "random"} {
		thresholds := []float64{95, 98, 99}
		reach := make([][]float64, len(thresholds))
		checkpoints := []int{10, 20, 30, 50, 100}
		sums := make([]float64, len(checkpoints))
		var spent time.Duration
		hit := 0
		for seed := 1; seed <= b.seeds; seed++ {
			s, lab, err := suzukiSpec(strategy, uint64(seed))
			if err != nil {
				return err
			}
			done, d, err := b.run(s, lab, budget, batch)
			if err != nil {
				return err
			}
			spent += d / time.Duration(b.seeds)
			ys := make([]float64, len(done))
			for i, e := range done {
				ys[i] = e.Result.Objectives["yield"]
			}
			for k, t := range thresholds {
				n := math.Inf(1)
				for i, y := range ys {
					if y >= t {
						n = float64(i + 1)
						break
					}
				}
				reach[k] = append(reach[k], n)
				if k == 2 && !math.IsInf(n, 1) {
					hit++
				}
			}
			for k, c := range checkpoints {
				sums[k] += slices.Max(ys[:c])
			}
			fmt.Fprintf(b.log, "suzuki %s seed %d: 99%% after %v, best %.2f\n", strategy, seed, reach[2][len(reach[2])-1], slices.Max(ys))
		}
		fmt.Fprintf(w, "| %s ", strategy)
		for k := range thresholds {
			_, med, _ := quartiles(reach[k])
			if math.IsInf(med, 1) {
				fmt.Fprintf(w, "| >%d ", budget)
			} else {
				fmt.Fprintf(w, "| **%.0f** ", med)
			}
		}
		fmt.Fprintf(w, "| %d of %d ", hit, b.seeds)
		for k := range checkpoints {
			fmt.Fprintf(w, "| %.1f ", sums[k]/float64(b.seeds))
		}
		timing := "–"
		if strategy == "gp" {
			timing = spent.Round(time.Millisecond).String()
		}
		fmt.Fprintf(w, "| %s |\n", timing)
	}
	fmt.Fprintln(w)
	return nil
}

// snar writes the two-objective SnAr benchmark.
func (b *bench) snar(w io.Writer) error {
	const budget = 50
	fmt.Fprintf(w, "## SnAr: two objectives\n\n")
	fmt.Fprintf(w, "examples/snar.yaml: maximize space-time yield and minimize E-factor of the SnAr kinetic model (Hone et al. 2017, "+
		"as in Summit), %d experiments, 2d+2 = 10 Sobol points, then LogEHVI. Hypervolume of the Pareto front of the "+
		"experiments run, from the reference point sty = 0, E-factor = 50 (higher is better).\n\n", budget)
	fmt.Fprintf(w, "| strategy | batch | hypervolume median | quartiles | Pareto points (median) | mean proposal |\n|---|---|---|---|---|---|\n")
	for _, c := range []struct {
		strategy string
		batch    int
	}{{"gp", 1}, {"gp", 4}, {"random", 1}} {
		var hvs, fronts []float64
		var spent time.Duration
		for seed := 1; seed <= b.seeds; seed++ {
			s, err := spec.ReadFile("examples/snar.yaml", nil)
			if err != nil {
				return err
			}
			s.Strategy, s.Seed, s.BatchSize = c.strategy, uint64(seed), c.batch
			lab, err := twin.New(s)
			if err != nil {
				return err
			}
			done, d, err := b.run(s, lab, budget, c.batch)
			if err != nil {
				return err
			}
			spent += d / time.Duration(b.seeds)
			a, err := optimize.Analyze(b.ctx, s, done)
			if err != nil {
				return err
			}
			hvs, fronts = append(hvs, a.Hypervolume), append(fronts, float64(len(a.Pareto)))
			fmt.Fprintf(b.log, "snar %s batch %d seed %d: hypervolume %.0f\n", c.strategy, c.batch, seed, a.Hypervolume)
		}
		q1, med, q3 := quartiles(hvs)
		_, fm, _ := quartiles(fronts)
		timing := "–"
		if c.strategy == "gp" {
			timing = spent.Round(time.Millisecond).String()
		}
		fmt.Fprintf(w, "| %s | %d | **%.0f** | %.0f / %.0f | %.0f | %s |\n", c.strategy, c.batch, med, q1, q3, fm, timing)
	}
	fmt.Fprintln(w)
	return nil
}

// proposalTime writes the proposal wall-time table.
func (b *bench) proposalTime(w io.Writer) error {
	fmt.Fprintf(w, "## Proposal wall time\n\n")
	fmt.Fprintf(w, "One GP proposal (hyperparameter fit plus acquisition optimization) on Hartmann6 (d = 6) with n random "+
		"observations, median of 3. Above %d observations the hyperparameters are fitted on a subset of %d (the best third "+
		"and a random draw) and the GP is then conditioned on all n.\n\n", 300, 300)
	fmt.Fprintf(w, "| observations | fit | acquisition | total |\n|---|---|---|---|\n")
	p := regretProblem{twin: "hartmann6", dims: 6}
	for _, n := range []int{10, 100, 500, 1000} {
		s, _ := functionSpec(p, "gp", 1, 1)
		s.InitialDesign = 2
		lab, err := twin.New(s)
		if err != nil {
			return err
		}
		done, err := randomHistory(b, s, lab, n)
		if err != nil {
			return err
		}
		fit, acq, err := b.timeProposal(s, done, 1)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "| %d | %s | %s | **%s** |\n", n, fit.Round(time.Millisecond), acq.Round(time.Millisecond), (fit + acq).Round(time.Millisecond))
		fmt.Fprintf(b.log, "proposal at %d observations: %s\n", n, fit+acq)
	}
	if _, err := os.Stat(suzukiDir); err == nil {
		s, lab, err := suzukiSpec("gp", 1)
		if err != nil {
			return err
		}
		done, err := randomHistory(b, s, lab, 50)
		if err != nil {
			return err
		}
		fit, acq, err := b.timeProposal(s, done, 5)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "| Suzuki, 50 observations, batch of 5 (3696 combinations enumerated per pick) | %s | %s | **%s** |\n",
			fit.Round(time.Millisecond), acq.Round(time.Millisecond), (fit + acq).Round(time.Millisecond))
	}
	fmt.Fprintln(w)
	return nil
}

// randomHistory measures n uniformly random points.
func randomHistory(b *bench, s *tycho.Spec, lab tycho.Lab, n int) ([]*tycho.Experiment, error) {
	space := optimize.NewSpace(s)
	rng := rand.New(rand.NewPCG(1, 2))
	var done []*tycho.Experiment
	u := make([]float64, space.Dims())
	for i := range n {
		for j := range u {
			u[j] = rng.Float64()
		}
		e := &tycho.Experiment{Seq: i + 1, Params: space.FromUnit(u), Attempt: 1, State: tycho.ExperimentRunning}
		res, err := lab.Run(b.ctx, e)
		if err != nil {
			return nil, err
		}
		e.Result, e.State = res, tycho.ExperimentCompleted
		done = append(done, e)
	}
	return done, nil
}

// timeProposal returns the median fit and acquisition time of three
// proposals of a batch.
func (b *bench) timeProposal(s *tycho.Spec, done []*tycho.Experiment, batch int) (fit, acq time.Duration, err error) {
	var fits, acqs []time.Duration
	st := &optimize.Strategy{}
	for rep := range 3 {
		sug, err := st.Suggest(b.ctx, &tycho.SuggestRequest{Spec: s, Completed: done, N: batch, Seed: uint64(rep + 1)})
		if err != nil {
			return 0, 0, err
		}
		fits = append(fits, sug.Generation.FitTime)
		acqs = append(acqs, sug.Generation.ProposeTime)
	}
	slices.Sort(fits)
	slices.Sort(acqs)
	return fits[1], acqs[1], nil
}
