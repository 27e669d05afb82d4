package agent_test

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"tycho"
	"tycho/agent"
	tychohttp "tycho/http"
)

// chaosProxy forwards TCP connections on loopback to target and cuts
// every open connection whenever told to.
type chaosProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]bool
}

func newChaosProxy(t *testing.T, target string) *chaosProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &chaosProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go p.serve()
	return p
}

func (p *chaosProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				return
			}
			p.track(c, s)
			go func() { _, _ = io.Copy(s, c); s.Close() }()
			_, _ = io.Copy(c, s)
			c.Close()
		}()
	}
}

func (p *chaosProxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = true
	}
}

// cut closes every connection through the proxy, in both directions.
func (p *chaosProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// mortal is a Server that can die: once dead, every call fails as if the
// network were gone, so a killed agent cannot even hand its work back.
type mortal struct {
	agent.Server
	mu   sync.Mutex
	dead bool
}

var errDead = tycho.Errorf(tycho.EINTERNAL, "agent killed")

func (m *mortal) alive() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.dead
}

func (m *mortal) kill() {
	m.mu.Lock()
	m.dead = true
	m.mu.Unlock()
}

func (m *mortal) Lease(ctx context.Context, req tycho.LeaseRequest, wait time.Duration) ([]*tycho.Experiment, error) {
	if !m.alive() {
		return nil, errDead
	}
	return m.Server.Lease(ctx, req, wait)
}

func (m *mortal) RenewLease(ctx context.Context, id, token string, ttl time.Duration) (*tycho.Experiment, error) {
	if !m.alive() {
		return nil, errDead
	}
	return m.Server.RenewLease(ctx, id, token, ttl)
}

func (m *mortal) ReleaseLease(ctx context.Context, id, token string) error {
	if !m.alive() {
		return errDead
	}
	return m.Server.ReleaseLease(ctx, id, token)
}

func (m *mortal) CompleteLeased(ctx context.Context, id, token string, r *tycho.Result) (*tycho.Experiment, error) {
	if !m.alive() {
		return nil, errDead
	}
	return m.Server.CompleteLeased(ctx, id, token, r)
}

func (m *mortal) FailLeased(ctx context.Context, id, token, msg string) (*tycho.Experiment, error) {
	if !m.alive() {
		return nil, errDead
	}
	return m.Server.FailLeased(ctx, id, token, msg)
}

func branin(x1, x2 float64) float64 {
	b, c, t := 5.1/(4*math.Pi*math.Pi), 5/math.Pi, 1/(8*math.Pi)
	return math.Pow(x2-b*x1*x1+c*x1-6, 2) + 10*(1-t)*math.Cos(x1) + 10
}

// TestFaults kills and restarts agents at random and cuts the network
// between agents and server, and checks that every experiment completes
// exactly once, with its own result.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault test takes several seconds")
	}
	const budget = 40
	l := newLab(t, false, budget)
	// The driver measures Branin at x1 = 15x − 5, x2 = 7.5, so each
	// result can be checked against its own experiment's parameters.
	proxy := newChaosProxy(t, strings.TrimPrefix(l.url, "http://"))
	client, err := tychohttp.NewClient("http://"+proxy.ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	client.Retries = 20
	drv := driver(t, `read p
x=$(printf '%s' "$p" | sed -n 's/.*"x":\([-0-9.eE+]*\).*/\1/p')
sleep 0.02
awk -v x="$x" 'BEGIN { pi = atan2(0, -1); x1 = 15*x - 5; x2 = 7.5
  b = 5.1/(4*pi*pi); c = 5/pi; t = 1/(8*pi)
  printf "{\"objectives\": {\"y\": %.15g}}\n", (x2 - b*x1*x1 + c*x1 - 6)^2 + 10*(1-t)*cos(x1) + 10 }'
`)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rng := rand.New(rand.NewPCG(1, 2))
	type running struct {
		m    *mortal
		stop context.CancelFunc
		done chan struct{}
	}
	start := func(i int) *running {
		m := &mortal{Server: client}
		actx, stop := context.WithCancel(ctx)
		a := &agent.Agent{Server: m, Lab: "r1", Name: "agent-" + string(rune('a'+i)), Driver: []string{drv},
			Concurrency: 2, TTL: 400 * time.Millisecond, Wait: 100 * time.Millisecond}
		r := &running{m: m, stop: stop, done: make(chan struct{})}
		go func() { defer close(r.done); _ = a.Run(actx) }()
		return r
	}
	agents := []*running{start(0), start(1), start(2)}
	kills, cuts := 0, 0
	for n := 3; ; n++ {
		exps, err := l.db.ListExperiments(ctx, l.id)
		if err != nil {
			t.Fatal(err)
		}
		if count(exps, tycho.ExperimentCompleted) == budget || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(50+rng.IntN(150)) * time.Millisecond)
		switch rng.IntN(3) {
		case 0: // kill an agent outright and start another
			i := rng.IntN(len(agents))
			agents[i].m.kill()
			agents[i].stop()
			<-agents[i].done
			agents[i] = start(n)
			kills++
		default:
			proxy.cut()
			cuts++
		}
	}
	for _, a := range agents {
		a.stop()
		<-a.done
	}
	exps, err := l.db.ListExperiments(context.Background(), l.id)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d kills, %d network cuts; %d experiments, attempts up to %d", kills, cuts, len(exps), maxAttempt(exps))
	if got := count(exps, tycho.ExperimentCompleted); got != budget {
		t.Fatalf("%d of %d experiments completed", got, budget)
	}
	for _, e := range exps {
		if e.State != tycho.ExperimentCompleted {
			t.Errorf("experiment %d is %s (%s)", e.Seq, e.State, e.Error)
			continue
		}
		x := e.Params["x"].(float64)
		if want := branin(15*x-5, 7.5); math.Abs(e.Result.Objectives["y"]-want) > 1e-9*math.Max(1, want) {
			t.Errorf("experiment %d: y = %g, want %g: a result went to the wrong experiment", e.Seq, e.Result.Objectives["y"], want)
		}
	}
	if kills == 0 || cuts == 0 {
		t.Errorf("the test injected %d kills and %d cuts; want both", kills, cuts)
	}
}

func maxAttempt(exps []*tycho.Experiment) int {
	m := 0
	for _, e := range exps {
		m = max(m, e.Attempt)
	}
	return m
}
