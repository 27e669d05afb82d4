// Package dataset adds files to datasets and gets them back: it splits
// files into content-defined chunks (FastCDC), stores each chunk once by
// its SHA-256 in a tycho.ChunkStore, and records an immutable version with
// its BagIt manifest in a tycho.DatasetService. Both may be local or a
// server's, so the CLI works the same either way.
//
// Files stream: a file of any size is read once, in pieces, and never held
// in memory. A version is recorded only after every chunk it refers to is
// durable, so an interrupted add leaves no version behind; added again, it
// skips the chunks already stored.
//
// Tables (CSV, TSV and Parquet files, by extension) are read a second time,
// beside the chunking, for the version's quality report (package quality).
package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	chunkers "github.com/PlakarKorp/go-cdc-chunkers"
	_ "github.com/PlakarKorp/go-cdc-chunkers/chunkers/fastcdc" // registers fastcdc-v1.0.0
	"golang.org/x/sync/errgroup"

	"tycho"
	"tycho/quality"
)

// The chunking parameters are part of the storage format: other values
// would cut the same bytes elsewhere and so stop deduplicating against
// what is stored. The algorithm is named with its version for the same
// reason.
const (
	chunkAlgorithm = "fastcdc-v1.0.0"
	MinChunk       = 256 << 10
	NormalChunk    = 1 << 20
	MaxChunk       = 4 << 20
)

// Service adds and gets dataset versions.
type Service struct {
	Datasets tycho.DatasetService
	Chunks   tycho.ChunkStore
	// Workers hash and store chunks concurrently; 0 means one per CPU.
	Workers int
	// Now stamps quality reports; nil means time.Now.
	Now func() time.Time
}

// AddRequest names what to add.
type AddRequest struct {
	Project string
	Name    string
	// Paths are files, added under their base names, or directories,
	// whose files are added under their paths inside the directory.
	Paths    []string
	Metadata tycho.Metadata
	// Schema declares the columns of the version's tables, if given; the
	// columns it does not declare are inferred.
	Schema *quality.Schema
}

