package http

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"tycho"
	"tycho/dataset"
	"tycho/dcat"
)

// The dataset routes. An upload is: ask which chunks the project lacks
// (POST .../chunks/missing), put each of them (PUT .../chunks/{hash}, whose
// SHA-256 the server checks), then post the version's manifest. The
// server makes the chunks durable (ChunkStore.Sync) and checks that every
// chunk the manifest names is there before it records the version, so a
// version is visible only once all of its bytes are; an interrupted
// upload leaves chunks and no version, and the retry skips the chunks
// already there.

// Limits of the dataset routes.
const (
	// MaxMissing is the most hashes one missing-chunks request may ask
	// about; the client asks in batches.
	MaxMissing = 10000
	// MaxChunkBody is the largest chunk a PUT may carry: the chunker's
	// largest, with room for what sealing a chunk (security issue) adds.
	MaxChunkBody = dataset.MaxChunk + 64<<10
	// MaxManifest is the largest version manifest a POST may carry: some
	// 200,000 files of one chunk each.
	MaxManifest = 64 << 20
)

// DatasetVersion is a dataset version on the wire. Listings leave out
// its files.
type DatasetVersion struct {
	Project   string               `json:"project"`
	Dataset   string               `json:"dataset"`
	Number    int                  `json:"number"`
	Digest    string               `json:"digest"`
	Size      int64                `json:"size"`
	FileCount int                  `json:"file_count"`
	Files     []File               `json:"files,omitempty"`
	Metadata  Metadata             `json:"metadata"`
	Quality   *tycho.QualityReport `json:"quality,omitempty"`
	CreatedAt time.Time            `json:"created_at"`
}

// File is a file of a version and its chunks, in order.
type File struct {
	Path   string  `json:"path"`
	Size   int64   `json:"size"`
	SHA256 string  `json:"sha256"`
	Chunks []Chunk `json:"chunks"`
}

// Chunk is a piece of a file, by the SHA-256 of its bytes.
type Chunk struct {
	Hash string `json:"hash"`
	Size int64  `json:"size"`
}

// Metadata is a version's DCAT-AP metadata on the wire.
type Metadata struct {
	Title        string    `json:"title,omitempty"`
	Description  string    `json:"description,omitempty"`
	Publisher    string    `json:"publisher,omitempty"`
	License      string    `json:"license,omitempty"`
	Creators     []Creator `json:"creators,omitempty"`
	Keywords     []string  `json:"keywords,omitempty"`
	Temporal     *Period   `json:"temporal,omitempty"`
	Spatial      string    `json:"spatial,omitempty"`
	Jurisdiction string    `json:"jurisdiction,omitempty"`
}

// Creator made a dataset; orcid is optional.
type Creator struct {
	Name  string `json:"name"`
	ORCID string `json:"orcid,omitempty"`
}

// Period is a time interval; a missing end is open.
type Period struct {
	Start *time.Time `json:"start,omitempty"`
	End   *time.Time `json:"end,omitempty"`
}

// Dataset is a dataset on the wire, with its latest version.
type Dataset struct {
	Project   string          `json:"project"`
	Name      string          `json:"name"`
	Latest    *DatasetVersion `json:"latest"`
	CreatedAt time.Time       `json:"created_at"`
}

// addVersionRequest is the manifest of a new version; the project and
// dataset are the route's.
type addVersionRequest struct {
	Files    []File               `json:"files"`
	Metadata Metadata             `json:"metadata"`
	Quality  *tycho.QualityReport `json:"quality,omitempty"`
}

// missingRequest asks which of the hashes a project lacks.
type missingRequest struct {
	Hashes []string `json:"hashes"`
}

func versionOut(v *tycho.DatasetVersion) *DatasetVersion {
	return &DatasetVersion{
		Project: v.Project, Dataset: v.Dataset, Number: v.Number, Digest: v.Digest, Size: v.Size, FileCount: v.FileCount,
		Files: filesOut(v.Files), Metadata: metadataOut(v.Metadata), Quality: v.Quality, CreatedAt: v.CreatedAt.UTC(),
	}
}

