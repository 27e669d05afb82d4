package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"tycho"
	"tycho/blob"
	"tycho/dataset"
	"tycho/quality"
)

// dataCommand is "tycho data": datasets and their versions in the local
// data directory.
type dataCommand struct {
	stdout, stderr io.Writer
}

const dataUsage = `Usage:
  tycho data add PATH... --name NAME   add files or directories as a new version
                                       (--schema FILE declares its tables' columns)
  tycho data ls                        list datasets
  tycho data show NAME[@VERSION]       show a version's metadata, grade and files
  tycho data quality NAME[@VERSION]    show a version's quality report (--json)
  tycho data versions NAME             list a dataset's versions
  tycho data get NAME[@VERSION]        write a version's files (-o DIR)
  tycho data diff NAME@A NAME@B        compare two versions
  tycho data catalog [--out FILE]      write the DCAT-AP catalogue (JSON-LD)

VERSION is a number, latest, or sha256: and at least 8 hex digits of the
version's digest. Every subcommand takes --project (default "default")
and --data DIR. Datasets are local to the data directory for now; the
server's dataset API comes with a later release.
`

func (c *dataCommand) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, dataUsage)
		return errUsage
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "add":
		return c.add(ctx, args)
	case "ls":
		return c.ls(ctx, args)
	case "show":
		return c.show(ctx, args)
	case "quality":
		return c.quality(ctx, args)
	case "catalog":
		return c.catalog(ctx, args)
	case "versions":
		return c.versions(ctx, args)
	case "get":
		return c.get(ctx, args)
	case "diff":
		return c.diff(ctx, args)
	case "help", "-h", "--help":
		fmt.Fprint(c.stdout, dataUsage)
		return nil
	}
	fmt.Fprintf(c.stderr, "tycho data: unknown subcommand %q\n\n%s", sub, dataUsage)
	return errUsage
}

// dataFlags are the flags every data subcommand takes.
type dataFlags struct {
	data, project *string
}

func newDataFlags(fs *flag.FlagSet) dataFlags {
	return dataFlags{data: dataFlag(fs), project: fs.String("project", tycho.DefaultProject, "the project")}
}

// open returns the dataset service of the data directory, and a function
// that closes it.
func (f dataFlags) open(ctx context.Context, create bool) (*dataset.Service, func(), error) {
	db, err := openStore(ctx, *f.data, create)
	if err != nil {
		return nil, nil, err
	}
	chunks, err := blob.Open(filepath.Join(*f.data, "blobs"))
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return &dataset.Service{Datasets: db, Chunks: chunks}, func() { db.Close() }, nil
}

