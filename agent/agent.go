// Package agent runs an instrument's driver for the experiments a Tycho
// server proposes for one lab: it leases experiments (long-polling), runs
// the driver once per experiment with the parameters as JSON on standard
// input, reads the result JSON from standard output, and posts it back,
// heartbeating while the driver runs. docs/agents.md describes the driver
// protocol.
package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"tycho"
)

// Server is what an agent needs of a Tycho server; the HTTP client
// implements it.
type Server interface {
	// Lease leases experiments, waiting up to wait for some.
	Lease(ctx context.Context, req tycho.LeaseRequest, wait time.Duration) ([]*tycho.Experiment, error)
	RenewLease(ctx context.Context, id, token string, ttl time.Duration) (*tycho.Experiment, error)
	ReleaseLease(ctx context.Context, id, token string) error
	CompleteLeased(ctx context.Context, id, token string, r *tycho.Result) (*tycho.Experiment, error)
	FailLeased(ctx context.Context, id, token, msg string) (*tycho.Experiment, error)
}

// Agent serves one lab. Set its fields, then call Run.
type Agent struct {
	Server Server
	// Lab is the agent lab's name, as campaigns name it.
	Lab string
	// Name identifies this agent in leases; it should be unique per
	// running agent.
	Name string
	// Driver is the command run per experiment, with its arguments.
	Driver []string
	// Dir is the driver's working directory; "" means the agent's.
	Dir string
	// Concurrency is how many experiments run at once; 0 means 1.
	Concurrency int
	// TTL is how long a lease lasts between heartbeats; 0 means 30 s.
	// Heartbeats come every TTL/3.
	TTL time.Duration
	// Timeout, if positive, bounds one driver run; a run over it fails.
	Timeout time.Duration
	// Wait is how long one lease request waits for work; 0 means 30 s.
	Wait   time.Duration
	Logger *slog.Logger
}

// MaxOutput bounds what is read of a driver's standard output and kept of
// its standard error.
const MaxOutput = 1 << 20

// Run leases and runs experiments until ctx is done. Drivers still running
// then are stopped and their experiments handed back to the queue.
func (a *Agent) Run(ctx context.Context) error {
	if len(a.Driver) == 0 {
		return tycho.Errorf(tycho.EINVALID, "no driver command given")
	}
	n := max(a.Concurrency, 1)
	slots := make(chan struct{}, n)
	var wg sync.WaitGroup
	defer wg.Wait()
	failures := 0
	for ctx.Err() == nil {
		// Lease as many as there are free slots.
		free := 0
		slots <- struct{}{} // wait for at least one
		free++
	fill:
		for free < n {
			select {
			case slots <- struct{}{}:
				free++
			default:
				break fill
			}
		}
		exps, err := a.Server.Lease(ctx, tycho.LeaseRequest{Lab: a.Lab, Holder: a.Name, Max: free, TTL: a.ttl()}, a.wait())
		for range free - len(exps) {
			<-slots
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if code := tycho.ErrorCode(err); code == tycho.EINVALID {
				return err
			}
			failures++
			d := backoff(failures)
			a.log().Warn("lease failed; retrying", "error", err, "in", d)
			sleep(ctx, d)
			continue
		}
		failures = 0
		for _, e := range exps {
			wg.Go(func() {
				defer func() { <-slots }()
				a.handle(ctx, e)
			})
		}
	}
	return nil
}

// handle runs one leased experiment and reports its outcome, retrying the
// report through network faults until the server answers.
func (a *Agent) handle(ctx context.Context, e *tycho.Experiment) {
	log := a.log().With("experiment", e.ID, "campaign", e.CampaignID, "seq", e.Seq, "attempt", e.Attempt)
	token := e.Lease.Token
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	lost := make(chan struct{})
	go a.heartbeat(runCtx, e.ID, token, lost, cancel, log)

	res, runErr := a.run(runCtx, e)
	select {
	case <-lost:
		log.Warn("lease lost while the driver ran; its outcome is dropped")
		return
	default:
	}
	if ctx.Err() != nil {
		// Stopping: hand the experiment back rather than report a run
		// that was cut short.
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer rcancel()
		if err := a.Server.ReleaseLease(rctx, e.ID, token); err != nil {
			log.Warn("could not hand the experiment back; its lease will expire", "error", err)
		}
		return
	}
	report := func() (err error) {
		if runErr != nil {
			_, err = a.Server.FailLeased(ctx, e.ID, token, runErr.Error())
		} else {
			_, err = a.Server.CompleteLeased(ctx, e.ID, token, res)
		}
		return err
	}
	for i := 1; ; i++ {
		err := report()
		switch code := tycho.ErrorCode(err); {
		case err == nil:
			if runErr != nil {
				log.Warn("experiment failed", "error", runErr)
			} else {
				log.Info("experiment completed")
			}
			return
		case code == tycho.ECONFLICT || code == tycho.ENOTFOUND:
			log.Warn("the server refused the outcome", "error", err)
			return
		case code == tycho.EINVALID && runErr == nil:
			// The driver's result is not acceptable: report that instead.
			runErr = fmt.Errorf("the server refused the driver's result: %s", tycho.ErrorMessage(err))
			continue
		case ctx.Err() != nil:
			return
		}
		d := backoff(i)
		log.Warn("reporting failed; retrying", "error", err, "in", d)
		sleep(ctx, d)
	}
}

