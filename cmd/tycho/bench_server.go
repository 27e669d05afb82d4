package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"tycho"
	"tycho/campaign"
	tychohttp "tycho/http"
	"tycho/internal/notify"
	"tycho/optimize"
	"tycho/postgres"
	"tycho/sqlite"
)

// serverMarker starts the server section of docs/benchmarks.md, which
// "tycho bench server" rewrites and "tycho bench optimizer" keeps.
const serverMarker = "<!-- tycho bench server -->"

// benchServer is "tycho bench server": simulated agents with instant labs
// against one server on loopback, on SQLite and on PostgreSQL.
func (c *benchCommand) benchServer(ctx context.Context, args []string) error {
	fs := newFlagSet("bench server", "bench server [--agents N] [--experiments N] [--postgres DSN] [--out FILE]", c.stderr)
	agents := fs.Int("agents", 100, "simulated agents, each with an instant lab")
	n := fs.Int("experiments", 20000, "experiments per store")
	dsn := fs.String("postgres", os.Getenv("TYCHO_TEST_POSTGRES"), "PostgreSQL to measure too (default $TYCHO_TEST_POSTGRES); an empty database is best")
	out := fs.String("out", "docs/benchmarks.md", "update the server section of this file (- for standard output)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run here")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if fs.NArg() != 0 || *agents < 1 || *n < *agents {
		fs.Usage()
		return errUsage
	}
	var rows []loadResult
	dir, err := os.MkdirTemp("", "tycho-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	stores := []struct {
		name string
		open func() (tycho.Store, error)
	}{
		{"SQLite", func() (tycho.Store, error) { return sqlite.Open(ctx, filepath.Join(dir, "tycho.db")) }},
	}
	if *dsn != "" {
		stores = append(stores, struct {
			name string
			open func() (tycho.Store, error)
		}{"PostgreSQL", func() (tycho.Store, error) { return postgres.Open(ctx, *dsn) }})
	}
	for _, s := range stores {
		store, err := s.open()
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		for _, k := range []int{*agents, 1} {
			m := *n
			if k == 1 {
				m = min(*n, 2000) // the sequential run measures overhead, not throughput
			}
			fmt.Fprintf(c.stderr, "%s: %d agents, %d experiments...\n", s.name, k, m)
			r, err := loadTest(ctx, store, s.name, k, m)
			if err != nil {
				store.Close()
				return fmt.Errorf("%s: %w", s.name, err)
			}
			fmt.Fprintf(c.stderr, "  %.0f results/s; lease p50 %s p99 %s; result p50 %s p99 %s; overhead %s per experiment\n",
				r.throughput, r.lease.p50, r.lease.p99, r.result.p50, r.result.p99, r.overhead)
			rows = append(rows, r)
		}
		store.Close()
	}
	section := serverReport(rows, *agents, *n, *dsn != "")
	if *out == "-" {
		_, err := io.WriteString(c.stdout, section)
		return err
	}
	return replaceSection(*out, serverMarker, section)
}

// The marked sections of docs/benchmarks.md, in the order they are
// written: each runs from its marker to the next or the end, and each
// benchmark command rewrites only its own.
var benchMarkers = []string{serverMarker, dataMarker}

// splitSections returns the head of a benchmarks file (before any marker)
// and its marked sections by marker.
func splitSections(text string) (string, map[string]string) {
	secs := map[string]string{}
	cut := len(text)
	for _, m := range benchMarkers {
		if i := strings.Index(text, m); i >= 0 && i < cut {
			cut = i
		}
	}
	head, rest := text[:cut], text[cut:]
	for rest != "" {
		next := len(rest)
		var marker string
		for _, m := range benchMarkers {
			if strings.HasPrefix(rest, m) {
				marker = m
			} else if i := strings.Index(rest, m); i > 0 && i < next {
				next = i
			}
		}
		secs[marker] = rest[:next]
		rest = rest[next:]
	}
	return head, secs
}