func (v *DatasetVersion) domain() *tycho.DatasetVersion {
	return &tycho.DatasetVersion{
		Project: v.Project, Dataset: v.Dataset, Number: v.Number, Digest: v.Digest, Size: v.Size, FileCount: v.FileCount,
		Files: filesIn(v.Files), Metadata: v.Metadata.domain(), Quality: v.Quality, CreatedAt: v.CreatedAt,
	}
}

func filesOut(files []tycho.File) []File {
	if files == nil {
		return nil
	}
	out := make([]File, len(files))
	for i, f := range files {
		out[i] = File{Path: f.Path, Size: f.Size, SHA256: f.SHA256, Chunks: make([]Chunk, len(f.Chunks))}
		for j, c := range f.Chunks {
			out[i].Chunks[j] = Chunk(c)
		}
	}
	return out
}

func filesIn(files []File) []tycho.File {
	if files == nil {
		return nil
	}
	out := make([]tycho.File, len(files))
	for i, f := range files {
		out[i] = tycho.File{Path: f.Path, Size: f.Size, SHA256: f.SHA256}
		if f.Chunks != nil {
			out[i].Chunks = make([]tycho.Chunk, len(f.Chunks))
		}
		for j, c := range f.Chunks {
			out[i].Chunks[j] = tycho.Chunk(c)
		}
	}
	return out
}

func metadataOut(m tycho.Metadata) Metadata {
	out := Metadata{Title: m.Title, Description: m.Description, Publisher: m.Publisher, License: m.License,
		Keywords: m.Keywords, Spatial: m.Spatial, Jurisdiction: m.Jurisdiction}
	for _, c := range m.Creators {
		out.Creators = append(out.Creators, Creator(c))
	}
	if t := m.Temporal; t != nil {
		out.Temporal = &Period{Start: optTime(t.Start), End: optTime(t.End)}
	}
	return out
}

func (m *Metadata) domain() tycho.Metadata {
	out := tycho.Metadata{Title: m.Title, Description: m.Description, Publisher: m.Publisher, License: m.License,
		Keywords: m.Keywords, Spatial: m.Spatial, Jurisdiction: m.Jurisdiction}
	for _, c := range m.Creators {
		out.Creators = append(out.Creators, tycho.Creator(c))
	}
	if t := m.Temporal; t != nil {
		out.Temporal = &tycho.Period{Start: fromOpt(t.Start), End: fromOpt(t.End)}
	}
	return out
}

func datasetOut(d *tycho.Dataset) *Dataset {
	out := &Dataset{Project: d.Project, Name: d.Name, CreatedAt: d.CreatedAt.UTC()}
	if d.Latest != nil {
		out.Latest = versionOut(d.Latest)
	}
	return out
}

func (d *Dataset) domain() *tycho.Dataset {
	out := &tycho.Dataset{Project: d.Project, Name: d.Name, CreatedAt: d.CreatedAt}
	if d.Latest != nil {
		out.Latest = d.Latest.domain()
	}
	return out
}

// datasetService returns the server's dataset service and chunk store,
// or an error if it serves no datasets.
func (s *Server) datasetService() (tycho.DatasetService, tycho.ChunkStore, error) {
	if s.Datasets == nil || s.Chunks == nil {
		return nil, nil, tycho.Errorf(tycho.ENOTFOUND, "this server does not serve datasets")
	}
	return s.Datasets, s.Chunks, nil
}

// projectParam returns the route's project, checked.
func projectParam(r *http.Request) (string, error) {
	p := r.PathValue("project")
	return p, tycho.ValidName("project", p)
}

