package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"

	_ "modernc.org/sqlite"

	"tycho"
	"tycho/sqlite"
	"tycho/storetest"
)

// MustOpenDB opens a new database in a temporary directory.
func MustOpenDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "tycho.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) tycho.Store { return MustOpenDB(t) })
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tycho.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	c := &tycho.Campaign{ID: "c-1", Spec: tycho.Spec{Name: "x"}, Status: tycho.CampaignRunning}
	if err := db.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Opening again applies no migration twice and keeps the data.
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	if _, err := db.FindCampaign(ctx, "c-1"); err != nil {
		t.Errorf("campaign lost on reopen: %v", err)
	}
}

func TestSchemaTooNew(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tycho.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version, name) VALUES (999, 'future.sql')`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	_, err = sqlite.Open(ctx, path)
	if got := tycho.ErrorCode(err); got != tycho.ECONFLICT {
		t.Errorf("opening a newer schema: code %q (%v), want %q", got, err, tycho.ECONFLICT)
	}
}

func BenchmarkCompleteExperiment(b *testing.B) {
	ctx := context.Background()
	db := MustOpenDB(b)
	if err := db.CreateCampaign(ctx, &tycho.Campaign{ID: "c", Spec: tycho.Spec{Name: "b"}, Status: tycho.CampaignRunning}); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		e := &tycho.Experiment{ID: "e-" + strconv.Itoa(i), Params: tycho.Params{"x": 1.0}}
		if err := db.AddGeneration(ctx, &tycho.Generation{CampaignID: "c", Index: i, Strategy: "gp"}, []*tycho.Experiment{e}); err != nil {
			b.Fatal(err)
		}
		if _, err := db.StartExperiment(ctx, e.ID); err != nil {
			b.Fatal(err)
		}
		if err := db.CompleteExperiment(ctx, e.ID, 1, &tycho.Result{Objectives: map[string]float64{"y": 1}}); err != nil {
			b.Fatal(err)
		}
	}
}
