package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"tycho"
)

// Get writes the files of a version into dir, each checked against its
// SHA-256 as it is written. A file is written to a temporary name and
// renamed into place once complete and checked, so a failure leaves no
// partial file under a dataset path. Files that exist already are
// refused rather than overwritten.
func (s *Service) Get(ctx context.Context, project, name, ref, dir string) (*tycho.DatasetVersion, error) {
	if project == "" {
		project = tycho.DefaultProject
	}
	v, err := s.Datasets.FindVersion(ctx, project, name, ref)
	if err != nil {
		return nil, err
	}
	for _, f := range v.Files {
		// The store checked the paths; check again, as these name files
		// to write.
		if err := tycho.ValidFilePath(f.Path); err != nil {
			return nil, err
		}
		dst := filepath.Join(dir, filepath.FromSlash(f.Path))
		if _, err := os.Lstat(dst); err == nil {
			return nil, tycho.Errorf(tycho.ECONFLICT, "%s exists already; get into an empty directory", dst)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	for _, f := range v.Files {
		if err := s.getFile(ctx, project, f, filepath.Join(dir, filepath.FromSlash(f.Path))); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (s *Service) getFile(ctx context.Context, project string, f tycho.File, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.CreateTemp(filepath.Dir(dst), ".tycho-get-*")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name()) // after the rename, a no-op
	h := sha256.New()
	w := io.MultiWriter(out, h)
	for i, c := range f.Chunks {
		rc, err := s.Chunks.OpenChunk(ctx, project, c.Hash)
		if err != nil {
			out.Close()
			return fmt.Errorf("%s: chunk %d: %w", f.Path, i+1, err)
		}
		n, err := io.Copy(w, rc)
		rc.Close()
		if err != nil {
			out.Close()
			return fmt.Errorf("%s: chunk %d: %w", f.Path, i+1, err)
		}
		if n != c.Size {
			out.Close()
			return tycho.Errorf(tycho.EINTERNAL, "%s: chunk %d (%s) holds %d bytes, want %d: the chunk store is damaged", f.Path, i+1, c.Hash, n, c.Size)
		}
	}
	if err := out.Close(); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return tycho.Errorf(tycho.EINTERNAL, "%s: the bytes hash to %s, not %s as recorded: the chunk store is damaged", f.Path, got, f.SHA256)
	}
	return os.Rename(out.Name(), dst)
}

// A Change is how a file differs between two versions.
type Change struct {
	Path string
	// Kind is '+' (added), '-' (removed) or 'M' (modified).
	Kind byte
	// Old and New are the file in each version, nil where absent.
	Old, New *tycho.File
}

// Diff returns the files that differ between versions a and b, by path.
func Diff(a, b *tycho.DatasetVersion) []Change {
	old := make(map[string]*tycho.File, len(a.Files))
	for i := range a.Files {
		old[a.Files[i].Path] = &a.Files[i]
	}
	var out []Change
	seen := make(map[string]bool, len(b.Files))
	for i := range b.Files {
		f := &b.Files[i]
		seen[f.Path] = true
		switch o, ok := old[f.Path]; {
		case !ok:
			out = append(out, Change{Path: f.Path, Kind: '+', New: f})
		case o.SHA256 != f.SHA256:
			out = append(out, Change{Path: f.Path, Kind: 'M', Old: o, New: f})
		}
	}
	for i := range a.Files {
		if f := &a.Files[i]; !seen[f.Path] {
			out = append(out, Change{Path: f.Path, Kind: '-', Old: f})
		}
	}
	sortChanges(out)
	return out
}

func sortChanges(cs []Change) {
	slices.SortFunc(cs, func(x, y Change) int { return strings.Compare(x.Path, y.Path) })
}