// heartbeat renews the lease every TTL/3 until ctx is done. If the server
// says the lease is gone, it closes lost and stops the driver.
func (a *Agent) heartbeat(ctx context.Context, id, token string, lost chan<- struct{}, stop func(), log *slog.Logger) {
	t := time.NewTicker(a.ttl() / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, err := a.Server.RenewLease(ctx, id, token, a.ttl())
		switch tycho.ErrorCode(err) {
		case "":
		case tycho.ECONFLICT, tycho.ENOTFOUND:
			if ctx.Err() == nil {
				log.Warn("lease lost; stopping the driver", "error", err)
				close(lost)
				stop()
			}
			return
		default:
			log.Warn("heartbeat failed", "error", err) // the next may pass
		}
	}
}

// run runs the driver for e and returns its result, or why it failed.
func (a *Agent) run(ctx context.Context, e *tycho.Experiment) (*tycho.Result, error) {
	if a.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.Timeout)
		defer cancel()
	}
	params, err := json.Marshal(e.Params)
	if err != nil {
		return nil, fmt.Errorf("encode parameters: %v", err)
	}
	cmd := exec.CommandContext(ctx, a.Driver[0], a.Driver[1:]...)
	cmd.Dir = a.Dir
	cmd.Stdin = bytes.NewReader(append(params, '\n'))
	cmd.Env = append(os.Environ(),
		"TYCHO_EXPERIMENT_ID="+e.ID,
		"TYCHO_CAMPAIGN_ID="+e.CampaignID,
		"TYCHO_SEQ="+strconv.Itoa(e.Seq),
		"TYCHO_ATTEMPT="+strconv.Itoa(e.Attempt),
		"TYCHO_LAB="+a.Lab,
	)
	var stdout bytes.Buffer
	stderr := &tail{max: MaxOutput}
	cmd.Stdout = &limited{w: &stdout, n: MaxOutput}
	cmd.Stderr = stderr
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err = cmd.Run()
	if err != nil {
		msg := err.Error()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			msg = fmt.Sprintf("the driver ran over its timeout of %s", a.Timeout)
		}
		if s := strings.TrimSpace(stderr.String()); s != "" {
			msg += "\n" + s
		}
		return nil, errors.New(msg)
	}
	res, err := ParseResult(stdout.Bytes())
	if err != nil {
		return nil, err
	}
	if res.Metadata == nil {
		res.Metadata = map[string]any{}
	}
	res.Metadata["agent"] = a.Name
	res.Metadata["driver_seconds"] = time.Since(start).Seconds()
	return res, nil
}

// driverResult is what a driver writes on standard output.
type driverResult struct {
	Objectives map[string]float64 `json:"objectives"`
	Noise      map[string]float64 `json:"noise,omitempty"`
	Metadata   map[string]any     `json:"metadata,omitempty"`
}

// ParseResult reads a driver's standard output: one JSON object with
// "objectives" (a number per objective) and optionally "noise" and
// "metadata". Unknown members and duplicate names are refused, so a typo
// does not pass unnoticed.
func ParseResult(out []byte) (*tycho.Result, error) {
	trimmed := bytes.TrimSpace(out)
	if len(trimmed) == 0 {
		return nil, errors.New("the driver wrote no result on standard output")
	}
	var r driverResult
	if err := jsonv2.Unmarshal(trimmed, &r, jsonv2.RejectUnknownMembers(true)); err != nil {
		return nil, fmt.Errorf("the driver's output is not a result: %s (want {\"objectives\": {\"NAME\": NUMBER, ...}})", strings.TrimPrefix(err.Error(), "json: "))
	}
	if len(r.Objectives) == 0 {
		return nil, errors.New(`the driver's result has no objectives (want {"objectives": {"NAME": NUMBER, ...}})`)
	}
	return &tycho.Result{Objectives: r.Objectives, Noise: r.Noise, Metadata: r.Metadata}, nil
}

func (a *Agent) ttl() time.Duration {
	if a.TTL <= 0 {
		return 30 * time.Second
	}
	return a.TTL
}

func (a *Agent) wait() time.Duration {
	if a.Wait <= 0 {
		return 30 * time.Second
	}
	return a.Wait
}

func (a *Agent) log() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger.With("lab", a.Lab)
}

// backoff is the pause before the i-th retry: 100 ms doubling to 10 s.
func backoff(i int) time.Duration {
	return min(100*time.Millisecond<<min(i-1, 7), 10*time.Second)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// limited writes up to n bytes to w and then fails, which stops a driver
// that floods its output.
type limited struct {
	w io.Writer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if len(p) > l.n {
		return 0, fmt.Errorf("the driver wrote more than %d bytes on standard output", MaxOutput)
	}
	l.n -= len(p)
	return l.w.Write(p)
}

// tail keeps the last max bytes written to it.
type tail struct {
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string { return string(t.buf) }