// start parses a subcommand's arguments, which must be n positional ones
// (described by what), and opens the data directory. The caller closes the
// store with the function returned.
func (f dataFlags) start(ctx context.Context, fs *flag.FlagSet, args []string, n int, what string) ([]string, *dataset.Service, func(), error) {
	args, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(args) != n {
		return nil, nil, nil, usageError(fs, what)
	}
	svc, closeStore, err := f.open(ctx, false)
	if err != nil {
		return nil, nil, nil, err
	}
	return args, svc, closeStore, nil
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func (c *dataCommand) add(ctx context.Context, args []string) error {
	fs := newFlagSet("data add", "data add PATH... --name NAME [--project P] [metadata flags]", c.stderr)
	df := newDataFlags(fs)
	name := fs.String("name", "", "the dataset (required)")
	var md tycho.Metadata
	fs.StringVar(&md.Title, "title", "", "title")
	fs.StringVar(&md.Description, "description", "", "description")
	fs.StringVar(&md.Publisher, "publisher", "", "publisher (an organisation)")
	fs.StringVar(&md.License, "license", "", "licence, as an SPDX identifier such as CC-BY-4.0")
	fs.StringVar(&md.Spatial, "spatial", "", "spatial coverage: a place, a GeoNames or Wikidata URI, or WKT")
	fs.StringVar(&md.Jurisdiction, "jurisdiction", "", "where the data may reside: ISO 3166 codes or groups such as EU, comma-separated")
	temporal := fs.String("temporal", "", "temporal coverage, START/END as dates (YYYY-MM-DD); either may be empty")
	var creators, keywords listFlag
	fs.Var(&creators, "creator", `a creator, "Name" or "Name,ORCID" (repeatable)`)
	fs.Var(&keywords, "keyword", "a keyword (repeatable)")
	schemaFile := fs.String("schema", "", "a YAML or JSON file declaring the columns of the tables (docs/data-quality.md)")
	args, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *name == "" || len(args) == 0 {
		return usageError(fs, "give the files to add and --name")
	}
	for _, cr := range creators {
		n, orcid, _ := strings.Cut(cr, ",")
		md.Creators = append(md.Creators, tycho.Creator{Name: strings.TrimSpace(n), ORCID: strings.TrimSpace(orcid)})
	}
	md.Keywords = keywords
	if *temporal != "" {
		p, err := parsePeriod(*temporal)
		if err != nil {
			return err
		}
		md.Temporal = p
	}
	var schema *quality.Schema
	if *schemaFile != "" {
		if schema, err = quality.ReadSchema(*schemaFile); err != nil {
			return err
		}
	}
	svc, closeStore, err := df.open(ctx, true)
	if err != nil {
		return err
	}
	defer closeStore()
	start := time.Now()
	v, err := svc.Add(ctx, dataset.AddRequest{Project: *df.project, Name: *name, Paths: args, Metadata: md, Schema: schema})
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(c.stdout, "%s: %d files, %s, %s (%.0f MB/s)\n", v.Ref(), v.FileCount, bytesText(v.Size), v.Digest, float64(v.Size)/1e6/max(secs, 1e-9))
	if q := v.Quality; q != nil {
		fmt.Fprintf(c.stdout, "quality: %s", gradeText(q.Grade))
		if len(q.Reasons) > 0 {
			fmt.Fprintf(c.stdout, " (tycho data quality %s says why not higher)", v.Ref())
		}
		fmt.Fprintln(c.stdout)
	}
	return nil
}

// gradeText names a grade, "none" for none.
func gradeText(g tycho.Grade) string {
	if g == tycho.GradeNone {
		return "none"
	}
	return string(g)
}

// parsePeriod reads START/END.
func parsePeriod(s string) (*tycho.Period, error) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return nil, tycho.Errorf(tycho.EINVALID, "--temporal %q: want START/END, as YYYY-MM-DD/YYYY-MM-DD (either may be empty)", s)
	}
	var p tycho.Period
	for _, x := range []struct {
		text string
		t    *time.Time
	}{{a, &p.Start}, {b, &p.End}} {
		if x.text == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, x.text)
		if err != nil {
			return nil, tycho.Errorf(tycho.EINVALID, "--temporal %q: %q is not a date (YYYY-MM-DD)", s, x.text)
		}
		*x.t = t
	}
	return &p, nil
}

