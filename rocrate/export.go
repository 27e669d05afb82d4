package rocrate

import (
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"tycho"
	"tycho/dcat"
	"tycho/internal/storejson"
)

// provPage is how many provenance nodes Export reads at a time.
const provPage = 1000

// Export writes the project's datasets, campaigns and provenance to w as
// an RO-Crate in a ZIP file. Until campaigns belong to projects (the
// security issue), every campaign and every provenance node that is not a
// dataset version of another project belongs to the default project, so
// the default project's export holds them and another project's export
// holds its datasets alone.
//
// Export never holds the crate in memory: dataset files are copied chunk
// by chunk (and checked against their hashes on the way, so a damaged
// chunk store fails the export instead of exporting damage), and the
// provenance graph is read a page at a time. The entities of
// ro-crate-metadata.json and the graph's JSON lines are spooled to
// temporary files, which Export removes. A campaign that runs during the
// export is exported as each of its parts was read; export a quiet store
// for an exact snapshot.
func Export(ctx context.Context, w io.Writer, src Source, project string) error {
	if err := tycho.ValidName("project", project); err != nil {
		return err
	}
	entities, err := newSpool()
	if err != nil {
		return err
	}
	defer entities.Close()
	x := &exporter{
		ctx: ctx, src: src, project: project, zw: zip.NewWriter(w),
		now: time.Now().UTC(), entities: entities, buf: make([]byte, 256<<10),
		crate:    newCrateMeta(),
		exported: map[string]bool{},
	}
	x.head = header{Format: Format, Version: FormatVersion, Project: project, ExportedAt: x.now}
	if err := x.datasets(); err != nil {
		return err
	}
	if err := x.catalog(); err != nil {
		return err
	}
	if project == tycho.DefaultProject {
		if err := x.campaigns(); err != nil {
			return err
		}
	}
	if err := x.provenance(); err != nil {
		return err
	}
	if err := x.metadata(); err != nil {
		return err
	}
	if err := x.writeJSON(headerFile, x.head); err != nil {
		return err
	}
	if err := x.zw.Close(); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	return nil
}

// exporter holds the state of one export.
type exporter struct {
	ctx     context.Context
	src     Source
	project string
	zw      *zip.Writer
	now     time.Time
	head    header
	// entities spools the RO-Crate entities of datasets, campaigns and
	// experiments, each preceded by ",\n", until ro-crate-metadata.json
	// is written.
	entities *spool
	crate    *crateMeta
	// exported holds the refs (NAME@NUMBER) of the versions exported, for
	// the campaigns that used them as prior data.
	exported map[string]bool
	buf      []byte
}

// create starts a ZIP entry. Dataset files are stored as they are, so that
// even very compressible data never looks like a ZIP bomb to an import;
// records are deflated.
func (x *exporter) create(name string, store bool, modified time.Time) (io.Writer, error) {
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified.UTC()}
	if store {
		h.Method = zip.Store
	}
	h.SetMode(0o644)
	w, err := x.zw.CreateHeader(h)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	return w, nil
}

// file writes a whole small entry.
func (x *exporter) file(name string, data []byte) error {
	w, err := x.create(name, false, x.now)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// writeJSON writes v as an indented JSON entry.
func (x *exporter) writeJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	return x.file(name, append(b, '\n'))
}

// entity spools an RO-Crate entity.
func (x *exporter) entity(e map[string]any) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode RO-Crate entity %v: %w", e["@id"], err)
	}
	return x.entities.write([]byte(",\n"), b)
}

// datasets exports every version of every dataset of the project.
func (x *exporter) datasets() error {
	list, err := x.src.ListDatasets(x.ctx, x.project)
	if err != nil {
		return err
	}
	for _, d := range list {
		versions, err := x.src.ListVersions(x.ctx, x.project, d.Name)
		if err != nil {
			return err
		}
		for _, v := range versions {
			full, err := x.src.FindVersion(x.ctx, x.project, d.Name, strconv.Itoa(v.Number))
			if err != nil {
				return err
			}
			if err := x.version(full); err != nil {
				return err
			}
		}
	}
	return nil
}

