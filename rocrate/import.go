package rocrate

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	chunkers "github.com/PlakarKorp/go-cdc-chunkers"
	_ "github.com/PlakarKorp/go-cdc-chunkers/chunkers/fastcdc" // registers fastcdc-v1.0.0

	"tycho"
	"tycho/dataset"
)

// Limits bound what Import accepts, so that a hostile archive is refused
// before it can exhaust memory, disk or time.
type Limits struct {
	// Entries is the most entries, files and directories, an archive may
	// hold.
	Entries int
	// FileSize bounds a dataset file, uncompressed.
	FileSize int64
	// RecordSize bounds every other entry, uncompressed: records and
	// metadata.
	RecordSize int64
	// TotalSize bounds all entries together, uncompressed.
	TotalSize int64
	// Ratio bounds how many times its compressed size an entry larger than
	// RatioFloor may be uncompressed. Export stores dataset files
	// uncompressed, so only a hand-made archive comes near it.
	Ratio, RatioFloor int64
}

// DefaultLimits are the limits of Import, and of `tycho import`.
var DefaultLimits = Limits{
	Entries:    1 << 20,
	FileSize:   1 << 40,
	RecordSize: 1 << 30,
	TotalSize:  4 << 40,
	Ratio:      100,
	RatioFloor: 1 << 20,
}

// maxLine bounds a line of a JSON-lines record file: one experiment,
// generation, or provenance node or edge.
const maxLine = 16 << 20

// chunkAlgorithm is dataset's chunker, which import must match for the
// chunks to deduplicate against later additions. (dataset keeps the name
// unexported; it should export it, or a function that cuts a stream.)
const chunkAlgorithm = "fastcdc-v1.0.0"

// provBatch is how many provenance nodes and edges Import writes at once.
const provBatch = 1000

// Import reads a crate that Export wrote, of size bytes, into dst, under
// DefaultLimits.
func Import(ctx context.Context, r io.ReaderAt, size int64, dst Destination) error {
	return DefaultLimits.Import(ctx, r, size, dst)
}

// Import reads a crate that Export wrote, of size bytes, into dst, which
// should be empty. It works in three passes, so that a crate it refuses
// leaves nothing behind:
//
//  1. It checks everything, writing nothing: every entry's name (no path
//     traversal, absolute paths, backslashes or drive letters), type (no
//     symbolic links), size and compression ratio (no ZIP bombs), that no
//     name comes twice and that every entry has its place in the layout;
//     then every dataset file against its bag's manifest, hashing it as it
//     streams, every manifest against its version's digest, and every
//     record.
//  2. It cuts the dataset files into chunks, as ingest does, and stores
//     them. Chunks are content-addressed and nothing refers to them yet,
//     so this changes nothing a reader sees.
//  3. It writes the records: dataset versions, campaigns, provenance.
//
// Every refusal is EINVALID and names the entry at fault. A failure of
// dst in the third pass (a full disk) can leave dst partly written, which
// is why `tycho import` builds a new data directory beside the one it
// fills and renames it into place only when Import has returned.
func (l Limits) Import(ctx context.Context, r io.ReaderAt, size int64, dst Destination) error {
	c, err := l.open(r, size)
	if err != nil {
		return err
	}
	if err := c.verify(ctx); err != nil {
		return err
	}
	if err := c.putChunks(ctx, dst); err != nil {
		return err
	}
	return c.write(ctx, dst)
}

// crate is an archive being imported.
type crate struct {
	lim     Limits
	entries map[string]*zip.File // the top-level and provenance files
	head    header
	bags    []*bag
	camps   []*campaignDir
	byBag   map[string]*bag
	byCamp  map[string]*campaignDir
	buf     []byte
}

// bag is a dataset version's directory.
type bag struct {
	dir     string
	dataset string
	number  int
	tags    map[string]*zip.File
	payload map[string]*zip.File // by file path
	// version is what the bag holds, once verified: the files without
	// their chunks, which the second pass adds.
	version *tycho.DatasetVersion
}

