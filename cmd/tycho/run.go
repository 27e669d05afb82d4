package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"tycho"
	"tycho/campaign"
	"tycho/optimize"
	"tycho/spec"
	"tycho/table"
	"tycho/twin"
)

// runCommand is "tycho run": it runs a campaign file through the loop.
type runCommand struct {
	stdout, stderr io.Writer
}

func (c *runCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("run", "run [--resume] [--data DIR] FILE", c.stderr)
	resume := fs.Bool("resume", false, "continue the unfinished campaign started from FILE (or FILE may be a campaign ID)")
	where := whereFlags(fs)
	quiet := fs.Bool("quiet", false, "print only the summary")
	verbose := fs.Bool("v", false, "log every proposal")
	detach := fs.Bool("detach", false, "with --server and an agent lab, create the campaign and return without following it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	arg := fs.Arg(0)

	// Read and check the file before anything is created.
	var s *tycho.Spec
	var source []byte
	if !*resume || fileExists(arg) {
		var err error
		if source, err = os.ReadFile(arg); err != nil {
			return tycho.Errorf(tycho.EINVALID, "read campaign file: %v", err)
		}
		if s, err = spec.Parse(arg, source, labChecker(arg)); err != nil {
			return err
		}
		if _, err := spec.ReadPriorData(arg, s); err != nil {
			return err
		}
	}

	if s != nil && s.Lab.Asynchronous() && !where.remote() {
		return tycho.Errorf(tycho.EINVALID, "%s: a lab of kind %s is served by a Tycho server: start one with tycho serve and run with --server URL (or $TYCHO_SERVER)", arg, s.Lab.Kind)
	}
	store, err := where.open(ctx, true)
	if err != nil {
		return err
	}
	defer store.Close()

	var camp *tycho.Campaign
	if *resume {
		camp, err = findResumable(ctx, store, arg, s, source)
	} else {
		if s.PriorDataset != "" {
			// Pin the version and check it before anything is created.
			chunks, err := where.chunkStore(store)
			if err != nil {
				return err
			}
			if s.PriorDataset, _, err = priorDataset(ctx, store, chunks, s); err != nil {
				return err
			}
		}
		camp, err = createCampaign(ctx, store, arg, s, source)
	}
	if err != nil {
		return err
	}
	if camp.Status != tycho.CampaignRunning {
		// Resuming a campaign that has finished (perhaps just before the
		// process died) has nothing left to do: show how it ended.
		fmt.Fprintf(c.stderr, "campaign %s has already finished\n", camp.ID)
		exps, err := store.ListExperiments(ctx, camp.ID)
		if err != nil {
			return err
		}
		return printSummary(c.stdout, camp, exps)
	}
	switch camp.Spec.Lab.Kind {
	case tycho.LabExternal:
		fmt.Fprintf(c.stderr, "campaign %s (%s) created on %s; it is driven by ask/tell: POST %s/v1/campaigns/%s/suggest\n",
			camp.ID, camp.Spec.Name, *where.server, *where.server, camp.ID)
		fmt.Fprintln(c.stdout, camp.ID)
		return nil
	case tycho.LabAgent:
		if *detach {
			fmt.Fprintf(c.stderr, "campaign %s (%s) created on %s for lab %s\n", camp.ID, camp.Spec.Name, *where.server, camp.Spec.Lab.Name)
			fmt.Fprintln(c.stdout, camp.ID)
			return nil
		}
		fmt.Fprintf(c.stderr, "campaign %s (%s): %d experiments for lab %s, run by %s; following it (Ctrl-C stops following, not the campaign)\n",
			camp.ID, camp.Spec.Name, camp.Spec.Budget.MaxExperiments, camp.Spec.Lab.Name, *where.server)
		return follow(ctx, store, camp, newProgressBar(c.stderr, *quiet), c.stdout)
	}
	lab, err := newLab(&camp.Spec, camp.SourceName)
	if err != nil {
		return err
	}

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	bar := newProgressBar(c.stderr, *quiet)
	r := &campaign.Runner{
		Store:    store,
		Lab:      lab,
		Strategy: &optimize.Strategy{},
		Progress: bar.Update,
		Logger:   slog.New(slog.NewTextHandler(bar.LogWriter(), &slog.HandlerOptions{Level: level})),
		Prior: func(ctx context.Context) ([]*tycho.Experiment, error) {
			if camp.Spec.PriorDataset == "" {
				return spec.ReadPriorData(camp.SourceName, &camp.Spec)
			}
			chunks, err := where.chunkStore(store)
			if err != nil {
				return nil, err
			}
			_, exps, err := priorDataset(ctx, store, chunks, &camp.Spec)
			return exps, err
		},
	}
	if *resume {
		fmt.Fprintf(c.stderr, "resuming campaign %s (%s)\n", camp.ID, camp.Spec.Name)
	} else {
		fmt.Fprintf(c.stderr, "campaign %s (%s): %d experiments on %s, %s\n",
			camp.ID, camp.Spec.Name, camp.Spec.Budget.MaxExperiments, labName(&camp.Spec), where)
	}
	done, err := r.Run(ctx, camp.ID)
	bar.Finish()
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(c.stderr, "stopped; continue with: tycho run --resume %s\n", camp.ID)
		}
		return err
	}
	exps, err := store.ListExperiments(ctx, done.ID)
	if err != nil {
		return err
	}
	return printSummary(c.stdout, done, exps)
}

