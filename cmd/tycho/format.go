package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"tycho"
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
	if b := c.Spec.Best(exps); b != nil {
		v, _ := c.Spec.Value(b)
		o := c.Spec.Objectives[0]
		fmt.Fprintf(tw, "best\t#%d: %s = %s (%s)\n", b.Seq, o.Name, formatFloat(v), o.Direction)
		fmt.Fprintf(tw, "at\t%s\n", formatParams(&c.Spec, b.Params))
	} else {
		fmt.Fprintf(tw, "best\tno experiment has a result yet\n")
	}
	return tw.Flush()
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
