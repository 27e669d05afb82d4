package postgres_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"tycho"
	"tycho/internal/pgtest"
	"tycho/postgres"
	"tycho/storetest"
)

var ctx = context.Background()

func TestMain(m *testing.M) { pgtest.Main(m) }

// MustOpenDB opens a store in a new, empty database and closes it when
// the test ends.
func MustOpenDB(tb testing.TB) *postgres.DB {
	tb.Helper()
	return MustOpenDSN(tb, pgtest.DSN(tb))
}

// MustOpenDSN opens the store at dsn and closes it when the test ends.
func MustOpenDSN(tb testing.TB, dsn string) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// rawConn connects to the database behind the store's back.
func rawConn(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	return conn
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) tycho.Store { return MustOpenDB(t) })
}

// TestLeaseFromTwoServers leases from one queue through two handles on one
// database, as two servers would: every experiment is leased exactly once.
func TestLeaseFromTwoServers(t *testing.T) {
	dsn := pgtest.DSN(t)
	servers := []*postgres.DB{MustOpenDSN(t, dsn), MustOpenDSN(t, dsn)}
	const n, agents = 60, 8
	c := &tycho.Campaign{ID: "c-a", Status: tycho.CampaignRunning,
		Spec: tycho.Spec{Name: "queue", Lab: tycho.LabSpec{Kind: tycho.LabAgent, Name: "reactor"}}}
	if err := servers[0].CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	exps := make([]*tycho.Experiment, n)
	for i := range exps {
		exps[i] = &tycho.Experiment{ID: fmt.Sprintf("e-%d", i), Params: tycho.Params{"x": float64(i)}}
	}
	if err := servers[1].AddGeneration(ctx, &tycho.Generation{CampaignID: "c-a", Index: 1, Strategy: "sobol"}, exps); err != nil {
		t.Fatal(err)
	}

	got := make([][]*tycho.Experiment, agents)
	errs := make([]error, agents)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range agents {
		wg.Go(func() {
			<-start
			s := servers[i%len(servers)]
			for {
				l, err := s.LeaseExperiments(ctx, tycho.LeaseRequest{Lab: "reactor", Holder: fmt.Sprint("agent-", i), Max: 2, TTL: time.Minute})
				if err != nil || len(l) == 0 {
					errs[i] = err
					return
				}
				got[i] = append(got[i], l...)
			}
		})
	}
	close(start)
	wg.Wait()

	seen := map[string]string{}
	for i, err := range errs {
		if err != nil {
			t.Errorf("agent %d: %v", i, err)
		}
		for _, e := range got[i] {
			holder := fmt.Sprint("agent-", i)
			if prev, ok := seen[e.ID]; ok {
				t.Errorf("experiment %s leased to %s and to %s", e.ID, prev, holder)
			}
			seen[e.ID] = holder
			if e.Attempt != 1 || e.Lease.Holder != holder {
				t.Errorf("experiment %s: attempt %d holder %s, want 1, %s", e.ID, e.Attempt, e.Lease.Holder, holder)
			}
		}
	}
	if len(seen) != n {
		t.Errorf("leased %d distinct experiments, want %d", len(seen), n)
	}
	// What each server says agrees with what the agents were given.
	list, err := servers[0].ListExperiments(ctx, "c-a")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if e.State != tycho.ExperimentDispatched || e.Attempt != 1 || e.Lease == nil || e.Lease.Holder != seen[e.ID] {
			t.Errorf("stored %s: state %s attempt %d lease %+v; want dispatched, 1, %s", e.ID, e.State, e.Attempt, e.Lease, seen[e.ID])
		}
	}
}

