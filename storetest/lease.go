package storetest

import (
	"fmt"
	"testing"
	"time"

	"tycho"
)

// agentCampaign creates a running campaign whose experiments the agent lab
// named lab leases, with n proposed experiments in generation 1.
func agentCampaign(t *testing.T, s tycho.Store, id, lab string, approval bool, n int) []*tycho.Experiment {
	t.Helper()
	c := newCampaign(id, t0)
	c.Spec.Lab = tycho.LabSpec{Kind: tycho.LabAgent, Name: lab, Approval: approval}
	mustCreate(t, s, c)
	return addGen(t, s, id, 1, n)
}

func lease(t *testing.T, s tycho.Store, lab, holder string, max int, ttl time.Duration) []*tycho.Experiment {
	t.Helper()
	got, err := s.LeaseExperiments(ctx, tycho.LeaseRequest{Lab: lab, Holder: holder, Max: max, TTL: ttl})
	if err != nil {
		t.Fatalf("lease from %s for %s: %v", lab, holder, err)
	}
	return got
}

func testLeaseQueue(t *testing.T, s tycho.Store) {
	setup(t, s, 3) // a twin campaign: never leased
	want := agentCampaign(t, s, "c-a", "reactor", false, 3)
	agentCampaign(t, s, "c-b", "other", false, 2)
	before := time.Now()
	got := lease(t, s, "reactor", "agent-1", 2, time.Minute)
	same(t, "leased", ids(got), ids(want[:2]))
	for _, e := range got {
		if e.State != tycho.ExperimentDispatched || e.Attempt != 1 || e.CampaignID != "c-a" {
			t.Errorf("leased %s: state %s attempt %d campaign %s; want dispatched, 1, c-a", e.ID, e.State, e.Attempt, e.CampaignID)
		}
		if e.Lease == nil || e.Lease.Holder != "agent-1" || len(e.Lease.Token) < 16 {
			t.Fatalf("leased %s: lease %+v; want holder agent-1 and a token", e.ID, e.Lease)
		}
		if e.Lease.Expires.Before(before.Add(time.Minute-time.Second)) || e.Lease.Expires.After(time.Now().Add(time.Minute+time.Second)) {
			t.Errorf("leased %s: expires %s, want a minute from now", e.ID, e.Lease.Expires)
		}
	}
	if got[0].Lease.Token == got[1].Lease.Token {
		t.Error("two leases share a token")
	}
	rest := lease(t, s, "reactor", "agent-2", 10, time.Minute)
	same(t, "leased next", ids(rest), ids(want[2:]))
	if again := lease(t, s, "reactor", "agent-2", 10, time.Minute); len(again) != 0 {
		t.Errorf("leased %v from an empty queue", ids(again))
	}
	// The token leaves the store only once.
	for _, e := range []*tycho.Experiment{mustGet(t, s, "c-a", want[0].ID), mustFindExperiment(t, s, want[0].ID)} {
		if e.Lease == nil || e.Lease.Holder != "agent-1" || e.Lease.Token != "" {
			t.Errorf("stored lease %+v: want holder agent-1 and no token", e.Lease)
		}
	}
}

func mustFindExperiment(t *testing.T, s tycho.Store, id string) *tycho.Experiment {
	t.Helper()
	e, err := s.FindExperiment(ctx, id)
	if err != nil {
		t.Fatalf("find experiment %s: %v", id, err)
	}
	return e
}

func testLeaseRequestInvalid(t *testing.T, s tycho.Store) {
	for _, req := range []tycho.LeaseRequest{
		{Lab: "", Holder: "a", Max: 1, TTL: time.Minute},
		{Lab: "bad lab", Holder: "a", Max: 1, TTL: time.Minute},
		{Lab: "r", Holder: "", Max: 1, TTL: time.Minute},
		{Lab: "r", Holder: "a", Max: 0, TTL: time.Minute},
		{Lab: "r", Holder: "a", Max: 1, TTL: 0},
	} {
		_, err := s.LeaseExperiments(ctx, req)
		wantCode(t, fmt.Sprintf("lease %+v", req), err, tycho.EINVALID)
	}
	_, err := s.FindExperiment(ctx, "e-none")
	wantCode(t, "find unknown experiment", err, tycho.ENOTFOUND)
}

