package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"tycho"
)

// approveCommand is "tycho approve": it lists the proposals of a campaign
// that await approval, and approves or rejects them.
type approveCommand struct {
	stdout, stderr io.Writer
}

func (c *approveCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("approve", "approve [--all | --reject REASON] CAMPAIGN [SEQ...]", c.stderr)
	where := whereFlags(fs)
	all := fs.Bool("all", false, "approve every proposal awaiting approval")
	reject := fs.String("reject", "", "reject the proposals instead, for this reason")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		fs.Usage()
		return errUsage
	}
	store, camp, exps, err := loadCampaign(ctx, where, fs.Arg(0))
	if err != nil {
		return err
	}
	defer store.Close()
	waiting := map[int]*tycho.Experiment{}
	var order []*tycho.Experiment
	for _, e := range exps {
		if e.State == tycho.ExperimentProposed && camp.Spec.Lab.Approval {
			waiting[e.Seq] = e
			order = append(order, e)
		}
	}
	var chosen []*tycho.Experiment
	switch {
	case *all && fs.NArg() > 1:
		return usageError(fs, "give --all or experiment numbers, not both")
	case *all:
		chosen = order
	case fs.NArg() == 1:
		return listWaiting(c.stdout, camp, order)
	default:
		for _, a := range fs.Args()[1:] {
			seq, err := strconv.Atoi(a)
			if err != nil {
				return tycho.Errorf(tycho.EINVALID, "%q is not an experiment number (the # column of tycho approve %s)", a, camp.ID)
			}
			e, ok := waiting[seq]
			if !ok {
				return tycho.Errorf(tycho.EINVALID, "experiment %d of campaign %s is not awaiting approval", seq, camp.ID)
			}
			chosen = append(chosen, e)
		}
	}
	for _, e := range chosen {
		if *reject != "" {
			if err := store.AbandonExperiment(ctx, e.ID, "rejected: "+*reject); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "rejected experiment %d: %s\n", e.Seq, camp.Spec.Describe(e))
			continue
		}
		if _, err := store.ApproveExperiment(ctx, e.ID); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "approved experiment %d: %s\n", e.Seq, camp.Spec.Describe(e))
	}
	return nil
}

func listWaiting(w io.Writer, camp *tycho.Campaign, waiting []*tycho.Experiment) error {
	if !camp.Spec.Lab.Approval {
		fmt.Fprintf(w, "campaign %s does not require approval\n", camp.ID)
		return nil
	}
	if len(waiting) == 0 {
		fmt.Fprintf(w, "no proposal of campaign %s awaits approval\n", camp.ID)
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tPARAMETERS")
	for _, e := range waiting {
		fmt.Fprintf(tw, "%d\t%s\n", e.Seq, camp.Spec.Describe(e))
	}
	return tw.Flush()
}