// catalog writes the DCAT-AP records of the project's datasets, every
// version with a distribution per file and its checksum.
func (x *exporter) catalog() error {
	w, err := x.create(catalogFile, false, x.now)
	if err != nil {
		return err
	}
	cat := dcat.Catalog{
		Title:       "Datasets of Tycho project " + x.project,
		Description: "The DCAT-AP records of every version of every dataset of Tycho project " + x.project + ", exported with the project; each version's files are in datasets/NAME/VERSION/data/.",
		Publisher:   "Tycho project " + x.project,
	}
	if err := dcat.Write(x.ctx, w, cat, x.src, []string{x.project}); err != nil {
		return fmt.Errorf("write %s: %w", catalogFile, err)
	}
	x.crate.parts = append(x.crate.parts, catalogFile)
	return nil
}

// versionDir is where version number n of dataset name lives in a crate.
func versionDir(name string, n int) string {
	return "datasets/" + name + "/" + strconv.Itoa(n) + "/"
}

// version writes one version as a BagIt bag: its files under data/, the
// manifest, the bag's declaration and info, Tycho's record of the version,
// and a tag manifest over all of those.
func (x *exporter) version(v *tycho.DatasetVersion) error {
	dir := versionDir(v.Dataset, v.Number)
	files := slices.Clone(v.Files)
	slices.SortFunc(files, func(a, b tycho.File) int { return strings.Compare(a.Path, b.Path) })
	manifest := tycho.Manifest(files)
	if d := sha256.Sum256(manifest); "sha256:"+hex.EncodeToString(d[:]) != v.Digest {
		return fmt.Errorf("version %s of project %s: its digest %s does not match its files: the store is damaged", v.Ref(), v.Project, v.Digest)
	}
	for _, f := range files {
		if err := x.payload(v, dir, f); err != nil {
			return err
		}
	}
	md, err := storejson.EncodeMetadata(v.Metadata)
	if err != nil {
		return err
	}
	rec, err := json.MarshalIndent(versionRecord{
		Project: v.Project, Dataset: v.Dataset, Number: v.Number, Digest: v.Digest, Size: v.Size, FileCount: v.FileCount,
		Metadata: md, Quality: v.Quality, CreatedAt: v.CreatedAt.UTC(),
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s%s: %w", dir, versionFile, err)
	}
	var tagManifest bytes.Buffer
	tag := func(name string, write func(io.Writer) error) error {
		w, err := x.create(dir+name, false, x.now)
		if err != nil {
			return err
		}
		h := sha256.New()
		if err := write(io.MultiWriter(w, h)); err != nil {
			return fmt.Errorf("write %s%s: %w", dir, name, err)
		}
		fmt.Fprintf(&tagManifest, "%x  %s\n", h.Sum(nil), name)
		return nil
	}
	bytesOf := func(b []byte) func(io.Writer) error {
		return func(w io.Writer) error { _, err := w.Write(b); return err }
	}
	for _, t := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{bagitFile, bytesOf([]byte("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"))},
		{bagInfoFile, bytesOf(bagInfo(v))},
		{manifestFile, bytesOf(manifest)},
		{versionFile, bytesOf(append(rec, '\n'))},
	} {
		if err := tag(t.name, t.write); err != nil {
			return err
		}
	}
	if err := x.file(dir+tagManifestFile, tagManifest.Bytes()); err != nil {
		return err
	}
	x.exported[v.Ref()] = true
	x.head.Versions++
	x.crate.parts = append(x.crate.parts, dir)
	return x.entity(x.crate.versionEntity(v, dir))
}