func testLeaseApproval(t *testing.T, s tycho.Store) {
	exps := agentCampaign(t, s, "c-a", "reactor", true, 2)
	if got := lease(t, s, "reactor", "a", 10, time.Minute); len(got) != 0 {
		t.Fatalf("leased %v before approval", ids(got))
	}
	e, err := s.ApproveExperiment(ctx, exps[1].ID)
	if err != nil || e.State != tycho.ExperimentApproved {
		t.Fatalf("approve: %v, state %v", err, e)
	}
	if _, err := s.ApproveExperiment(ctx, exps[1].ID); err != nil {
		t.Errorf("approve again: %v, want a no-op", err)
	}
	got := lease(t, s, "reactor", "a", 10, time.Minute)
	same(t, "leased after approval", ids(got), ids(exps[1:]))
	_, err = s.ApproveExperiment(ctx, exps[1].ID)
	wantCode(t, "approve a dispatched experiment", err, tycho.ECONFLICT)
	_, err = s.ApproveExperiment(ctx, "e-none")
	wantCode(t, "approve unknown", err, tycho.ENOTFOUND)
	// A released experiment of an approval campaign stays approved.
	if err := s.ReleaseLease(ctx, got[0].ID, got[0].Lease.Token); err != nil {
		t.Fatal(err)
	}
	if e := mustFindExperiment(t, s, got[0].ID); e.State != tycho.ExperimentApproved {
		t.Errorf("released: state %s, want approved", e.State)
	}
}

func testLeaseExpiry(t *testing.T, s tycho.Store) {
	exps := agentCampaign(t, s, "c-a", "reactor", false, 1)
	first := lease(t, s, "reactor", "dead-agent", 1, time.Millisecond)
	if len(first) != 1 {
		t.Fatalf("leased %d, want 1", len(first))
	}
	time.Sleep(20 * time.Millisecond)
	second := lease(t, s, "reactor", "agent-2", 1, time.Minute)
	if len(second) != 1 || second[0].ID != exps[0].ID || second[0].Attempt != 2 || second[0].Lease.Holder != "agent-2" {
		t.Fatalf("after expiry leased %+v; want %s again, attempt 2, for agent-2", second, exps[0].ID)
	}
	// The dead agent's late result is refused, and records nothing.
	_, err := s.CompleteLeased(ctx, exps[0].ID, first[0].Lease.Token, result(1))
	wantCode(t, "result under an expired, re-leased lease", err, tycho.ECONFLICT)
	_, err = s.RenewLease(ctx, exps[0].ID, first[0].Lease.Token, time.Minute)
	wantCode(t, "renew an expired, re-leased lease", err, tycho.ECONFLICT)
	if _, err := s.CompleteLeased(ctx, exps[0].ID, second[0].Lease.Token, result(2)); err != nil {
		t.Fatal(err)
	}
	e := mustFindExperiment(t, s, exps[0].ID)
	if e.State != tycho.ExperimentCompleted || e.Result.Objectives["y"] != 2 || e.Attempt != 2 {
		t.Errorf("completed: %s, attempt %d, result %+v; want completed, 2, y=2", e.State, e.Attempt, e.Result)
	}
	if got := lease(t, s, "reactor", "a", 1, time.Millisecond); len(got) != 0 {
		t.Errorf("leased a completed experiment: %v", ids(got))
	}
}

