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
	"sync"
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
	// agents remembers the lab agents whose provenance is recorded, so
	// that a lease need not record it again.
	agents sync.Map
	// writes queues this process's write transactions for the committer,
	// which runs them in batches (group commit): SQLite allows one writer
	// at a time, and each commit waits for the disk, so many concurrent
	// writes share one commit. busy_timeout still arbitrates between
	// processes.
	writes chan *write
	// stop ends the committer; stopped is closed when it has ended.
	stop, stopped chan struct{}
	closeOnce     sync.Once
	// stmts holds a prepared statement per query text. database/sql
	// prepares each on every connection that runs it, once, so SQLite
	// parses a query once per connection rather than once per call.
	stmts sync.Map // string → *sql.Stmt
}

// conn runs queries through the DB's statement cache: in tx when it is
// set, and on the connection pool otherwise.
type conn struct {
	db *DB
	tx *sql.Tx
}

// pool returns a conn that queries outside any transaction.
func (db *DB) pool() conn { return conn{db: db} }

// stmt returns the prepared statement for query, in c's transaction if it
// has one.
func (c conn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	v, ok := c.db.stmts.Load(query)
	if !ok {
		st, err := c.db.db.PrepareContext(ctx, query)
		if err != nil {
			return nil, err
		}
		if v, ok = c.db.stmts.LoadOrStore(query, st); ok {
			st.Close() // prepared concurrently
		}
	}
	st := v.(*sql.Stmt)
	if c.tx != nil {
		st = c.tx.StmtContext(ctx, st)
	}
	return st, nil
}

// ExecContext runs a statement that returns no rows.
func (c conn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext runs a query.
func (c conn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a query that returns at most one row.
func (c conn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query)
	if err != nil {
		// Unprepared, to return the error in the row.
		if c.tx != nil {
			return c.tx.QueryRowContext(ctx, query, args...)
		}
		return c.db.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// write is one queued write transaction.
type write struct {
	ctx  context.Context
	f    func(conn) error
	done chan error
}

// maxBatch bounds how many writes share one commit.
const maxBatch = 256

// maxIdle is how many pooled connections stay open between queries.
const maxIdle = 32

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
	// Opening a connection costs more than most queries (the pragmas
	// run on each), so keep the connections concurrent readers open.
	sdb.SetMaxIdleConns(maxIdle)
	db := &DB{
		db:      sdb,
		now:     func() time.Time { return time.Now().UTC() },
		writes:  make(chan *write, maxBatch),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go db.commit()
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
			db.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			db.Close()
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

// Close waits for queued writes to finish and closes the database.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { close(db.stop) })
	<-db.stopped
	db.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	return db.db.Close()
}

// errClosed answers writes queued after Close.
var errClosed = errors.New("the store is closed")

// tx runs f in a write transaction and returns once it is durable: f's
// changes are committed if it returns nil and undone if it returns an
// error. Writes of concurrent callers may share the transaction, each in
// its own savepoint, so one caller's error undoes only its own changes.
func (db *DB) tx(ctx context.Context, f func(conn) error) error {
	w := &write{ctx: ctx, f: f, done: make(chan error, 1)}
	select {
	case db.writes <- w:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.stop:
		return errClosed
	}
	// Once queued, the write may be committed: wait for the outcome even
	// if ctx ends meanwhile (the committer skips writes whose context
	// ended before they ran).
	return <-w.done
}

// commit runs queued writes in batches until Close, then fails what is
// still queued.
func (db *DB) commit() {
	defer close(db.stopped)
	batch := make([]*write, 0, maxBatch)
	for {
		select {
		case w := <-db.writes:
			batch = append(batch[:0], w)
		case <-db.stop:
			for {
				select {
				case w := <-db.writes:
					w.done <- errClosed
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case w := <-db.writes:
				batch = append(batch, w)
			default:
				break fill
			}
		}
		db.commitBatch(batch)
	}
}

// commitBatch runs a batch of writes in one transaction, each in a
// savepoint, commits it, and tells each writer its outcome.
func (db *DB) commitBatch(batch []*write) {
	errs := make([]error, len(batch))
	finish := func(err error) {
		for i, w := range batch {
			if errs[i] == nil {
				errs[i] = err
			}
			w.done <- errs[i]
		}
	}
	tx, err := db.db.BeginTx(context.Background(), nil)
	if err != nil {
		finish(fmt.Errorf("begin: %w", err))
		return
	}
	defer tx.Rollback()
	ctx := context.Background()
	c := conn{db: db, tx: tx}
	for i, w := range batch {
		if err := w.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if _, err := c.ExecContext(ctx, `SAVEPOINT w`); err != nil {
			finish(fmt.Errorf("savepoint: %w", err))
			return
		}
		errs[i] = w.f(c)
		if errs[i] != nil {
			if _, err := c.ExecContext(ctx, `ROLLBACK TO w`); err != nil {
				finish(fmt.Errorf("roll back to savepoint: %w", err))
				return
			}
		}
		if _, err := c.ExecContext(ctx, `RELEASE w`); err != nil {
			finish(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		finish(fmt.Errorf("commit: %w", err))
		return
	}
	finish(nil)
}

// readTx runs f in a read-only transaction, which sees one snapshot of the
// database and takes no write lock.
func (db *DB) readTx(ctx context.Context, f func(conn) error) error {
	tx, err := db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	return f(conn{db: db, tx: tx})
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