// campaignDir is a campaign's directory.
type campaignDir struct {
	id, dir string
	files   map[string]*zip.File
}

// bad returns the error for a refused entry.
func bad(entry, format string, args ...any) error {
	return tycho.Errorf(tycho.EINVALID, "entry %q: %s", entry, fmt.Sprintf(format, args...))
}

// incomplete returns the error for a crate that lacks an entry.
func incomplete(entry string) error {
	return tycho.Errorf(tycho.EINVALID, "the export is incomplete: it has no entry %q", entry)
}

// open reads the archive's directory and checks every entry's name, type,
// size and place, reading no entry yet.
func (l Limits) open(r io.ReaderAt, size int64) (*crate, error) {
	if n, ok := countEntries(r, size, l.Entries); ok && n > l.Entries {
		return nil, tycho.Errorf(tycho.EINVALID, "the archive has more than %d entries, the most an import takes", l.Entries)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // insecure paths are refused below, by name
		return nil, tycho.Errorf(tycho.EINVALID, "not a ZIP archive Tycho can read: %v", err)
	}
	if len(zr.File) > l.Entries {
		return nil, tycho.Errorf(tycho.EINVALID, "the archive has %d entries; an import takes at most %d", len(zr.File), l.Entries)
	}
	c := &crate{lim: l, entries: map[string]*zip.File{}, byBag: map[string]*bag{}, byCamp: map[string]*campaignDir{}, buf: make([]byte, 256<<10)}
	seen := make(map[string]bool, len(zr.File))
	var total int64
	for _, f := range zr.File {
		name := f.Name
		if err := checkName(name); err != nil {
			return nil, err
		}
		mode := f.Mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			return nil, bad(name, "is a symbolic link; an export holds regular files only")
		case !mode.IsDir() && !mode.IsRegular():
			return nil, bad(name, "is not a regular file (%s)", mode.Type())
		case f.Flags&0x1 != 0:
			return nil, bad(name, "is encrypted")
		case f.Method != zip.Store && f.Method != zip.Deflate:
			return nil, bad(name, "uses compression method %d; an export is stored or deflated", f.Method)
		}
		key := strings.TrimSuffix(name, "/")
		if seen[key] {
			return nil, bad(name, "comes twice in the archive")
		}
		seen[key] = true
		if mode.IsDir() {
			if f.UncompressedSize64 != 0 {
				return nil, bad(name, "is a directory with %d bytes of content", f.UncompressedSize64)
			}
			continue
		}
		if l.Ratio > 0 && f.UncompressedSize64 > uint64(l.RatioFloor) && f.UncompressedSize64/uint64(l.Ratio) > f.CompressedSize64 {
			return nil, bad(name, "expands from %d to %d bytes, more than %d times: a ZIP bomb?", f.CompressedSize64, f.UncompressedSize64, l.Ratio)
		}
		limit, err := c.place(name, f)
		if err != nil {
			return nil, err
		}
		if f.UncompressedSize64 > uint64(limit) {
			return nil, bad(name, "holds %d bytes; an import takes at most %d in such an entry", f.UncompressedSize64, limit)
		}
		if total += int64(f.UncompressedSize64); total > l.TotalSize {
			return nil, bad(name, "brings the archive to more than %d bytes, the most an import takes", l.TotalSize)
		}
	}
	return c, c.complete()
}

