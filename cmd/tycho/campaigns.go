package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// campaignsCommand is "tycho campaigns": a table of campaigns, newest first.
type campaignsCommand struct {
	stdout, stderr io.Writer
}

func (c *campaignsCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("campaigns", "campaigns [--data DIR]", c.stderr)
	where := whereFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	store, err := where.open(ctx, false)
	if err != nil {
		return err
	}
	defer store.Close()
	all, err := store.ListCampaigns(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tEXPERIMENTS\tBEST\tLAB\tCREATED")
	for _, camp := range all {
		exps, err := store.ListExperiments(ctx, camp.ID)
		if err != nil {
			return err
		}
		done := 0
		for _, e := range exps {
			if e.State.Final() {
				done++
			}
		}
		best := "-"
		if b := camp.Spec.Best(exps); b != nil {
			v, _ := camp.Spec.Value(b)
			best = formatFloat(v)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%s\t%s %s\t%s\n", camp.ID, camp.Spec.Name, camp.Status,
			done, camp.Spec.Budget.MaxExperiments, best, camp.Spec.Lab.Kind, camp.Spec.Lab.Name,
			camp.CreatedAt.Local().Format(time.DateTime))
	}
	return tw.Flush()
}
