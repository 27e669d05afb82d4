// Package quality reports on the quality of a dataset version: for each
// table (CSV, TSV or Parquet) its columns, with types declared in a schema
// or inferred from the values and units where declared, and what is wrong
// with it (missing values, duplicate rows, type violations, values
// outside declared ranges); and from those and the metadata, the grade
// the version earns under the minimum standards of docs/data-quality.md.
//
// Tables stream: a report keeps counts and a few examples per column and
// a bounded set of row hashes, never the rows, so a 10 GB file is read in
// the memory of a small one.
package quality

import (
	"context"
	"errors"
	"os"
	"path"
	"strings"

	"tycho"
)

// Format returns the table format of a file by its name's extension, in
// any case: "csv", "tsv" or "parquet", or "" for a file that is not a
// table.
func Format(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".csv":
		return "csv"
	case ".tsv":
		return "tsv"
	case ".parquet":
		return "parquet"
	}
	return ""
}

// File reports on the local file at abs, which is the dataset's file rel,
// as a table of format (see Format), with the columns s declares for rel.
// Only a cancelled ctx is an error: a file that cannot be opened or read
// gets a report with Error set.
func File(ctx context.Context, abs, rel, format string, s *Schema) (tycho.TableReport, error) {
	f, err := os.Open(abs)
	if err != nil {
		return tycho.TableReport{Path: rel, Format: format, Error: pathError(err)}, nil
	}
	defer f.Close()
	declared := s.For(rel)
	switch format {
	case "csv":
		return CSV(ctx, rel, f, ',', declared)
	case "tsv":
		return CSV(ctx, rel, f, '\t', declared)
	case "parquet":
		info, err := f.Stat()
		if err != nil {
			return tycho.TableReport{Path: rel, Format: format, Error: pathError(err)}, nil
		}
		return Parquet(ctx, rel, f, info.Size(), declared)
	}
	return tycho.TableReport{Path: rel, Format: format, Error: "not a table format (csv, tsv or parquet)"}, nil
}

// pathError drops the local path from an error about a file, since the
// report names the file by its path in the dataset.
func pathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