// checkName refuses an entry name that could mean a place outside the
// archive's own tree on some system, or different places on different
// systems.
func checkName(name string) error {
	switch {
	case name == "":
		return tycho.Errorf(tycho.EINVALID, "an entry has an empty name")
	case !utf8.ValidString(name):
		return bad(name, "the name is not valid UTF-8")
	case strings.ContainsRune(name, '\\'):
		return bad(name, "the name contains a backslash")
	case strings.HasPrefix(name, "/"):
		return bad(name, "the name is an absolute path")
	case len(name) >= 2 && name[1] == ':' && (name[0]|0x20 >= 'a' && name[0]|0x20 <= 'z'):
		return bad(name, "the name starts with a drive letter")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return bad(name, "the name contains a control character")
		}
	}
	elems := strings.Split(strings.TrimSuffix(name, "/"), "/")
	for _, e := range elems {
		switch e {
		case "..":
			return bad(name, "'..' would leave the export (path traversal)")
		case ".", "":
			return bad(name, "the name has an empty or '.' element")
		}
	}
	return nil
}

// place files an entry under its part of the layout and returns the most
// bytes such an entry may hold.
func (c *crate) place(name string, f *zip.File) (int64, error) {
	parts := strings.Split(name, "/")
	switch {
	case name == metadataFile || name == headerFile || name == catalogFile || name == graphFile || name == provOFile:
		c.entries[name] = f
		return c.lim.RecordSize, nil
	case parts[0] == "datasets" && len(parts) >= 4:
		if tycho.ValidName("dataset", parts[1]) != nil {
			return 0, bad(name, "%q is not a dataset name", parts[1])
		}
		n, err := strconv.Atoi(parts[2])
		if err != nil || n < 1 || strconv.Itoa(n) != parts[2] {
			return 0, bad(name, "%q is not a version number", parts[2])
		}
		b := c.bag(parts[1], n)
		if parts[3] == payloadDir && len(parts) >= 5 {
			p := strings.Join(parts[4:], "/")
			if err := tycho.ValidFilePath(p); err != nil {
				return 0, bad(name, "%s", tycho.ErrorMessage(err))
			}
			b.payload[p] = f
			return c.lim.FileSize, nil
		}
		if t := parts[3]; len(parts) == 4 && slices.Contains([]string{bagitFile, bagInfoFile, manifestFile, tagManifestFile, versionFile}, t) {
			b.tags[t] = f
			return c.lim.RecordSize, nil
		}
	case parts[0] == "campaigns" && len(parts) == 3:
		if !validID(parts[1]) {
			return 0, bad(name, "%q is not a campaign ID", parts[1])
		}
		if slices.Contains([]string{campaignFile, sourceFile, generationsFile, experimentsFile}, parts[2]) {
			cd := c.byCamp[parts[1]]
			if cd == nil {
				cd = &campaignDir{id: parts[1], dir: "campaigns/" + parts[1] + "/", files: map[string]*zip.File{}}
				c.byCamp[parts[1]] = cd
				c.camps = append(c.camps, cd)
			}
			cd.files[parts[2]] = f
			return c.lim.RecordSize, nil
		}
	}
	return 0, bad(name, "has no place in the layout of a Tycho export (see docs/exit.md)")
}

func (c *crate) bag(dataset string, n int) *bag {
	dir := versionDir(dataset, n)
	b := c.byBag[dir]
	if b == nil {
		b = &bag{dir: dir, dataset: dataset, number: n, tags: map[string]*zip.File{}, payload: map[string]*zip.File{}}
		c.byBag[dir] = b
		c.bags = append(c.bags, b)
	}
	return b
}

