package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"tycho"
	"tycho/internal/storejson"
)

var _ tycho.DatasetService = (*DB)(nil)

// AddVersion implements tycho.DatasetService. It locks the dataset's row
// before it numbers the new version, so versions added at once, from any
// server, get distinct numbers without gaps; the row is created, if it is
// new, in the same transaction. The version's files are copied in with
// COPY, so a version of many files is one round trip for its files.
func (db *DB) AddVersion(ctx context.Context, v *tycho.DatasetVersion) (*tycho.DatasetVersion, error) {
	if err := tycho.CheckVersion(v); err != nil {
		return nil, err
	}
	md, err := storejson.EncodeMetadata(v.Metadata)
	if err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "dataset %s: metadata cannot be stored: %v", v.Dataset, err)
	}
	var quality []byte // NULL: no report
	if v.Quality != nil {
		if quality, err = json.Marshal(v.Quality); err != nil {
			return nil, tycho.Errorf(tycho.EINVALID, "dataset %s: quality report cannot be stored: %v", v.Dataset, err)
		}
	}
	out := *v
	out.Digest, out.Size, out.FileCount = tycho.ManifestDigest(v.Files), 0, len(v.Files)
	files := make([][]any, len(v.Files))
	for i, f := range v.Files {
		out.Size += f.Size
		chunks, err := storejson.EncodeChunks(f.Chunks)
		if err != nil {
			return nil, err
		}
		files[i] = []any{v.Project, v.Dataset, 0, f.Path, f.Size, f.SHA256, chunks}
	}
	err = db.tx(ctx, func(tx pgx.Tx) error {
		now := db.clock()
		if _, err := tx.Exec(ctx, `INSERT INTO datasets (project, name, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (project, name) DO NOTHING`, v.Project, v.Dataset, now); err != nil {
			return fmt.Errorf("insert dataset: %w", err)
		}
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM datasets WHERE project = $1 AND name = $2 FOR UPDATE`, v.Project, v.Dataset).Scan(&one); err != nil {
			return fmt.Errorf("lock dataset: %w", err)
		}
		// READ COMMITTED: this statement sees every version committed
		// before the lock was granted.
		prev, prevMD, err := scanVersion(tx.QueryRow(ctx, `SELECT `+versionColumns+` FROM dataset_versions
			WHERE project = $1 AND dataset = $2 ORDER BY number DESC LIMIT 1`, v.Project, v.Dataset))
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			out.Number = 1
		case err != nil:
			return err
		case prev.Digest == out.Digest && string(prevMD) == string(md) && storejson.SameQuality(prev.Quality, v.Quality):
			out = *prev // the same data again: no new version
			out.Files = v.Files
			return nil
		default:
			out.Number = prev.Number + 1
		}
		out.CreatedAt = now
		if _, err := tx.Exec(ctx, `INSERT INTO dataset_versions (project, dataset, number, digest, size, file_count, metadata, quality, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			out.Project, out.Dataset, out.Number, out.Digest, out.Size, out.FileCount, md, nullJSON(quality), now); err != nil {
			if _, ok := uniqueViolation(err); ok {
				return tycho.Errorf(tycho.ECONFLICT, "dataset %s: version %d was added at the same time; try again", v.Dataset, out.Number)
			}
			return fmt.Errorf("insert version: %w", err)
		}
		for _, row := range files {
			row[2] = out.Number
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"dataset_files"},
			[]string{"project", "dataset", "number", "path", "size", "sha256", "chunks"}, pgx.CopyFromRows(files)); err != nil {
			return fmt.Errorf("insert files: %w", err)
		}
		// The version is a provenance entity from the moment it exists.
		return insertProv(ctx, tx, tycho.VersionProvenance(&out), now)
	})
	if err != nil {
		return nil, wrap(err, "add a version of dataset %s", v.Dataset)
	}
	return &out, nil
}

