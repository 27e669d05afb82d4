package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"tycho"
	"tycho/rocrate"
)

// importCommand is "tycho import FILE.zip": a crate that "tycho export
// --project" wrote becomes a new data directory.
//
// The directory must be empty or absent. The import builds the store in a
// temporary directory beside it and renames that into place only once
// everything is in, so a refused or interrupted import leaves nothing
// behind, and a reader never sees half a project.
type importCommand struct {
	stdout, stderr io.Writer
}

func (c *importCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("import", "import [--data DIR] FILE.zip\n\nImports a project that tycho export --project wrote into an empty or new data directory", c.stderr)
	data := dataFlag(fs)
	args, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return usageError(fs, "name the export to import")
	}
	f, err := os.Open(args[0])
	if err != nil {
		return tycho.Errorf(tycho.EINVALID, "%s: %v", args[0], errors.Unwrap(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return tycho.Errorf(tycho.EINVALID, "%s is not a regular file; an import reads a ZIP file", args[0])
	}
	dir, err := filepath.Abs(*data)
	if err != nil {
		return err
	}
	if err := emptyOrAbsent(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o750); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(dir), err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".import-*")
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer os.RemoveAll(tmp) // after the rename, there is nothing left to remove
	dst, closeStore, err := openLocal(ctx, tmp, true)
	if err != nil {
		return err
	}
	err = rocrate.Import(ctx, f, st.Size(), dst)
	if cerr := closeStore(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o750); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if err := moveInto(tmp, dir); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "imported %s into %s\n", args[0], dir)
	return nil
}

// emptyOrAbsent returns EINVALID unless dir is an empty directory or does
// not exist.
func emptyOrAbsent(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return tycho.Errorf(tycho.EINVALID, "data directory %s: %v", dir, errors.Unwrap(err))
	case len(entries) > 0:
		return tycho.Errorf(tycho.EINVALID, "data directory %s is not empty; tycho import fills an empty or new one (give --data DIR)", dir)
	}
	return nil
}

// moveInto renames the directory tmp to dir, which is absent or empty, and
// makes the rename durable. On Linux one rename replaces an empty
// directory; elsewhere the empty directory is removed first.
func moveInto(tmp, dir string) error {
	err := os.Rename(tmp, dir)
	if err != nil && emptyOrAbsent(dir) == nil {
		if rerr := os.Remove(dir); rerr == nil {
			err = os.Rename(tmp, dir)
		}
	}
	if err != nil {
		return fmt.Errorf("move the imported data into %s: %w", dir, err)
	}
	if d, err := os.Open(filepath.Dir(dir)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