// Add stores the files as a new version of the dataset, with its quality
// report and grade, and returns it. If the files, metadata and report are
// those of the latest version, that version is returned and nothing new is
// recorded. A table that cannot be read is a problem in the report, not an
// error.
func (s *Service) Add(ctx context.Context, req AddRequest) (*tycho.DatasetVersion, error) {
	if req.Project == "" {
		req.Project = tycho.DefaultProject
	}
	if err := tycho.ValidName("project", req.Project); err != nil {
		return nil, err
	}
	if err := tycho.ValidName("dataset", req.Name); err != nil {
		return nil, err
	}
	if err := req.Metadata.Check(); err != nil {
		return nil, err
	}
	sources, err := walk(req.Paths)
	if err != nil {
		return nil, err
	}
	// The tables are read on their own goroutine, beside the chunking:
	// a second reader of the local file rather than a tee, so that
	// neither waits for the other.
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	var tables []tycho.TableReport
	var analyzeErr error
	analyzed := make(chan struct{})
	go func() {
		defer close(analyzed)
		tables, analyzeErr = analyze(actx, sources, req.Schema)
	}()
	files, err := s.store(ctx, req.Project, sources)
	if err != nil {
		cancel()
		<-analyzed
		return nil, err
	}
	<-analyzed
	if analyzeErr != nil {
		return nil, analyzeErr
	}
	if err := s.Chunks.Sync(ctx, req.Project); err != nil {
		return nil, err
	}
	q := quality.Grade(req.Metadata, tables)
	q.CheckedAt = s.now()
	return s.Datasets.AddVersion(ctx, &tycho.DatasetVersion{
		Project:  req.Project,
		Dataset:  req.Name,
		Files:    files,
		Metadata: req.Metadata,
		Quality:  q,
	})
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// analyze reports on the sources that are tables, in path order.
func analyze(ctx context.Context, sources []source, schema *quality.Schema) ([]tycho.TableReport, error) {
	var out []tycho.TableReport
	for _, src := range sources {
		format := quality.Format(src.rel)
		if format == "" {
			continue
		}
		rep, err := quality.File(ctx, src.abs, src.rel, format, schema)
		if err != nil {
			return nil, err
		}
		out = append(out, rep)
	}
	slices.SortFunc(out, func(a, b tycho.TableReport) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// source is a file to add: where it is and where it goes.
type source struct {
	abs, rel string
	size     int64
}

// walk lists the regular files under paths. Symbolic links and special
// files are refused rather than followed or skipped, so that what is added
// is exactly what was named.
func walk(paths []string) ([]source, error) {
	if len(paths) == 0 {
		return nil, tycho.Errorf(tycho.EINVALID, "no files given")
	}
	var out []source
	seen := map[string]string{}
	add := func(abs, rel string, info fs.FileInfo) error {
		rel = filepath.ToSlash(rel)
		if err := tycho.ValidFilePath(rel); err != nil {
			return tycho.Errorf(tycho.EINVALID, "%s: %s", abs, tycho.ErrorMessage(err))
		}
		if other, ok := seen[rel]; ok {
			return tycho.Errorf(tycho.EINVALID, "%s and %s would both be %s in the dataset", other, abs, rel)
		}
		seen[rel] = abs
		out = append(out, source{abs: abs, rel: rel, size: info.Size()})
		return nil
	}
	for _, p := range paths {
		info, err := os.Lstat(p)
		if err != nil {
			return nil, tycho.Errorf(tycho.EINVALID, "%s: %v", p, errors.Unwrap(err))
		}
		switch {
		case info.Mode().IsRegular():
			if err := add(p, filepath.Base(p), info); err != nil {
				return nil, err
			}
			continue
		case !info.IsDir():
			return nil, notRegular(p, info)
		}
		err = filepath.WalkDir(p, func(abs string, d fs.DirEntry, err error) error {
			if err != nil {
				return tycho.Errorf(tycho.EINVALID, "%s: %v", abs, errors.Unwrap(err))
			}
			if d.IsDir() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			if !info.Mode().IsRegular() {
				return notRegular(abs, info)
			}
			rel, err := filepath.Rel(p, abs)
			if err != nil {
				return err
			}
			return add(abs, rel, info)
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func notRegular(p string, info fs.FileInfo) error {
	if info.Mode()&fs.ModeSymlink != 0 {
		return tycho.Errorf(tycho.EINVALID, "%s is a symbolic link; add what it points to instead", p)
	}
	return tycho.Errorf(tycho.EINVALID, "%s is not a regular file (%s)", p, info.Mode().Type())
}

// job is one chunk to hash and store.
type job struct {
	file  int // index into the files being added
	index int // of the chunk within its file
	data  *[]byte
}

// store chunks and stores every file, and returns them with their chunks
// and hashes. One goroutine reads and cuts the files in order; workers
// hash and store the chunks; a file larger than one chunk is also hashed
// whole, on its own goroutine, as it is read.
func (s *Service) store(ctx context.Context, project string, sources []source) ([]tycho.File, error) {
	workers := s.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	files := make([]tycho.File, len(sources))
	var mu sync.Mutex // guards the Chunks of files
	jobs := make(chan job, 2*workers)
	g, ctx := errgroup.WithContext(ctx)
	for range workers {
		g.Go(func() error {
			for j := range jobs {
				data := *j.data
				sum := sha256.Sum256(data)
				h := hex.EncodeToString(sum[:])
				missing, err := s.Chunks.Missing(ctx, project, []string{h})
				if err != nil {
					return err
				}
				if len(missing) > 0 {
					if err := s.Chunks.PutChunk(ctx, project, h, data); err != nil {
						return fmt.Errorf("%s: %w", sources[j.file].abs, err)
					}
				}
				mu.Lock()
				files[j.file].Chunks[j.index].Hash = h
				mu.Unlock()
				putBuffer(j.data)
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(jobs)
		for i, src := range sources {
			if err := s.cut(ctx, src, i, &files[i], &mu, jobs); err != nil {
				return err
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i := range files {
		f := &files[i]
		if f.SHA256 == "" { // one chunk or none: the file's hash is the chunk's
			if len(f.Chunks) == 1 {
				f.SHA256 = f.Chunks[0].Hash
			} else {
				f.SHA256 = emptySHA256
			}
		}
	}
	return files, nil
}

// emptySHA256 is the SHA-256 of no bytes.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// cut reads one file, sends its chunks to the workers, and sets f's path,
// size and, for a file of several chunks, its hash.
func (s *Service) cut(ctx context.Context, src source, i int, f *tycho.File, mu *sync.Mutex, jobs chan<- job) error {
	in, err := os.Open(src.abs)
	if err != nil {
		return tycho.Errorf(tycho.EINVALID, "%s: %v", src.abs, errors.Unwrap(err))
	}
	defer in.Close()
	f.Path = src.rel
	var r io.Reader = in
	var whole *asyncHash
	if src.size > MinChunk { // may be cut in several chunks
		whole = newAsyncHash()
		defer whole.Close()
		r = io.TeeReader(in, whole)
	}
	c, err := chunkers.NewChunker(chunkAlgorithm, r, &chunkers.ChunkerOpts{MinSize: MinChunk, NormalSize: NormalChunk, MaxSize: MaxChunk})
	if err != nil {
		return err
	}
	for n := 0; ; n++ {
		data, err := c.Next()
		if len(data) > 0 {
			buf := copyBuffer(data)
			f.Size += int64(len(data))
			mu.Lock()
			f.Chunks = append(f.Chunks, tycho.Chunk{Size: int64(len(data))})
			mu.Unlock()
			select {
			case jobs <- job{file: i, index: n, data: buf}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("read %s: %w", src.abs, err)
		}
	}
	if whole != nil {
		f.SHA256 = whole.Sum()
	}
	return nil
}

// asyncHash hashes what is written to it on a goroutine of its own, so
// that hashing a file whole runs beside cutting and hashing its chunks.
type asyncHash struct {
	bufs chan *[]byte
	done chan struct{}
	h    hash.Hash
	once sync.Once
}

func newAsyncHash() *asyncHash {
	a := &asyncHash{bufs: make(chan *[]byte, 8), done: make(chan struct{}), h: sha256.New()}
	go func() {
		defer close(a.done)
		for b := range a.bufs {
			a.h.Write(*b)
			putBuffer(b)
		}
	}()
	return a
}

// Write queues a copy of p.
func (a *asyncHash) Write(p []byte) (int, error) {
	a.bufs <- copyBuffer(p)
	return len(p), nil
}

// Close stops the goroutine once it has hashed what was written.
func (a *asyncHash) Close() {
	a.once.Do(func() { close(a.bufs) })
	<-a.done
}

// Sum returns the hex hash of everything written.
func (a *asyncHash) Sum() string {
	a.Close()
	return hex.EncodeToString(a.h.Sum(nil))
}

// buffers recycles chunk-sized buffers.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, MaxChunk); return &b }}

// copyBuffer returns a pooled copy of p.
func copyBuffer(p []byte) *[]byte {
	b := buffers.Get().(*[]byte)
	*b = append((*b)[:0], p...)
	return b
}

func putBuffer(b *[]byte) { buffers.Put(b) }
