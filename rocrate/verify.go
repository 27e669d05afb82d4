package rocrate

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"tycho"
	"tycho/internal/storejson"
)

// The first pass of an import: every entry read and checked, nothing
// written.

// verify is the first pass: it reads and checks everything.
func (c *crate) verify(ctx context.Context) error {
	if err := c.readDoc(c.entries[headerFile], &c.head); err != nil {
		return err
	}
	h := &c.head
	switch {
	case h.Format != Format:
		return bad(headerFile, "format %q is not %q", h.Format, Format)
	case h.Version < 1 || h.Version > FormatVersion:
		return bad(headerFile, "format version %d: this Tycho reads version %d; a newer Tycho wrote this export", h.Version, FormatVersion)
	}
	if err := tycho.ValidName("project", h.Project); err != nil {
		return bad(headerFile, "%s", tycho.ErrorMessage(err))
	}
	if err := c.checkMetadata(); err != nil {
		return err
	}
	for _, name := range []string{catalogFile, provOFile} {
		if err := c.checkJSON(c.entries[name]); err != nil {
			return err
		}
	}
	for _, b := range c.bags {
		if err := c.verifyBag(ctx, b); err != nil {
			return err
		}
	}
	ids := map[string]string{} // experiment ID → campaign
	for _, cd := range c.camps {
		if err := ctx.Err(); err != nil {
			return err
		}
		_, _, exps, err := c.readCampaign(cd)
		if err != nil {
			return err
		}
		for _, e := range exps {
			if other, ok := ids[e.ID]; ok {
				return bad(cd.dir+experimentsFile, "experiment %s is also in campaign %s", e.ID, other)
			}
			ids[e.ID] = cd.id
		}
	}
	nodes, edges, err := c.verifyGraph()
	if err != nil {
		return err
	}
	for _, n := range []struct {
		what      string
		got, want int
	}{
		{"dataset versions", len(c.bags), h.Versions},
		{"campaigns", len(c.camps), h.Campaigns},
		{"provenance nodes", nodes, h.ProvNodes},
		{"provenance edges", edges, h.ProvEdges},
	} {
		if n.got != n.want {
			return tycho.Errorf(tycho.EINVALID, "the export holds %d %s, but %s counts %d", n.got, n.what, headerFile, n.want)
		}
	}
	return nil
}

// read opens an entry, checking it holds what its header says: the ZIP
// reader fails a read past the declared size, or a short or corrupt one.
func read(f *zip.File) (io.ReadCloser, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, bad(f.Name, "%v", err)
	}
	return rc, nil
}

// readAll reads a whole entry; open has bounded its size.
func readAll(f *zip.File) ([]byte, error) {
	rc, err := read(f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	if err != nil {
		return nil, bad(f.Name, "%v", err)
	}
	return b, nil
}

// strictJSON decodes one JSON value, refusing unknown and duplicate
// members.
func strictJSON(b []byte, v any) error {
	return jsonv2.Unmarshal(b, v, jsonv2.RejectUnknownMembers(true), jsontext.AllowDuplicateNames(false))
}

// readDoc decodes a whole entry strictly.
func (c *crate) readDoc(f *zip.File, v any) error {
	b, err := readAll(f)
	if err != nil {
		return err
	}
	if err := strictJSON(b, v); err != nil {
		return bad(f.Name, "%v", err)
	}
	return nil
}

// checkJSON checks that an entry is one JSON value, streaming it.
func (c *crate) checkJSON(f *zip.File) error {
	rc, err := read(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	dec := jsontext.NewDecoder(rc)
	if err := dec.SkipValue(); err != nil {
		return bad(f.Name, "%v", err)
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return bad(f.Name, "more than one JSON value")
	}
	return nil
}

// checkMetadata checks that ro-crate-metadata.json is a JSON-LD document
// with a context and a graph, streaming it.
func (c *crate) checkMetadata() error {
	f := c.entries[metadataFile]
	rc, err := read(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	dec := jsontext.NewDecoder(rc)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return bad(f.Name, "not a JSON object")
	}
	has := map[string]bool{}
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return bad(f.Name, "%v", err)
		}
		name := tok.String()
		if name == "@graph" && dec.PeekKind() != '[' {
			return bad(f.Name, "@graph is not an array")
		}
		if err := dec.SkipValue(); err != nil {
			return bad(f.Name, "%v", err)
		}
		has[name] = true
	}
	if _, err := dec.ReadToken(); err != nil {
		return bad(f.Name, "%v", err)
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return bad(f.Name, "more than one JSON value")
	}
	if !has["@context"] || !has["@graph"] {
		return bad(f.Name, "an RO-Crate's metadata has an @context and an @graph")
	}
	return nil
}

