// Package sqlite stores campaigns and experiments in an embedded SQLite
// database (modernc.org/sqlite, pure Go), the default store of a Tycho
// data directory.
//
// The database runs in WAL mode with synchronous=FULL, and every change
// that spans rows is one transaction, so a process killed at any instant
// leaves it consistent and every committed result durable.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"sort"
	"strings"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"tycho"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a Tycho store in one SQLite file.
type DB struct {
	db  *sql.DB
	now func() time.Time
}

var _ tycho.Store = (*DB)(nil)

// Open opens the database at path, creating it if needed, and migrates it
// to the schema this binary knows.
func Open(ctx context.Context, path string) (*DB, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)", "busy_timeout(10000)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	sdb, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{db: sdb, now: func() time.Time { return time.Now().UTC() }}
	if err := db.migrate(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// SetNow replaces the clock that stamps updates; tests use it.
func (db *DB) SetNow(now func() time.Time) { db.now = now }

// Close closes the database.
func (db *DB) Close() error { return db.db.Close() }

// migrate applies the embedded migrations not yet recorded, each in its own
// transaction.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	var have int
	if err := db.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(names) {
		return tycho.Errorf(tycho.ECONFLICT, "database schema version %d is newer than this tycho knows (%d); upgrade tycho", have, len(names))
	}
	for i, name := range names[have:] {
		version := have + i + 1
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = db.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, version, strings.TrimPrefix(name, "migrations/"))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// tx runs f in a transaction, committing if it returns nil.
func (db *DB) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// isConstraint reports whether err is a uniqueness or key violation.
func isConstraint(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}

var negInf = math.Inf(-1)

func isInf(v float64) bool { return math.IsInf(v, 0) || math.IsNaN(v) }