func testRenewLease(t *testing.T, s tycho.Store) {
	agentCampaign(t, s, "c-a", "reactor", false, 1)
	l := lease(t, s, "reactor", "a", 1, time.Second)[0]
	e, err := s.RenewLease(ctx, l.ID, l.Lease.Token, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if e.State != tycho.ExperimentRunning || e.Lease.Expires.Before(time.Now().Add(59*time.Minute)) {
		t.Errorf("renewed: state %s expires %s; want running, an hour from now", e.State, e.Lease.Expires)
	}
	if e := mustFindExperiment(t, s, l.ID); e.Lease.Expires.Before(time.Now().Add(59 * time.Minute)) {
		t.Errorf("stored expiry %s, want an hour from now", e.Lease.Expires)
	}
	_, err = s.RenewLease(ctx, l.ID, "not-the-token", time.Hour)
	wantCode(t, "renew with a wrong token", err, tycho.ECONFLICT)
	_, err = s.RenewLease(ctx, l.ID, l.Lease.Token, 0)
	wantCode(t, "renew for no time", err, tycho.EINVALID)
	_, err = s.RenewLease(ctx, "e-none", l.Lease.Token, time.Hour)
	wantCode(t, "renew unknown", err, tycho.ENOTFOUND)
	if _, err := s.FailLeased(ctx, l.ID, l.Lease.Token, "driver exited 1"); err != nil {
		t.Fatal(err)
	}
	_, err = s.RenewLease(ctx, l.ID, l.Lease.Token, time.Hour)
	wantCode(t, "renew a failed experiment", err, tycho.ECONFLICT)
}

func testCompleteLeased(t *testing.T, s tycho.Store) {
	agentCampaign(t, s, "c-a", "reactor", false, 2)
	ls := lease(t, s, "reactor", "a", 2, time.Minute)
	a, b := ls[0], ls[1]
	_, err := s.CompleteLeased(ctx, a.ID, b.Lease.Token, result(1))
	wantCode(t, "result with another experiment's token", err, tycho.ECONFLICT)
	_, err = s.CompleteLeased(ctx, a.ID, "", result(1))
	wantCode(t, "result without a token", err, tycho.ECONFLICT)
	for i := range 2 { // a retry is recorded once
		got, err := s.CompleteLeased(ctx, a.ID, a.Lease.Token, result(1))
		if err != nil {
			t.Fatal(err)
		}
		same(t, fmt.Sprintf("completed, call %d", i+1), got, mustFindExperiment(t, s, a.ID))
	}
	_, err = s.CompleteLeased(ctx, a.ID, a.Lease.Token, result(5))
	wantCode(t, "a different second result", err, tycho.ECONFLICT)
	_, err = s.FailLeased(ctx, a.ID, a.Lease.Token, "late failure")
	wantCode(t, "fail a completed experiment", err, tycho.ECONFLICT)
	if e := mustFindExperiment(t, s, a.ID); e.State != tycho.ExperimentCompleted || e.Result.Objectives["y"] != 1 || e.FinishedAt.IsZero() {
		t.Errorf("completed: %+v", e)
	}
	for i := range 2 {
		got, err := s.FailLeased(ctx, b.ID, b.Lease.Token, "exit status 3: no sample")
		if err != nil {
			t.Fatal(err)
		}
		same(t, fmt.Sprintf("failed, call %d", i+1), got, mustFindExperiment(t, s, b.ID))
	}
	_, err = s.FailLeased(ctx, b.ID, b.Lease.Token, "another message")
	wantCode(t, "fail again differently", err, tycho.ECONFLICT)
	if e := mustFindExperiment(t, s, b.ID); e.State != tycho.ExperimentFailed || e.Error != "exit status 3: no sample" {
		t.Errorf("failed: %s %q", e.State, e.Error)
	}
	_, err = s.CompleteLeased(ctx, a.ID, a.Lease.Token, nil)
	wantCode(t, "no result", err, tycho.EINVALID)
}

func testReleaseLease(t *testing.T, s tycho.Store) {
	exps := agentCampaign(t, s, "c-a", "reactor", false, 1)
	l := lease(t, s, "reactor", "a", 1, time.Hour)[0]
	if err := s.ReleaseLease(ctx, l.ID, "wrong"); tycho.ErrorCode(err) != tycho.ECONFLICT {
		t.Fatalf("release with a wrong token: %v, want conflict", err)
	}
	for range 2 { // a retry is a no-op
		if err := s.ReleaseLease(ctx, l.ID, l.Lease.Token); err != nil {
			t.Fatal(err)
		}
	}
	if e := mustFindExperiment(t, s, l.ID); e.State != tycho.ExperimentProposed || e.Lease != nil {
		t.Errorf("released: state %s lease %+v; want proposed and no lease", e.State, e.Lease)
	}
	_, err := s.CompleteLeased(ctx, l.ID, l.Lease.Token, result(1))
	wantCode(t, "result under a released lease", err, tycho.ECONFLICT)
	again := lease(t, s, "reactor", "b", 1, time.Hour)
	if len(again) != 1 || again[0].ID != exps[0].ID || again[0].Attempt != 2 {
		t.Fatalf("leased after release: %+v; want %s, attempt 2", again, exps[0].ID)
	}
	_, err = s.CompleteLeased(ctx, l.ID, l.Lease.Token, result(1))
	wantCode(t, "result under a released lease, leased again", err, tycho.ECONFLICT)
	wantCode(t, "release under a released lease, leased again", s.ReleaseLease(ctx, l.ID, l.Lease.Token), tycho.ECONFLICT)
}

func testLeaseFinishedCampaign(t *testing.T, s tycho.Store) {
	agentCampaign(t, s, "c-a", "reactor", false, 2)
	done := tycho.CampaignCompleted
	if _, err := s.UpdateCampaign(ctx, "c-a", tycho.CampaignUpdate{Status: &done}); err != nil {
		t.Fatal(err)
	}
	if got := lease(t, s, "reactor", "a", 10, time.Minute); len(got) != 0 {
		t.Errorf("leased %v from a finished campaign", ids(got))
	}
}

// testAskTell stores experiments leased as they are proposed, as the
// ask/tell service does, under a generation's idempotency key.
func testAskTell(t *testing.T, s tycho.Store) {
	c := newCampaign("c-x", t0)
	c.Spec.Lab = tycho.LabSpec{Kind: tycho.LabExternal}
	mustCreate(t, s, c)
	exps := proposal(2, "x")
	for _, e := range exps {
		e.State, e.Attempt = tycho.ExperimentDispatched, 1
		e.Lease = &tycho.Lease{Holder: "notebook", Token: "tok-" + e.ID}
	}
	g := &tycho.Generation{CampaignID: "c-x", Index: 1, Strategy: "gp", Key: "suggest-1", CreatedAt: t0}
	if err := s.AddGeneration(ctx, g, exps); err != nil {
		t.Fatal(err)
	}
	again := &tycho.Generation{CampaignID: "c-x", Index: 2, Strategy: "gp", Key: "suggest-1", CreatedAt: t0}
	err := s.AddGeneration(ctx, again, proposal(1, "y"))
	wantCode(t, "a second generation under one key", err, tycho.ECONFLICT)
	if n := len(mustList(t, s, "c-x")); n != 2 {
		t.Errorf("%d experiments after the refused twin, want 2", n)
	}
	found, err := s.FindGeneration(ctx, "c-x", "suggest-1")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "generation by key", found, g)
	_, err = s.FindGeneration(ctx, "c-x", "suggest-2")
	wantCode(t, "unknown key", err, tycho.ENOTFOUND)
	// The same key in another campaign is another request.
	mustCreate(t, s, newCampaign("c-y", t0))
	other := &tycho.Generation{CampaignID: "c-y", Index: 1, Strategy: "gp", Key: "suggest-1", CreatedAt: t0}
	if err := s.AddGeneration(ctx, other, proposal(1, "z")); err != nil {
		t.Errorf("same key, other campaign: %v", err)
	}

	e := mustFindExperiment(t, s, exps[0].ID)
	if e.State != tycho.ExperimentDispatched || e.Lease == nil || e.Lease.Holder != "notebook" || !e.Lease.Expires.IsZero() || e.Lease.Token != "" {
		t.Fatalf("stored ask/tell experiment: %s lease %+v", e.State, e.Lease)
	}
	if _, err := s.CompleteLeased(ctx, exps[0].ID, "tok-"+exps[0].ID, result(3)); err != nil {
		t.Fatal(err)
	}
	_, err = s.CompleteLeased(ctx, exps[1].ID, "tok-"+exps[0].ID, result(3))
	wantCode(t, "a token of another experiment", err, tycho.ECONFLICT)
	if got := lease(t, s, "notebook", "a", 10, time.Minute); len(got) != 0 {
		t.Errorf("an agent leased ask/tell experiments %v", ids(got))
	}
}

