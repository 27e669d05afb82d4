package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"tycho"
	"tycho/blob"
	"tycho/dataset"
	"tycho/postgres"
	"tycho/sqlite"
)

// dataMarker starts the data section of docs/benchmarks.md.
const dataMarker = "<!-- tycho bench data -->"

// benchData measures dataset ingest against sha256sum, deduplication of
// an edited file, and lineage queries on a large synthetic graph.
func (c *benchCommand) benchData(ctx context.Context, args []string) error {
	fs := newFlagSet("bench data", "bench data [--size MB] [--files N] [--nodes N] [--postgres DSN] [--out FILE]", c.stderr)
	sizeMB := fs.Int("size", 1000, "size of the large file, in MB (10^6 bytes)")
	files := fs.Int("files", 100000, "number of small files")
	nodes := fs.Int("nodes", 1000000, "nodes of the synthetic provenance graph")
	queries := fs.Int("queries", 1000, "lineage queries per store")
	dsn := fs.String("postgres", os.Getenv("TYCHO_TEST_POSTGRES"), "PostgreSQL to measure lineage on too (default $TYCHO_TEST_POSTGRES); an empty database is best")
	out := fs.String("out", "docs/benchmarks.md", "update the data section of this file (- for standard output)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *sizeMB < 10 || *files < 1 || *nodes < 10000 || *queries < 10 {
		fs.Usage()
		return errUsage
	}
	dir, err := os.MkdirTemp("", "tycho-bench-data-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	logf := func(format string, args ...any) { fmt.Fprintf(c.stderr, format+"\n", args...) }

	var b strings.Builder
	fmt.Fprintf(&b, "%s\n## Datasets and lineage (issue 5)\n\nReproduce with:\n\n```sh\nTYCHO_TEST_POSTGRES=postgres://postgres@127.0.0.1:55432/tycho_bench?sslmode=disable \\\n  go run ./cmd/tycho bench data\n```\n\n", dataMarker)
	fmt.Fprintf(&b, "Measured %s on %s/%s, %d CPUs, %s, on the local disk (ext4), page cache warm for both sides. "+
		"Ingest is `tycho data add` as a library call: FastCDC chunking, SHA-256 of every chunk and file, chunks written and "+
		"synced, the version committed to SQLite.\n\n",
		time.Now().UTC().Format(time.DateOnly), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())

	// Ingest of one large file, against sha256sum on the same file.
	big := filepath.Join(dir, "src", "big.bin")
	logf("writing a %d MB file", *sizeMB)
	if err := writeRandom(big, int64(*sizeMB)*1e6, 1); err != nil {
		return err
	}
	shaRate, err := sha256sumRate(ctx, big)
	if err != nil {
		return err
	}
	svc, closeSvc, err := benchDataService(ctx, filepath.Join(dir, "data"))
	if err != nil {
		return err
	}
	defer closeSvc()
	logf("ingesting it")
	start := time.Now()
	v1, err := svc.Add(ctx, dataset.AddRequest{Name: "big", Paths: []string{big}})
	if err != nil {
		return err
	}
	ingest := float64(*sizeMB) / time.Since(start).Seconds()
	verdictIngest := "meets the target"
	if ingest < 0.7*shaRate {
		verdictIngest = "**misses the target**"
	}
	b.WriteString("| data | tycho ingest | sha256sum | ratio |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| one %d MB file | **%.0f MB/s** | %.0f MB/s | %.0f %% |\n", *sizeMB, ingest, shaRate, 100*ingest/shaRate)

	// A 1 % edit: overwrite 1 % of the file in one place, and insert a few
	// bytes near its start, which shifts everything after them.
	edited := filepath.Join(dir, "src2", "big.bin")
	if err := editCopy(big, edited, int64(*sizeMB)*1e6); err != nil {
		return err
	}
	start = time.Now()
	v2, err := svc.Add(ctx, dataset.AddRequest{Name: "big", Paths: []string{edited}})
	if err != nil {
		return err
	}
	editRate := float64(*sizeMB) / time.Since(start).Seconds()
	reused, reusedBytes, total, totalBytes := chunkReuse(v1, v2)

	// Many small files.
	smallDir := filepath.Join(dir, "small")
	logf("writing %d small files", *files)
	smallBytes, err := writeSmallFiles(smallDir, *files)
	if err != nil {
		return err
	}
	shaSmall, err := sha256sumTree(ctx, smallDir, *files)
	if err != nil {
		return err
	}
	logf("ingesting them")
	start = time.Now()
	if _, err := svc.Add(ctx, dataset.AddRequest{Name: "small", Paths: []string{smallDir}}); err != nil {
		return err
	}
	smallTime := time.Since(start)
	fmt.Fprintf(&b, "| %d files of 0.2–2 kB (%.0f MB) | **%.0f files/s** (%.1f MB/s) | %.0f files/s | %.0f %% |\n",
		*files, float64(smallBytes)/1e6, float64(*files)/smallTime.Seconds(), float64(smallBytes)/1e6/smallTime.Seconds(), shaSmall, 100*float64(*files)/smallTime.Seconds()/shaSmall)
	fmt.Fprintf(&b, "\nTarget: ingest of one large file at ≥ 70 %% of sha256sum's rate: %s. ", verdictIngest)
	b.WriteString("sha256sum on many small files is `find -type f -print0 | xargs -0 sha256sum`, reading only; tycho also writes each file's chunk and a database row.\n\n")
	fmt.Fprintf(&b, "**Deduplication.** The %d MB file with 1 %% of it overwritten in one place and 100 bytes inserted near its start (shifting every byte after them): "+
		"version 2 reuses **%.1f %%** of its chunks (%d of %d; %.1f %% of its bytes) from version 1 and was added at %.0f MB/s. Target ≥ 95 %%: %s.\n\n",
		*sizeMB, 100*float64(reused)/float64(total), reused, total, 100*float64(reusedBytes)/float64(totalBytes), editRate,
		map[bool]string{true: "met", false: "**missed**"}[float64(reused) >= 0.95*float64(total)])

	// Lineage on a synthetic graph.
	b.WriteString("**Lineage.** Ancestors to depth 20 (the first page, up to 500 nodes) of random results in a synthetic graph shaped like " +
		"Tycho's own: campaigns of 50 generations of 4 experiments, each generation a fit, a model, proposals, experiments and results, " +
		"each fit using the previous model and the previous generation's results, and each campaign using a dataset version at the end of a chain of versions.\n\n")
	b.WriteString("| store | nodes | edges | build | queries | nodes per answer | p50 | p99 |\n|---|---|---|---|---|---|---|---|\n")
	type provStore interface {
		tycho.ProvenanceService
		Close() error
	}
	stores := []struct {
		name string
		open func() (provStore, error)
	}{{"SQLite", func() (provStore, error) { return sqlite.Open(ctx, filepath.Join(dir, "lineage.db")) }}}
	if *dsn != "" {
		stores = append(stores, struct {
			name string
			open func() (provStore, error)
		}{"PostgreSQL", func() (provStore, error) { return postgres.Open(ctx, *dsn) }})
	}
	var sqliteP99 time.Duration
	for _, st := range stores {
		s, err := st.open()
		if err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
		logf("%s: building a graph of %d nodes", st.name, *nodes)
		start := time.Now()
		g, err := buildLineageGraph(ctx, s, *nodes)
		if err != nil {
			s.Close()
			return fmt.Errorf("%s: %w", st.name, err)
		}
		build := time.Since(start)
		logf("%s: querying", st.name)
		rng := rand.New(rand.NewPCG(7, 7))
		times := make([]time.Duration, *queries)
		found := 0
		for i := range times {
			id := g.results[rng.IntN(len(g.results))]
			t0 := time.Now()
			l, err := s.Lineage(ctx, tycho.LineageQuery{ID: id, Depth: 20})
			if err != nil {
				s.Close()
				return fmt.Errorf("%s: lineage of %s: %w", st.name, id, err)
			}
			times[i] = time.Since(t0)
			found += len(l.Nodes)
		}
		s.Close()
		lat := percentiles(times)
		if st.name == "SQLite" {
			sqliteP99 = lat.p99
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %d | %.0f | %s | **%s** |\n", st.name, g.nodes, g.edges, build.Round(time.Second), *queries,
			float64(found)/float64(*queries), lat.p50.Round(10*time.Microsecond), lat.p99.Round(10*time.Microsecond))
	}
	if *dsn == "" {
		b.WriteString("\nPostgreSQL was not measured in this run: set $TYCHO_TEST_POSTGRES (or --postgres) to a database.\n")
	}
	fmt.Fprintf(&b, "\nTarget: p99 < 50 ms on SQLite: %s.\n", map[bool]string{true: "met", false: "**missed**"}[sqliteP99 < 50*time.Millisecond])

	section := b.String()
	if *out == "-" {
		_, err := io.WriteString(c.stdout, section)
		return err
	}
	return replaceSection(*out, dataMarker, section)
}

func benchDataService(ctx context.Context, dir string) (*dataset.Service, func(), error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, err
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "tycho.db"))
	if err != nil {
		return nil, nil, err
	}
	chunks, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return &dataset.Service{Datasets: db, Chunks: chunks}, func() { db.Close() }, nil
}

