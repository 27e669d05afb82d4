package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"tycho"
)

// mirror keeps a campaign's experiments current from the changes
// ListExperimentsSince returns, as a runner does.
type mirror struct {
	campaign string
	cursor   int64
	byID     map[string]*tycho.Experiment
}

func newMirror(campaign string) *mirror {
	return &mirror{campaign: campaign, byID: map[string]*tycho.Experiment{}}
}

// read applies the changes since the last read and returns their IDs.
func (m *mirror) read(t *testing.T, s tycho.Store) []string {
	t.Helper()
	changed, err := m.apply(s)
	if err != nil {
		t.Fatal(err)
	}
	return changed
}

// apply is read for a goroutine other than the test's.
func (m *mirror) apply(s tycho.Store) ([]string, error) {
	changed, cursor, err := s.ListExperimentsSince(ctx, m.campaign, m.cursor)
	if err != nil {
		return nil, fmt.Errorf("list experiments of %s since %d: %w", m.campaign, m.cursor, err)
	}
	m.cursor = cursor
	for i, e := range changed {
		if e.CampaignID != m.campaign {
			return nil, fmt.Errorf("changes of %s include experiment %s of campaign %s", m.campaign, e.ID, e.CampaignID)
		}
		if i > 0 && changed[i-1].Seq >= e.Seq {
			return nil, fmt.Errorf("changes not ordered by seq: %d before %d", changed[i-1].Seq, e.Seq)
		}
		m.byID[e.ID] = e
	}
	return ids(changed), nil
}

// check reads the changes and compares the mirror with a full read. It
// returns the IDs the read returned.
func (m *mirror) check(t *testing.T, s tycho.Store, what string) []string {
	t.Helper()
	changed := m.read(t, s)
	got := make([]*tycho.Experiment, 0, len(m.byID))
	for _, e := range m.byID {
		got = append(got, e)
	}
	slices.SortFunc(got, func(a, b *tycho.Experiment) int { return a.Seq - b.Seq })
	same(t, what, got, mustList(t, s, m.campaign))
	return changed
}

// testListExperimentsSince makes every kind of write the stores know and
// checks that each shows in the next read of changes.
func testListExperimentsSince(t *testing.T, s tycho.Store) {
	exps := agentCampaign(t, s, "c-a", "reactor", true, 6)
	agentCampaign(t, s, "c-b", "other", false, 2) // its writes must not show
	m := newMirror("c-a")
	if got := m.check(t, s, "first read"); len(got) != 6 {
		t.Fatalf("first read returned %d experiments, want all 6", len(got))
	}
	step := func(what, id string, write func() error) {
		t.Helper()
		if err := write(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if changed := m.check(t, s, what); !slices.Contains(changed, id) {
			t.Errorf("after %s the changes %v lack %s", what, changed, id)
		}
	}
	for _, e := range exps[:3] {
		step("approve", e.ID, func() error { _, err := s.ApproveExperiment(ctx, e.ID); return err })
	}
	var leased []*tycho.Experiment
	step("lease", exps[0].ID, func() (err error) {
		leased, err = s.LeaseExperiments(ctx, tycho.LeaseRequest{Lab: "reactor", Holder: "a", Max: 3, TTL: time.Hour})
		return err
	})
	if len(leased) != 3 {
		t.Fatalf("leased %v, want the 3 approved", ids(leased))
	}
	l := leased[2]
	step("renew", l.ID, func() error { _, err := s.RenewLease(ctx, l.ID, l.Lease.Token, time.Hour); return err })
	step("complete leased", l.ID, func() error { _, err := s.CompleteLeased(ctx, l.ID, l.Lease.Token, result(1)); return err })
	step("release", leased[0].ID, func() error { return s.ReleaseLease(ctx, leased[0].ID, leased[0].Lease.Token) })
	step("fail leased", leased[1].ID, func() error {
		_, err := s.FailLeased(ctx, leased[1].ID, leased[1].Lease.Token, "exit status 1")
		return err
	})
	var started *tycho.Experiment
	step("start", exps[3].ID, func() (err error) { started, err = s.StartExperiment(ctx, exps[3].ID); return err })
	step("complete", exps[3].ID, func() error { return s.CompleteExperiment(ctx, exps[3].ID, started.Attempt, result(2)) })
	step("start", exps[4].ID, func() (err error) { started, err = s.StartExperiment(ctx, exps[4].ID); return err })
	step("fail", exps[4].ID, func() error { return s.FailExperiment(ctx, exps[4].ID, started.Attempt, "broken") })
	step("abandon", exps[5].ID, func() error { return s.AbandonExperiment(ctx, exps[5].ID, "stop") })
	step("add generation", "e-c-a-g2-1", func() error {
		return s.AddGeneration(ctx, &tycho.Generation{CampaignID: "c-a", Index: 2, Strategy: "sobol", CreatedAt: t0}, proposal(2, "c-a-g2"))
	})
	addGen(t, s, "c-b", 2, 1)
	m.check(t, s, "after another campaign's writes")

	_, _, err := s.ListExperimentsSince(ctx, "c-none", 0)
	wantCode(t, "changes of an unknown campaign", err, tycho.ENOTFOUND)
	_, _, err = s.ListExperimentsSince(ctx, "c-none", m.cursor)
	wantCode(t, "changes of an unknown campaign from a cursor", err, tycho.ENOTFOUND)
}

// testConcurrentChanges keeps a mirror current while writers finish
// experiments concurrently: a write that commits after a read but began
// before it must still show in a later read.
func testConcurrentChanges(t *testing.T, s tycho.Store) {
	const per = 8
	exps := setup(t, s, workers*per)
	m := newMirror("c-1")
	m.read(t, s)
	stop := make(chan struct{})
	var reader sync.WaitGroup
	reader.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				if _, err := m.apply(s); err != nil {
					t.Error(err)
					return
				}
			}
		}
	})
	errs := race(workers, func(i int) error {
		for _, e := range exps[i*per : (i+1)*per] {
			e, err := s.StartExperiment(ctx, e.ID)
			if err != nil {
				return err
			}
			if err := s.CompleteExperiment(ctx, e.ID, e.Attempt, result(float64(e.Seq))); err != nil {
				return err
			}
		}
		return nil
	})
	close(stop)
	reader.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	m.check(t, s, "after concurrent writes")
	for _, e := range m.byID {
		if e.State != tycho.ExperimentCompleted {
			t.Errorf("mirror has experiment %d %s", e.Seq, e.State)
		}
	}
}
