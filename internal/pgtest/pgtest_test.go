package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

// TestDSN checks that each call gives a database of its own, empty and
// ready to use.
func TestDSN(t *testing.T) {
	ctx := context.Background()
	names := map[string]bool{}
	for range 2 {
		conn, err := pgx.Connect(ctx, DSN(t))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var name string
		var tables int
		err = conn.QueryRow(ctx, `SELECT current_database(), (SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public')`).Scan(&name, &tables)
		if err != nil {
			t.Fatal(err)
		}
		if names[name] || tables != 0 {
			t.Errorf("database %s: seen before %v, %d tables; want a new, empty one", name, names[name], tables)
		}
		names[name] = true
		if _, err := conn.Exec(ctx, `CREATE TABLE t (x INTEGER)`); err != nil {
			t.Errorf("create a table in %s: %v", name, err)
		}
	}
}

func TestWithDatabase(t *testing.T) {
	tests := []struct{ name, dsn, want string }{
		{"URL", "postgres://postgres@127.0.0.1:55432/tycho_test?sslmode=disable", "postgres://postgres@127.0.0.1:55432/db?sslmode=disable"},
		{"URLWithoutDatabase", "postgresql://u:p@h", "postgresql://u:p@h/db"},
		{"KeyValue", "host=h port=5 dbname=tycho_test", "host=h port=5 dbname=tycho_test dbname=db"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := withDatabase(tc.dsn, "db")
			if err != nil || got != tc.want {
				t.Fatalf("withDatabase(%q) = %q, %v; want %q", tc.dsn, got, err, tc.want)
			}
			cfg, err := pgx.ParseConfig(got)
			if err != nil || cfg.Database != "db" {
				t.Errorf("%q names database %q (%v), want db", got, cfg.Database, err)
			}
		})
	}
}