// writeRandom writes n reproducible pseudo-random bytes to path.
func writeRandom(path string, n int64, seed uint64) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	rng := rand.NewChaCha8([32]byte{byte(seed)})
	if _, err := io.CopyN(f, rng, n); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// editCopy copies src to dst, inserting 100 bytes at 1 MB and overwriting
// 1 % of the file from its middle.
func editCopy(src, dst string, size int64) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	mid, n := size/2, size/100
	for i := mid; i < mid+n; i++ {
		data[i] ^= 0x5a
	}
	at := int64(1e6)
	out := make([]byte, 0, len(data)+100)
	out = append(out, data[:at]...)
	out = append(out, strings.Repeat("inserted ", 12)[:100]...)
	out = append(out, data[at:]...)
	return os.WriteFile(dst, out, 0o644)
}

// chunkReuse counts the chunks (and bytes) of v2 that v1 holds.
func chunkReuse(v1, v2 *tycho.DatasetVersion) (reused int, reusedBytes int64, total int, totalBytes int64) {
	have := map[string]bool{}
	for _, f := range v1.Files {
		for _, c := range f.Chunks {
			have[c.Hash] = true
		}
	}
	for _, f := range v2.Files {
		for _, c := range f.Chunks {
			total++
			totalBytes += c.Size
			if have[c.Hash] {
				reused++
				reusedBytes += c.Size
			}
		}
	}
	return
}