// TestLeaseTokenStoredHashed reads the lease token column directly: it
// holds the token's hash, never the token.
func TestLeaseTokenStoredHashed(t *testing.T) {
	dsn := pgtest.DSN(t)
	db := MustOpenDSN(t, dsn)
	c := &tycho.Campaign{ID: "c-a", Status: tycho.CampaignRunning,
		Spec: tycho.Spec{Name: "queue", Lab: tycho.LabSpec{Kind: tycho.LabAgent, Name: "reactor"}}}
	if err := db.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := db.AddGeneration(ctx, &tycho.Generation{CampaignID: "c-a", Index: 1}, []*tycho.Experiment{{ID: "e-1"}}); err != nil {
		t.Fatal(err)
	}
	l, err := db.LeaseExperiments(ctx, tycho.LeaseRequest{Lab: "reactor", Holder: "a", Max: 1, TTL: time.Minute})
	if err != nil || len(l) != 1 {
		t.Fatalf("lease: %v, %d leased", err, len(l))
	}
	var stored string
	if err := rawConn(t, dsn).QueryRow(ctx, `SELECT lease_token FROM experiments WHERE id = 'e-1'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if want := tycho.HashLeaseToken(l[0].Lease.Token); stored != want || strings.Contains(stored, l[0].Lease.Token) {
		t.Errorf("stored token %q, want its hash %q", stored, want)
	}
}

func TestOpenMigratesOnce(t *testing.T) {
	dsn := pgtest.DSN(t)
	for range 3 {
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		db.Close()
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations found (%v)", err)
	}
	var n, max int
	if err := rawConn(t, dsn).QueryRow(ctx, `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &max); err != nil {
		t.Fatal(err)
	}
	if n != len(files) || max != len(files) {
		t.Errorf("schema_migrations has %d rows up to version %d, want %d up to %d", n, max, len(files), len(files))
	}
}