// complete checks that every part has the entries it needs, and orders
// the parts.
func (c *crate) complete() error {
	for _, name := range []string{headerFile, metadataFile, catalogFile, graphFile, provOFile} {
		if c.entries[name] == nil {
			return incomplete(name)
		}
	}
	slices.SortFunc(c.bags, func(a, b *bag) int {
		if a.dataset != b.dataset {
			return strings.Compare(a.dataset, b.dataset)
		}
		return a.number - b.number
	})
	for i, b := range c.bags {
		for _, t := range []string{bagitFile, manifestFile, versionFile} {
			if b.tags[t] == nil {
				return incomplete(b.dir + t)
			}
		}
		// A dataset's versions are 1, 2, …, as the store numbers them.
		if want := 1; i > 0 && c.bags[i-1].dataset == b.dataset {
			want = c.bags[i-1].number + 1
			if b.number != want {
				return tycho.Errorf(tycho.EINVALID, "the export is incomplete: it has %s but not %s", b.dir, versionDir(b.dataset, want))
			}
		} else if b.number != want {
			return tycho.Errorf(tycho.EINVALID, "the export is incomplete: it has %s but not %s", b.dir, versionDir(b.dataset, want))
		}
	}
	slices.SortFunc(c.camps, func(a, b *campaignDir) int { return strings.Compare(a.id, b.id) })
	for _, cd := range c.camps {
		for _, name := range []string{campaignFile, generationsFile, experimentsFile} {
			if cd.files[name] == nil {
				return incomplete(cd.dir + name)
			}
		}
	}
	return nil
}

// putChunks is the second pass: it cuts every dataset file into chunks as
// ingest does (so the chunks deduplicate against what is added later),
// stores those missing and records them in the version.
func (c *crate) putChunks(ctx context.Context, dst Destination) error {
	put := map[string]bool{}
	for _, b := range c.bags {
		project := b.version.Project
		for i := range b.version.Files {
			f := &b.version.Files[i]
			chunks, sum, n, err := c.chunk(ctx, dst, project, b.payload[f.Path], put)
			if err != nil {
				return err
			}
			if sum != f.SHA256 || n != f.Size {
				return bad(b.payload[f.Path].Name, "changed while it was imported")
			}
			f.Chunks = chunks
		}
	}
	if len(c.bags) > 0 {
		if err := dst.Sync(ctx, c.head.Project); err != nil {
			return fmt.Errorf("import chunks: %w", err)
		}
	}
	return nil
}

// chunk cuts one file, stores the chunks dst lacks, and returns the chunks
// with the file's hash and size.
func (c *crate) chunk(ctx context.Context, dst Destination, project string, e *zip.File, put map[string]bool) ([]tycho.Chunk, string, int64, error) {
	rc, err := read(e)
	if err != nil {
		return nil, "", 0, err
	}
	defer rc.Close()
	whole := sha256.New()
	cut, err := chunkers.NewChunker(chunkAlgorithm, io.TeeReader(rc, whole),
		&chunkers.ChunkerOpts{MinSize: dataset.MinChunk, NormalSize: dataset.NormalChunk, MaxSize: dataset.MaxChunk})
	if err != nil {
		return nil, "", 0, err
	}
	var chunks []tycho.Chunk
	var n int64
	for {
		data, err := cut.Next()
		if len(data) > 0 {
			sum := sha256.Sum256(data)
			h := hex.EncodeToString(sum[:])
			if !put[h] {
				missing, err := dst.Missing(ctx, project, []string{h})
				if err != nil {
					return nil, "", 0, err
				}
				if len(missing) > 0 {
					if err := dst.PutChunk(ctx, project, h, data); err != nil {
						return nil, "", 0, fmt.Errorf("import %s: %w", e.Name, err)
					}
				}
				put[h] = true
			}
			chunks = append(chunks, tycho.Chunk{Hash: h, Size: int64(len(data))})
			n += int64(len(data))
		}
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, "", 0, bad(e.Name, "%v", err)
		}
	}
	return chunks, hex.EncodeToString(whole.Sum(nil)), n, nil
}

