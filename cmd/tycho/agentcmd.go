package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"tycho"
	"tycho/agent"
	tychohttp "tycho/http"
)

// agentCommand is "tycho agent": it runs an instrument's driver for the
// experiments a server proposes for one lab.
type agentCommand struct {
	stdout, stderr io.Writer
}

func (c *agentCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("agent", "agent --server URL --lab NAME [flags] -- DRIVER [ARGS...]", c.stderr)
	server := fs.String("server", os.Getenv("TYCHO_SERVER"), "the Tycho server's URL (default $TYCHO_SERVER)")
	lab := fs.String("lab", "", "the lab this agent serves, as campaigns name it (lab.name)")
	host, _ := os.Hostname()
	name := fs.String("name", host+"-"+strconv.Itoa(os.Getpid()), "this agent's name in leases")
	concurrency := fs.Int("concurrency", 1, "experiments run at once")
	ttl := fs.Duration("ttl", 30*time.Second, "lease duration between heartbeats (heartbeats come every ttl/3)")
	timeout := fs.Duration("timeout", 0, "fail a driver run that takes longer (0: no limit)")
	dir := fs.String("dir", "", "the driver's working directory (default: the current one)")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	driver := fs.Args()
	switch {
	case *server == "":
		return usageError(fs, "--server (or $TYCHO_SERVER) is required")
	case *lab == "":
		return usageError(fs, "--lab is required")
	case len(driver) == 0:
		return usageError(fs, "give the driver command after --")
	case *concurrency < 1 || *concurrency > tycho.MaxLease:
		return usageError(fs, fmt.Sprintf("--concurrency: between 1 and %d", tycho.MaxLease))
	}
	if err := tycho.ValidLeaseTTL(*ttl); err != nil || *ttl < 3*time.Millisecond {
		return usageError(fs, fmt.Sprintf("--ttl: between 3ms and %s", tycho.MaxLeaseTTL))
	}
	log, err := newLogger(c.stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	client, err := tychohttp.NewClient(*server, nil)
	if err != nil {
		return err
	}
	defer client.Close()
	if err := client.Ready(ctx); err != nil {
		return err
	}
	a := &agent.Agent{
		Server: client, Lab: *lab, Name: *name, Driver: driver, Dir: *dir,
		Concurrency: *concurrency, TTL: *ttl, Timeout: *timeout, Logger: log,
	}
	log.Info("agent started", "lab", *lab, "name", *name, "server", *server, "concurrency", *concurrency, "driver", driver)
	return a.Run(ctx)
}

// usageError prints msg and the usage of fs, and returns errUsage.
func usageError(fs *flag.FlagSet, msg string) error {
	fmt.Fprintln(fs.Output(), "tycho:", msg)
	fs.Usage()
	return errUsage
}