// joinSections writes the marked sections in order.
func joinSections(secs map[string]string) string {
	var b strings.Builder
	for _, m := range benchMarkers {
		if s := secs[m]; s != "" {
			b.WriteString(strings.TrimRight(s, "\n") + "\n\n")
		}
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// replaceSection replaces the section that starts with marker in a
// benchmarks file, or adds it, keeping the rest.
func replaceSection(path, marker, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	head, secs := splitSections(string(old))
	secs[marker] = section
	return writeOutput(nil, path, func(w io.Writer) error {
		_, err := io.WriteString(w, strings.TrimRight(head, "\n")+"\n\n"+joinSections(secs))
		return err
	})
}

// keepSections returns the marked sections of the file at path, if any, so
// the optimizer benchmark can keep them.
func keepSections(path string) string {
	old, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	_, secs := splitSections(string(old))
	if len(secs) == 0 {
		return ""
	}
	return joinSections(secs)
}

type latencies struct{ p50, p99 time.Duration }

type loadResult struct {
	store       string
	agents, n   int
	elapsed     time.Duration
	throughput  float64
	lease       latencies
	result      latencies
	proposeTime time.Duration
	overhead    time.Duration
}

// loadTest runs one campaign of n experiments with k simulated agents
// against a server on loopback over store.
func loadTest(ctx context.Context, store tycho.Store, name string, k, n int) (loadResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hub := new(notify.Hub)
	strategy := &optimize.Strategy{}
	srv := &tychohttp.Server{Store: store, Hub: hub, AskTell: &campaign.AskTell{Store: store, Strategy: strategy, Hub: hub}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return loadResult{}, err
	}
	hs := &http.Server{Handler: srv.Handler()}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()

	lab := fmt.Sprintf("load-%d", time.Now().UnixNano())
	spec := tycho.Spec{
		Name: "load",
		Parameters: []tycho.Parameter{
			{Name: "x1", Kind: tycho.Continuous, Bounds: []float64{0, 1}},
			{Name: "x2", Kind: tycho.Continuous, Bounds: []float64{0, 1}},
		},
		Objectives: []tycho.Objective{{Name: "y", Direction: tycho.Minimize}},
		Budget:     tycho.Budget{MaxExperiments: n},
		BatchSize:  max(10*k, 10),
		Strategy:   "random",
		Seed:       1,
		Lab:        tycho.LabSpec{Kind: tycho.LabAgent, Name: lab},
	}
	spec.SetDefaults()
	camp := &tycho.Campaign{ID: campaign.NewID("load"), Spec: spec, Status: tycho.CampaignRunning}
	if err := store.CreateCampaign(ctx, camp); err != nil {
		return loadResult{}, err
	}
	runner := &campaign.Runner{Store: store, Strategy: strategy, Hub: hub}
	runDone := make(chan error, 1)
	go func() { _, err := runner.Run(ctx, camp.ID); runDone <- err }()

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 2 * k
	client, err := tychohttp.NewClient("http://"+ln.Addr().String(), &http.Client{Transport: transport})
	if err != nil {
		return loadResult{}, err
	}
	defer client.Close()

	var mu sync.Mutex
	var leaseTimes, resultTimes []time.Duration
	var firstErr error
	start := time.Now()
	var wg sync.WaitGroup
	for i := range k {
		wg.Go(func() {
			var lt, rt []time.Duration
			defer func() {
				mu.Lock()
				leaseTimes, resultTimes = append(leaseTimes, lt...), append(resultTimes, rt...)
				mu.Unlock()
			}()
			holder := fmt.Sprintf("agent-%d", i)
			for ctx.Err() == nil {
				t0 := time.Now()
				exps, err := client.Lease(ctx, tycho.LeaseRequest{Lab: lab, Holder: holder, Max: 1, TTL: time.Minute}, 200*time.Millisecond)
				if err != nil {
					mu.Lock()
					firstErr = cmpOr(firstErr, err)
					mu.Unlock()
					return
				}
				if len(exps) == 0 {
					select {
					case <-runDone: // the campaign is over
						runDone <- nil
						return
					default:
						continue
					}
				}
				lt = append(lt, time.Since(t0))
				for _, e := range exps {
					x1, x2 := e.Params["x1"].(float64), e.Params["x2"].(float64)
					t1 := time.Now()
					_, err := client.CompleteLeased(ctx, e.ID, e.Lease.Token, &tycho.Result{Objectives: map[string]float64{"y": x1*x1 + x2}})
					if err != nil {
						mu.Lock()
						firstErr = cmpOr(firstErr, err)
						mu.Unlock()
						return
					}
					rt = append(rt, time.Since(t1))
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return loadResult{}, firstErr
	}
	exps, err := store.ListExperiments(ctx, camp.ID)
	if err != nil {
		return loadResult{}, err
	}
	if done := count(exps, tycho.ExperimentCompleted); done != n {
		return loadResult{}, fmt.Errorf("%d of %d experiments completed", done, n)
	}
	gens, err := store.ListGenerations(ctx, camp.ID)
	if err != nil {
		return loadResult{}, err
	}
	var propose time.Duration
	for _, g := range gens {
		propose += g.FitTime + g.ProposeTime
	}
	r := loadResult{
		store: name, agents: k, n: n, elapsed: elapsed, throughput: float64(n) / elapsed.Seconds(),
		lease: percentiles(leaseTimes), result: percentiles(resultTimes), proposeTime: propose,
	}
	r.overhead = (elapsed - propose) / time.Duration(n)
	return r, nil
}

func count(exps []*tycho.Experiment, st tycho.ExperimentState) int {
	n := 0
	for _, e := range exps {
		if e.State == st {
			n++
		}
	}
	return n
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func percentiles(d []time.Duration) latencies {
	if len(d) == 0 {
		return latencies{}
	}
	slices.Sort(d)
	at := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	return latencies{at(0.50), at(0.99)}
}

func serverReport(rows []loadResult, agents, n int, withPG bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n## Server under load (issue 4)\n\nReproduce with:\n\n```sh\nTYCHO_TEST_POSTGRES=postgres://postgres@127.0.0.1:55432/tycho_bench?sslmode=disable \\\n  go run ./cmd/tycho bench server\n```\n\n", serverMarker)
	fmt.Fprintf(&b, "Measured %s on %s/%s, %d CPUs. One `tycho serve` handler on loopback (in process, real TCP and HTTP), "+
		"the campaign's runner keeping 10×agents experiments in flight, proposed by the `random` strategy, and simulated agents, each "+
		"an instant lab: lease one experiment (long poll), post its result, repeat. Latencies are client round trips. "+
		"Throughput rows run %d experiments with %d agents; the one-agent rows run 2,000 sequentially. The loop overhead "+
		"is wall time minus the runner's proposal time, divided by experiments.\n\n",
		time.Now().UTC().Format(time.DateOnly), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), n, agents)
	b.WriteString("| store | agents | experiments | results/s | lease p50 | lease p99 | result p50 | result p99 | loop overhead |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		over := fmt.Sprint(r.overhead.Round(time.Microsecond))
		fmt.Fprintf(&b, "| %s | %d | %d | **%.0f** | %s | %s | %s | %s | %s |\n", r.store, r.agents, r.n, r.throughput,
			r.lease.p50.Round(time.Microsecond), r.lease.p99.Round(time.Microsecond), r.result.p50.Round(time.Microsecond), r.result.p99.Round(time.Microsecond), over)
	}
	if !withPG {
		b.WriteString("\nPostgreSQL was not measured in this run: set $TYCHO_TEST_POSTGRES (or --postgres) to a database.\n")
	}
	b.WriteString("\nTargets on this 2-core machine: ≥ 2,000 results/s on SQLite with p99 < 50 ms; loop overhead (proposal excluded) < 1 ms per experiment. ")
	b.WriteString(verdict(rows, agents))
	b.WriteString("\n")
	b.WriteString(serverNotes)
	return b.String()
}

// verdict says whether the SQLite row with the given number of agents
// meets the targets, and if not, which.
func verdict(rows []loadResult, agents int) string {
	for _, r := range rows {
		if r.store != "SQLite" || r.agents != agents {
			continue
		}
		var missed []string
		if r.throughput < 2000 {
			missed = append(missed, fmt.Sprintf("%.0f results/s", r.throughput))
		}
		if p99 := max(r.lease.p99, r.result.p99); p99 >= 50*time.Millisecond {
			missed = append(missed, fmt.Sprintf("p99 %s", p99.Round(time.Millisecond)))
		}
		if r.overhead >= time.Millisecond {
			missed = append(missed, fmt.Sprintf("overhead %s", r.overhead.Round(time.Microsecond)))
		}
		if len(missed) > 0 {
			return "**Not met in this run:** " + strings.Join(missed, ", ") + "."
		}
		return "**Met in this run.**"
	}
	return "SQLite was not measured with this many agents."
}

const serverNotes = `
How (` + "`--cpuprofile FILE`" + `, then ` + "`go tool pprof`" + `, showed where the time went):

- **Incremental reads.** The runner of an agent-lab campaign keeps the
  campaign's experiments in memory and reads only those changed since its
  last read (ListExperimentsSince), instead of all of them: before, a
  reread of a 20,000-experiment campaign decoded 20,000 rows, and
  throughput fell as a campaign grew (about 700 results/s at 20,000).
- **Leasing from small indexes.** A lease reads, per campaign in the lab's
  queue, the oldest ready experiments and the expired leases from two
  partial indexes; it used to scan and sort every experiment in flight.
- **Group commit.** SQLite shares one durable commit (synchronous=FULL)
  among all concurrent writes, each in its own savepoint; statements are
  prepared once per connection, and the pool keeps its connections.
- **One statement per result** when the lease is current (UPDATE …
  RETURNING); a retry or a conflict takes the slower path that tells them
  apart. On PostgreSQL, which commits each write on its own, that is one
  round trip instead of four.
- **One agent.** The one-agent rows are bound by the runner's 50 ms
  settle interval and the 10-experiment window, not by the store: one
  lease and one result take about 1 ms each.
- **Run to run**, on this shared machine, SQLite's throughput varies by
  about ±10 % and its p99 by a few milliseconds.
`
