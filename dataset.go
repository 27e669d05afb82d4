package tycho

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultProject is the project of data given without one. Projects, their
// members and their keys arrive with the security issue; until then a
// project is a namespace.
const DefaultProject = "default"

// A Dataset is a named series of immutable versions in a project.
type Dataset struct {
	Project string
	Name    string
	// Latest is the newest version, without its files.
	Latest    *DatasetVersion
	CreatedAt time.Time
}

// A DatasetVersion is an immutable set of files with their metadata. Its
// Digest, the SHA-256 of its BagIt manifest, is its content address: two
// versions with the same files at the same paths have the same digest.
type DatasetVersion struct {
	Project string
	Dataset string
	// Number counts the dataset's versions from 1.
	Number int
	// Digest is "sha256:" and the hex SHA-256 of Manifest(Files).
	Digest    string
	Size      int64 // of all files
	FileCount int
	// Files are sorted by path. Listings may leave them out.
	Files    []File
	Metadata Metadata
	// Quality is the report ingest made of the version's tables and
	// metadata, if it made one.
	Quality   *QualityReport
	CreatedAt time.Time
}

// Ref names the version as NAME@NUMBER.
func (v *DatasetVersion) Ref() string { return v.Dataset + "@" + strconv.Itoa(v.Number) }

// A File of a dataset version and the chunks that hold its bytes, in order.
type File struct {
	// Path is slash-separated and relative, without "." or ".." elements.
	Path   string
	Size   int64
	SHA256 string // hex
	Chunks []Chunk
}

// A Chunk is a piece of a file, stored once by the SHA-256 of its bytes.
type Chunk struct {
	Hash string // hex SHA-256
	Size int64
}

// Metadata describes a dataset version, after DCAT-AP 3.
type Metadata struct {
	Title       string
	Description string
	Publisher   string
	// License is an SPDX license identifier or expression.
	License  string
	Creators []Creator
	Keywords []string
	Temporal *Period
	// Spatial names the area the data covers: a place name, a
	// GeoNames or Wikidata URI, or a WKT geometry.
	Spatial string
	// Jurisdiction is where the data may reside: ISO 3166 codes and
	// groups such as EU, comma-separated.
	Jurisdiction string
}

// A Creator made a dataset; ORCID is optional, as 0000-0000-0000-0000.
type Creator struct {
	Name  string
	ORCID string
}

// A Period is a closed time interval; either end may be zero (open).
type Period struct {
	Start, End time.Time
}

// DatasetService stores datasets and their versions. File bytes live in a
// ChunkStore; a version refers to them by hash.
type DatasetService interface {
	// AddVersion stores a new version of a dataset, creating the dataset
	// with its first version, and assigns Number, Digest, Size, FileCount
	// and CreatedAt. A version with the same digest, metadata and quality
	// report (whenever the report was made) as the latest is not stored
	// again: AddVersion returns the latest instead (a retry, or data added
	// twice). The caller must have made every
	// chunk durable first. Returns EINVALID for a bad name, path or
	// metadata.
	AddVersion(ctx context.Context, v *DatasetVersion) (*DatasetVersion, error)
	// FindDataset returns a dataset. Returns ENOTFOUND if there is none.
	FindDataset(ctx context.Context, project, name string) (*Dataset, error)
	// ListDatasets returns a project's datasets by name.
	ListDatasets(ctx context.Context, project string) ([]*Dataset, error)
	// ListVersions returns a dataset's versions, oldest first, without
	// their files. Returns ENOTFOUND if the dataset does not exist.
	ListVersions(ctx context.Context, project, name string) ([]*DatasetVersion, error)
	// FindVersion returns a version with its files. ref is a number, a
	// digest ("sha256:" and at least 8 hex digits of it), or "" or
	// "latest". Returns ENOTFOUND if there is no such version and
	// EINVALID if the digest prefix matches several.
	FindVersion(ctx context.Context, project, name, ref string) (*DatasetVersion, error)
}

// ChunkStore keeps file chunks by the SHA-256 of their bytes, per project:
// a project's chunks are its own, so that its keys (security issue) can
// seal and destroy them without touching another project's data.
type ChunkStore interface {
	// Missing returns those of hashes the project does not have yet.
	Missing(ctx context.Context, project string, hashes []string) ([]string, error)
	// PutChunk stores data under its hash, durably, once Sync returns.
	// Returns EINVALID if hash is not the SHA-256 of data.
	PutChunk(ctx context.Context, project, hash string, data []byte) error
	// OpenChunk returns a chunk's bytes. Returns ENOTFOUND if it is
	// missing.
	OpenChunk(ctx context.Context, project, hash string) (io.ReadCloser, error)
	// Sync returns once every chunk put so far is durable.
	Sync(ctx context.Context, project string) error
}

// ValidName checks the name of a project, dataset or lab: 1 to 64 letters,
// digits, '.', '_' or '-', not starting with '.', so that it is safe in a
// path, a URL and a NAME@VERSION reference.
func ValidName(kind, name string) error {
	if !validLabName(name) || name[0] == '.' {
		return Errorf(EINVALID, "%s name %q: use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'", kind, name)
	}
	return nil
}

