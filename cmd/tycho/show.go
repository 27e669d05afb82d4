package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"tycho"
)

// showCommand is "tycho show": a campaign's settings, history and best point.
type showCommand struct {
	stdout, stderr io.Writer
}

func (c *showCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("show", "show [--data DIR] CAMPAIGN", c.stderr)
	where := whereFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	store, camp, exps, err := loadCampaign(ctx, where, fs.Arg(0))
	if err != nil {
		return err
	}
	defer store.Close()
	s := &camp.Spec
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "name\t%s\n", s.Name)
	if s.Description != "" {
		fmt.Fprintf(tw, "description\t%s\n", s.Description)
	}
	fmt.Fprintf(tw, "file\t%s\n", camp.SourceName)
	fmt.Fprintf(tw, "lab\t%s %s\n", s.Lab.Kind, s.Lab.Name)
	fmt.Fprintf(tw, "strategy\t%s, batch %d, initial design %d, seed %d\n", s.Strategy, s.BatchSize, s.InitialDesign, s.Seed)
	fmt.Fprintf(tw, "created\t%s\n", camp.CreatedAt.Local().Format(time.DateTime))
	fmt.Fprintf(tw, "running time\t%s\n", camp.Elapsed.Round(time.Millisecond))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout)

	// History: one row per experiment, a column per parameter and objective.
	fmt.Fprint(tw, "SEQ\tGEN\tSTATE")
	for _, p := range s.Parameters {
		fmt.Fprintf(tw, "\t%s", p.Name)
	}
	for _, o := range s.Objectives {
		fmt.Fprintf(tw, "\t%s", o.Name)
	}
	fmt.Fprint(tw, "\tBEST SO FAR\n")
	var seen []*tycho.Experiment
	for _, e := range exps {
		seen = append(seen, e)
		fmt.Fprintf(tw, "%d\t%d\t%s", e.Seq, e.Generation, e.State)
		for _, p := range s.Parameters {
			fmt.Fprintf(tw, "\t%s", formatValue(e.Params[p.Name]))
		}
		for _, o := range s.Objectives {
			v := "-"
			if e.Result != nil {
				if x, ok := e.Result.Objectives[o.Name]; ok {
					v = formatFloat(x)
				}
			}
			fmt.Fprintf(tw, "\t%s", v)
		}
		best := "-"
		if b := s.Best(seen); b != nil {
			v, _ := s.Value(b)
			best = formatFloat(v)
		}
		fmt.Fprintf(tw, "\t%s\n", best)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout)
	return printSummary(c.stdout, camp, exps)
}
