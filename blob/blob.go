// Package blob stores file chunks content-addressed on the local file
// system: the chunk with SHA-256 h of project p lives at
// DIR/p/sha256/h[0:2]/h[2:]. It implements tycho.ChunkStore.
//
// A chunk is written to a temporary file in the same directory tree and
// renamed into place, so a chunk file is either absent or complete. Sync
// flushes the file system (syncfs) once for everything written, rather
// than each chunk alone, and only then may a dataset version that refers
// to the chunks be recorded: a version is visible only once its chunks are
// durable.
package blob

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
	"sync"

	"tycho"
)

// Store is a directory of projects' chunks.
type Store struct {
	dir string
	// made remembers the fan-out directories created, to skip MkdirAll.
	made sync.Map
}

var _ tycho.ChunkStore = (*Store)(nil)

// Open returns the store in dir, creating dir if needed.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open chunk store: %w", err)
	}
	return &Store{dir: dir}, nil
}

// path returns the file of a chunk, checking the project name and hash
// so that neither can point outside the store.
func (s *Store) path(project, hash string) (string, error) {
	if err := tycho.ValidName("project", project); err != nil {
		return "", err
	}
	if !tycho.ValidHash(hash) {
		return "", tycho.Errorf(tycho.EINVALID, "chunk hash %q is not a hex SHA-256", hash)
	}
	return filepath.Join(s.dir, project, "sha256", hash[:2], hash[2:]), nil
}

// Missing implements tycho.ChunkStore.
func (s *Store) Missing(ctx context.Context, project string, hashes []string) ([]string, error) {
	var missing []string
	for _, h := range hashes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := s.path(project, h)
		if err != nil {
			return nil, err
		}
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, h)
		} else if err != nil {
			return nil, fmt.Errorf("chunk %s: %w", h, err)
		}
	}
	return missing, nil
}

// PutChunk implements tycho.ChunkStore. A chunk already stored is not
// written again.
func (s *Store) PutChunk(ctx context.Context, project, hash string, data []byte) error {
	p, err := s.path(project, hash)
	if err != nil {
		return err
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != hash {
		return tycho.Errorf(tycho.EINVALID, "chunk %s: its bytes hash to %x", hash, sum)
	}
	if _, err := os.Lstat(p); err == nil {
		return nil
	}
	return s.write(p, data)
}

// write writes data to p through a temporary file in p's directory.
func (s *Store) write(p string, data []byte) error {
	dir := filepath.Dir(p)
	if _, ok := s.made.Load(dir); !ok {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("store chunk: %w", err)
		}
		s.made.Store(dir, true)
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("store chunk: %w", err)
	}
	defer os.Remove(f.Name()) // after the rename, a no-op
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("store chunk: %w", err)
	}
	if syncEachChunk {
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("store chunk: %w", err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("store chunk: %w", err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return fmt.Errorf("store chunk: %w", err)
	}
	return nil
}

// OpenChunk implements tycho.ChunkStore.
func (s *Store) OpenChunk(ctx context.Context, project, hash string) (io.ReadCloser, error) {
	p, err := s.path(project, hash)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "chunk %s of project %s not found", hash, project)
	} else if err != nil {
		return nil, fmt.Errorf("open chunk: %w", err)
	}
	return f, nil
}

// Sync implements tycho.ChunkStore. On Linux one syncfs(2) of the file
// system holding the store makes every chunk written so far durable, with
// its directory entry; elsewhere each chunk is synced as it is written.
func (s *Store) Sync(ctx context.Context, project string) error {
	if err := tycho.ValidName("project", project); err != nil {
		return err
	}
	if err := syncFS(s.dir); err != nil {
		return fmt.Errorf("sync chunks: %w", err)
	}
	return nil
}