// writeSmallFiles writes n files of 200 to 2,000 bytes in directories of
// 1,000 and returns their total size.
func writeSmallFiles(dir string, n int) (int64, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := rand.NewChaCha8([32]byte{9})
	buf := make([]byte, 2000)
	var total int64
	for i := range n {
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", i/1000))
		if i%1000 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return 0, err
			}
		}
		size := 200 + rng.IntN(1801)
		_, _ = src.Read(buf[:size])
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%06d.dat", i)), buf[:size], 0o644); err != nil {
			return 0, err
		}
		total += int64(size)
	}
	return total, nil
}

// sha256sumRate runs sha256sum on a file twice (the first warms the page
// cache) and returns the second run's rate in MB/s.
func sha256sumRate(ctx context.Context, path string) (float64, error) {
	info, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	var d time.Duration
	for range 2 {
		start := time.Now()
		if out, err := exec.CommandContext(ctx, "sha256sum", path).CombinedOutput(); err != nil {
			return 0, fmt.Errorf("sha256sum: %v: %s", err, out)
		}
		d = time.Since(start)
	}
	return float64(info.Size()) / 1e6 / d.Seconds(), nil
}

// sha256sumTree hashes every file under dir with sha256sum and returns
// files per second.
func sha256sumTree(ctx context.Context, dir string, n int) (float64, error) {
	var d time.Duration
	for range 2 {
		start := time.Now()
		cmd := exec.CommandContext(ctx, "sh", "-c", `find "$1" -type f -print0 | xargs -0 sha256sum > /dev/null`, "sh", dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("sha256sum: %v: %s", err, out)
		}
		d = time.Since(start)
	}
	return float64(n) / d.Seconds(), nil
}

