// Command tycho runs closed-loop optimization campaigns: it proposes
// experiments with Bayesian optimization, runs them in a lab, learns from
// the results and keeps everything in a data directory.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"tycho"
)

const usage = `tycho runs closed-loop optimization campaigns.

Usage:
  tycho run [--resume] FILE       run a campaign (or resume the unfinished one from FILE)
  tycho campaigns                 list campaigns
  tycho show CAMPAIGN             show a campaign's history and best point
  tycho export CAMPAIGN           export a campaign as CSV or JSON
  tycho export --project P OUT.zip
                                  export a project as an RO-Crate: datasets, campaigns, provenance
  tycho import FILE.zip           import an exported project into a new data directory
  tycho report CAMPAIGN           write a campaign's report as one HTML file
  tycho approve CAMPAIGN [SEQ...] list, approve or reject proposals awaiting approval
  tycho serve                     serve the REST API, ask/tell and agent labs
  tycho agent --lab NAME -- CMD   run an instrument's driver for a lab's experiments
  tycho data add|ls|show|versions|get|diff
                                  versioned datasets ("tycho data" for more)
  tycho project show|set PROJECT  a project's settings: the grade its prior data needs
  tycho lineage ID [--up|--down]  what a result, model or dataset came from, or what came from it
  tycho lineage ingest FILE       record OpenLineage RunEvents
  tycho model-card CAMPAIGN       the datasets and experiments that trained a campaign's models
  tycho bench optimizer           benchmark the optimizer and write docs/benchmarks.md
  tycho version                   print the version

Commands on campaigns take --data DIR (default $TYCHO_DATA, else
./tycho-data), or --server URL (default $TYCHO_SERVER) to work against a
Tycho server instead.
Run "tycho COMMAND -h" for a command's flags.
`

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Main(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Main runs the command line args and returns the exit status: 0 on
// success, 1 on error, 2 on a usage error, 130 when interrupted.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "tycho: interrupted")
		return 130
	}
	var e *tycho.Error
	if errors.As(err, &e) {
		fmt.Fprintln(stderr, "tycho:", e.Message)
	} else {
		fmt.Fprintln(stderr, "tycho:", err)
	}
	return 1
}

// errUsage marks an error whose usage message has already been printed.
var errUsage = errors.New("usage")

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "run":
		return (&runCommand{stdout: stdout, stderr: stderr}).Run(ctx, args)
	case "campaigns":
		return (&campaignsCommand{stdout: stdout, stderr: stderr}).Run(ctx, args)
	case "show":
		return (&showCommand{stdout: stdout, stderr: stderr}).Run(ctx, args)
	case "export":
		if isCrateExport(args) {
			return (&exportCrateCommand{stdout: stdout, stderr: stderr}).Run(ctx, args)
		}
		return (&exportCommand{stdout: stdout, stderr: stderr}).Run(ctx, args)
	case "import":
		return (&importCommand{stdout: stdout, stderr: stderr}).Run(ctx, args)
	case "report":
		return (&reportCommand{stdout: stdout, stderr: stderr}).Run(ctx, args)
	case "approve":
		return (&approveCommand{stdout: stdout, stderr: stderr}).Run(ctx, args)
	case "serve":
		return (&serveCommand{stdout: stdout, stderr: stderr}).Run(ctx, args)
	case "agent":
		return (&agentCommand{stdout: stdout, stderr: stderr}).Run(ctx, args)
	case "data":
		return (&dataCommand{stdout: stdout, stderr: stderr}).Run(ctx, args)
	case "project":
		return (&projectCommand{stdout: stdout, stderr: stderr}).Run(ctx, args)
	case "model-card":
		return (&modelCardCommand{stdout: stdout, stderr: stderr}).Run(ctx, args)
	case "lineage":
		return (&lineageCommand{stdout: stdout, stderr: stderr}).Run(ctx, args)
	case "bench":
		return (&benchCommand{stdout: stdout, stderr: stderr}).Run(ctx, args)
	case "version":
		fmt.Fprintln(stdout, "tycho", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "tycho: unknown command %q\n\n%s", cmd, usage)
	return errUsage
}

// newFlagSet returns a flag set that prints its errors and usage to stderr
// and reports them as errors instead of exiting.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: tycho %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, mapping a bad flag to errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}
