package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"tycho"
)

var _ tycho.ProjectService = (*DB)(nil)

// FindProject implements tycho.ProjectService: a project never configured
// has the defaults and zero times.
func (db *DB) FindProject(ctx context.Context, name string) (*tycho.Project, error) {
	if err := tycho.ValidName("project", name); err != nil {
		return nil, err
	}
	p := &tycho.Project{Name: name}
	var grade string
	var created, updated int64
	err := db.pool().QueryRowContext(ctx, `SELECT min_prior_grade, created_at, updated_at FROM projects WHERE name = ?`, name).
		Scan(&grade, &created, &updated)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return p, nil
	case err != nil:
		return nil, wrap(err, "find project %s", name)
	}
	if p.MinPriorGrade, err = tycho.ParseGrade(grade); err != nil {
		return nil, fmt.Errorf("find project %s: the stored grade %q is unknown", name, grade)
	}
	p.CreatedAt, p.UpdatedAt = fromNanos(created), fromNanos(updated)
	return p, nil
}

// PutProject implements tycho.ProjectService. It stores the settings and
// returns the project with its times: created when first put, updated
// now.
func (db *DB) PutProject(ctx context.Context, p *tycho.Project) (*tycho.Project, error) {
	if err := tycho.ValidName("project", p.Name); err != nil {
		return nil, err
	}
	if p.MinPriorGrade.Rank() < 0 {
		return nil, tycho.Errorf(tycho.EINVALID, "project %s: grade %q: use none, bronze, silver or gold", p.Name, p.MinPriorGrade)
	}
	out := *p
	err := db.tx(ctx, func(tx conn) error {
		now := nanos(db.now())
		if _, err := tx.ExecContext(ctx, `INSERT INTO projects (name, min_prior_grade, created_at, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET min_prior_grade = excluded.min_prior_grade, updated_at = excluded.updated_at`,
			p.Name, string(p.MinPriorGrade), now, now); err != nil {
			return err
		}
		var created, updated int64
		if err := tx.QueryRowContext(ctx, `SELECT created_at, updated_at FROM projects WHERE name = ?`, p.Name).Scan(&created, &updated); err != nil {
			return err
		}
		out.CreatedAt, out.UpdatedAt = fromNanos(created), fromNanos(updated)
		return nil
	})
	if err != nil {
		return nil, wrap(err, "put project %s", p.Name)
	}
	return &out, nil
}
