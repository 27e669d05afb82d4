package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"tycho"
	"tycho/internal/storejson"
)

var _ tycho.DatasetService = (*DB)(nil)

// AddVersion implements tycho.DatasetService.
func (db *DB) AddVersion(ctx context.Context, v *tycho.DatasetVersion) (*tycho.DatasetVersion, error) {
	if err := tycho.CheckVersion(v); err != nil {
		return nil, err
	}
	md, err := storejson.EncodeMetadata(v.Metadata)
	if err != nil {
		return nil, err
	}
	quality, err := storejson.EncodeQuality(v.Quality)
	if err != nil {
		return nil, err
	}
	out := *v
	out.Digest, out.Size, out.FileCount = tycho.ManifestDigest(v.Files), 0, len(v.Files)
	chunks := make([][]byte, len(v.Files))
	for i, f := range v.Files {
		out.Size += f.Size
		if chunks[i], err = storejson.EncodeChunks(f.Chunks); err != nil {
			return nil, err
		}
	}
	err = db.tx(ctx, func(tx conn) error {
		prev, prevMD, err := scanVersion(tx.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM dataset_versions
			WHERE project = ? AND dataset = ? ORDER BY number DESC LIMIT 1`, v.Project, v.Dataset))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			prev = nil
		case err != nil:
			return err
		case prev.Digest == out.Digest && string(prevMD) == string(md) && storejson.SameQuality(prev.Quality, v.Quality):
			out = *prev // the same data again: no new version
			out.Files = v.Files
			return nil
		}
		now := db.now()
		if prev == nil {
			out.Number = 1
			if _, err := tx.ExecContext(ctx, `INSERT INTO datasets (project, name, created_at) VALUES (?, ?, ?)`, v.Project, v.Dataset, nanos(now)); err != nil {
				return fmt.Errorf("insert dataset: %w", err)
			}
		} else {
			out.Number = prev.Number + 1
		}
		out.CreatedAt = now
		if _, err := tx.ExecContext(ctx, `INSERT INTO dataset_versions (`+versionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			out.Project, out.Dataset, out.Number, out.Digest, out.Size, out.FileCount, string(md), nullText(quality), nanos(now)); err != nil {
			return fmt.Errorf("insert version: %w", err)
		}
		for i, f := range v.Files {
			if _, err := tx.ExecContext(ctx, `INSERT INTO dataset_files (project, dataset, number, path, size, sha256, chunks) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				out.Project, out.Dataset, out.Number, f.Path, f.Size, f.SHA256, chunks[i]); err != nil {
				return fmt.Errorf("insert file %s: %w", f.Path, err)
			}
		}
		// The version is a provenance entity from the moment it exists.
		return insertProv(ctx, tx, tycho.VersionProvenance(&out), now)
	})
	if err != nil {
		return nil, wrap(err, "add a version of dataset %s", v.Dataset)
	}
	out.CreatedAt = out.CreatedAt.UTC()
	return &out, nil
}

const versionColumns = `project, dataset, number, digest, size, file_count, metadata, quality, created_at`

// scanVersion reads the versionColumns, returning the stored metadata too.
func scanVersion(s scanner) (*tycho.DatasetVersion, []byte, error) {
	var v tycho.DatasetVersion
	var md, quality []byte
	var created int64
	if err := s.Scan(&v.Project, &v.Dataset, &v.Number, &v.Digest, &v.Size, &v.FileCount, &md, &quality, &created); err != nil {
		return nil, nil, err
	}
	if err := decodeVersion(&v, md, quality); err != nil {
		return nil, nil, err
	}
	v.CreatedAt = fromNanos(created)
	return &v, md, nil
}

// decodeVersion decodes a version's stored metadata and quality report.
func decodeVersion(v *tycho.DatasetVersion, md, quality []byte) error {
	var err error
	if v.Metadata, err = storejson.DecodeMetadata(md); err != nil {
		return fmt.Errorf("version %s@%d: %w", v.Dataset, v.Number, err)
	}
	if v.Quality, err = storejson.DecodeQuality(quality); err != nil {
		return fmt.Errorf("version %s@%d: %w", v.Dataset, v.Number, err)
	}
	return nil
}

func scanVersionOnly(s scanner) (*tycho.DatasetVersion, error) {
	v, _, err := scanVersion(s)
	return v, err
}