// TestOpenConcurrently opens one new database from several handles at
// once, as servers started together would; each migration is applied once.
func TestOpenConcurrently(t *testing.T) {
	dsn := pgtest.DSN(t)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			db, err := postgres.Open(ctx, dsn)
			if err != nil {
				t.Errorf("open %d: %v", i, err)
				return
			}
			defer db.Close()
			c := &tycho.Campaign{ID: fmt.Sprintf("c-%d", i), Status: tycho.CampaignRunning}
			if err := db.CreateCampaign(ctx, c); err != nil {
				t.Errorf("create campaign from handle %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	list, err := MustOpenDSN(t, dsn).ListCampaigns(ctx)
	if err != nil || len(list) != 4 {
		t.Errorf("after concurrent opens: %d campaigns (%v), want 4", len(list), err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	dsn := pgtest.DSN(t)
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	c := &tycho.Campaign{ID: "c-1", Spec: tycho.Spec{Name: "x", Seed: 1<<64 - 1}, Source: []byte("x"), Status: tycho.CampaignRunning}
	if err := db.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	e := &tycho.Experiment{ID: "e-1", Params: tycho.Params{"x": 1e-300}}
	if err := db.AddGeneration(ctx, &tycho.Generation{CampaignID: "c-1", Index: 1, Strategy: "gp", Seed: 1<<64 - 1}, []*tycho.Experiment{e}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.StartExperiment(ctx, "e-1"); err != nil {
		t.Fatal(err)
	}
	if err := db.CompleteExperiment(ctx, "e-1", 1, &tycho.Result{Objectives: map[string]float64{"y": 2}}); err != nil {
		t.Fatal(err)
	}
	wantExps, err := db.ListExperiments(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = MustOpenDSN(t, dsn)
	got, err := db.FindCampaign(ctx, "c-1")
	if err != nil {
		t.Fatalf("campaign lost on reopen: %v", err)
	}
	if got.Spec.Seed != c.Spec.Seed || string(got.Source) != "x" || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Errorf("reopened campaign: seed %d source %q created %v; want %d %q %v", got.Spec.Seed, got.Source, got.CreatedAt, c.Spec.Seed, "x", c.CreatedAt)
	}
	gens, err := db.ListGenerations(ctx, "c-1")
	if err != nil || len(gens) != 1 || gens[0].Seed != 1<<64-1 {
		t.Errorf("reopened generations: %+v (%v), want one with seed 2^64-1", gens, err)
	}
	exps, err := db.ListExperiments(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(exps) != 1 || exps[0].State != tycho.ExperimentCompleted || exps[0].Result.Objectives["y"] != 2 ||
		!exps[0].FinishedAt.Equal(wantExps[0].FinishedAt) || exps[0].Params["x"] != 1e-300 {
		t.Errorf("reopened experiments: %+v, want %+v", exps, wantExps)
	}
}

func TestOpenTooNewSchema(t *testing.T) {
	dsn := pgtest.DSN(t)
	MustOpenDSN(t, dsn).Close()
	if _, err := rawConn(t, dsn).Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES (999, '999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	_, err := postgres.Open(ctx, dsn)
	if got := tycho.ErrorCode(err); got != tycho.ECONFLICT {
		t.Fatalf("open a newer schema: code %q (%v), want %q", got, err, tycho.ECONFLICT)
	}
	if msg := tycho.ErrorMessage(err); !strings.Contains(msg, "999") || !strings.Contains(msg, "newer") {
		t.Errorf("open a newer schema: message %q, want one naming version 999 as newer", msg)
	}
}

func TestOpenRenamedMigration(t *testing.T) {
	dsn := pgtest.DSN(t)
	MustOpenDSN(t, dsn).Close()
	if _, err := rawConn(t, dsn).Exec(ctx, `UPDATE schema_migrations SET name = '001_other.sql' WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	_, err := postgres.Open(ctx, dsn)
	if got := tycho.ErrorCode(err); got != tycho.ECONFLICT {
		t.Errorf("open with a different migration 1: code %q (%v), want %q", got, err, tycho.ECONFLICT)
	}
}

func TestOpenBadDSN(t *testing.T) {
	for _, dsn := range []string{"", "postgres://x:notaport/db"} {
		if db, err := postgres.Open(ctx, dsn); tycho.ErrorCode(err) != tycho.EINVALID {
			if db != nil {
				db.Close()
			}
			t.Errorf("open %q: %v, want %s", dsn, err, tycho.EINVALID)
		}
	}
}

func TestClock(t *testing.T) {
	db := MustOpenDB(t)
	now := time.Date(2030, 1, 2, 3, 4, 5, 6789, time.UTC)
	stored := now.Truncate(time.Microsecond)
	db.SetNow(func() time.Time { return now })
	c := &tycho.Campaign{ID: "c-1", Status: tycho.CampaignRunning}
	if err := db.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	if !c.CreatedAt.Equal(stored) || !c.UpdatedAt.Equal(stored) {
		t.Errorf("zero times stamped %v, %v; want %v", c.CreatedAt, c.UpdatedAt, stored)
	}
	e := &tycho.Experiment{ID: "e-1", Params: tycho.Params{"x": 1.0}}
	g := &tycho.Generation{CampaignID: "c-1", Index: 1, Strategy: "gp"}
	if err := db.AddGeneration(ctx, g, []*tycho.Experiment{e}); err != nil {
		t.Fatal(err)
	}
	if !e.CreatedAt.Equal(stored) || !g.CreatedAt.Equal(stored) || e.State != tycho.ExperimentProposed {
		t.Errorf("added experiment: created %v state %q, generation created %v; want %v, proposed", e.CreatedAt, e.State, g.CreatedAt, stored)
	}
	now = now.Add(time.Minute)
	st, err := db.StartExperiment(ctx, "e-1")
	if err != nil {
		t.Fatal(err)
	}
	if !st.StartedAt.Equal(stored.Add(time.Minute)) {
		t.Errorf("started at %v, want %v", st.StartedAt, stored.Add(time.Minute))
	}
	now = now.Add(time.Minute)
	if err := db.CompleteExperiment(ctx, "e-1", 1, &tycho.Result{Objectives: map[string]float64{"y": 1}}); err != nil {
		t.Fatal(err)
	}
	exps, err := db.ListExperiments(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	// Times come back exactly as the calls returned them.
	if got := exps[0]; !got.FinishedAt.Equal(stored.Add(2*time.Minute)) || !got.StartedAt.Equal(st.StartedAt) || !got.CreatedAt.Equal(e.CreatedAt) {
		t.Errorf("stored times: created %v started %v finished %v", got.CreatedAt, got.StartedAt, got.FinishedAt)
	}
	now = now.Add(time.Minute)
	status := tycho.CampaignCompleted
	upd, err := db.UpdateCampaign(ctx, "c-1", tycho.CampaignUpdate{Status: &status})
	if err != nil {
		t.Fatal(err)
	}
	if !upd.UpdatedAt.Equal(stored.Add(3*time.Minute)) || !upd.CreatedAt.Equal(c.CreatedAt) {
		t.Errorf("updated campaign: created %v updated %v; want %v, %v", upd.CreatedAt, upd.UpdatedAt, c.CreatedAt, stored.Add(3*time.Minute))
	}
}

// TestLeaseExpiresByClock expires a lease by the store's clock rather than
// by waiting.
func TestLeaseExpiresByClock(t *testing.T) {
	db := MustOpenDB(t)
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	db.SetNow(func() time.Time { return now })
	c := &tycho.Campaign{ID: "c-a", Status: tycho.CampaignRunning,
		Spec: tycho.Spec{Name: "queue", Lab: tycho.LabSpec{Kind: tycho.LabAgent, Name: "reactor"}}}
	if err := db.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := db.AddGeneration(ctx, &tycho.Generation{CampaignID: "c-a", Index: 1}, []*tycho.Experiment{{ID: "e-1"}}); err != nil {
		t.Fatal(err)
	}
	req := tycho.LeaseRequest{Lab: "reactor", Holder: "a", Max: 1, TTL: time.Hour}
	if l, err := db.LeaseExperiments(ctx, req); err != nil || len(l) != 1 || !l[0].Lease.Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("lease: %v, %+v", err, l)
	}
	now = now.Add(time.Hour - time.Microsecond)
	if l, err := db.LeaseExperiments(ctx, req); err != nil || len(l) != 0 {
		t.Fatalf("lease before expiry: %v, %d leased", err, len(l))
	}
	now = now.Add(time.Microsecond)
	if l, err := db.LeaseExperiments(ctx, req); err != nil || len(l) != 1 || l[0].Attempt != 2 {
		t.Fatalf("lease at expiry: %v, %+v; want attempt 2", err, l)
	}
}

// TestOddBytes covers values that SQLite keeps and PostgreSQL's TEXT
// refuses (NUL, invalid UTF-8): free text is kept as bytes, identifiers
// are refused, and lookups find nothing rather than failing.
func TestOddBytes(t *testing.T) {
	db := MustOpenDB(t)
	odd := "a\x00b\xff"
	c := &tycho.Campaign{ID: "c-1", Status: tycho.CampaignRunning, SourceName: odd, StopReason: odd}
	if err := db.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := db.AddGeneration(ctx, &tycho.Generation{CampaignID: "c-1", Index: 1}, []*tycho.Experiment{{ID: "e-1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.StartExperiment(ctx, "e-1"); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the retry matches the stored message
		if err := db.FailExperiment(ctx, "e-1", 1, odd); err != nil {
			t.Fatalf("fail with a message of odd bytes: %v", err)
		}
	}
	got, err := db.FindCampaign(ctx, "c-1")
	if err != nil || got.SourceName != odd || got.StopReason != odd {
		t.Errorf("campaign: %v, source name %q stop reason %q; want %q", err, got.SourceName, got.StopReason, odd)
	}
	if e, err := db.FindExperiment(ctx, "e-1"); err != nil || e.Error != odd {
		t.Errorf("experiment: %v, error %q; want %q", err, e.Error, odd)
	}

	err = db.CreateCampaign(ctx, &tycho.Campaign{ID: odd, Status: tycho.CampaignRunning})
	if code := tycho.ErrorCode(err); code != tycho.EINVALID {
		t.Errorf("create a campaign with ID %q: %v, want %s", odd, err, tycho.EINVALID)
	}
	_, err = db.FindCampaign(ctx, odd)
	if code := tycho.ErrorCode(err); code != tycho.ENOTFOUND {
		t.Errorf("find campaign %q: %v, want %s", odd, err, tycho.ENOTFOUND)
	}
	_, err = db.FindExperiment(ctx, odd)
	if code := tycho.ErrorCode(err); code != tycho.ENOTFOUND {
		t.Errorf("find experiment %q: %v, want %s", odd, err, tycho.ENOTFOUND)
	}
	_, err = db.ListExperiments(ctx, odd)
	if code := tycho.ErrorCode(err); code != tycho.ENOTFOUND {
		t.Errorf("list experiments of %q: %v, want %s", odd, err, tycho.ENOTFOUND)
	}
}

// TestNegativeZeroParam stores -0, which a jsonb column would turn into 0.
func TestNegativeZeroParam(t *testing.T) {
	db := MustOpenDB(t)
	if err := db.CreateCampaign(ctx, &tycho.Campaign{ID: "c-1", Status: tycho.CampaignRunning}); err != nil {
		t.Fatal(err)
	}
	e := &tycho.Experiment{ID: "e-1", Params: tycho.Params{"x": math.Copysign(0, -1)}}
	if err := db.AddGeneration(ctx, &tycho.Generation{CampaignID: "c-1", Index: 1}, []*tycho.Experiment{e}); err != nil {
		t.Fatal(err)
	}
	got, err := db.FindExperiment(ctx, "e-1")
	if err != nil {
		t.Fatal(err)
	}
	if x, ok := got.Params["x"].(float64); !ok || x != 0 || !math.Signbit(x) {
		t.Errorf("parameter x came back as %#v, want -0", got.Params["x"])
	}
}

func TestCountExperiments(t *testing.T) {
	db := MustOpenDB(t)
	if got, err := db.CountExperiments(ctx); err != nil || len(got) != 0 {
		t.Fatalf("count in an empty store: %v (%v), want none", got, err)
	}
	for _, id := range []string{"c-1", "c-2"} {
		if err := db.CreateCampaign(ctx, &tycho.Campaign{ID: id, Status: tycho.CampaignRunning}); err != nil {
			t.Fatal(err)
		}
		exps := []*tycho.Experiment{{ID: id + "-e-1"}, {ID: id + "-e-2"}}
		if err := db.AddGeneration(ctx, &tycho.Generation{CampaignID: id, Index: 1}, exps); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.StartExperiment(ctx, "c-2-e-2"); err != nil {
		t.Fatal(err)
	}
	got, err := db.CountExperiments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[tycho.ExperimentState]int{tycho.ExperimentProposed: 3, tycho.ExperimentRunning: 1}
	if len(got) != len(want) || got[tycho.ExperimentProposed] != 3 || got[tycho.ExperimentRunning] != 1 {
		t.Errorf("counts %v, want %v", got, want)
	}
}

func TestDatasets(t *testing.T) {
	storetest.RunDatasets(t, func(t *testing.T) tycho.DatasetService { return MustOpenDB(t) })
}

// datasetVersion returns a version of dataset name in project p1 with one
// file whose hash is made from seed.
func datasetVersion(name string, seed int) *tycho.DatasetVersion {
	h := fmt.Sprintf("%064x", seed)
	return &tycho.DatasetVersion{Project: "p1", Dataset: name, Metadata: tycho.Metadata{Title: "t"},
		Files: []tycho.File{{Path: "f.csv", Size: 3, SHA256: h, Chunks: []tycho.Chunk{{Hash: h, Size: 3}}}}}
}

// TestAddVersionConcurrently adds versions of one new dataset from several
// goroutines on two handles, as two servers would: the versions are
// numbered 1 to n, each number once.
func TestAddVersionConcurrently(t *testing.T) {
	dsn := pgtest.DSN(t)
	servers := []*postgres.DB{MustOpenDSN(t, dsn), MustOpenDSN(t, dsn)}
	const n = 16
	numbers := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			v, err := servers[i%2].AddVersion(ctx, datasetVersion("a", i+1))
			if err != nil {
				errs[i] = err
				return
			}
			numbers[i] = v.Number
		})
	}
	close(start)
	wg.Wait()
	seen := map[int]int{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
		if prev, ok := seen[numbers[i]]; ok {
			t.Errorf("adds %d and %d both got version %d", prev, i, numbers[i])
		}
		seen[numbers[i]] = i
	}
	vs, err := servers[0].ListVersions(ctx, "p1", "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != n {
		t.Fatalf("%d versions stored, want %d", len(vs), n)
	}
	for i, v := range vs {
		if v.Number != i+1 {
			t.Errorf("version %d is numbered %d", i+1, v.Number)
		}
		// The stored version is the one its add was told it was.
		if want := tycho.ManifestDigest(datasetVersion("a", seen[v.Number]+1).Files); v.Digest != want {
			t.Errorf("version %d: digest %s, want that of add %d, %s", v.Number, v.Digest, seen[v.Number], want)
		}
	}
}

// TestDatasetQuality stores a version's quality report and reads it back,
// including a quoted value holding a NUL byte, which jsonb would refuse;
// a version without a report reads back without one.
func TestDatasetQuality(t *testing.T) {
	db := MustOpenDB(t)
	v := datasetVersion("q", 1)
	v.Quality = &tycho.QualityReport{Grade: tycho.GradeSilver, HasLicense: true, Reasons: []string{"no description"},
		Tables:    []tycho.TableReport{{Path: "f.csv", Format: "csv", Rows: 1, Quality: []tycho.ColumnQuality{{Name: "x", TypeViolations: 1, Example: "row 2: \x00"}}}},
		CheckedAt: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)}
	if _, err := db.AddVersion(ctx, v); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddVersion(ctx, datasetVersion("q", 2)); err != nil {
		t.Fatal(err)
	}
	got, err := db.FindVersion(ctx, "p1", "q", "1")
	if err != nil {
		t.Fatal(err)
	}
	if q := got.Quality; q == nil || q.Grade != tycho.GradeSilver || !q.CheckedAt.Equal(v.Quality.CheckedAt) ||
		len(q.Tables) != 1 || q.Tables[0].Quality[0].Example != "row 2: \x00" {
		t.Errorf("quality read back: %+v, want %+v", got.Quality, v.Quality)
	}
	if got, err := db.FindVersion(ctx, "p1", "q", "2"); err != nil || got.Quality != nil {
		t.Errorf("version without a report: quality %+v (%v), want none", got.Quality, err)
	}
	if d, err := db.FindDataset(ctx, "p1", "q"); err != nil || d.Latest.Number != 2 || d.Latest.Quality != nil {
		t.Errorf("dataset: %+v (%v)", d, err)
	}
}

// TestDatasetOddNames looks up names a TEXT column cannot hold: nothing is
// found, and nothing fails.
func TestDatasetOddNames(t *testing.T) {
	db := MustOpenDB(t)
	for _, name := range []string{"a\x00b", "\xff"} {
		if _, err := db.FindDataset(ctx, "p1", name); tycho.ErrorCode(err) != tycho.ENOTFOUND {
			t.Errorf("find dataset %q: %v, want not found", name, err)
		}
		if _, err := db.FindVersion(ctx, name, "a", "1"); tycho.ErrorCode(err) != tycho.ENOTFOUND {
			t.Errorf("find version in project %q: %v, want not found", name, err)
		}
		if _, err := db.ListVersions(ctx, "p1", name); tycho.ErrorCode(err) != tycho.ENOTFOUND {
			t.Errorf("list versions of %q: %v, want not found", name, err)
		}
		if ds, err := db.ListDatasets(ctx, name); err != nil || len(ds) != 0 {
			t.Errorf("list datasets of project %q: %v, %v", name, ds, err)
		}
	}
	if _, err := db.FindVersion(ctx, "p1", "a", "99999999999"); tycho.ErrorCode(err) != tycho.ENOTFOUND {
		t.Errorf("find a version number beyond INTEGER: %v, want not found", err)
	}
}

func TestListDatasetProjects(t *testing.T) {
	db := MustOpenDB(t)
	for _, p := range []string{"zeta", "alpha", "alpha"} {
		v := datasetVersion("a", len(p))
		v.Project = p
		if _, err := db.AddVersion(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.ListDatasetProjects(ctx)
	if err != nil || strings.Join(got, ",") != "alpha,zeta" {
		t.Errorf("projects: %v (%v), want alpha, zeta", got, err)
	}
}

func TestProvenance(t *testing.T) {
	storetest.RunProvenance(t, func(t *testing.T) storetest.ProvenanceStore { return MustOpenDB(t) })
}
