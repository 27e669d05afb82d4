package storetest

import (
	"fmt"
	"sort"
	"sync"
	"testing"

	"tycho"
)

// workers is how many goroutines race in the concurrency tests.
const workers = 8

// race runs f(i) for i in [0, n) on n goroutines released together, and
// returns their errors by i.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func testConcurrentComplete(t *testing.T, s tycho.Store) {
	exps := setup(t, s, workers)
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 { // readers list while the writers write
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.ListExperiments(ctx, "c-1"); err != nil {
					t.Errorf("list while writing: %v", err)
					return
				}
			}
		})
	}
	errs := race(workers, func(i int) error {
		e, err := s.StartExperiment(ctx, exps[i].ID)
		if err != nil {
			return err
		}
		return s.CompleteExperiment(ctx, e.ID, e.Attempt, result(float64(i)))
	})
	close(stop)
	readers.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	for i, e := range mustList(t, s, "c-1") {
		if e.State != tycho.ExperimentCompleted || e.Attempt != 1 || e.Result == nil || e.Result.Objectives["y"] != float64(i) {
			t.Errorf("experiment %s: state %s attempt %d result %+v; want completed, 1, y=%d", e.ID, e.State, e.Attempt, e.Result, i)
		}
	}
}

// testConcurrentRace races two workers for each experiment, as two
// runners resuming the same campaign would: each experiment ends
// completed by one of them, and a loser hears ECONFLICT.
func testConcurrentRace(t *testing.T, s tycho.Store) {
	exps := setup(t, s, workers)
	errs := race(2*len(exps), func(i int) error {
		e := exps[i/2]
		st, err := s.StartExperiment(ctx, e.ID)
		if err != nil {
			return err
		}
		return s.CompleteExperiment(ctx, e.ID, st.Attempt, result(float64(i/2)))
	})
	for i, err := range errs {
		if err != nil && tycho.ErrorCode(err) != tycho.ECONFLICT {
			t.Errorf("worker %d: %v, want success or ECONFLICT", i, err)
		}
	}
	for i, e := range mustList(t, s, "c-1") {
		if e.State != tycho.ExperimentCompleted || e.Result == nil || e.Result.Objectives["y"] != float64(i) {
			t.Errorf("experiment %s: state %s result %+v; want completed with y=%d", e.ID, e.State, e.Result, i)
		}
	}
}

// rounds is how many times a race for one experiment is run, since one
// round may happen to serialize.
const rounds = 8

func testConcurrentStart(t *testing.T, s tycho.Store) {
	for _, e := range setup(t, s, rounds) {
		attempts := make([]int, workers)
		errs := race(workers, func(i int) error {
			st, err := s.StartExperiment(ctx, e.ID)
			if err == nil {
				attempts[i] = st.Attempt
			}
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("worker %d: %v", i, err)
			}
		}
		sort.Ints(attempts)
		want := make([]int, workers)
		for i := range want {
			want[i] = i + 1
		}
		same(t, "attempts handed out", attempts, want)
		if got := mustGet(t, s, "c-1", e.ID); got.Attempt != workers {
			t.Errorf("stored attempt %d, want %d", got.Attempt, workers)
		}
	}
}

func testConcurrentCompleteOneWins(t *testing.T, s tycho.Store) {
	for _, e := range setup(t, s, rounds) {
		mustStart(t, s, e.ID)
		errs := race(workers, func(i int) error {
			return s.CompleteExperiment(ctx, e.ID, 1, result(float64(i)))
		})
		winner := -1
		for i, err := range errs {
			switch tycho.ErrorCode(err) {
			case "":
				if winner >= 0 {
					t.Errorf("%s: workers %d and %d both recorded a different result", e.ID, winner, i)
				}
				winner = i
			case tycho.ECONFLICT:
			default:
				t.Errorf("%s: worker %d: %v, want success or ECONFLICT", e.ID, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("%s: no worker recorded its result", e.ID)
		}
		same(t, e.ID+": stored result", mustGet(t, s, "c-1", e.ID).Result, result(float64(winner)))
	}
}

func testConcurrentAddGeneration(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("c-1", t0))
	const n = 3
	batches := make([][]*tycho.Experiment, workers)
	errs := race(workers, func(i int) error {
		batches[i] = proposal(n, fmt.Sprintf("w%d", i))
		return s.AddGeneration(ctx, &tycho.Generation{CampaignID: "c-1", Index: i + 1, Strategy: "gp", CreatedAt: t0}, batches[i])
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("worker %d: %v", i, err)
		}
	}
	got := mustList(t, s, "c-1")
	if len(got) != workers*n {
		t.Fatalf("%d experiments, want %d", len(got), workers*n)
	}
	for i, e := range got {
		if e.Seq != i+1 {
			t.Errorf("experiment %s: seq %d, want %d", e.ID, e.Seq, i+1)
		}
	}
	// Each batch got consecutive numbers, in proposal order.
	for i, b := range batches {
		for j, e := range b {
			if e.Seq != b[0].Seq+j || got[e.Seq-1].ID != e.ID {
				t.Errorf("batch %d: experiment %s has seq %d, want %d after its batch's first", i, e.ID, e.Seq, b[0].Seq+j)
			}
		}
	}

	// Racing for one generation index: exactly one wins.
	errs = race(workers, func(i int) error {
		return s.AddGeneration(ctx, &tycho.Generation{CampaignID: "c-1", Index: workers + 1, Strategy: "gp", CreatedAt: t0},
			proposal(n, fmt.Sprintf("same%d", i)))
	})
	wins := 0
	for i, err := range errs {
		switch tycho.ErrorCode(err) {
		case "":
			wins++
		case tycho.ECONFLICT:
		default:
			t.Errorf("worker %d: %v, want success or ECONFLICT", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d workers stored generation %d, want 1", wins, workers+1)
	}
	if got := mustList(t, s, "c-1"); len(got) != (workers+1)*n {
		t.Errorf("%d experiments, want %d", len(got), (workers+1)*n)
	}
}