// FindDataset implements tycho.DatasetService.
func (db *DB) FindDataset(ctx context.Context, project, name string) (*tycho.Dataset, error) {
	var d *tycho.Dataset
	err := db.readTx(ctx, func(tx conn) error {
		var created int64
		err := tx.QueryRowContext(ctx, `SELECT created_at FROM datasets WHERE project = ? AND name = ?`, project, name).Scan(&created)
		if errors.Is(err, sql.ErrNoRows) {
			return tycho.Errorf(tycho.ENOTFOUND, "dataset %s not found in project %s", name, project)
		} else if err != nil {
			return err
		}
		latest, err := scanVersionOnly(tx.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM dataset_versions
			WHERE project = ? AND dataset = ? ORDER BY number DESC LIMIT 1`, project, name))
		if err != nil {
			return err
		}
		d = &tycho.Dataset{Project: project, Name: name, Latest: latest, CreatedAt: fromNanos(created)}
		return nil
	})
	if err != nil {
		return nil, wrap(err, "find dataset %s", name)
	}
	return d, nil
}

// ListDatasets implements tycho.DatasetService.
func (db *DB) ListDatasets(ctx context.Context, project string) ([]*tycho.Dataset, error) {
	rows, err := db.pool().QueryContext(ctx, `SELECT d.created_at, `+prefixed("v.", versionColumns)+`
		FROM datasets d JOIN dataset_versions v ON v.project = d.project AND v.dataset = d.name
		WHERE d.project = ? AND v.number = (SELECT MAX(number) FROM dataset_versions
			WHERE project = d.project AND dataset = d.name)
		ORDER BY d.name`, project)
	if err != nil {
		return nil, wrap(err, "list datasets of project %s", project)
	}
	out, err := scanAll(rows, func(s scanner) (*tycho.Dataset, error) {
		var created int64
		var v tycho.DatasetVersion
		var md, quality []byte
		var vcreated int64
		if err := s.Scan(&created, &v.Project, &v.Dataset, &v.Number, &v.Digest, &v.Size, &v.FileCount, &md, &quality, &vcreated); err != nil {
			return nil, err
		}
		if err := decodeVersion(&v, md, quality); err != nil {
			return nil, err
		}
		v.CreatedAt = fromNanos(vcreated)
		return &tycho.Dataset{Project: v.Project, Name: v.Dataset, Latest: &v, CreatedAt: fromNanos(created)}, nil
	})
	return out, wrap(err, "list datasets of project %s", project)
}

// ListVersions implements tycho.DatasetService.
func (db *DB) ListVersions(ctx context.Context, project, name string) ([]*tycho.DatasetVersion, error) {
	var out []*tycho.DatasetVersion
	err := db.readTx(ctx, func(tx conn) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+versionColumns+` FROM dataset_versions WHERE project = ? AND dataset = ? ORDER BY number`, project, name)
		if err != nil {
			return err
		}
		if out, err = scanAll(rows, scanVersionOnly); err != nil {
			return err
		}
		if len(out) == 0 {
			return tycho.Errorf(tycho.ENOTFOUND, "dataset %s not found in project %s", name, project)
		}
		return nil
	})
	return out, wrap(err, "list versions of dataset %s", name)
}

// FindVersion implements tycho.DatasetService.
func (db *DB) FindVersion(ctx context.Context, project, name, ref string) (*tycho.DatasetVersion, error) {
	var v *tycho.DatasetVersion
	err := db.readTx(ctx, func(tx conn) error {
		var err error
		if v, err = findVersion(ctx, tx, project, name, ref); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT path, size, sha256, chunks FROM dataset_files
			WHERE project = ? AND dataset = ? AND number = ? ORDER BY path`, project, name, v.Number)
		if err != nil {
			return err
		}
		files, err := scanAll(rows, func(s scanner) (f tycho.File, err error) {
			var chunks []byte
			if err := s.Scan(&f.Path, &f.Size, &f.SHA256, &chunks); err != nil {
				return f, err
			}
			f.Chunks, err = storejson.DecodeChunks(chunks)
			return f, err
		})
		v.Files = files
		return err
	})
	if err != nil {
		return nil, wrap(err, "find version %s of dataset %s", ref, name)
	}
	return v, nil
}

// findVersion resolves a version reference without reading the files.
func findVersion(ctx context.Context, tx conn, project, name, ref string) (*tycho.DatasetVersion, error) {
	notFound := func() error {
		if ref == "" || ref == "latest" {
			return tycho.Errorf(tycho.ENOTFOUND, "dataset %s not found in project %s", name, project)
		}
		return tycho.Errorf(tycho.ENOTFOUND, "dataset %s has no version %s in project %s", name, ref, project)
	}
	var rows *sql.Rows
	var err error
	switch n, numErr := strconv.Atoi(ref); {
	case ref == "" || ref == "latest":
		rows, err = tx.QueryContext(ctx, `SELECT `+versionColumns+` FROM dataset_versions WHERE project = ? AND dataset = ? ORDER BY number DESC LIMIT 1`, project, name)
	case numErr == nil && n > 0:
		rows, err = tx.QueryContext(ctx, `SELECT `+versionColumns+` FROM dataset_versions WHERE project = ? AND dataset = ? AND number = ?`, project, name, n)
	case strings.HasPrefix(ref, "sha256:") && len(ref) >= len("sha256:")+8 && tycho.ValidHash((ref[7:] + strings.Repeat("0", 64))[:64]):
		// A prefix of a digest: a range scan of the digest index.
		rows, err = tx.QueryContext(ctx, `SELECT `+versionColumns+` FROM dataset_versions
			WHERE project = ? AND dataset = ? AND digest >= ? AND digest < ? ORDER BY number DESC`,
			project, name, ref, ref+"g")
	default:
		return nil, tycho.Errorf(tycho.EINVALID, "version %q of dataset %s: give a number, latest, or sha256: and at least 8 hex digits of the digest", ref, name)
	}
	if err != nil {
		return nil, err
	}
	found, err := scanAll(rows, scanVersionOnly)
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

// ListDatasetProjects returns the projects that hold datasets, by name,
// so that a catalogue can cover them all.
func (db *DB) ListDatasetProjects(ctx context.Context) ([]string, error) {
	rows, err := db.pool().QueryContext(ctx, `SELECT DISTINCT project FROM datasets ORDER BY project`)
	if err != nil {
		return nil, wrap(err, "list projects with datasets")
	}
	out, err := scanAll(rows, func(s scanner) (p string, err error) { return p, s.Scan(&p) })
	return out, wrap(err, "list projects with datasets")
}
