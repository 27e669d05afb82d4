package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"

	"tycho"
	"tycho/internal/migration"
)

// migrationFS holds the schema as a series of migrations, NNN_name.sql,
// numbered from 001 without gaps. A released migration is never edited;
// a change is a new file.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// migrations returns the embedded migrations in order.
func migrations() ([]migration.Migration, error) {
	return migration.Load(migrationFS, "migrations/*.sql")
}

// migrationLock is the key of the advisory lock held while migrating. It is
// the first eight bytes of "tycho migrate" in ASCII; PostgreSQL scopes
// advisory locks to the database, so stores in other databases of the
// same cluster never wait for one another.
const migrationLock int64 = 0x747963686f206d69

// migrate applies the embedded migrations the database lacks, all in one
// transaction together with their rows in schema_migrations (PostgreSQL's
// DDL is transactional, so a failed migration leaves nothing behind). The
// transaction first takes an advisory lock, so servers started together
// migrate one after the other and the later ones find the work done.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("lock for migration: %w", err)
		}
		// Creating the table only when it is missing lets a role without
		// CREATE on the schema open a database that is up to date.
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if !exists {
			_, err := tx.Exec(ctx, `CREATE TABLE schema_migrations (
				version INTEGER PRIMARY KEY,
				name    TEXT NOT NULL
			)`)
			if err != nil {
				return fmt.Errorf("create schema_migrations: %w", err)
			}
		}
		applied, err := appliedMigrations(ctx, tx)
		if err != nil {
			return err
		}
		latest := 0
		for v := range applied {
			latest = max(latest, v)
		}
		if latest > len(ms) {
			return tycho.Errorf(tycho.ECONFLICT,
				"the database has schema version %d (%s), newer than this tycho knows (%d); use a newer tycho",
				latest, applied[latest], len(ms))
		}
		for v, name := range applied {
			if v < 1 {
				return tycho.Errorf(tycho.ECONFLICT, "the database has an unknown schema version %d (%s)", v, name)
			}
			if want := ms[v-1].Name; name != want {
				return tycho.Errorf(tycho.ECONFLICT,
					"the database has migration %d as %s where this tycho has %s; it was written by a different build",
					v, name, want)
			}
		}
		for _, m := range ms {
			if _, ok := applied[m.Version]; ok {
				continue
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
		}
		return nil
	})
}

// appliedMigrations returns the name of each applied migration by version.
func appliedMigrations(ctx context.Context, tx pgx.Tx) (map[int]string, error) {
	rows, err := tx.Query(ctx, `SELECT version, name FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	defer rows.Close()
	applied := map[int]string{}
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			return nil, fmt.Errorf("read schema version: %w", err)
		}
		applied[v] = name
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	return applied, nil
}
