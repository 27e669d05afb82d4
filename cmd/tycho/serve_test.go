package main_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tycho"
	tychohttp "tycho/http"
	"tycho/internal/pgtest"
)

// server is a real tycho serve process on loopback.
type server struct {
	cmd *exec.Cmd
	url string
	log *strings.Builder
}

// startServer starts tycho serve on a free loopback port with the data
// directory dir, and stops it (SIGTERM) when the test ends.
func startServer(t *testing.T, dir string, args ...string) *server {
	t.Helper()
	cmd := tychoCmd(t, dir, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "debug"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, log: new(strings.Builder)}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			s.log.WriteString(line + "\n")
			if _, url, ok := strings.Cut(line, "listening on "); ok && !sent {
				found <- strings.Fields(url)[0]
				sent = true
			}
		}
		close(found)
	}()
	select {
	case url, ok := <-found:
		if !ok {
			t.Fatalf("tycho serve exited before listening:\n%s", s.log)
		}
		s.url = url
	case <-time.After(20 * time.Second):
		t.Fatal("tycho serve did not start listening")
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop shuts the server down gracefully and waits for it.
func (s *server) stop(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("tycho serve exited with %v after SIGTERM", err)
		}
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		t.Error("tycho serve did not stop within 20 s of SIGTERM")
	}
}

