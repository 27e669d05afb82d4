// Package sqlite stores campaigns and experiments in an embedded SQLite
// database (modernc.org/sqlite, pure Go), the default store of a Tycho
// data directory.
//
// Every connection runs in WAL mode with synchronous=FULL, foreign keys on
// and a busy timeout, and every change that spans rows is one transaction,
// so a process killed at any instant leaves the database consistent and
// every committed result durable.
//
// Specs, parameters, results and generation records are stored as JSON.
// Objective values, noise and acquisition values keep NaN and ±Inf (as the
// strings "NaN", "+Inf" and "-Inf"). In the free-form maps (a generation's
// model, a result's metadata) a non-finite number is stored as that string
// too, so a diagnostic value never blocks a proposal or a result;
// non-finite parameter values are refused with EINVALID.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"tycho"
)

// busyTimeout is how long a connection waits for another process's write
// lock before giving up with "database is locked".
const busyTimeout = 10 * time.Second

// DB is a Tycho store in one SQLite file.
type DB struct {
	db  *sql.DB
	now func() time.Time
	// write admits one write transaction of this process at a time, so
	// writers queue in Go (and honour their contexts) instead of polling
	// SQLite's lock; busy_timeout still arbitrates between processes.
	write chan struct{}
}

var _ tycho.Store = (*DB)(nil)

// Open opens the database at path, creating it if needed, and migrates it
// to the schema this binary knows. A database migrated by a newer Tycho is
// refused with ECONFLICT.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, tycho.Errorf(tycho.EINVALID, "no database path given")
	}
	dsn, err := dataSourceName(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{
		db:    sdb,
		now:   func() time.Time { return time.Now().UTC() },
		write: make(chan struct{}, 1),
	}
	// While a new file turns from a rollback journal to WAL, another
	// process opening it may get SQLITE_BUSY at once, without waiting out
	// the busy timeout. Migrating is idempotent, so Open retries for up to
	// that timeout instead.
	for start := time.Now(); ; {
		err := db.migrate(ctx)
		if err == nil {
			return db, nil
		}
		if !isBusy(err) || time.Since(start) > busyTimeout {
			sdb.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			sdb.Close()
			return nil, fmt.Errorf("open %s: %w", path, ctx.Err())
		}
	}
}

// dataSourceName builds the driver's DSN: a file: URI, so that any
// character may appear in path, whose parameters configure every pooled
// connection the same way.
func dataSourceName(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	abs = filepath.ToSlash(abs)
	if !strings.HasPrefix(abs, "/") {
		abs = "/" + abs // a Windows drive letter: file:///C:/...
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	// Write transactions take the write lock at BEGIN, so two of them
	// never deadlock upgrading a read lock.
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}
	return u.String(), nil
}

// SetNow replaces the clock that stamps creation, start, finish and update
// times; by default it is time.Now in UTC. Call it before the DB is shared.
func (db *DB) SetNow(now func() time.Time) { db.now = func() time.Time { return now().UTC() } }

// Close closes the database.
func (db *DB) Close() error { return db.db.Close() }

// tx runs f in a write transaction, committing if f returns nil.
func (db *DB) tx(ctx context.Context, f func(*sql.Tx) error) error {
	select {
	case db.write <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-db.write }()
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

// readTx runs f in a read-only transaction, which sees one snapshot of the
// database and takes no write lock.
func (db *DB) readTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	return f(tx)
}

// nanos stores t as Unix nanoseconds, and the zero time as 0.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos is the inverse of nanos; times come back in UTC.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// isUnique reports whether err is a primary key or uniqueness violation.
func isUnique(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// isBusy reports whether err is SQLite's "database is locked".
func isBusy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

// wrap adds context to an internal error and passes domain errors, whose
// messages already name the object, through unchanged.
func wrap(err error, format string, args ...any) error {
	if err == nil || tycho.ErrorCode(err) != tycho.EINTERNAL {
		return err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

type scanner interface{ Scan(...any) error }
