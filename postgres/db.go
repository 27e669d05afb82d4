// Package postgres stores campaigns and experiments in PostgreSQL (with
// pgx), so that several Tycho servers can share one database. It keeps the
// same contract as the embedded store, checked by the same suite
// (storetest), and the same JSON encodings (internal/storejson).
//
// Several servers may call any method at once:
//   - A transition of one experiment locks its row (SELECT ... FOR UPDATE)
//     and then updates it only if its state and attempt are still the ones
//     read (check and set), so two racing calls are decided one after the
//     other and the loser hears ECONFLICT.
//   - LeaseExperiments selects the ready experiments with FOR UPDATE OF e
//     SKIP LOCKED in the transaction that updates them: servers leasing
//     from one queue at once take different experiments without waiting
//     for one another, and none is leased twice.
//   - AddGeneration locks its campaign's row before it numbers the new
//     experiments, so sequence numbers have neither gaps nor twins.
//
// Times are kept to the microsecond, PostgreSQL's precision. The store's
// clock is truncated to match, so a time a call returns is the time a
// later read finds.
//
// Identifiers and names are TEXT, which cannot hold a NUL byte or bytes
// that are not UTF-8: a write with such a value is refused with EINVALID,
// and a lookup finds nothing (ENOTFOUND). Free text that comes from outside
// (an experiment's error, which may be a driver's standard error; a stop
// reason; a source file name) is kept as bytes, exactly as SQLite keeps it.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"tycho"
)

// DB is a Tycho store in a PostgreSQL database.
type DB struct {
	pool *pgxpool.Pool
	now  func() time.Time
	// agents remembers the lab agents whose provenance is recorded, so
	// that a lease need not record it again.
	agents sync.Map
}

var _ tycho.Store = (*DB)(nil)

// Open connects to the PostgreSQL database named by dsn (a URL such as
// postgres://user@host:5432/tycho?sslmode=disable, or key=value pairs, as
// pgx reads them; pool_max_conns sets the size of the connection pool),
// and migrates it to the schema this binary knows. The tables live in the
// connection's search_path (public unless the DSN sets search_path). A
// database migrated by a newer Tycho is refused with ECONFLICT.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if dsn == "" {
		return nil, tycho.Errorf(tycho.EINVALID, "no PostgreSQL connection string given")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "PostgreSQL connection string: %v", err)
	}
	where := fmt.Sprintf("database %s on %s:%d", cfg.ConnConfig.Database, cfg.ConnConfig.Host, cfg.ConnConfig.Port)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", where, err)
	}
	db := &DB{pool: pool, now: func() time.Time { return time.Now().UTC() }}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open %s: %w", where, err)
	}
	return db, nil
}

// SetNow replaces the clock that stamps creation, start, finish and update
// times and decides when leases expire; by default it is time.Now in UTC.
// Call it before the DB is shared.
func (db *DB) SetNow(now func() time.Time) { db.now = func() time.Time { return now().UTC() } }

// Close closes the connection pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// clock returns the store's time, truncated to what PostgreSQL keeps.
func (db *DB) clock() time.Time { return db.now().Truncate(time.Microsecond) }

// tx runs f in a transaction (READ COMMITTED, PostgreSQL's default),
// committing if f returns nil.
func (db *DB) tx(ctx context.Context, f func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, f)
}

// querier runs queries on the pool or in a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type scanner interface{ Scan(...any) error }

// timestamp stores t as a TIMESTAMPTZ, and the zero time as NULL.
func timestamp(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
}

// fromTimestamp is the inverse of timestamp; times come back in UTC.
func fromTimestamp(ts pgtype.Timestamptz) time.Time {
	if !ts.Valid {
		return time.Time{}
	}
	return ts.Time.UTC()
}

// micro returns t as PostgreSQL keeps it: truncated to the microsecond,
// as pgx sends it.
func micro(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

// blob returns s for a BYTEA column; never nil, which would be NULL.
func blob(s string) []byte { return append([]byte{}, s...) }

// storable reports whether s fits a TEXT column: UTF-8 without NUL bytes.
func storable(s string) bool {
	return utf8.ValidString(s) && !strings.Contains(s, "\x00")
}

// checkText returns EINVALID naming the first field whose value a TEXT
// column cannot hold. fields alternates names and values.
func checkText(fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		if !storable(fields[i+1]) {
			return tycho.Errorf(tycho.EINVALID, "%s %q: a NUL byte or invalid UTF-8 cannot be stored", fields[i], fields[i+1])
		}
	}
	return nil
}

// uniqueViolation returns the name of the unique constraint err violates,
// and whether it is such a violation.
func uniqueViolation(err error) (string, bool) {
	var e *pgconn.PgError
	if errors.As(err, &e) && e.Code == "23505" {
		return e.ConstraintName, true
	}
	return "", false
}

// wrap adds context to an internal error and passes domain errors, whose
// messages already name the object, through unchanged.
func wrap(err error, format string, args ...any) error {
	if err == nil || tycho.ErrorCode(err) != tycho.EINTERNAL {
		return err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