// write is the third pass: the records.
func (c *crate) write(ctx context.Context, dst Destination) error {
	for _, b := range c.bags {
		if err := dst.ImportVersion(ctx, b.version); err != nil {
			return fmt.Errorf("import %s: %w", b.dir, err)
		}
	}
	for _, cd := range c.camps {
		camp, gens, exps, err := c.readCampaign(cd)
		if err != nil {
			return err
		}
		if err := dst.ImportCampaign(ctx, camp, gens, exps); err != nil {
			return fmt.Errorf("import %s: %w", cd.dir, err)
		}
	}
	batch := &tycho.ProvGraph{}
	flush := func() error {
		if len(batch.Nodes)+len(batch.Edges) == 0 {
			return nil
		}
		if err := dst.ImportProvenance(ctx, batch); err != nil {
			return fmt.Errorf("import %s: %w", graphFile, err)
		}
		batch = &tycho.ProvGraph{}
		return nil
	}
	err := c.graphLines(func(_ int, l *graphLine) error {
		if l.Node != nil {
			batch.Nodes = append(batch.Nodes, *l.Node)
		} else {
			batch.Edges = append(batch.Edges, *l.Edge)
		}
		if len(batch.Nodes)+len(batch.Edges) >= provBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// countEntries counts the entries of a ZIP archive's central directory,
// as archive/zip will read it, stopping past max, so that an archive
// claiming few entries but holding millions is refused before archive/zip
// reads them all into memory. ok is false if the directory cannot be
// found; archive/zip then says why.
func countEntries(r io.ReaderAt, size int64, max int) (n int, ok bool) {
	const endLen, end64LocLen, end64Len, headerLen = 22, 20, 56, 46
	if size < endLen {
		return 0, false
	}
	tail := min(size, 65535+endLen)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return 0, false
	}
	at := -1
	for i := len(buf) - endLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) == 0x06054b50 && i+endLen+int(binary.LittleEndian.Uint16(buf[i+20:])) <= len(buf) {
			at = i
			break
		}
	}
	if at < 0 {
		return 0, false
	}
	endOffset := size - tail + int64(at)
	dirSize := int64(binary.LittleEndian.Uint32(buf[at+12:]))
	dirOffset := int64(binary.LittleEndian.Uint32(buf[at+16:]))
	if dirSize == 0xffffffff || dirOffset == 0xffffffff || binary.LittleEndian.Uint16(buf[at+10:]) == 0xffff {
		var loc [end64LocLen]byte
		if endOffset < end64LocLen {
			return 0, false
		}
		if _, err := r.ReadAt(loc[:], endOffset-end64LocLen); err != nil || binary.LittleEndian.Uint32(loc[:]) != 0x07064b50 {
			return 0, false
		}
		off := int64(binary.LittleEndian.Uint64(loc[8:]))
		var e [end64Len]byte
		if off < 0 || off > size-end64Len {
			return 0, false
		}
		if _, err := r.ReadAt(e[:], off); err != nil || binary.LittleEndian.Uint32(e[:]) != 0x06064b50 {
			return 0, false
		}
		dirSize, dirOffset = int64(binary.LittleEndian.Uint64(e[40:])), int64(binary.LittleEndian.Uint64(e[48:]))
		endOffset = off
	}
	// As archive/zip does: an archive with data before it (a
	// self-extractor) has its directory just before its end record.
	var sig [4]byte
	if dirOffset < 0 || dirOffset >= size {
		return 0, false
	}
	if _, err := r.ReadAt(sig[:], dirOffset); err != nil || binary.LittleEndian.Uint32(sig[:]) != 0x02014b50 {
		dirOffset = endOffset - dirSize
		if dirOffset < 0 || dirOffset >= size {
			return 0, false
		}
	}
	sr := bufio.NewReaderSize(io.NewSectionReader(r, dirOffset, size-dirOffset), 64<<10)
	var h [headerLen]byte
	for n <= max {
		if _, err := io.ReadFull(sr, h[:]); err != nil || binary.LittleEndian.Uint32(h[:]) != 0x02014b50 {
			return n, true
		}
		n++
		skip := int(binary.LittleEndian.Uint16(h[28:])) + int(binary.LittleEndian.Uint16(h[30:])) + int(binary.LittleEndian.Uint16(h[32:]))
		if _, err := sr.Discard(skip); err != nil {
			return n, true
		}
	}
	return n, true
}