// verifyBag checks a version's bag: its record, its manifest against the
// version's digest, every file against the manifest, and the tag files
// against the tag manifest.
func (c *crate) verifyBag(ctx context.Context, b *bag) error {
	var rec versionRecord
	if err := c.readDoc(b.tags[versionFile], &rec); err != nil {
		return err
	}
	vf := b.dir + versionFile
	switch {
	case rec.Project != c.head.Project:
		return bad(vf, "project %q, but the export is of project %q", rec.Project, c.head.Project)
	case rec.Dataset != b.dataset || rec.Number != b.number:
		return bad(vf, "describes %s@%d, not %s@%d", rec.Dataset, rec.Number, b.dataset, b.number)
	case rec.CreatedAt.IsZero():
		return bad(vf, "no created_at")
	}
	md, err := storejson.DecodeMetadata(rec.Metadata)
	if err != nil {
		return bad(vf, "metadata: %v", err)
	}
	bagit, err := readAll(b.tags[bagitFile])
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(bagit, []byte("BagIt-Version: ")) {
		return bad(b.dir+bagitFile, "does not declare a BagIt version")
	}
	manifest, err := readAll(b.tags[manifestFile])
	if err != nil {
		return err
	}
	mf := b.dir + manifestFile
	files, err := parseManifest(mf, manifest, "data/")
	if err != nil {
		return err
	}
	byPath := map[string]int{}
	for i, f := range files {
		if err := tycho.ValidFilePath(f.name); err != nil {
			return bad(mf, "%s", tycho.ErrorMessage(err))
		}
		byPath[f.name] = i
	}
	v := &tycho.DatasetVersion{Project: rec.Project, Dataset: rec.Dataset, Number: rec.Number, Digest: rec.Digest,
		Size: rec.Size, FileCount: rec.FileCount, Metadata: md, Quality: rec.Quality, CreatedAt: rec.CreatedAt}
	for _, f := range files {
		v.Files = append(v.Files, tycho.File{Path: f.name, SHA256: f.hash})
	}
	if !bytes.Equal(manifest, tycho.Manifest(v.Files)) {
		return bad(mf, "is not in Tycho's form: one \"SHA256  data/PATH\" line per file, sorted by path")
	}
	if d := sha256.Sum256(manifest); "sha256:"+hex.EncodeToString(d[:]) != rec.Digest {
		return bad(mf, "its SHA-256 is not the version's digest %s", rec.Digest)
	}
	for _, p := range sortedKeys(b.payload) {
		if _, ok := byPath[p]; !ok {
			return bad(b.payload[p].Name, "is not in %s", mf)
		}
	}
	var size int64
	for i := range v.Files {
		f := &v.Files[i]
		e := b.payload[f.Path]
		if e == nil {
			return bad(mf, "lists %s, which the export does not hold", payloadDir+"/"+f.Path)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		sum, n, err := c.hash(e)
		if err != nil {
			return err
		}
		if sum != f.SHA256 {
			return bad(e.Name, "its SHA-256 is %s, but %s says %s", sum, mf, f.SHA256)
		}
		f.Size = n
		size += n
	}
	if size != rec.Size || len(v.Files) != rec.FileCount {
		return bad(vf, "%d bytes in %d files, but the bag holds %d bytes in %d", rec.Size, rec.FileCount, size, len(v.Files))
	}
	// The domain's checks of a version, on a copy with one chunk a file:
	// the chunks come in the second pass.
	check := *v
	check.Files = slices.Clone(v.Files)
	for i, f := range check.Files {
		if f.Size > 0 {
			check.Files[i].Chunks = []tycho.Chunk{{Hash: f.SHA256, Size: f.Size}}
		}
	}
	if err := tycho.CheckVersion(&check); err != nil {
		return bad(b.dir, "%s", tycho.ErrorMessage(err))
	}
	if err := c.verifyTags(b); err != nil {
		return err
	}
	b.version = v
	return nil
}

// verifyTags checks the optional tag files: the tag manifest, if there is
// one, lists every other tag file with its hash; bag-info.txt's
// Payload-Oxum, if given, counts the payload.
func (c *crate) verifyTags(b *bag) error {
	if f := b.tags[bagInfoFile]; f != nil {
		info, err := readAll(f)
		if err != nil {
			return err
		}
		for line := range strings.Lines(string(info)) {
			if oxum, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "Payload-Oxum:"); ok {
				if want := fmt.Sprintf("%d.%d", b.payloadSize(), len(b.payload)); strings.TrimSpace(oxum) != want {
					return bad(f.Name, "Payload-Oxum %s, but the bag holds %s (bytes.files)", strings.TrimSpace(oxum), want)
				}
			}
		}
	}
	f := b.tags[tagManifestFile]
	if f == nil {
		return nil
	}
	raw, err := readAll(f)
	if err != nil {
		return err
	}
	listed, err := parseManifest(f.Name, raw, "")
	if err != nil {
		return err
	}
	names := map[string]bool{}
	for _, t := range listed {
		e := b.tags[t.name]
		if e == nil || t.name == tagManifestFile {
			return bad(f.Name, "lists %s, which is not a tag file of the bag", t.name)
		}
		names[t.name] = true
		sum, _, err := c.hash(e)
		if err != nil {
			return err
		}
		if sum != t.hash {
			return bad(e.Name, "its SHA-256 is %s, but %s says %s", sum, f.Name, t.hash)
		}
	}
	for name, e := range b.tags {
		if name != tagManifestFile && !names[name] {
			return bad(e.Name, "is not in %s", f.Name)
		}
	}
	return nil
}

