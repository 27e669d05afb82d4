// Package migration reads a store's schema migrations: files NNN_name.sql,
// numbered from 001 without gaps. A released migration is never edited; a
// change is a new file. Each store applies them its own way.
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// Migration is one step of a schema.
type Migration struct {
	Version int
	// Name is the file's name, recorded when the step is applied.
	Name string
	SQL  string
}

// Load returns the migrations matching glob in fsys, in order, checking
// their names and numbering.
func Load(fsys fs.FS, glob string) ([]Migration, error) {
	names, err := fs.Glob(fsys, glob)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, name := range names { // fs.Glob sorts
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name is not NNN_name.sql", base)
		}
		if v != len(out)+1 {
			return nil, fmt.Errorf("migration %s: want version %d", base, len(out)+1)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: base, SQL: string(body)})
	}
	return out, nil
}