func (s *Server) listDatasets(w http.ResponseWriter, r *http.Request) error {
	ds, _, err := s.datasetService()
	if err != nil {
		return err
	}
	project, err := projectParam(r)
	if err != nil {
		return err
	}
	list, err := ds.ListDatasets(r.Context(), project)
	if err != nil {
		return err
	}
	out := make([]*Dataset, len(list))
	for i, d := range list {
		out[i] = datasetOut(d)
	}
	writeJSON(w, http.StatusOK, map[string]any{"datasets": out})
	return nil
}

func (s *Server) getDataset(w http.ResponseWriter, r *http.Request) error {
	ds, _, err := s.datasetService()
	if err != nil {
		return err
	}
	project, err := projectParam(r)
	if err != nil {
		return err
	}
	d, err := ds.FindDataset(r.Context(), project, r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, datasetOut(d))
	return nil
}

func (s *Server) listVersions(w http.ResponseWriter, r *http.Request) error {
	ds, _, err := s.datasetService()
	if err != nil {
		return err
	}
	project, err := projectParam(r)
	if err != nil {
		return err
	}
	vs, err := ds.ListVersions(r.Context(), project, r.PathValue("name"))
	if err != nil {
		return err
	}
	out := make([]*DatasetVersion, len(vs))
	for i, v := range vs {
		out[i] = versionOut(v)
		out[i].Files = nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": out})
	return nil
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) error {
	ds, _, err := s.datasetService()
	if err != nil {
		return err
	}
	project, err := projectParam(r)
	if err != nil {
		return err
	}
	v, err := ds.FindVersion(r.Context(), project, r.PathValue("name"), r.PathValue("ref"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, versionOut(v))
	return nil
}

// addVersion records a version whose chunks were uploaded: it makes them
// durable, checks that every one is there, and only then records the
// version. The same files and metadata as the latest version return the
// latest.
func (s *Server) addVersion(w http.ResponseWriter, r *http.Request) error {
	ds, chunks, err := s.datasetService()
	if err != nil {
		return err
	}
	project, err := projectParam(r)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := tycho.ValidName("dataset", name); err != nil {
		return err
	}
	var req addVersionRequest
	if err := decodeLimit(w, r, &req, MaxManifest); err != nil {
		return err
	}
	v := &tycho.DatasetVersion{Project: project, Dataset: name, Files: filesIn(req.Files), Metadata: req.Metadata.domain(), Quality: req.Quality}
	if err := checkManifest(v); err != nil {
		return err
	}
	if err := tycho.CheckVersion(v); err != nil {
		return err
	}
	// Every chunk durable, then every chunk there, then the version.
	if err := chunks.Sync(r.Context(), project); err != nil {
		return err
	}
	if err := checkChunksStored(r, chunks, v); err != nil {
		return err
	}
	added, err := ds.AddVersion(r.Context(), v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, versionOut(added))
	return nil
}

// checkManifest refuses what tycho.CheckVersion would, for each file,
// naming the member at fault.
func checkManifest(v *tycho.DatasetVersion) error {
	if len(v.Files) == 0 {
		return &fieldError{tycho.EINVALID, "/files", "files: a version needs at least one file"}
	}
	for i, f := range v.Files {
		at := "/files/" + strconv.Itoa(i)
		if err := tycho.ValidFilePath(f.Path); err != nil {
			return &fieldError{tycho.EINVALID, at + "/path", at[1:] + "/path: " + tycho.ErrorMessage(err)}
		}
		if !tycho.ValidHash(f.SHA256) {
			return &fieldError{tycho.EINVALID, at + "/sha256", fmt.Sprintf("%s/sha256: %q is not a lower-case hex SHA-256", at[1:], f.SHA256)}
		}
		var sum int64
		for j, c := range f.Chunks {
			cat := at + "/chunks/" + strconv.Itoa(j)
			if !tycho.ValidHash(c.Hash) {
				return &fieldError{tycho.EINVALID, cat + "/hash", fmt.Sprintf("%s/hash: %q is not a lower-case hex SHA-256", cat[1:], c.Hash)}
			}
			if c.Size <= 0 || c.Size > MaxChunkBody {
				return &fieldError{tycho.EINVALID, cat + "/size", fmt.Sprintf("%s/size: %d is not between 1 and %d", cat[1:], c.Size, MaxChunkBody)}
			}
			sum += c.Size
		}
		if sum != f.Size {
			return &fieldError{tycho.EINVALID, at + "/size", fmt.Sprintf("%s/size: %d, but the file's chunks add up to %d", at[1:], f.Size, sum)}
		}
	}
	for i, c := range v.Metadata.Creators {
		if c.ORCID != "" && !tycho.ValidORCID(c.ORCID) {
			at := "/metadata/creators/" + strconv.Itoa(i) + "/orcid"
			return &fieldError{tycho.EINVALID, at, fmt.Sprintf("%s: %q is not a valid ORCID iD (0000-0000-0000-000X, with its check digit)", at[1:], c.ORCID)}
		}
	}
	return nil
}

// checkChunksStored returns ECONFLICT, naming the first few, if any
// chunk of v is not in the chunk store.
func checkChunksStored(r *http.Request, chunks tycho.ChunkStore, v *tycho.DatasetVersion) error {
	var hashes []string
	where := map[string]string{} // a JSON Pointer to each hash's first mention
	for i, f := range v.Files {
		for j, c := range f.Chunks {
			if _, ok := where[c.Hash]; !ok {
				where[c.Hash] = "/files/" + strconv.Itoa(i) + "/chunks/" + strconv.Itoa(j) + "/hash"
				hashes = append(hashes, c.Hash)
			}
		}
	}
	missing, err := chunks.Missing(r.Context(), v.Project, hashes)
	if err != nil || len(missing) == 0 {
		return err
	}
	shown := missing[:min(len(missing), 5)]
	more := ""
	if len(missing) > len(shown) {
		more = fmt.Sprintf(" and %d more", len(missing)-len(shown))
	}
	return &fieldError{tycho.ECONFLICT, where[missing[0]], fmt.Sprintf("%d chunks of the version are not stored in project %s: %s%s; put them first (PUT /v1/projects/%s/chunks/{hash})",
		len(missing), v.Project, strings.Join(shown, ", "), more, v.Project)}
}

func (s *Server) missingChunks(w http.ResponseWriter, r *http.Request) error {
	_, chunks, err := s.datasetService()
	if err != nil {
		return err
	}
	project, err := projectParam(r)
	if err != nil {
		return err
	}
	var req missingRequest
	// Room for each hash on a line of its own, indented.
	if err := decodeLimit(w, r, &req, MaxMissing*100+4096); err != nil {
		return err
	}
	if len(req.Hashes) > MaxMissing {
		return &fieldError{tycho.EINVALID, "/hashes", fmt.Sprintf("hashes: ask about at most %d at a time, not %d", MaxMissing, len(req.Hashes))}
	}
	for i, h := range req.Hashes {
		if !tycho.ValidHash(h) {
			return &fieldError{tycho.EINVALID, "/hashes/" + strconv.Itoa(i), fmt.Sprintf("hashes/%d: %q is not a lower-case hex SHA-256", i, h)}
		}
	}
	missing, err := chunks.Missing(r.Context(), project, req.Hashes)
	if err != nil {
		return err
	}
	if missing == nil {
		missing = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"missing": missing})
	return nil
}

// putChunk stores a chunk after checking that its bytes have the SHA-256
// the route names.
func (s *Server) putChunk(w http.ResponseWriter, r *http.Request) error {
	_, chunks, err := s.datasetService()
	if err != nil {
		return err
	}
	project, err := projectParam(r)
	if err != nil {
		return err
	}
	hash := r.PathValue("hash")
	if !tycho.ValidHash(hash) {
		return tycho.Errorf(tycho.EINVALID, "chunk %q: the route must name the chunk's lower-case hex SHA-256", hash)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/octet-stream" {
		return &fieldError{eunsupported, "", fmt.Sprintf("chunk %s: the body must be application/octet-stream, not %s", hash, ct)}
	}
	if r.ContentLength > MaxChunkBody {
		return &fieldError{etooLarge, "", fmt.Sprintf("chunk %s: %d bytes is larger than a chunk may be (%d)", hash, r.ContentLength, MaxChunkBody)}
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxChunkBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &fieldError{etooLarge, "", fmt.Sprintf("chunk %s: the body is larger than a chunk may be (%d bytes)", hash, MaxChunkBody)}
	} else if err != nil {
		return tycho.Errorf(tycho.EINVALID, "chunk %s: the body could not be read: %v", hash, err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != hash {
		return tycho.Errorf(tycho.EINVALID, "chunk %s: the body's SHA-256 is %s; a chunk is put under the hash of its bytes", hash, hex.EncodeToString(sum[:]))
	}
	if err := chunks.PutChunk(r.Context(), project, hash, data); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getChunk(w http.ResponseWriter, r *http.Request) error {
	_, chunks, err := s.datasetService()
	if err != nil {
		return err
	}
	project, err := projectParam(r)
	if err != nil {
		return err
	}
	hash := r.PathValue("hash")
	if !tycho.ValidHash(hash) {
		return tycho.Errorf(tycho.EINVALID, "chunk %q: the route must name the chunk's lower-case hex SHA-256", hash)
	}
	rc, err := chunks.OpenChunk(r.Context(), project, hash)
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// A chunk never changes: its name is its hash.
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	if _, err := io.Copy(w, rc); err != nil {
		s.Logger.Warn("send chunk", "project", project, "hash", hash, "error", err)
	}
	return nil
}

// catalog serves the DCAT-AP catalogue of one project's datasets, or of
// every project's if the dataset service can list them. It streams; a
// failure after the first bytes have gone cuts the connection, so a
// client never takes a truncated catalogue for a whole one.
func (s *Server) catalog(w http.ResponseWriter, r *http.Request) error {
	ds, _, err := s.datasetService()
	if err != nil {
		return err
	}
	project := r.URL.Query().Get("project")
	if project != "" {
		if err := tycho.ValidName("project", project); err != nil {
			return &fieldError{tycho.EINVALID, "project", "project: " + tycho.ErrorMessage(err)}
		}
	}
	projects, err := dcat.Projects(r.Context(), ds, project)
	if err != nil {
		return err
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	cat := dcat.Catalog{
		Title:       "Tycho datasets",
		Description: "The datasets of every project on the Tycho server at " + r.Host + ", with every version and file.",
		Publisher:   "Tycho at " + r.Host,
		BaseURL:     scheme + "://" + r.Host,
	}
	if project != "" {
		cat.Description = "The datasets of project " + project + " on the Tycho server at " + r.Host + ", with every version and file."
	}
	lw := &lazyWriter{w: w}
	if err := dcat.Write(r.Context(), lw, cat, ds, projects); err != nil {
		if !lw.started {
			return err
		}
		s.Logger.Error("catalogue cut short", "error", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// lazyWriter sets the catalogue's headers on the first write, so that an
// error before then can still be answered with a problem.
type lazyWriter struct {
	w       http.ResponseWriter
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.Header().Set("Content-Type", dcat.ContentType)
		l.w.Header().Set("X-Content-Type-Options", "nosniff")
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}

// decodeLimit is decode with a body limit of its own.
func decodeLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &fieldError{eunsupported, "", fmt.Sprintf("the body must be application/json, not %s", ct)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &fieldError{etooLarge, "", fmt.Sprintf("the body is larger than %d bytes", limit)}
	} else if err != nil {
		return &fieldError{tycho.EINVALID, "", "the body could not be read: " + err.Error()}
	}
	return decodeJSON(body, v)
}