// payloadSize sums the payload's declared sizes, which verifyBag has
// checked against the bytes by the time it checks the tags.
func (b *bag) payloadSize() int64 {
	var n int64
	for _, f := range b.payload {
		n += int64(f.UncompressedSize64)
	}
	return n
}

type manifestLine struct{ hash, name string }

// parseManifest reads BagIt manifest lines, "SHA256  PATH", requiring
// each path to start with prefix (which is cut) and to come once.
func parseManifest(entry string, b []byte, prefix string) ([]manifestLine, error) {
	var out []manifestLine
	seen := map[string]bool{}
	n := 0
	for line := range strings.Lines(string(b)) {
		n++
		if !strings.HasSuffix(line, "\n") {
			return nil, bad(entry, "line %d does not end in a newline", n)
		}
		hash, name, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "  ")
		if !ok || !tycho.ValidHash(hash) {
			return nil, bad(entry, "line %d is not \"SHA256  PATH\" with a lower-case hex SHA-256", n)
		}
		name, ok = strings.CutPrefix(name, prefix)
		if !ok {
			return nil, bad(entry, "line %d: %q is not under %s", n, name, prefix)
		}
		if seen[name] {
			return nil, bad(entry, "line %d: %s is listed twice", n, name)
		}
		seen[name] = true
		out = append(out, manifestLine{hash, name})
	}
	return out, nil
}