// testConcurrentLease races agents for one queue: every experiment is
// leased exactly once.
func testConcurrentLease(t *testing.T, s tycho.Store) {
	const n = 50
	agentCampaign(t, s, "c-a", "reactor", false, n)
	got := make([][]*tycho.Experiment, workers)
	errs := race(workers, func(i int) error {
		for {
			l, err := s.LeaseExperiments(ctx, tycho.LeaseRequest{Lab: "reactor", Holder: fmt.Sprint("agent-", i), Max: 3, TTL: time.Minute})
			if err != nil || len(l) == 0 {
				return err
			}
			got[i] = append(got[i], l...)
		}
	})
	seen := map[string]int{}
	for i, err := range errs {
		if err != nil {
			t.Errorf("agent %d: %v", i, err)
		}
		for _, e := range got[i] {
			seen[e.ID]++
		}
	}
	if len(seen) != n {
		t.Errorf("leased %d distinct experiments, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("experiment %s leased %d times", id, k)
		}
	}
}

func testCountExperiments(t *testing.T, s tycho.Store) {
	counts, err := s.CountExperiments(ctx)
	if err != nil || len(counts) != 0 {
		t.Fatalf("empty store: %v %v", counts, err)
	}
	exps := agentCampaign(t, s, "c-a", "reactor", false, 4)
	l := lease(t, s, "reactor", "a", 2, time.Minute)
	if _, err := s.CompleteLeased(ctx, l[0].ID, l[0].Lease.Token, result(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.AbandonExperiment(ctx, exps[3].ID, "not needed"); err != nil {
		t.Fatal(err)
	}
	counts, err = s.CountExperiments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[tycho.ExperimentState]int{tycho.ExperimentCompleted: 1, tycho.ExperimentDispatched: 1, tycho.ExperimentProposed: 1, tycho.ExperimentAbandoned: 1}
	for _, st := range tycho.ExperimentStates {
		if counts[st] != want[st] {
			t.Errorf("%s: %d, want %d", st, counts[st], want[st])
		}
	}
}