// nullJSON passes a JSON value, or NULL for none.
func nullJSON(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

const versionColumns = `project, dataset, number, digest, size, file_count, metadata, quality, created_at`

// scanVersion reads the versionColumns, returning the stored metadata too.
func scanVersion(s scanner) (*tycho.DatasetVersion, []byte, error) {
	var v tycho.DatasetVersion
	var md, quality []byte
	var created pgtype.Timestamptz
	if err := s.Scan(&v.Project, &v.Dataset, &v.Number, &v.Digest, &v.Size, &v.FileCount, &md, &quality, &created); err != nil {
		return nil, nil, err
	}
	var err error
	if v.Metadata, err = storejson.DecodeMetadata(md); err != nil {
		return nil, nil, fmt.Errorf("version %s@%d: %w", v.Dataset, v.Number, err)
	}
	if quality != nil {
		v.Quality = new(tycho.QualityReport)
		if err := json.Unmarshal(quality, v.Quality); err != nil {
			return nil, nil, fmt.Errorf("version %s@%d: decode quality report: %w", v.Dataset, v.Number, err)
		}
	}
	v.CreatedAt = fromTimestamp(created)
	return &v, md, nil
}

func scanVersionOnly(s scanner) (*tycho.DatasetVersion, error) {
	v, _, err := scanVersion(s)
	return v, err
}

// scanRows reads every row with scan and closes rows.
func scanRows[T any](rows pgx.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// datasetNotFound is the error for a dataset that does not exist.
func datasetNotFound(project, name string) error {
	return tycho.Errorf(tycho.ENOTFOUND, "dataset %s not found in project %s", name, project)
}

// FindDataset implements tycho.DatasetService.
func (db *DB) FindDataset(ctx context.Context, project, name string) (*tycho.Dataset, error) {
	if !storable(project) || !storable(name) {
		return nil, datasetNotFound(project, name)
	}
	var created pgtype.Timestamptz
	row := db.pool.QueryRow(ctx, `SELECT d.created_at, `+prefixed("v.", versionColumns)+`
		FROM datasets d JOIN dataset_versions v ON v.project = d.project AND v.dataset = d.name
		WHERE d.project = $1 AND d.name = $2 ORDER BY v.number DESC LIMIT 1`, project, name)
	latest, err := scanVersionOnly(prefixScanner{row, &created})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, datasetNotFound(project, name)
	} else if err != nil {
		return nil, fmt.Errorf("find dataset %s: %w", name, err)
	}
	return &tycho.Dataset{Project: project, Name: name, Latest: latest, CreatedAt: fromTimestamp(created)}, nil
}

// prefixScanner scans one leading column into first, and the rest with
// the scanner it wraps.
type prefixScanner struct {
	s     scanner
	first any
}

func (p prefixScanner) Scan(dest ...any) error { return p.s.Scan(append([]any{p.first}, dest...)...) }

// ListDatasets implements tycho.DatasetService.
func (db *DB) ListDatasets(ctx context.Context, project string) ([]*tycho.Dataset, error) {
	if !storable(project) {
		return nil, nil
	}
	// DISTINCT ON takes each dataset's latest version from the primary key.
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT ON (d.name) d.created_at, `+prefixed("v.", versionColumns)+`
		FROM datasets d JOIN dataset_versions v ON v.project = d.project AND v.dataset = d.name
		WHERE d.project = $1 ORDER BY d.name, v.number DESC`, project)
	if err != nil {
		return nil, fmt.Errorf("list datasets of project %s: %w", project, err)
	}
	out, err := scanRows(rows, func(s scanner) (*tycho.Dataset, error) {
		var created pgtype.Timestamptz
		v, err := scanVersionOnly(prefixScanner{s, &created})
		if err != nil {
			return nil, err
		}
		return &tycho.Dataset{Project: v.Project, Name: v.Dataset, Latest: v, CreatedAt: fromTimestamp(created)}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list datasets of project %s: %w", project, err)
	}
	return out, nil
}

// ListDatasetProjects returns the projects that hold datasets, by name, so
// that a catalogue can cover them all.
func (db *DB) ListDatasetProjects(ctx context.Context) ([]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT project FROM datasets ORDER BY project`)
	if err != nil {
		return nil, fmt.Errorf("list projects with datasets: %w", err)
	}
	out, err := scanRows(rows, func(s scanner) (p string, err error) { return p, s.Scan(&p) })
	if err != nil {
		return nil, fmt.Errorf("list projects with datasets: %w", err)
	}
	return out, nil
}

