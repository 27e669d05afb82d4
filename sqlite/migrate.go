package sqlite

import (
	"context"
	"embed"
	"fmt"

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

// migrate applies the embedded migrations the database lacks, each in its
// own transaction together with its row in schema_migrations. Another
// process may be migrating the same file, so each transaction checks again
// whether its migration is still missing.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	err = db.tx(ctx, func(tx conn) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY,
			name    TEXT NOT NULL
		)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied, err := db.appliedMigrations(ctx)
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
		err := db.tx(ctx, func(tx conn) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
				return err
			} else if n > 0 {
				return nil // another process got here first
			}
			if _, err := tx.tx.ExecContext(ctx, m.SQL); err != nil { // a script: not worth a prepared statement
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// appliedMigrations returns the name of each applied migration by version.
func (db *DB) appliedMigrations(ctx context.Context) (map[int]string, error) {
	rows, err := db.pool().QueryContext(ctx, `SELECT version, name FROM schema_migrations`)
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