// lineageGraph is what buildLineageGraph made.
type lineageGraph struct {
	nodes, edges int
	results      []string
}

// buildLineageGraph records campaigns until the graph has about n nodes.
func buildLineageGraph(ctx context.Context, s tycho.ProvenanceService, n int) (*lineageGraph, error) {
	const gens, batch, versions = 50, 4, 20
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := &lineageGraph{}
	g := new(tycho.ProvGraph)
	node := func(id string, kind tycho.ProvKind, typ string) {
		g.Nodes = append(g.Nodes, tycho.ProvNode{ID: id, Kind: kind, Type: typ, Label: typ, Time: t})
	}
	edge := func(from string, rel tycho.ProvRelation, to string) {
		g.Edges = append(g.Edges, tycho.ProvEdge{From: from, Relation: rel, To: to, Time: t})
	}
	flush := func() error {
		out.nodes += len(g.Nodes)
		out.edges += len(g.Edges)
		err := s.RecordProvenance(ctx, g)
		g = new(tycho.ProvGraph)
		return err
	}
	node("strategy/gp", tycho.ProvAgent, tycho.ProvTypeStrategy)
	node("lab/bench", tycho.ProvAgent, tycho.ProvTypeLab)
	for c := 0; out.nodes+len(g.Nodes) < n; c++ {
		camp := fmt.Sprintf("campaign/c%d", c)
		node(camp, tycho.ProvActivity, tycho.ProvTypeCampaign)
		edge(camp, tycho.WasAssociatedWith, "lab/bench")
		if c%10 == 0 { // every tenth campaign brings a new dataset's versions
			for v := 1; v <= versions; v++ {
				id := tycho.ProvDataset("default", fmt.Sprintf("d%d", c/10), v)
				node(id, tycho.ProvEntity, tycho.ProvTypeDatasetVersion)
				if v > 1 {
					edge(id, tycho.WasDerivedFrom, tycho.ProvDataset("default", fmt.Sprintf("d%d", c/10), v-1))
				}
			}
		}
		edge(camp, tycho.Used, tycho.ProvDataset("default", fmt.Sprintf("d%d", c/10), versions))
		var prevResults []string
		for gi := 1; gi <= gens; gi++ {
			cid := fmt.Sprintf("c%d", c)
			fit, model := tycho.ProvFit(cid, gi), tycho.ProvModel(cid, gi)
			node(fit, tycho.ProvActivity, tycho.ProvTypeModelFit)
			node(model, tycho.ProvEntity, tycho.ProvTypeModel)
			edge(fit, tycho.WasInformedBy, camp)
			edge(fit, tycho.WasAssociatedWith, "strategy/gp")
			edge(model, tycho.WasGeneratedBy, fit)
			if gi > 1 {
				prev := tycho.ProvModel(cid, gi-1)
				edge(fit, tycho.Used, prev)
				edge(model, tycho.WasDerivedFrom, prev)
			}
			for _, r := range prevResults {
				edge(fit, tycho.Used, r)
			}
			prevResults = prevResults[:0]
			for k := range batch {
				e := fmt.Sprintf("e%d-%d-%d", c, gi, k)
				p, x, r := tycho.ProvProposal(e), tycho.ProvExperiment(e), tycho.ProvResult(e)
				node(p, tycho.ProvEntity, tycho.ProvTypeProposal)
				node(x, tycho.ProvActivity, tycho.ProvTypeExperiment)
				node(r, tycho.ProvEntity, tycho.ProvTypeResult)
				edge(p, tycho.WasGeneratedBy, fit)
				edge(x, tycho.Used, p)
				edge(x, tycho.WasInformedBy, camp)
				edge(r, tycho.WasGeneratedBy, x)
				edge(r, tycho.WasDerivedFrom, p)
				prevResults = append(prevResults, r)
				if len(out.results) < 100000 {
					out.results = append(out.results, r)
				}
			}
		}
		if len(g.Nodes) >= 20000 {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}