// createCampaign stores a new running campaign for spec s.
func createCampaign(ctx context.Context, store tycho.Store, path string, s *tycho.Spec, source []byte) (*tycho.Campaign, error) {
	sum := sha256.Sum256(source)
	now := time.Now().UTC()
	if s.Lab.File != "" {
		// The lab's table is read again on every resume, which may be by
		// ID from anywhere.
		s.Lab.File = absPath(spec.Resolve(path, s.Lab.File))
	}
	c := &tycho.Campaign{
		ID:           campaign.NewID(s.Name),
		Spec:         *s,
		Source:       source,
		SourceDigest: hex.EncodeToString(sum[:]),
		SourceName:   absPath(path),
		Status:       tycho.CampaignRunning,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	if err := store.CreateCampaign(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// findResumable finds the campaign to resume: by ID if arg is not a file,
// else the newest campaign started from the same file, which must not have
// changed since. The campaign found may have finished already.
func findResumable(ctx context.Context, store tycho.Store, arg string, s *tycho.Spec, source []byte) (*tycho.Campaign, error) {
	if s == nil {
		return store.FindCampaign(ctx, arg)
	}
	all, err := store.ListCampaigns(ctx)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(source)
	digest := hex.EncodeToString(sum[:])
	path := absPath(arg)
	for _, c := range all { // newest first
		if c.SourceName != path {
			continue
		}
		if c.SourceDigest != digest {
			return nil, tycho.Errorf(tycho.ECONFLICT,
				"%s changed since campaign %s started from it; resume by ID to keep the original spec (tycho run --resume %s) or run without --resume to start anew",
				arg, c.ID, c.ID)
		}
		return c, nil
	}
	return nil, tycho.Errorf(tycho.ENOTFOUND, "no campaign was started from %s; run without --resume to start one", arg)
}

// newLab returns the lab a spec names; campaignFile is the path the
// spec's relative file names are relative to.
func newLab(s *tycho.Spec, campaignFile string) (tycho.Lab, error) {
	switch s.Lab.Kind {
	case tycho.LabTwin:
		return twin.New(s)
	case tycho.LabTable:
		return table.New(spec.Resolve(campaignFile, s.Lab.File), s)
	case tycho.LabAgent, tycho.LabExternal:
		return nil, nil // run outside this process
	}
	return nil, tycho.Errorf(tycho.EINVALID, "unknown lab kind %q", s.Lab.Kind)
}

// labChecker tells the spec reader whether the lab a spec names exists.
func labChecker(campaignFile string) func(*tycho.Spec) error {
	return func(s *tycho.Spec) error {
		_, err := newLab(s, campaignFile)
		return err
	}
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// labName describes the lab of a spec, such as "twin branin".
func labName(s *tycho.Spec) string {
	if s.Lab.Kind == tycho.LabTable {
		return "table " + filepath.Base(s.Lab.File)
	}
	return s.Lab.Kind + " " + s.Lab.Name
}

// follow shows the progress of a campaign another process runs until it
// finishes, then its summary.
func follow(ctx context.Context, store tycho.Store, camp *tycho.Campaign, bar *progressBar, stdout io.Writer) error {
	start := time.Now()
	for {
		cur, err := store.FindCampaign(ctx, camp.ID)
		if err != nil {
			bar.Finish()
			return err
		}
		exps, err := store.ListExperiments(ctx, camp.ID)
		if err != nil {
			bar.Finish()
			return err
		}
		p := campaign.Progress{Campaign: cur, Total: cur.Spec.Budget.MaxExperiments, Best: cur.Spec.Best(exps), Elapsed: cur.Elapsed + time.Since(start)}
		for _, e := range exps {
			if (e.State == tycho.ExperimentCompleted || e.State == tycho.ExperimentFailed) && !cur.Spec.IsPrior(e) {
				p.Done++
			}
		}
		bar.Update(p)
		if cur.Status != tycho.CampaignRunning {
			bar.Finish()
			return printSummary(stdout, cur, exps)
		}
		select {
		case <-ctx.Done():
			bar.Finish()
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