func (c *dataCommand) ls(ctx context.Context, args []string) error {
	fs := newFlagSet("data ls", "data ls [--project P]", c.stderr)
	df := newDataFlags(fs)
	_, svc, closeStore, err := df.start(ctx, fs, args, 0, "data ls takes no arguments")
	if err != nil {
		return err
	}
	defer closeStore()
	ds, err := svc.Datasets.ListDatasets(ctx, *df.project)
	if err != nil {
		return err
	}
	if len(ds) == 0 {
		fmt.Fprintf(c.stdout, "no datasets in project %s\n", *df.project)
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tFILES\tSIZE\tDIGEST\tTITLE")
	for _, d := range ds {
		v := d.Latest
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", d.Name, v.Number, v.FileCount, bytesText(v.Size), shortDigest(v.Digest), v.Metadata.Title)
	}
	return tw.Flush()
}

// splitRef splits NAME[@VERSION].
func splitRef(s string) (name, ref string) {
	name, ref, _ = strings.Cut(s, "@")
	return name, ref
}

func (c *dataCommand) show(ctx context.Context, args []string) error {
	fs := newFlagSet("data show", "data show NAME[@VERSION] [--project P]", c.stderr)
	df := newDataFlags(fs)
	args, svc, closeStore, err := df.start(ctx, fs, args, 1, "give one dataset")
	if err != nil {
		return err
	}
	defer closeStore()
	name, ref := splitRef(args[0])
	v, err := svc.Datasets.FindVersion(ctx, *df.project, name, ref)
	if err != nil {
		return err
	}
	w := c.stdout
	m := v.Metadata
	fmt.Fprintf(w, "%s (project %s)\n  digest    %s\n  created   %s\n  files     %d, %s\n", v.Ref(), v.Project, v.Digest, v.CreatedAt.Format(time.RFC3339), v.FileCount, bytesText(v.Size))
	field := func(label, value string) {
		if value != "" {
			fmt.Fprintf(w, "  %-9s %s\n", label, value)
		}
	}
	field("title", m.Title)
	field("about", m.Description)
	field("publisher", m.Publisher)
	field("licence", m.License)
	for _, cr := range m.Creators {
		s := cr.Name
		if cr.ORCID != "" {
			s += " (https://orcid.org/" + cr.ORCID + ")"
		}
		field("creator", s)
	}
	field("keywords", strings.Join(m.Keywords, ", "))
	if t := m.Temporal; t != nil {
		field("temporal", dateText(t.Start)+"/"+dateText(t.End))
	}
	field("spatial", m.Spatial)
	field("residency", m.Jurisdiction)
	showQuality(w, v, field)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nPATH\tSIZE\tCHUNKS\tSHA256")
	for _, f := range v.Files {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", f.Path, bytesText(f.Size), len(f.Chunks), f.SHA256)
	}
	return tw.Flush()
}

// maxShown bounds the tables and reasons "data show" lists.
const maxShown = 5

// showQuality writes a version's grade and a line per table.
func showQuality(w io.Writer, v *tycho.DatasetVersion, field func(label, value string)) {
	q := v.Quality
	if q == nil {
		field("quality", "no report (added before quality reports)")
		return
	}
	field("quality", fmt.Sprintf("%s (checked %s)", gradeText(q.Grade), q.CheckedAt.Format(time.RFC3339)))
	for i, why := range q.Reasons {
		if i == maxShown {
			field("", fmt.Sprintf("… %d more: tycho data quality %s", len(q.Reasons)-maxShown, v.Ref()))
			break
		}
		field("", why)
	}
	for i, t := range q.Tables {
		if i == maxShown {
			field("", fmt.Sprintf("… %d more tables", len(q.Tables)-maxShown))
			break
		}
		field("table", tableSummary(t))
	}
}

// tableSummary describes a table's report in one line.
func tableSummary(t tycho.TableReport) string {
	if t.Error != "" && len(t.Columns) == 0 {
		return fmt.Sprintf("%s: unreadable: %s", t.Path, t.Error)
	}
	var missing, violations, out int64
	for _, q := range t.Quality {
		missing, violations, out = missing+q.Missing, violations+q.TypeViolations, out+q.OutOfRange
	}
	share := 0.0
	if cells := t.Rows * int64(len(t.Columns)); cells > 0 {
		share = 100 * float64(missing) / float64(cells)
	}
	s := fmt.Sprintf("%s: %d rows, %d columns, %.1f %% missing, %d duplicate rows, %d type violations, %d out of range",
		t.Path, t.Rows, len(t.Columns), share, t.DuplicateRows, violations, out)
	if t.Error != "" {
		s += "; stopped: " + t.Error
	}
	return s
}

func (c *dataCommand) quality(ctx context.Context, args []string) error {
	fs := newFlagSet("data quality", "data quality NAME[@VERSION] [--json] [--project P]", c.stderr)
	df := newDataFlags(fs)
	asJSON := fs.Bool("json", false, "print the whole report as JSON")
	args, svc, closeStore, err := df.start(ctx, fs, args, 1, "give one dataset")
	if err != nil {
		return err
	}
	defer closeStore()
	name, ref := splitRef(args[0])
	v, err := svc.Datasets.FindVersion(ctx, *df.project, name, ref)
	if err != nil {
		return err
	}
	if *asJSON {
		b, err := json.MarshalIndent(v.Quality, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.stdout, "%s\n", b)
		return err
	}
	return writeQuality(c.stdout, v)
}

// writeQuality writes a version's whole quality report as text.
func writeQuality(w io.Writer, v *tycho.DatasetVersion) error {
	q := v.Quality
	if q == nil {
		fmt.Fprintf(w, "%s has no quality report: it was added before tycho made them; add its files again for one\n", v.Ref())
		return nil
	}
	yes := map[bool]string{true: "yes", false: "no"}
	fmt.Fprintf(w, "%s: %s (checked %s; docs/data-quality.md)\n  licence %s, description %s\n",
		v.Ref(), gradeText(q.Grade), q.CheckedAt.Format(time.RFC3339), yes[q.HasLicense], yes[q.HasDescription])
	if len(q.Reasons) > 0 {
		fmt.Fprintln(w, "\nNot met:")
		for _, why := range q.Reasons {
			fmt.Fprintf(w, "  %s\n", why)
		}
	}
	for _, t := range q.Tables {
		fmt.Fprintf(w, "\n%s (%s): %d rows, %d columns, %d duplicate rows", t.Path, t.Format, t.Rows, len(t.Columns), t.DuplicateRows)
		if t.DuplicatesPartial {
			fmt.Fprint(w, " at least (too many rows to check them all)")
		}
		fmt.Fprintln(w)
		if t.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", t.Error)
		}
		if t.HeaderProblem != "" {
			fmt.Fprintf(w, "  header: %s\n", t.HeaderProblem)
		}
		if len(t.AbsentColumns) > 0 {
			fmt.Fprintf(w, "  declared but absent: %s\n", strings.Join(t.AbsentColumns, ", "))
		}
		if len(t.Columns) == 0 {
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  COLUMN\tTYPE\tUNIT\tRANGE\tMISSING\tBAD TYPE\tOUT OF RANGE\tFIRST PROBLEM")
		for i, col := range t.Columns {
			var cq tycho.ColumnQuality
			if i < len(t.Quality) {
				cq = t.Quality[i]
			}
			typ := string(col.Type)
			if col.Declared {
				typ += "*"
			}
			if col.Required {
				typ += " required"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", col.Name, typ, col.Unit, rangeOf(col), cq.Missing, cq.TypeViolations, cq.OutOfRange, cq.Example)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(q.Tables) > 0 {
		fmt.Fprintln(w, "\n* declared in a schema; other types are inferred from the values")
	}
	return nil
}

// rangeOf writes a column's declared range, or "".
func rangeOf(c tycho.Column) string {
	if c.Min == nil && c.Max == nil {
		return ""
	}
	f := func(p *float64, inf string) string {
		if p == nil {
			return inf
		}
		return strconv.FormatFloat(*p, 'g', -1, 64)
	}
	return "[" + f(c.Min, "-∞") + ", " + f(c.Max, "∞") + "]"
}

func dateText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func (c *dataCommand) versions(ctx context.Context, args []string) error {
	fs := newFlagSet("data versions", "data versions NAME [--project P]", c.stderr)
	df := newDataFlags(fs)
	args, svc, closeStore, err := df.start(ctx, fs, args, 1, "give one dataset")
	if err != nil {
		return err
	}
	defer closeStore()
	vs, err := svc.Datasets.ListVersions(ctx, *df.project, args[0])
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tCREATED\tFILES\tSIZE\tDIGEST")
	for _, v := range vs {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\n", v.Number, v.CreatedAt.Format(time.RFC3339), v.FileCount, bytesText(v.Size), v.Digest)
	}
	return tw.Flush()
}

func (c *dataCommand) get(ctx context.Context, args []string) error {
	fs := newFlagSet("data get", "data get NAME[@VERSION] [-o DIR] [--project P]", c.stderr)
	df := newDataFlags(fs)
	out := fs.String("o", ".", "the directory to write the files into")
	args, svc, closeStore, err := df.start(ctx, fs, args, 1, "give one dataset")
	if err != nil {
		return err
	}
	defer closeStore()
	name, ref := splitRef(args[0])
	v, err := svc.Get(ctx, *df.project, name, ref, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s: %d files, %s, into %s\n", v.Ref(), v.FileCount, bytesText(v.Size), *out)
	return nil
}

func (c *dataCommand) diff(ctx context.Context, args []string) error {
	fs := newFlagSet("data diff", "data diff NAME@A NAME@B [--project P]", c.stderr)
	df := newDataFlags(fs)
	args, svc, closeStore, err := df.start(ctx, fs, args, 2, "give two versions")
	if err != nil {
		return err
	}
	defer closeStore()
	var vs [2]*tycho.DatasetVersion
	for i := range vs {
		name, ref := splitRef(args[i])
		if vs[i], err = svc.Datasets.FindVersion(ctx, *df.project, name, ref); err != nil {
			return err
		}
	}
	changes := dataset.Diff(vs[0], vs[1])
	for _, ch := range changes {
		switch ch.Kind {
		case '+':
			fmt.Fprintf(c.stdout, "+ %s (%s)\n", ch.Path, bytesText(ch.New.Size))
		case '-':
			fmt.Fprintf(c.stdout, "- %s (%s)\n", ch.Path, bytesText(ch.Old.Size))
		default:
			fmt.Fprintf(c.stdout, "M %s (%s → %s)\n", ch.Path, bytesText(ch.Old.Size), bytesText(ch.New.Size))
		}
	}
	if len(changes) == 0 {
		fmt.Fprintf(c.stdout, "%s and %s hold the same files\n", vs[0].Ref(), vs[1].Ref())
	}
	if vs[0].Metadata.Title != vs[1].Metadata.Title || vs[0].Metadata.License != vs[1].Metadata.License || vs[0].Metadata.Description != vs[1].Metadata.Description {
		fmt.Fprintln(c.stdout, "metadata changed (tycho data show each version)")
	}
	return nil
}

// bytesText writes a size in SI units.
func bytesText(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// shortDigest shortens a digest for listings: enough to name a version.
func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

// parseInterspersed parses flags wherever they come among the positional
// arguments, as in "tycho data add a.csv b.csv --name screen", and returns
// the positional arguments. After "--" everything is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}