// ValidFilePath checks the path of a file in a dataset: relative,
// slash-separated, clean, valid UTF-8, without control characters or
// backslashes, so that it means the same on every system and can never
// leave the directory it is written to.
func ValidFilePath(p string) error {
	bad := func(why string) error { return Errorf(EINVALID, "file path %q: %s", p, why) }
	switch {
	case p == "":
		return bad("is empty")
	case len(p) > 4096:
		return bad("is longer than 4096 bytes")
	case !utf8.ValidString(p):
		return bad("is not valid UTF-8")
	case strings.HasPrefix(p, "/"):
		return bad("is absolute")
	case strings.ContainsRune(p, '\\'):
		return bad("contains a backslash")
	case path.Clean(p) != p:
		return bad("is not clean (empty, '.' or '..' elements, or a trailing slash)")
	case p == ".":
		return bad("names the dataset's own directory, not a file")
	case p == ".." || strings.HasPrefix(p, "../"):
		return bad("leaves the dataset")
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return bad("contains a control character")
		}
	}
	return nil
}

// Manifest returns the BagIt manifest-sha256.txt of files: one line per
// file, "HASH  data/PATH", sorted by path. A version's Digest is the
// SHA-256 of it. Paths are valid file paths, so nothing needs escaping.
func Manifest(files []File) []byte {
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	var b strings.Builder
	for _, f := range sorted {
		b.WriteString(f.SHA256)
		b.WriteString("  data/")
		b.WriteString(f.Path)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// ManifestDigest returns the digest of a version with these files.
func ManifestDigest(files []File) string {
	h := sha256.Sum256(Manifest(files))
	return "sha256:" + hex.EncodeToString(h[:])
}

// ValidHash reports whether h is a hex SHA-256 in lower case.
func ValidHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := range len(h) {
		if c := h[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// CheckVersion checks a version before it is stored: its project and
// dataset names, its files (valid, distinct paths; sizes that add up from
// their chunks; hashes) and its metadata.
func CheckVersion(v *DatasetVersion) error {
	if err := ValidName("project", v.Project); err != nil {
		return err
	}
	if err := ValidName("dataset", v.Dataset); err != nil {
		return err
	}
	if len(v.Files) == 0 {
		return Errorf(EINVALID, "dataset %s: a version needs at least one file", v.Dataset)
	}
	seen := make(map[string]bool, len(v.Files))
	for _, f := range v.Files {
		if err := ValidFilePath(f.Path); err != nil {
			return err
		}
		if seen[f.Path] {
			return Errorf(EINVALID, "file %s: given twice", f.Path)
		}
		seen[f.Path] = true
		if !ValidHash(f.SHA256) {
			return Errorf(EINVALID, "file %s: sha256 %q is not a hex SHA-256", f.Path, f.SHA256)
		}
		var sum int64
		for i, c := range f.Chunks {
			if !ValidHash(c.Hash) {
				return Errorf(EINVALID, "file %s: chunk %d: hash %q is not a hex SHA-256", f.Path, i+1, c.Hash)
			}
			if c.Size <= 0 {
				return Errorf(EINVALID, "file %s: chunk %d: size %d", f.Path, i+1, c.Size)
			}
			sum += c.Size
		}
		if sum != f.Size {
			return Errorf(EINVALID, "file %s: size %d, but its chunks add up to %d", f.Path, f.Size, sum)
		}
	}
	for _, p := range v.Files {
		// A file may not also be a directory of another: a/b and a/b/c.
		for dir := path.Dir(p.Path); dir != "."; dir = path.Dir(dir) {
			if seen[dir] {
				return Errorf(EINVALID, "file %s: %s is a file too", p.Path, dir)
			}
		}
	}
	return v.Metadata.Check()
}

// Check checks metadata that is given; what is missing lowers the quality
// grade instead.
func (m *Metadata) Check() error {
	for i, c := range m.Creators {
		if strings.TrimSpace(c.Name) == "" {
			return Errorf(EINVALID, "metadata: creator %d has no name", i+1)
		}
		if c.ORCID != "" && !ValidORCID(c.ORCID) {
			return Errorf(EINVALID, "metadata: creator %s: ORCID %q is not a valid ORCID iD (0000-0000-0000-000X, with its check digit)", c.Name, c.ORCID)
		}
	}
	if t := m.Temporal; t != nil && !t.Start.IsZero() && !t.End.IsZero() && t.End.Before(t.Start) {
		return Errorf(EINVALID, "metadata: temporal coverage ends (%s) before it starts (%s)", t.End.Format(time.DateOnly), t.Start.Format(time.DateOnly))
	}
	for _, k := range m.Keywords {
		if strings.TrimSpace(k) == "" {
			return Errorf(EINVALID, "metadata: an empty keyword")
		}
	}
	return nil
}

// ValidORCID reports whether id is an ORCID iD in its 16-digit form with a
// correct ISO 7064 11,2 check character.
func ValidORCID(id string) bool {
	if len(id) != 19 || id[4] != '-' || id[9] != '-' || id[14] != '-' {
		return false
	}
	digits := strings.ReplaceAll(id, "-", "")
	total := 0
	for i := range 15 {
		c := digits[i]
		if c < '0' || c > '9' {
			return false
		}
		total = (total + int(c-'0')) * 2
	}
	check := (12 - total%11) % 11
	want := byte('0' + check)
	if check == 10 {
		want = 'X'
	}
	return digits[15] == want
}