func (s *server) client(t *testing.T) *tychohttp.Client {
	c, err := tychohttp.NewClient(s.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// startAgent runs tycho agent against the server until the test ends.
func startAgent(t *testing.T, s *server, lab string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := tychoCmd(t, t.TempDir(), append([]string{"agent", "--server", s.url, "--lab", lab, "--ttl", "2s"}, args...)...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	return cmd
}

// TestServeAgentLoop closes the loop with real processes: tycho serve runs
// the campaign, tycho agent runs the shell-script driver, and tycho run
// --server follows it to the end.
func TestServeAgentLoop(t *testing.T) {
	if _, err := exec.LookPath("awk"); err != nil {
		t.Skip("the example driver needs awk")
	}
	s := startServer(t, t.TempDir())
	driver := filepath.Join(repoRoot(t), "examples", "agents", "branin.sh")
	startAgent(t, s, "bench-1", "--concurrency", "3", "--", driver)
	example := filepath.Join(repoRoot(t), "examples", "agent-branin.yaml")
	code, stdout, stderr := runTycho(t, t.TempDir(), "run", "--server", s.url, "--quiet", example)
	if code != 0 {
		t.Fatalf("run --server: exit %d\n%s\nserver log:\n%s", code, stderr, s.log)
	}
	if !strings.Contains(stdout, "status       completed") {
		t.Errorf("summary:\n%s", stdout)
	}
	c := s.client(t)
	cs, err := c.ListCampaigns(context.Background())
	if err != nil || len(cs) != 1 {
		t.Fatalf("campaigns: %v %v", cs, err)
	}
	exps, err := c.ListExperiments(context.Background(), cs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	completed := 0
	for _, e := range exps {
		switch e.State {
		case tycho.ExperimentCompleted:
			completed++
			if e.Result.Metadata["instrument"] != "branin.sh" || e.Attempt != 1 {
				t.Errorf("experiment %d: attempt %d, metadata %v", e.Seq, e.Attempt, e.Result.Metadata)
			}
		case tycho.ExperimentAbandoned: // in flight when the goal was reached
		default:
			t.Errorf("experiment %d is %s after the campaign finished", e.Seq, e.State)
		}
	}
	if completed < 5 {
		t.Errorf("%d experiments completed", completed)
	}
	// The same history through the CLI's --server path.
	code, stdout, _ = runTycho(t, t.TempDir(), "show", "--server", s.url, cs[0].ID)
	if code != 0 || !strings.Contains(stdout, "agent-branin") {
		t.Errorf("show --server: exit %d\n%s", code, stdout)
	}
}

// TestLeasesSurviveRestart shuts the server down gracefully while an
// experiment is leased, and finishes it with the same token afterwards.
func TestLeasesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	ctx := context.Background()
	c := s.client(t)
	file := writeFile(t, t.TempDir(), "agent.yaml", agentCampaign("lab-r", false))
	if code, _, stderr := runTycho(t, t.TempDir(), "run", "--server", s.url, "--detach", file); code != 0 {
		t.Fatalf("run --detach: exit %d: %s", code, stderr)
	}
	leased := leaseOne(t, c, "lab-r")
	s.stop(t)

	s2 := startServer(t, dir)
	c2 := s2.client(t)
	if _, err := c2.RenewLease(ctx, leased.ID, leased.Lease.Token, time.Minute); err != nil {
		t.Fatalf("heartbeat after restart: %v", err)
	}
	if _, err := c2.CompleteLeased(ctx, leased.ID, leased.Lease.Token, &tycho.Result{Objectives: map[string]float64{"y": 1}}); err != nil {
		t.Fatalf("result after restart: %v", err)
	}
}

// agentCampaign is a small agent-lab campaign file.
func agentCampaign(lab string, approval bool) string {
	a := ""
	if approval {
		a = ", approval: true"
	}
	return "name: t\nparameters:\n  - {name: x, kind: continuous, bounds: [0, 1]}\nobjectives:\n  - {name: y, direction: minimize}\n" +
		"budget: {max_experiments: 4}\nbatch_size: 2\nstrategy: sobol\nlab: {kind: agent, name: " + lab + a + "}\n"
}

// leaseOne waits for an experiment of lab to be ready and leases it.
func leaseOne(t *testing.T, c *tychohttp.Client, lab string) *tycho.Experiment {
	t.Helper()
	exps, err := c.Lease(context.Background(), tycho.LeaseRequest{Lab: lab, Holder: "test", Max: 1, TTL: time.Hour}, 20*time.Second)
	if err != nil || len(exps) != 1 {
		t.Fatalf("lease from %s: %v %v", lab, exps, err)
	}
	return exps[0]
}

// TestTwoServersOnePostgres runs two tycho serve processes on one
// PostgreSQL database, both running the campaign's loop, with agents on
// each: no experiment is ever dispatched twice.
func TestTwoServersOnePostgres(t *testing.T) {
	if _, err := exec.LookPath("awk"); err != nil {
		t.Skip("the example driver needs awk")
	}
	dsn := pgtest.DSN(t)
	a := startServer(t, t.TempDir(), "--store", dsn)
	b := startServer(t, t.TempDir(), "--store", dsn)
	work := t.TempDir()
	runs := filepath.Join(work, "runs.log")
	driver := writeFile(t, work, "driver.sh", "#!/bin/sh\necho \"$TYCHO_EXPERIMENT_ID\" >> "+runs+"\nexec "+
		filepath.Join(repoRoot(t), "examples", "agents", "branin.sh")+"\n")
	if err := os.Chmod(driver, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "examples", "agent-branin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, work, "c.yaml", strings.ReplaceAll(strings.ReplaceAll(string(src),
		"max_experiments: 40", "max_experiments: 24"), "stop: {goal_reached: true}", ""))
	for _, s := range []*server{a, b} {
		startAgent(t, s, "bench-1", "--concurrency", "2", "--", driver)
	}
	code, _, stderr := runTycho(t, t.TempDir(), "run", "--server", a.url, "--quiet", file)
	if code != 0 {
		t.Fatalf("run: exit %d: %s\nserver a:\n%s\nserver b:\n%s", code, stderr, a.log, b.log)
	}
	ran, err := os.ReadFile(runs)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, id := range strings.Fields(string(ran)) {
		seen[id]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("experiment %s was dispatched %d times", id, n)
		}
	}
	exps, err := b.client(t).ListExperiments(context.Background(), mustOnlyCampaign(t, b))
	if err != nil {
		t.Fatal(err)
	}
	if len(exps) != 24 || len(seen) != 24 {
		t.Errorf("%d experiments, %d driver runs; want 24 of each", len(exps), len(seen))
	}
	for _, e := range exps {
		if e.State != tycho.ExperimentCompleted {
			t.Errorf("experiment %d is %s", e.Seq, e.State)
		}
	}
}

func mustOnlyCampaign(t *testing.T, s *server) string {
	t.Helper()
	cs, err := s.client(t).ListCampaigns(context.Background())
	if err != nil || len(cs) != 1 {
		t.Fatalf("campaigns: %v %v", cs, err)
	}
	return cs[0].ID
}
