package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tycho"
	"tycho/sqlite"
	"tycho/storetest"
)

var ctx = context.Background()

// MustOpenDB opens a new database in a temporary directory and closes it
// when the test ends.
func MustOpenDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	return MustOpenPath(tb, filepath.Join(tb.TempDir(), "tycho.db"))
}

// MustOpenPath opens the database at path and closes it when the test ends.
func MustOpenPath(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// rawDB opens the file behind the store's back with the plain driver.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) tycho.Store { return MustOpenDB(t) })
}

func TestOpenMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tycho.db")
	for range 3 {
		db, err := sqlite.Open(ctx, path)
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
	if err := rawDB(t, path).QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &max); err != nil {
		t.Fatal(err)
	}
	if n != len(files) || max != len(files) {
		t.Errorf("schema_migrations has %d rows up to version %d, want %d up to %d", n, max, len(files), len(files))
	}
}

// TestOpenConcurrently opens one new file from several handles at once, as
// two tycho processes started together would; each migration is applied
// once.
func TestOpenConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tycho.db")
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			db, err := sqlite.Open(ctx, path)
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
	list, err := MustOpenPath(t, path).ListCampaigns(ctx)
	if err != nil || len(list) != 4 {
		t.Errorf("after concurrent opens: %d campaigns (%v), want 4", len(list), err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tycho.db")
	db, err := sqlite.Open(ctx, path)
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
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = MustOpenPath(t, path)
	got, err := db.FindCampaign(ctx, "c-1")
	if err != nil {
		t.Fatalf("campaign lost on reopen: %v", err)
	}
	if got.Spec.Seed != c.Spec.Seed || string(got.Source) != "x" || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Errorf("reopened campaign: seed %d source %q created %v; want %d %q %v", got.Spec.Seed, got.Source, got.CreatedAt, c.Spec.Seed, "x", c.CreatedAt)
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
	path := filepath.Join(t.TempDir(), "tycho.db")
	db := MustOpenPath(t, path)
	db.Close()
	if _, err := rawDB(t, path).Exec(`INSERT INTO schema_migrations (version, name) VALUES (999, '999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Open(ctx, path)
	if got := tycho.ErrorCode(err); got != tycho.ECONFLICT {
		t.Fatalf("open a newer schema: code %q (%v), want %q", got, err, tycho.ECONFLICT)
	}
	if msg := tycho.ErrorMessage(err); !strings.Contains(msg, "999") || !strings.Contains(msg, "newer") {
		t.Errorf("open a newer schema: message %q, want one naming version 999 as newer", msg)
	}
}

func TestOpenRenamedMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tycho.db")
	MustOpenPath(t, path).Close()
	if _, err := rawDB(t, path).Exec(`UPDATE schema_migrations SET name = '001_other.sql' WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Open(ctx, path)
	if got := tycho.ErrorCode(err); got != tycho.ECONFLICT {
		t.Errorf("open with a different migration 1: code %q (%v), want %q", got, err, tycho.ECONFLICT)
	}
}

func TestOpenNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tycho.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not sqlite\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	if db, err := sqlite.Open(ctx, path); err == nil {
		db.Close()
		t.Error("opened a file that is not a database")
	}
}

// TestOpenPathNeedsNoEscaping opens a file whose path holds characters
// that mean something in a URI.
func TestOpenPathNeedsNoEscaping(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a b?c#d%20e&f")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "tycho.db")
	db := MustOpenPath(t, path)
	if err := db.CreateCampaign(ctx, &tycho.Campaign{ID: "c-1", Status: tycho.CampaignRunning}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at %s: %v", path, err)
	}
}

func TestJournalIsWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tycho.db")
	MustOpenPath(t, path).Close()
	var mode string
	if err := rawDB(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
}

func TestClock(t *testing.T) {
	db := MustOpenDB(t)
	now := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	db.SetNow(func() time.Time { return now })
	c := &tycho.Campaign{ID: "c-1", Status: tycho.CampaignRunning}
	if err := db.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	if !c.CreatedAt.Equal(now) || !c.UpdatedAt.Equal(now) {
		t.Errorf("zero times stamped %v, %v; want %v", c.CreatedAt, c.UpdatedAt, now)
	}
	e := &tycho.Experiment{ID: "e-1", Params: tycho.Params{"x": 1.0}}
	g := &tycho.Generation{CampaignID: "c-1", Index: 1, Strategy: "gp"}
	if err := db.AddGeneration(ctx, g, []*tycho.Experiment{e}); err != nil {
		t.Fatal(err)
	}
	if !e.CreatedAt.Equal(now) || !g.CreatedAt.Equal(now) || e.State != tycho.ExperimentProposed {
		t.Errorf("added experiment: created %v state %q, generation created %v; want %v, proposed", e.CreatedAt, e.State, g.CreatedAt, now)
	}
	now = now.Add(time.Minute)
	st, err := db.StartExperiment(ctx, "e-1")
	if err != nil {
		t.Fatal(err)
	}
	if !st.StartedAt.Equal(now) {
		t.Errorf("started at %v, want %v", st.StartedAt, now)
	}
	now = now.Add(time.Minute)
	if err := db.CompleteExperiment(ctx, "e-1", 1, &tycho.Result{Objectives: map[string]float64{"y": 1}}); err != nil {
		t.Fatal(err)
	}
	exps, err := db.ListExperiments(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if got := exps[0]; !got.FinishedAt.Equal(now) || !got.StartedAt.Equal(now.Add(-time.Minute)) || !got.CreatedAt.Equal(now.Add(-2*time.Minute)) {
		t.Errorf("stored times: created %v started %v finished %v", got.CreatedAt, got.StartedAt, got.FinishedAt)
	}
	now = now.Add(time.Minute)
	status := tycho.CampaignCompleted
	upd, err := db.UpdateCampaign(ctx, "c-1", tycho.CampaignUpdate{Status: &status})
	if err != nil {
		t.Fatal(err)
	}
	if !upd.UpdatedAt.Equal(now) || !upd.CreatedAt.Equal(c.CreatedAt) {
		t.Errorf("updated campaign: created %v updated %v; want %v, %v", upd.CreatedAt, upd.UpdatedAt, c.CreatedAt, now)
	}
}

func BenchmarkCompleteExperiment(b *testing.B) {
	db := MustOpenDB(b)
	if err := db.CreateCampaign(ctx, &tycho.Campaign{ID: "c-1", Status: tycho.CampaignRunning}); err != nil {
		b.Fatal(err)
	}
	res := &tycho.Result{Objectives: map[string]float64{"y": 0.397887}, Noise: map[string]float64{"y": 0.01}}
	var ready []string // started experiments waiting for a result
	gen := 0
	b.ReportAllocs()
	for b.Loop() {
		if len(ready) == 0 {
			// Prepare the next batch off the clock.
			b.StopTimer()
			gen++
			batch := make([]*tycho.Experiment, 256)
			for i := range batch {
				batch[i] = &tycho.Experiment{ID: fmt.Sprintf("e-%d-%d", gen, i), Params: tycho.Params{"x1": 0.5, "x2": 1e-3, "solvent": "thf"}}
			}
			if err := db.AddGeneration(ctx, &tycho.Generation{CampaignID: "c-1", Index: gen, Strategy: "gp"}, batch); err != nil {
				b.Fatal(err)
			}
			for _, e := range batch {
				if _, err := db.StartExperiment(ctx, e.ID); err != nil {
					b.Fatal(err)
				}
				ready = append(ready, e.ID)
			}
			b.StartTimer()
		}
		id := ready[0]
		ready = ready[1:]
		if err := db.CompleteExperiment(ctx, id, 1, res); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDatasets(t *testing.T) {
	storetest.RunDatasets(t, func(t *testing.T) tycho.DatasetService { return MustOpenDB(t) })
}

func TestProvenance(t *testing.T) {
	storetest.RunProvenance(t, func(t *testing.T) storetest.ProvenanceStore { return MustOpenDB(t) })
}

func TestImporter(t *testing.T) {
	storetest.RunImporter(t, func(t *testing.T) storetest.ImporterStore { return MustOpenDB(t) })
}

func TestProjects(t *testing.T) {
	storetest.RunProjects(t, func(t *testing.T) tycho.ProjectService { return MustOpenDB(t) })
}