// ListVersions implements tycho.DatasetService.
func (db *DB) ListVersions(ctx context.Context, project, name string) ([]*tycho.DatasetVersion, error) {
	if !storable(project) || !storable(name) {
		return nil, datasetNotFound(project, name)
	}
	rows, err := db.pool.Query(ctx, `SELECT `+versionColumns+` FROM dataset_versions
		WHERE project = $1 AND dataset = $2 ORDER BY number`, project, name)
	if err != nil {
		return nil, fmt.Errorf("list versions of dataset %s: %w", name, err)
	}
	out, err := scanRows(rows, scanVersionOnly)
	if err != nil {
		return nil, fmt.Errorf("list versions of dataset %s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, datasetNotFound(project, name)
	}
	return out, nil
}

// FindVersion implements tycho.DatasetService. The version and its files
// are read in one REPEATABLE READ transaction; a version never changes,
// but this way a reader never needs to reason about that.
func (db *DB) FindVersion(ctx context.Context, project, name, ref string) (*tycho.DatasetVersion, error) {
	var v *tycho.DatasetVersion
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		if v, err = findVersion(ctx, tx, project, name, ref); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT path, size, sha256, chunks FROM dataset_files
			WHERE project = $1 AND dataset = $2 AND number = $3 ORDER BY path`, project, name, v.Number)
		if err != nil {
			return err
		}
		v.Files, err = scanRows(rows, func(s scanner) (f tycho.File, err error) {
			var chunks []byte
			if err := s.Scan(&f.Path, &f.Size, &f.SHA256, &chunks); err != nil {
				return f, err
			}
			f.Chunks, err = storejson.DecodeChunks(chunks)
			return f, err
		})
		return err
	})
	if err != nil {
		return nil, wrap(err, "find version %s of dataset %s", ref, name)
	}
	return v, nil
}

// findVersion resolves a version reference without reading the files.
func findVersion(ctx context.Context, tx querier, project, name, ref string) (*tycho.DatasetVersion, error) {
	notFound := func() error {
		if ref == "" || ref == "latest" {
			return datasetNotFound(project, name)
		}
		return tycho.Errorf(tycho.ENOTFOUND, "dataset %s has no version %s in project %s", name, ref, project)
	}
	var rows pgx.Rows
	var err error
	switch n, numErr := strconv.Atoi(ref); {
	case ref == "" || ref == "latest":
		if !storable(project) || !storable(name) {
			return nil, notFound()
		}
		rows, err = tx.Query(ctx, `SELECT `+versionColumns+` FROM dataset_versions
			WHERE project = $1 AND dataset = $2 ORDER BY number DESC LIMIT 1`, project, name)
	case numErr == nil && n > 0:
		if !storable(project) || !storable(name) || n > 1<<31-1 {
			return nil, notFound()
		}
		rows, err = tx.Query(ctx, `SELECT `+versionColumns+` FROM dataset_versions
			WHERE project = $1 AND dataset = $2 AND number = $3`, project, name, n)
	case strings.HasPrefix(ref, "sha256:") && len(ref) >= len("sha256:")+8 && tycho.ValidHash((ref[7:] + strings.Repeat("0", 64))[:64]):
		if !storable(project) || !storable(name) {
			return nil, notFound()
		}
		// A prefix of a digest: a range scan of the digest index, whose
		// "C" collation orders digests byte by byte.
		rows, err = tx.Query(ctx, `SELECT `+versionColumns+` FROM dataset_versions
			WHERE project = $1 AND dataset = $2 AND digest >= $3 AND digest < $4 ORDER BY number DESC`,
			project, name, ref, ref+"g")
	default:
		return nil, tycho.Errorf(tycho.EINVALID, "version %q of dataset %s: give a number, latest, or sha256: and at least 8 hex digits of the digest", ref, name)
	}
	if err != nil {
		return nil, err
	}
	found, err := scanRows(rows, scanVersionOnly)
	switch {
	case err != nil:
		return nil, err
	case len(found) == 0:
		return nil, notFound()
	}
	for _, f := range found[1:] {
		if f.Digest != found[0].Digest {
			return nil, tycho.Errorf(tycho.EINVALID, "version %s of dataset %s is ambiguous: versions %d and %d both match", ref, name, found[0].Number, f.Number)
		}
	}
	return found[0], nil // the latest of the versions with this digest
}

// prefixed qualifies each column of a column list with a table alias.
func prefixed(alias, columns string) string {
	cols := strings.Split(columns, ", ")
	for i, c := range cols {
		cols[i] = alias + c
	}
	return strings.Join(cols, ", ")
}