// hash returns the SHA-256 and size of an entry's bytes.
func (c *crate) hash(f *zip.File) (string, int64, error) {
	rc, err := read(f)
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, rc, c.buf)
	if err != nil {
		return "", 0, bad(f.Name, "%v", err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// lines calls each with every line of a JSON-lines entry and its number.
func lines(f *zip.File, each func(n int, line []byte) error) error {
	rc, err := read(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	s := bufio.NewScanner(rc)
	s.Buffer(make([]byte, 0, 64<<10), maxLine)
	n := 0
	for s.Scan() {
		n++
		if err := each(n, s.Bytes()); err != nil {
			return err
		}
	}
	if err := s.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return bad(f.Name, "line %d is longer than %d bytes", n+1, maxLine)
		}
		return bad(f.Name, "%v", err)
	}
	return nil
}

// readCampaign reads and checks a campaign's records as ImportCampaign
// takes them.
func (c *crate) readCampaign(cd *campaignDir) (*tycho.Campaign, []*tycho.Generation, []*tycho.Experiment, error) {
	var rec campaignRecord
	cf := cd.dir + campaignFile
	if err := c.readDoc(cd.files[campaignFile], &rec); err != nil {
		return nil, nil, nil, err
	}
	if rec.ID != cd.id {
		return nil, nil, nil, bad(cf, "is campaign %q, not %s", rec.ID, cd.id)
	}
	camp := &tycho.Campaign{
		ID: rec.ID, SourceName: string(rec.SourceName), SourceDigest: rec.SourceDigest, Status: tycho.CampaignStatus(rec.Status),
		StopReason: string(rec.StopReason), Elapsed: time.Duration(rec.ElapsedNS), CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt,
	}
	// The spec is read as the stores read theirs.
	if err := json.Unmarshal(rec.Spec, &camp.Spec); err != nil {
		return nil, nil, nil, bad(cf, "spec: %v", err)
	}
	switch camp.Status {
	case tycho.CampaignRunning, tycho.CampaignCompleted, tycho.CampaignFailed:
	default:
		return nil, nil, nil, bad(cf, "unknown status %q", rec.Status)
	}
	switch src := cd.files[sourceFile]; {
	case rec.SourceFile == "" && src == nil:
	case rec.SourceFile == sourceFile && src != nil:
		b, err := readAll(src)
		if err != nil {
			return nil, nil, nil, err
		}
		camp.Source = b
	case rec.SourceFile == "":
		return nil, nil, nil, bad(src.Name, "the campaign has no source file")
	default:
		return nil, nil, nil, bad(cf, "source_file %q: want %q, beside it", rec.SourceFile, sourceFile)
	}

	var gens []*tycho.Generation
	indexes, keys := map[int]bool{}, map[string]bool{}
	gf := cd.files[generationsFile]
	err := lines(gf, func(n int, line []byte) error {
		var r generationRecord
		if err := strictJSON(line, &r); err != nil {
			return bad(gf.Name, "line %d: %v", n, err)
		}
		g, err := r.generation(cd.id)
		if err != nil {
			return bad(gf.Name, "line %d: %s", n, tycho.ErrorMessage(err))
		}
		if indexes[g.Index] || g.Key != "" && keys[g.Key] {
			return bad(gf.Name, "line %d: generation %d or its key comes twice", n, g.Index)
		}
		indexes[g.Index], keys[g.Key] = true, true
		gens = append(gens, g)
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}

	var exps []*tycho.Experiment
	ids, seqs := map[string]bool{}, map[int]bool{}
	ef := cd.files[experimentsFile]
	err = lines(ef, func(n int, line []byte) error {
		var r experimentRecord
		if err := strictJSON(line, &r); err != nil {
			return bad(ef.Name, "line %d: %v", n, err)
		}
		e, err := r.experiment(cd.id)
		if err != nil {
			return bad(ef.Name, "line %d: %s", n, tycho.ErrorMessage(err))
		}
		switch {
		case ids[e.ID] || seqs[e.Seq]:
			return bad(ef.Name, "line %d: experiment %s or sequence number %d comes twice", n, e.ID, e.Seq)
		case !indexes[e.Generation]:
			return bad(ef.Name, "line %d: experiment %s is of generation %d, which %s does not hold", n, e.ID, e.Generation, generationsFile)
		}
		ids[e.ID], seqs[e.Seq] = true, true
		exps = append(exps, e)
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	if len(gens) != rec.Generations || len(exps) != rec.Experiments {
		return nil, nil, nil, bad(cf, "counts %d generations and %d experiments, but the files hold %d and %d",
			rec.Generations, rec.Experiments, len(gens), len(exps))
	}
	return camp, gens, exps, nil
}

// generation checks a generation record and returns the generation.
func (r *generationRecord) generation(campaign string) (*tycho.Generation, error) {
	seed, err := strconv.ParseUint(r.Seed, 10, 64)
	if err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "seed %q is not an unsigned 64-bit integer", r.Seed)
	}
	if r.Index < 1 {
		return nil, tycho.Errorf(tycho.EINVALID, "generation %d: generations are numbered from 1", r.Index)
	}
	g := &tycho.Generation{CampaignID: campaign, Index: r.Index, Key: string(r.Key), Strategy: r.Strategy, Seed: seed,
		Observations: r.Observations, Pending: r.Pending, FitTime: time.Duration(r.FitNS), ProposeTime: time.Duration(r.ProposeNS), CreatedAt: r.CreatedAt}
	if present(r.Model) {
		if g.Model, err = storejson.DecodeModel(r.Model); err != nil || g.Model == nil {
			return nil, tycho.Errorf(tycho.EINVALID, "model: want a JSON object")
		}
		if _, err := storejson.EncodeModel(g.Model); err != nil {
			return nil, err
		}
	}
	if present(r.Acquisition) {
		if g.Acquisition, err = storejson.DecodeNumbers(r.Acquisition); err != nil || g.Acquisition == nil {
			return nil, tycho.Errorf(tycho.EINVALID, "acquisition: want a list of numbers")
		}
	}
	return g, nil
}

// experiment checks an experiment record and returns the experiment.
func (r *experimentRecord) experiment(campaign string) (*tycho.Experiment, error) {
	switch {
	case r.ID == "":
		return nil, tycho.Errorf(tycho.EINVALID, "an experiment needs an ID")
	case r.Seq < 1:
		return nil, tycho.Errorf(tycho.EINVALID, "experiment %s: sequence number %d", r.ID, r.Seq)
	case !slices.Contains(tycho.ExperimentStates, tycho.ExperimentState(r.State)):
		return nil, tycho.Errorf(tycho.EINVALID, "experiment %s: unknown state %q", r.ID, r.State)
	case r.Attempt < 0:
		return nil, tycho.Errorf(tycho.EINVALID, "experiment %s: attempt %d", r.ID, r.Attempt)
	}
	e := &tycho.Experiment{ID: r.ID, CampaignID: campaign, Seq: r.Seq, Generation: r.Generation, State: tycho.ExperimentState(r.State),
		Attempt: r.Attempt, Error: string(r.Error), CreatedAt: r.CreatedAt, StartedAt: fromOpt(r.StartedAt), FinishedAt: fromOpt(r.FinishedAt)}
	var err error
	if e.Params, err = storejson.DecodeParams(r.Params); err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "experiment %s: params: want a JSON object", r.ID)
	}
	if _, err := storejson.EncodeParams(e.Params); err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "experiment %s: %s", r.ID, tycho.ErrorMessage(err))
	}
	if present(r.Result) {
		if e.Result, err = storejson.DecodeResult(r.Result); err != nil {
			return nil, tycho.Errorf(tycho.EINVALID, "experiment %s: result: %v", r.ID, err)
		}
		if _, err := storejson.ResultBody(r.ID, e.Result); err != nil {
			return nil, err
		}
	}
	if r.Lease != nil {
		e.Lease = &tycho.Lease{Holder: string(r.Lease.Holder), Expires: fromOpt(r.Lease.Expires)}
	}
	return e, nil
}

