package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"tycho"
	"tycho/optimize"
)

// formatFloat prints a value compactly with enough digits to compare.
func formatFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// formatValue prints a parameter value.
func formatValue(v any) string {
	switch v := v.(type) {
	case float64:
		return formatFloat(v)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// formatParams prints parameters as name=value in spec order.
func formatParams(s *tycho.Spec, p tycho.Params) string {
	var parts []string
	for _, prm := range s.Parameters {
		parts = append(parts, prm.Name+"="+formatValue(p[prm.Name]))
	}
	// Parameters not in the spec (from an older spec version) come last.
	var extra []string
	for k := range p {
		if !hasParam(s, k) {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		parts = append(parts, k+"="+formatValue(p[k]))
	}
	return strings.Join(parts, " ")
}

func hasParam(s *tycho.Spec, name string) bool {
	for _, p := range s.Parameters {
		if p.Name == name {
			return true
		}
	}
	return false
}

// printSummary prints how a finished campaign ended and its best point.
func printSummary(w io.Writer, c *tycho.Campaign, exps []*tycho.Experiment) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "campaign\t%s (%s)\n", c.ID, c.Spec.Name)
	fmt.Fprintf(tw, "status\t%s: %s\n", c.Status, c.StopReason)
	fmt.Fprintf(tw, "experiments\t%s\n", countStates(exps))
	a, err := optimize.Analyze(context.Background(), &c.Spec, exps)
	if err != nil {
		return err
	}
	s := &c.Spec
	switch {
	case len(s.Objectives) > 1:
		if len(a.Pareto) == 0 {
			fmt.Fprintf(tw, "pareto front\tno experiment has every objective yet\n")
			break
		}
		fmt.Fprintf(tw, "pareto front\t%d experiments: %s\n", len(a.Pareto), seqs(a.Pareto))
		fmt.Fprintf(tw, "hypervolume\t%s (reference %s)\n", formatFloat(a.Hypervolume), formatPoint(s, a.Reference))
	default:
		b := s.Best(exps)
		if b == nil {
			fmt.Fprintf(tw, "best\tno experiment has a result yet\n")
			break
		}
		o := s.Objectives[0]
		if a.Recommended != nil {
			// Under noise the best measurement flatters; the model's
			// judgement comes first.
			fmt.Fprintf(tw, "best (model)\t#%d: %s ≈ %s by the model, measured %s (%s)\n", a.Recommended.Seq, o.Name,
				formatFloat(a.Mean), formatFloat(a.Recommended.Result.Objectives[o.Name]), o.Direction)
			fmt.Fprintf(tw, "at\t%s\n", formatParams(s, a.Recommended.Params))
		}
		v, _ := s.Value(b)
		label := "best"
		if a.Recommended != nil {
			label = "best measured"
		}
		fmt.Fprintf(tw, "%s\t#%d: %s = %s (%s)\n", label, b.Seq, o.Name, formatFloat(v), o.Direction)
		fmt.Fprintf(tw, "at\t%s\n", formatParams(s, b.Params))
	}
	return tw.Flush()
}

// seqs lists experiments as "#3, #7, #12".
func seqs(exps []*tycho.Experiment) string {
	parts := make([]string, len(exps))
	for i, e := range exps {
		parts[i] = fmt.Sprintf("#%d", e.Seq)
	}
	return strings.Join(parts, ", ")
}

// formatPoint writes one value per objective as "name = value" pairs.
func formatPoint(s *tycho.Spec, v []float64) string {
	parts := make([]string, len(v))
	for j, o := range s.Objectives {
		parts[j] = fmt.Sprintf("%s = %s", o.Name, formatFloat(v[j]))
	}
	return strings.Join(parts, ", ")
}

// countStates summarizes experiments by state, e.g. "38 completed, 2 failed".
func countStates(exps []*tycho.Experiment) string {
	order := []tycho.ExperimentState{
		tycho.ExperimentCompleted, tycho.ExperimentFailed, tycho.ExperimentAbandoned,
		tycho.ExperimentRunning, tycho.ExperimentDispatched, tycho.ExperimentApproved, tycho.ExperimentProposed,
	}
	n := map[tycho.ExperimentState]int{}
	for _, e := range exps {
		n[e.State]++
	}
	var parts []string
	for _, s := range order {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
