package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"tycho"
	"tycho/blob"
	"tycho/rocrate"
	"tycho/sqlite"
)

// exportCrateCommand is "tycho export --project P OUT.zip": everything a
// project holds, as an RO-Crate that can be read without Tycho and
// imported into another data directory (docs/exit.md).
//
// "tycho export" also exports one campaign as CSV or JSON (export.go).
// --project tells the two apart: it is the crate's flag, never the
// campaign export's.
type exportCrateCommand struct {
	stdout, stderr io.Writer
}

// isCrateExport reports whether the arguments of "tycho export" ask for a
// crate: whether they give --project.
func isCrateExport(args []string) bool {
	for _, a := range args {
		if a == "--" {
			break
		}
		name := strings.TrimLeft(a, "-")
		if name != a && len(a)-len(name) <= 2 && (name == "project" || strings.HasPrefix(name, "project=")) {
			return true
		}
	}
	return false
}

func (c *exportCrateCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("export", "export --project PROJECT [--data DIR] OUT.zip\n\nWrites the project's datasets, campaigns and provenance as an RO-Crate (a ZIP file; - for standard output)", c.stderr)
	data := dataFlag(fs)
	project := fs.String("project", tycho.DefaultProject, "the project to export; campaigns belong to the default project")
	args, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return usageError(fs, "name the file to write, or - for standard output")
	}
	src, closeStore, err := openLocal(ctx, *data, false)
	if err != nil {
		return err
	}
	defer closeStore()
	out := args[0]
	if out == "-" {
		out = ""
	}
	err = writeOutput(c.stdout, out, func(w io.Writer) error { return rocrate.Export(ctx, w, src, *project) })
	if err != nil {
		return err
	}
	if out != "" {
		fmt.Fprintf(c.stderr, "exported project %s to %s\n", *project, out)
	}
	return nil
}

// localStore is a data directory's store and chunk store together: what
// an export reads and an import writes.
type localStore struct {
	*sqlite.DB
	*blob.Store
}

var (
	_ rocrate.Source      = localStore{}
	_ rocrate.Destination = localStore{}
)

// openLocal opens the store and the chunk store of the data directory
// dir, and returns a function that closes them.
func openLocal(ctx context.Context, dir string, create bool) (localStore, func() error, error) {
	db, err := openStore(ctx, dir, create)
	if err != nil {
		return localStore{}, nil, err
	}
	chunks, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		db.Close()
		return localStore{}, nil, err
	}
	return localStore{DB: db, Store: chunks}, db.Close, nil
}