// present reports whether an optional raw JSON member holds a value.
func present(raw json.RawMessage) bool { return raw != nil && string(raw) != "null" }

// verifyGraph checks every line of the graph, and that no node or edge
// comes twice, and counts them.
func (c *crate) verifyGraph() (nodes, edges int, err error) {
	seen := map[[16]byte]bool{}
	once := func(kind string, key ...string) bool {
		h := sha256.Sum256([]byte(kind + "\x00" + strings.Join(key, "\x00")))
		k := [16]byte(h[:16])
		if seen[k] {
			return false
		}
		seen[k] = true
		return true
	}
	err = c.graphLines(func(n int, l *graphLine) error {
		f := c.entries[graphFile]
		if l.Node != nil {
			nodes++
			if !once("node", l.Node.ID) {
				return bad(f.Name, "line %d: node %s comes twice", n, l.Node.ID)
			}
			return nil
		}
		edges++
		if !once("edge", l.Edge.From, string(l.Edge.Relation), l.Edge.To) {
			return bad(f.Name, "line %d: edge %s %s %s comes twice", n, l.Edge.From, l.Edge.Relation, l.Edge.To)
		}
		return nil
	})
	return nodes, edges, err
}

// graphLines calls each with every line of the graph, checked.
func (c *crate) graphLines(each func(n int, l *graphLine) error) error {
	f := c.entries[graphFile]
	return lines(f, func(n int, line []byte) error {
		var l graphLine
		if err := strictJSON(line, &l); err != nil {
			return bad(f.Name, "line %d: %v", n, err)
		}
		g := &tycho.ProvGraph{}
		switch {
		case l.Node != nil && l.Edge == nil:
			g.Nodes = []tycho.ProvNode{*l.Node}
		case l.Edge != nil && l.Node == nil:
			g.Edges = []tycho.ProvEdge{*l.Edge}
		default:
			return bad(f.Name, "line %d: want a node or an edge", n)
		}
		if err := g.Check(); err != nil {
			return bad(f.Name, "line %d: %s", n, tycho.ErrorMessage(err))
		}
		if l.Node != nil {
			if _, err := storejson.EncodeAttributes(l.Node.Attributes); err != nil {
				return bad(f.Name, "line %d: %s", n, tycho.ErrorMessage(err))
			}
		}
		return each(n, &l)
	})
}
