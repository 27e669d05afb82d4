package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"tycho"
	"tycho/blob"
	"tycho/spec"
)

// maxPriorFile bounds the prior data a campaign reads from a dataset.
const maxPriorFile = 256 << 20

// chunkStore returns where the store's dataset bytes live: the server
// itself, or the data directory's blobs.
func (w where) chunkStore(store tycho.Store) (tycho.ChunkStore, error) {
	if w.remote() {
		cs, ok := store.(tycho.ChunkStore)
		if !ok {
			return nil, tycho.Errorf(tycho.EINVALID, "%s cannot serve dataset bytes", w)
		}
		return cs, nil
	}
	return blob.Open(filepath.Join(*w.data, "blobs"))
}

// priorDataset reads the prior data a spec's prior_dataset names: it
// resolves the version, checks it against the project's minimum grade for
// prior data, and reads the CSV file, checking its hash. It returns the
// reference pinned to the version's number, and the parsed experiments.
func priorDataset(ctx context.Context, store tycho.Store, chunks tycho.ChunkStore, s *tycho.Spec) (string, []*tycho.Experiment, error) {
	name, ver, file, err := tycho.ParsePriorDataset(s.PriorDataset)
	if err != nil {
		return "", nil, err
	}
	datasets, ok := store.(tycho.DatasetService)
	if !ok {
		return "", nil, tycho.Errorf(tycho.EINVALID, "prior_dataset %s: this store keeps no datasets", s.PriorDataset)
	}
	v, err := datasets.FindVersion(ctx, tycho.DefaultProject, name, ver)
	if err != nil {
		return "", nil, err
	}
	if projects, ok := store.(tycho.ProjectService); ok {
		p, err := projects.FindProject(ctx, v.Project)
		if err != nil {
			return "", nil, err
		}
		if err := tycho.CheckPriorGrade(p, v); err != nil {
			return "", nil, err
		}
	}
	f, err := priorFile(v, file)
	if err != nil {
		return "", nil, err
	}
	data, err := readFile(ctx, chunks, v, f)
	if err != nil {
		return "", nil, err
	}
	pinned := v.Dataset + "@" + strconv.Itoa(v.Number)
	if file != "" {
		pinned += ":" + file
	}
	exps, err := spec.ParsePriorData(pinned+":"+f.Path, data, s)
	return pinned, exps, err
}

// priorFile picks the file of v that holds prior data: the one named, else
// the version's only CSV file.
func priorFile(v *tycho.DatasetVersion, name string) (*tycho.File, error) {
	var csv []*tycho.File
	for i := range v.Files {
		f := &v.Files[i]
		if f.Path == name {
			return f, nil
		}
		if strings.EqualFold(path.Ext(f.Path), ".csv") {
			csv = append(csv, f)
		}
	}
	switch {
	case name != "":
		return nil, tycho.Errorf(tycho.ENOTFOUND, "dataset %s has no file %s", v.Ref(), name)
	case len(csv) == 1:
		return csv[0], nil
	case len(csv) == 0:
		return nil, tycho.Errorf(tycho.EINVALID, "dataset %s has no CSV file to read prior data from", v.Ref())
	}
	var names []string
	for _, f := range csv {
		names = append(names, f.Path)
	}
	return nil, tycho.Errorf(tycho.EINVALID, "dataset %s has %d CSV files (%s): name one, as %s:PATH", v.Ref(), len(csv), strings.Join(names, ", "), v.Ref())
}

// readFile reads a (small) file of a version from its chunks and checks
// its hash.
func readFile(ctx context.Context, chunks tycho.ChunkStore, v *tycho.DatasetVersion, f *tycho.File) ([]byte, error) {
	if f.Size > maxPriorFile {
		return nil, tycho.Errorf(tycho.EINVALID, "%s:%s is %d bytes; prior data may have at most %d", v.Ref(), f.Path, f.Size, maxPriorFile)
	}
	h := sha256.New()
	data := make([]byte, 0, f.Size)
	for _, c := range f.Chunks {
		rc, err := chunks.OpenChunk(ctx, v.Project, c.Hash)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(io.LimitReader(rc, c.Size+1))
		rc.Close()
		if err != nil {
			return nil, err
		}
		h.Write(b)
		data = append(data, b...)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 || int64(len(data)) != f.Size {
		return nil, tycho.Errorf(tycho.EINTERNAL, "%s:%s is damaged: its chunks do not hash to the file's SHA-256", v.Ref(), f.Path)
	}
	return data, nil
}