// bagInfo returns a version's bag-info.txt.
func bagInfo(v *tycho.DatasetVersion) []byte {
	var b strings.Builder
	line := func(k, val string) {
		// A value is one line: BagIt continues lines with leading
		// whitespace, which metadata has no use for.
		val = strings.Join(strings.Fields(val), " ")
		if val != "" {
			b.WriteString(k + ": " + val + "\n")
		}
	}
	line("Bag-Software-Agent", "Tycho")
	line("Bagging-Date", v.CreatedAt.UTC().Format(time.DateOnly))
	line("External-Identifier", v.Digest)
	line("External-Description", v.Metadata.Title)
	line("Source-Organization", v.Metadata.Publisher)
	line("Payload-Oxum", fmt.Sprintf("%d.%d", v.Size, v.FileCount))
	return []byte(b.String())
}

// payload copies one file of a version from the chunk store into the
// crate, checking its size and hash.
func (x *exporter) payload(v *tycho.DatasetVersion, dir string, f tycho.File) error {
	w, err := x.create(dir+payloadDir+"/"+f.Path, true, v.CreatedAt)
	if err != nil {
		return err
	}
	h := sha256.New()
	mw := io.MultiWriter(w, h)
	var n int64
	for i, c := range f.Chunks {
		rc, err := x.src.OpenChunk(x.ctx, v.Project, c.Hash)
		if err != nil {
			return fmt.Errorf("version %s, file %s, chunk %d: %w", v.Ref(), f.Path, i+1, err)
		}
		m, err := io.CopyBuffer(mw, rc, x.buf)
		rc.Close()
		if err != nil {
			return fmt.Errorf("version %s, file %s: %w", v.Ref(), f.Path, err)
		}
		if m != c.Size {
			return fmt.Errorf("version %s, file %s: chunk %s holds %d bytes, not %d: the chunk store is damaged", v.Ref(), f.Path, c.Hash, m, c.Size)
		}
		n += m
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != f.Size || got != f.SHA256 {
		return fmt.Errorf("version %s, file %s: its chunks hold %d bytes with SHA-256 %s, not %d with %s: the chunk store is damaged",
			v.Ref(), f.Path, n, got, f.Size, f.SHA256)
	}
	return nil
}

// campaigns exports every campaign with its generations and experiments.
func (x *exporter) campaigns() error {
	list, err := x.src.ListCampaigns(x.ctx)
	if err != nil {
		return err
	}
	slices.SortFunc(list, func(a, b *tycho.Campaign) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	for _, c := range list {
		if err := x.campaign(c); err != nil {
			return err
		}
	}
	return nil
}

func (x *exporter) campaign(c *tycho.Campaign) error {
	if !validID(c.ID) {
		return tycho.Errorf(tycho.EINVALID, "campaign ID %q cannot name a directory of the export", c.ID)
	}
	gens, err := x.src.ListGenerations(x.ctx, c.ID)
	if err != nil {
		return err
	}
	exps, err := x.src.ListExperiments(x.ctx, c.ID)
	if err != nil {
		return err
	}
	dir := "campaigns/" + c.ID + "/"
	spec, err := json.Marshal(c.Spec)
	if err != nil {
		return fmt.Errorf("encode spec of campaign %s: %w", c.ID, err)
	}
	rec := campaignRecord{
		ID: c.ID, Spec: spec, SourceName: text(c.SourceName), SourceDigest: c.SourceDigest,
		Status: string(c.Status), StopReason: text(c.StopReason), ElapsedNS: int64(c.Elapsed),
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), Generations: len(gens), Experiments: len(exps),
	}
	if len(c.Source) > 0 {
		rec.SourceFile = sourceFile
		if err := x.file(dir+sourceFile, c.Source); err != nil {
			return err
		}
	}
	if err := x.writeJSON(dir+campaignFile, rec); err != nil {
		return err
	}
	if err := x.lines(dir+generationsFile, len(gens), func(i int) (any, error) { return generationLine(gens[i]) }); err != nil {
		return err
	}
	if err := x.lines(dir+experimentsFile, len(exps), func(i int) (any, error) { return experimentLine(exps[i]) }); err != nil {
		return err
	}
	x.head.Campaigns++
	x.crate.parts = append(x.crate.parts, dir)
	prior := ""
	if project, name, n, ok := c.Spec.PriorVersion(); ok && project == x.project && x.exported[name+"@"+strconv.Itoa(n)] {
		prior = versionDir(name, n)
	}
	for _, e := range x.crate.campaignEntities(c, dir, prior) {
		if err := x.entity(e); err != nil {
			return err
		}
	}
	for _, e := range exps {
		for _, ent := range x.crate.experimentEntities(c, e) {
			if err := x.entity(ent); err != nil {
				return err
			}
		}
	}
	return nil
}

// lines writes n JSON lines, the i-th from line(i).
func (x *exporter) lines(name string, n int, line func(i int) (any, error)) error {
	w, err := x.create(name, false, x.now)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for i := range n {
		v, err := line(i)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func generationLine(g *tycho.Generation) (*generationRecord, error) {
	model, err := storejson.EncodeModel(g.Model)
	if err != nil {
		return nil, err
	}
	acq, err := storejson.EncodeNumbers(g.Acquisition)
	if err != nil {
		return nil, fmt.Errorf("generation %d: %w", g.Index, err)
	}
	return &generationRecord{
		Index: g.Index, Key: text(g.Key), Strategy: g.Strategy, Seed: strconv.FormatUint(g.Seed, 10),
		Observations: g.Observations, Pending: g.Pending, Model: model, Acquisition: acq,
		FitNS: int64(g.FitTime), ProposeNS: int64(g.ProposeTime), CreatedAt: g.CreatedAt.UTC(),
	}, nil
}

func experimentLine(e *tycho.Experiment) (*experimentRecord, error) {
	params, err := storejson.EncodeParams(e.Params)
	if err != nil {
		return nil, fmt.Errorf("experiment %s: %w", e.ID, err)
	}
	rec := &experimentRecord{
		ID: e.ID, Seq: e.Seq, Generation: e.Generation, Params: params, State: string(e.State), Attempt: e.Attempt,
		Error: text(e.Error), CreatedAt: e.CreatedAt.UTC(), StartedAt: optTime(e.StartedAt), FinishedAt: optTime(e.FinishedAt),
	}
	if e.Lease != nil {
		rec.Lease = &leaseRecord{Holder: text(e.Lease.Holder), Expires: optTime(e.Lease.Expires)}
	}
	if e.Result != nil {
		if rec.Result, err = storejson.EncodeResult(e.Result); err != nil {
			return nil, fmt.Errorf("experiment %s: %w", e.ID, err)
		}
	}
	return rec, nil
}

// inProject reports whether provenance node id belongs to project: a
// dataset version's node to the version's project, and every other node,
// until campaigns belong to projects, to the default project.
func inProject(id, project string) bool {
	if rest, ok := strings.CutPrefix(id, "dataset/"); ok {
		p, _, _ := strings.Cut(rest, "/")
		return p == project
	}
	return project == tycho.DefaultProject
}

// provenance writes the project's part of the graph, read a page at a
// time, as PROV-O JSON-LD and as JSON lines. One pass over the store
// feeds both, so they agree even if the graph grows meanwhile: the JSON
// lines are spooled while the JSON-LD is written.
func (x *exporter) provenance() error {
	lines, err := newSpool()
	if err != nil {
		return err
	}
	defer lines.Close()
	w, err := x.create(provOFile, false, x.now)
	if err != nil {
		return err
	}
	pages := func(yield func(*tycho.ProvGraph, error) bool) {
		after := ""
		for {
			g, next, err := x.src.ListProvenance(x.ctx, after, provPage)
			if err != nil {
				yield(nil, err)
				return
			}
			g = x.projectGraph(g)
			if err := writeGraphLines(lines, g); err != nil {
				yield(nil, err)
				return
			}
			if !yield(g, nil) || next == "" {
				return
			}
			after = next
		}
	}
	if err := WriteProvO(w, pages); err != nil {
		return fmt.Errorf("write %s: %w", provOFile, err)
	}
	g, err := x.create(graphFile, false, x.now)
	if err != nil {
		return err
	}
	if err := lines.copyTo(g); err != nil {
		return fmt.Errorf("write %s: %w", graphFile, err)
	}
	x.crate.parts = append(x.crate.parts, provOFile, graphFile)
	return nil
}

// projectGraph keeps the nodes of x's project and the edges between them,
// and counts them.
func (x *exporter) projectGraph(g *tycho.ProvGraph) *tycho.ProvGraph {
	out := &tycho.ProvGraph{}
	for _, n := range g.Nodes {
		if inProject(n.ID, x.project) {
			out.Nodes = append(out.Nodes, n)
		}
	}
	for _, e := range g.Edges {
		if inProject(e.From, x.project) && inProject(e.To, x.project) {
			out.Edges = append(out.Edges, e)
		}
	}
	x.head.ProvNodes += len(out.Nodes)
	x.head.ProvEdges += len(out.Edges)
	return out
}

// writeGraphLines writes a page's nodes, then its edges, as JSON lines.
func writeGraphLines(s *spool, g *tycho.ProvGraph) error {
	for i := range g.Nodes {
		n := g.Nodes[i]
		n.Time = n.Time.UTC()
		if n.Attributes != nil {
			n.Attributes, _ = storejson.Finite(n.Attributes).(map[string]any)
		}
		if err := s.line(graphLine{Node: &n}); err != nil {
			return err
		}
	}
	for i := range g.Edges {
		e := g.Edges[i]
		e.Time = e.Time.UTC()
		if err := s.line(graphLine{Edge: &e}); err != nil {
			return err
		}
	}
	return nil
}

// metadata writes ro-crate-metadata.json: the descriptor, the root
// dataset and the contextual entities, then the spooled entities.
func (x *exporter) metadata() error {
	w, err := x.create(metadataFile, false, x.now)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	if err := x.crate.writeHead(bw, x.project, x.now); err != nil {
		return fmt.Errorf("write %s: %w", metadataFile, err)
	}
	if err := x.entities.copyTo(bw); err != nil {
		return fmt.Errorf("write %s: %w", metadataFile, err)
	}
	if _, err := bw.WriteString("\n]}\n"); err != nil {
		return fmt.Errorf("write %s: %w", metadataFile, err)
	}
	return bw.Flush()
}

// validID reports whether a campaign ID can name a directory: the IDs the
// server accepts, letters, digits, '.', '_' and '-', starting with a
// letter or digit.
func validID(id string) bool {
	if id == "" || len(id) > 128 || !isAlnum(id[0]) {
		return false
	}
	for i := range len(id) {
		if c := id[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// spool is a temporary file that collects what is written before it is
// copied into the crate.
type spool struct {
	f  *os.File
	bw *bufio.Writer
}

func newSpool() (*spool, error) {
	f, err := os.CreateTemp("", "tycho-export-*")
	if err != nil {
		return nil, fmt.Errorf("create spool file: %w", err)
	}
	return &spool{f: f, bw: bufio.NewWriter(f)}, nil
}

func (s *spool) write(parts ...[]byte) error {
	for _, p := range parts {
		if _, err := s.bw.Write(p); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
	}
	return nil
}

// line writes v as a JSON line.
func (s *spool) line(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.write(b, []byte{'\n'})
}

// copyTo copies what was written to w.
func (s *spool) copyTo(w io.Writer) error {
	if err := s.bw.Flush(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	_, err := io.Copy(w, s.f)
	return err
}

// Close removes the file.
func (s *spool) Close() error {
	s.f.Close()
	return os.Remove(s.f.Name())
}
