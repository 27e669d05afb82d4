package dcat_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"tycho"
	"tycho/dcat"
	"tycho/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var ctx = context.Background()

// MustOpenDB opens a SQLite store whose clock ticks a second a call from
// 2026-01-02, so catalogues are the same on every run.
func MustOpenDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "tycho.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	db.SetNow(func() time.Time { now = now.Add(time.Second); return now })
	return db
}

func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// addVersion stores a version of dataset name in project p whose files
// hold the given contents, each one chunk.
func addVersion(t testing.TB, s tycho.DatasetService, p, name string, md tycho.Metadata, files ...string) *tycho.DatasetVersion {
	t.Helper()
	v := &tycho.DatasetVersion{Project: p, Dataset: name, Metadata: md}
	for i := 0; i+1 < len(files); i += 2 {
		h := hashOf(files[i+1])
		v.Files = append(v.Files, tycho.File{Path: files[i], Size: int64(len(files[i+1])), SHA256: h,
			Chunks: []tycho.Chunk{{Hash: h, Size: int64(len(files[i+1]))}}})
	}
	got, err := s.AddVersion(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

var fullMetadata = tycho.Metadata{
	Title:        "Suzuki–Miyaura yields",
	Description:  "High-throughput screen of 5,760 reactions.",
	Publisher:    "Pfizer",
	License:      "CC-BY-4.0",
	Creators:     []tycho.Creator{{Name: "Ada Lovelace", ORCID: "0000-0002-1825-0097"}, {Name: "B. Student"}},
	Keywords:     []string{"catalysis", "HTE"},
	Temporal:     &tycho.Period{Start: time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2018, 6, 30, 0, 0, 0, 0, time.UTC)},
	Spatial:      "https://www.wikidata.org/wiki/Q1010681",
	Jurisdiction: "US, EU",
}

var catalog = dcat.Catalog{Title: "Lab datasets", Description: "What the lab measured.", Publisher: "Example Lab", BaseURL: "https://tycho.example.org"}

// seed stores two versions of one dataset with full metadata, and one of
// another with none, in project p1, and one in p2.
func seed(t testing.TB, db tycho.DatasetService) {
	t.Helper()
	addVersion(t, db, "p1", "yields", fullMetadata, "data/yields.csv", "id,yield\n1,0.5\n", "README.md", "# Yields\n")
	md := fullMetadata
	md.License = "MIT OR Apache-2.0"
	md.Spatial = "POINT (-72.08 41.35)"
	addVersion(t, db, "p1", "yields", md, "data/yields.csv", "id,yield\n1,0.6\n", "README.md", "# Yields\n", "raw/plate 1.bin", "\x00\x01")
	addVersion(t, db, "p1", "bare", tycho.Metadata{}, "x", "1")
	addVersion(t, db, "p2", "other", tycho.Metadata{Title: "Other", Spatial: "Groton, CT"}, "o.parquet", "PAR1")
}

func write(t testing.TB, db tycho.DatasetService, cat dcat.Catalog, projects ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := dcat.Write(ctx, &buf, cat, db, projects); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestGolden compares a catalogue with testdata/catalog/basic.jsonld.
// Run with -update to rewrite it.
func TestGolden(t *testing.T) {
	db := MustOpenDB(t)
	seed(t, db)
	got := write(t, db, catalog, "p1", "p2")
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatalf("the catalogue is not JSON: %v\n%s", err, got)
	}
	golden := filepath.Join("testdata", "catalog", "basic.jsonld")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("catalogue differs from %s (run with -update to accept):\n%s", golden, pretty.Bytes())
	}
}

// node is a JSON-LD node object.
type node = map[string]any

func decode(t testing.TB, b []byte) node {
	t.Helper()
	var doc node
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("the catalogue is not JSON: %v\n%s", err, b)
	}
	return doc
}

func nodes(t testing.TB, n node, key string) []node {
	t.Helper()
	list, ok := n[key].([]any)
	if !ok {
		t.Fatalf("%s: %v is not a list", key, n[key])
	}
	out := make([]node, len(list))
	for i, x := range list {
		out[i] = x.(node)
	}
	return out
}

// TestMandatoryProperties checks what DCAT-AP 3 requires of each class:
// a catalogue's title, description and publisher (with a name); a
// dataset's title and description; a distribution's access URL; a
// checksum's algorithm and value; and what the issue asks of each.
func TestMandatoryProperties(t *testing.T) {
	db := MustOpenDB(t)
	seed(t, db)
	doc := decode(t, write(t, db, catalog, "p1", "p2"))
	if doc["@type"] != "dcat:Catalog" || doc["@id"] != "https://tycho.example.org/v1/catalog" || doc["dct:title"] != "Lab datasets" ||
		doc["dct:description"] != "What the lab measured." || doc["dct:publisher"].(node)["foaf:name"] != "Example Lab" {
		t.Errorf("catalogue: %v", doc)
	}
	datasets := nodes(t, doc, "dcat:dataset")
	var ids []string
	for _, d := range datasets {
		ids = append(ids, d["@id"].(string))
	}
	wantIDs := []string{"https://tycho.example.org/v1/projects/p1/datasets/bare", "https://tycho.example.org/v1/projects/p1/datasets/yields", "https://tycho.example.org/v1/projects/p2/datasets/other"}
	if !slices.Equal(ids, wantIDs) {
		t.Fatalf("datasets %v, want %v", ids, wantIDs)
	}
	for _, d := range datasets {
		versions := nodes(t, d, "dcat:hasVersion")
		for _, n := range append([]node{d}, versions...) {
			for _, key := range []string{"@id", "dct:title", "dct:description", "dct:identifier", "dcat:version", "dct:issued"} {
				if s, _ := n[key].(string); s == "" && key != "dct:issued" {
					t.Errorf("%s: no %s", n["@id"], key)
				} else if key == "dct:issued" && n[key] == nil {
					t.Errorf("%s: no %s", n["@id"], key)
				}
			}
			if n["@type"] != "dcat:Dataset" {
				t.Errorf("%s: @type %v", n["@id"], n["@type"])
			}
		}
		latest := versions[len(versions)-1]
		if d["dcat:hasCurrentVersion"].(node)["@id"] != latest["@id"] || d["dcat:version"] != latest["dcat:version"] {
			t.Errorf("%s: current version %v, version %v; want %v", d["@id"], d["dcat:hasCurrentVersion"], d["dcat:version"], latest["@id"])
		}
		for i, v := range versions {
			if v["dct:isVersionOf"].(node)["@id"] != d["@id"] || v["dcat:version"] != fmt.Sprint(i+1) {
				t.Errorf("version %v: of %v, number %v", v["@id"], v["dct:isVersionOf"], v["dcat:version"])
			}
			if i > 0 && v["dcat:previousVersion"].(node)["@id"] != versions[i-1]["@id"] {
				t.Errorf("version %v: previous %v", v["@id"], v["dcat:previousVersion"])
			}
			for _, dist := range nodes(t, v, "dcat:distribution") {
				if dist["@type"] != "dcat:Distribution" || dist["dcat:accessURL"].(node)["@id"] != v["@id"] || dist["dct:title"] == "" {
					t.Errorf("distribution %v", dist)
				}
				sum := dist["spdx:checksum"].(node)
				if sum["@type"] != "spdx:Checksum" || sum["spdx:algorithm"].(node)["@id"] != "spdx:checksumAlgorithm_sha256" ||
					len(sum["spdx:checksumValue"].(node)["@value"].(string)) != 64 || sum["spdx:checksumValue"].(node)["@type"] != "xsd:hexBinary" {
					t.Errorf("checksum %v", sum)
				}
				if size := dist["dcat:byteSize"].(node); size["@type"] != "xsd:nonNegativeInteger" || size["@value"] == "" {
					t.Errorf("byte size %v", size)
				}
			}
		}
	}

	// The full metadata of yields@1, property by property.
	y1 := nodes(t, datasets[1], "dcat:hasVersion")[0]
	files := nodes(t, y1, "dcat:distribution")
	if len(files) != 2 || files[0]["dct:title"] != "README.md" || files[1]["dct:title"] != "data/yields.csv" {
		t.Fatalf("yields@1 files: %v", files)
	}
	csv := files[1]
	if csv["dcat:mediaType"].(node)["@id"] != "https://www.iana.org/assignments/media-types/text/csv" ||
		csv["spdx:checksum"].(node)["spdx:checksumValue"].(node)["@value"] != hashOf("id,yield\n1,0.5\n") ||
		csv["dcat:byteSize"].(node)["@value"] != "15" ||
		csv["@id"] != "https://tycho.example.org/v1/projects/p1/datasets/yields/versions/1#data/yields.csv" {
		t.Errorf("yields@1 data/yields.csv: %v", csv)
	}
	for key, want := range map[string]string{
		"dct:license":   `{"@id":"https://spdx.org/licenses/CC-BY-4.0","@type":"dct:LicenseDocument"}`,
		"dct:publisher": `{"@type":"foaf:Agent","foaf:name":"Pfizer"}`,
		"dct:creator": `[{"@id":"https://orcid.org/0000-0002-1825-0097","@type":"foaf:Agent","foaf:name":"Ada Lovelace"},` +
			`{"@type":"foaf:Agent","foaf:name":"B. Student"}]`,
		"dcat:keyword": `["catalysis","HTE"]`,
		"dct:temporal": `{"@type":"dct:PeriodOfTime","dcat:startDate":{"@value":"2017-01-01","@type":"xsd:date"},` +
			`"dcat:endDate":{"@value":"2018-06-30","@type":"xsd:date"}}`,
		"dct:spatial":        `{"@id":"https://www.wikidata.org/wiki/Q1010681"}`,
		"tycho:jurisdiction": `["US","EU"]`,
		"dct:identifier":     `"` + tycho.ManifestDigest([]tycho.File{{Path: "data/yields.csv", SHA256: hashOf("id,yield\n1,0.5\n")}, {Path: "README.md", SHA256: hashOf("# Yields\n")}}) + `"`,
	} {
		if got := canonical(t, y1[key]); got != canonical(t, json.RawMessage(want)) {
			t.Errorf("yields@1 %s: %s, want %s", key, got, want)
		}
	}
	// An SPDX expression and WKT, in yields@2.
	y2 := nodes(t, datasets[1], "dcat:hasVersion")[1]
	for key, want := range map[string]string{
		"dct:license": `{"@type":"dct:LicenseDocument","rdfs:label":"MIT OR Apache-2.0"}`,
		"dct:spatial": `{"@type":"dct:Location","locn:geometry":{"@value":"POINT (-72.08 41.35)","@type":"gsp:wktLiteral"}}`,
	} {
		if got := canonical(t, y2[key]); got != canonical(t, json.RawMessage(want)) {
			t.Errorf("yields@2 %s: %s, want %s", key, got, want)
		}
	}
	// A version with no metadata still has the mandatory title and
	// description, and nothing it was not given.
	bare := nodes(t, datasets[0], "dcat:hasVersion")[0]
	if bare["dct:title"] != "p1/bare@1" || !strings.Contains(bare["dct:description"].(string), "No description was given") {
		t.Errorf("bare: title %v, description %v", bare["dct:title"], bare["dct:description"])
	}
	for _, key := range []string{"dct:license", "dct:publisher", "dct:creator", "dcat:keyword", "dct:temporal", "dct:spatial", "tycho:jurisdiction"} {
		if _, ok := bare[key]; ok {
			t.Errorf("bare has %s: %v", key, bare[key])
		}
	}
}

// canonical returns v as JSON with the members of objects in order, so
// that JSON values compare by content.
func canonical(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(x)
	return string(b)
}

// vocabulary lists the IRIs a catalogue may use as properties and types,
// from DCAT 3, DCAT-AP 3, DCMI terms, FOAF, SPDX, LOCN, GeoSPARQL, SKOS,
// RDFS, XSD and Tycho's own namespace.
var vocabulary = map[string]bool{
	"http://www.w3.org/ns/dcat#Catalog": true, "http://www.w3.org/ns/dcat#Dataset": true, "http://www.w3.org/ns/dcat#Distribution": true,
	"http://www.w3.org/ns/dcat#dataset": true, "http://www.w3.org/ns/dcat#distribution": true, "http://www.w3.org/ns/dcat#keyword": true,
	"http://www.w3.org/ns/dcat#version": true, "http://www.w3.org/ns/dcat#hasVersion": true, "http://www.w3.org/ns/dcat#hasCurrentVersion": true,
	"http://www.w3.org/ns/dcat#previousVersion": true, "http://www.w3.org/ns/dcat#accessURL": true, "http://www.w3.org/ns/dcat#byteSize": true,
	"http://www.w3.org/ns/dcat#mediaType": true, "http://www.w3.org/ns/dcat#startDate": true, "http://www.w3.org/ns/dcat#endDate": true,
	"http://purl.org/dc/terms/title": true, "http://purl.org/dc/terms/description": true, "http://purl.org/dc/terms/publisher": true,
	"http://purl.org/dc/terms/creator": true, "http://purl.org/dc/terms/license": true, "http://purl.org/dc/terms/LicenseDocument": true,
	"http://purl.org/dc/terms/temporal": true, "http://purl.org/dc/terms/PeriodOfTime": true, "http://purl.org/dc/terms/spatial": true,
	"http://purl.org/dc/terms/Location": true, "http://purl.org/dc/terms/identifier": true, "http://purl.org/dc/terms/issued": true,
	"http://purl.org/dc/terms/modified": true, "http://purl.org/dc/terms/isVersionOf": true,
	"http://xmlns.com/foaf/0.1/Agent": true, "http://xmlns.com/foaf/0.1/name": true,
	"http://spdx.org/rdf/terms#checksum": true, "http://spdx.org/rdf/terms#Checksum": true, "http://spdx.org/rdf/terms#algorithm": true,
	"http://spdx.org/rdf/terms#checksumValue": true, "http://spdx.org/rdf/terms#checksumAlgorithm_sha256": true,
	"http://www.w3.org/2001/XMLSchema#date": true, "http://www.w3.org/2001/XMLSchema#dateTime": true,
	"http://www.w3.org/2001/XMLSchema#nonNegativeInteger": true, "http://www.w3.org/2001/XMLSchema#hexBinary": true,
	"http://www.w3.org/2000/01/rdf-schema#label": true, "http://www.w3.org/2004/02/skos/core#prefLabel": true,
	"http://www.w3.org/ns/locn#geometry": true, "http://www.opengis.net/ont/geosparql#wktLiteral": true,
	"https://tycho.dev/ns#jurisdiction": true,
}

// expand turns a compact IRI into a full one under the context, as
// JSON-LD expansion does for terms, types and @id values; an absolute IRI
// is returned as it is.
func expand(t *testing.T, ctxMap map[string]any, s string) string {
	t.Helper()
	prefix, suffix, ok := strings.Cut(s, ":")
	if !ok {
		t.Errorf("%q is neither a compact nor an absolute IRI", s)
		return s
	}
	if strings.HasPrefix(suffix, "//") || prefix == "urn" {
		return s // absolute
	}
	ns, ok := ctxMap[prefix].(string)
	if !ok {
		t.Errorf("%q: prefix %s is not in the @context", s, prefix)
		return s
	}
	return ns + suffix
}

// TestExpandsToVocabulary expands every property, type and vocabulary
// reference of a catalogue under its @context, and checks that each is
// a term of the vocabularies DCAT-AP uses: a misspelt term or a missing
// prefix fails.
func TestExpandsToVocabulary(t *testing.T) {
	db := MustOpenDB(t)
	seed(t, db)
	doc := decode(t, write(t, db, catalog, "p1", "p2"))
	ctxMap, ok := doc["@context"].(map[string]any)
	if !ok {
		t.Fatalf("@context: %v", doc["@context"])
	}
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				walk(x)
			}
		case node:
			for k, x := range v {
				switch k {
				case "@context":
				case "@type":
					iri := expand(t, ctxMap, x.(string))
					seen[iri] = true
					if !vocabulary[iri] {
						t.Errorf("@type %s is not a known term", iri)
					}
				case "@id":
					iri := expand(t, ctxMap, x.(string))
					if !strings.HasPrefix(iri, "https://") && !strings.HasPrefix(iri, "http://") && !strings.HasPrefix(iri, "urn:") {
						t.Errorf("@id %q does not expand to an absolute IRI", x)
					}
					if strings.HasPrefix(iri, "http://spdx.org/rdf/terms#") && !vocabulary[iri] {
						t.Errorf("@id %s is not a known term", iri)
					}
					seen[iri] = true
				case "@value":
				default:
					iri := expand(t, ctxMap, k)
					seen[iri] = true
					if !vocabulary[iri] {
						t.Errorf("property %s is not a known term", iri)
					}
					walk(x)
				}
			}
		}
	}
	walk(doc)
	for _, must := range []string{"http://www.w3.org/ns/dcat#Catalog", "http://purl.org/dc/terms/publisher", "http://spdx.org/rdf/terms#checksumAlgorithm_sha256",
		"http://www.w3.org/ns/dcat#byteSize", "http://www.w3.org/ns/dcat#hasVersion", "https://tycho.dev/ns#jurisdiction"} {
		if !seen[must] {
			t.Errorf("the catalogue never uses %s", must)
		}
	}
}

func TestURNsWithoutBaseURL(t *testing.T) {
	db := MustOpenDB(t)
	addVersion(t, db, "p1", "a", tycho.Metadata{}, "f.csv", "1")
	cat := catalog
	cat.BaseURL = ""
	doc := decode(t, write(t, db, cat, "p1"))
	d := nodes(t, doc, "dcat:dataset")[0]
	v := nodes(t, d, "dcat:hasVersion")[0]
	if doc["@id"] != "urn:tycho:catalog" || d["@id"] != "urn:tycho:dataset:p1:a" || v["@id"] != "urn:tycho:dataset:p1:a:1" {
		t.Errorf("IRIs: %v, %v, %v", doc["@id"], d["@id"], v["@id"])
	}
}

func TestEmptyCatalog(t *testing.T) {
	doc := decode(t, write(t, MustOpenDB(t), catalog, "p1"))
	if ds := nodes(t, doc, "dcat:dataset"); len(ds) != 0 {
		t.Errorf("datasets of an empty store: %v", ds)
	}
}

func TestErrBadCatalog(t *testing.T) {
	db := MustOpenDB(t)
	for _, tc := range []struct {
		name     string
		edit     func(*dcat.Catalog)
		projects []string
		want     string
	}{
		{"NoTitle", func(c *dcat.Catalog) { c.Title = " " }, []string{"p1"}, "title is required"},
		{"NoDescription", func(c *dcat.Catalog) { c.Description = "" }, []string{"p1"}, "description is required"},
		{"NoPublisher", func(c *dcat.Catalog) { c.Publisher = "" }, []string{"p1"}, "publisher is required"},
		{"RelativeBase", func(c *dcat.Catalog) { c.BaseURL = "/tycho" }, []string{"p1"}, `base URL "/tycho"`},
		{"FTPBase", func(c *dcat.Catalog) { c.BaseURL = "ftp://x" }, []string{"p1"}, `base URL "ftp://x"`},
		{"BadProject", func(c *dcat.Catalog) {}, []string{"../p"}, `project name "../p"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat := catalog
			tc.edit(&cat)
			var buf bytes.Buffer
			err := dcat.Write(ctx, &buf, cat, db, tc.projects)
			if tycho.ErrorCode(err) != tycho.EINVALID || !strings.Contains(tycho.ErrorMessage(err), tc.want) {
				t.Errorf("got %v, want EINVALID mentioning %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %q before refusing", buf.String())
			}
		})
	}
}

// failingWriter fails once n bytes have been written.
type failingWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, errDiskFull
	}
	w.n -= len(p)
	return len(p), nil
}

// TestStreams writes a catalogue far larger than Write's buffer to a
// writer that fails part way: the error comes back, so Write did not
// hold the catalogue to write it at the end.
func TestStreams(t *testing.T) {
	db := MustOpenDB(t)
	for i := range 40 {
		var files []string
		for j := range 50 {
			files = append(files, fmt.Sprintf("dir/file-%03d.csv", j), fmt.Sprint(i, j))
		}
		addVersion(t, db, "p1", fmt.Sprintf("d%02d", i), fullMetadata, files...)
	}
	full := write(t, db, catalog, "p1")
	if len(full) < 1<<20 {
		t.Fatalf("the catalogue is %d bytes; the test needs more than 1 MiB", len(full))
	}
	err := dcat.Write(ctx, &failingWriter{n: 256 << 10}, catalog, db, []string{"p1"})
	if !errors.Is(err, errDiskFull) {
		t.Errorf("write to a full disk: %v, want %v", err, errDiskFull)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := dcat.Write(cctx, &bytes.Buffer{}, catalog, db, []string{"p1"}); err == nil {
		t.Error("a cancelled write succeeded")
	}
}

// lister is a dataset service that can list its projects.
type lister struct {
	tycho.DatasetService
	projects []string
}

func (l lister) ListDatasetProjects(context.Context) ([]string, error) { return l.projects, nil }

func TestProjects(t *testing.T) {
	db := MustOpenDB(t)
	if got, err := dcat.Projects(ctx, db, "p1"); err != nil || !slices.Equal(got, []string{"p1"}) {
		t.Errorf("named project: %v, %v", got, err)
	}
	if _, err := dcat.Projects(ctx, db, "a/b"); tycho.ErrorCode(err) != tycho.EINVALID {
		t.Errorf("bad project: %v, want EINVALID", err)
	}
	if got, err := dcat.Projects(ctx, lister{db, []string{"a", "b"}}, ""); err != nil || !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("all projects: %v, %v", got, err)
	}
	var plain struct{ tycho.DatasetService }
	plain.DatasetService = db
	if _, err := dcat.Projects(ctx, plain, ""); tycho.ErrorCode(err) != tycho.EINVALID || !strings.Contains(tycho.ErrorMessage(err), "name the project") {
		t.Errorf("all projects of a store that cannot list them: %v, want EINVALID", err)
	}
}

func TestMediaType(t *testing.T) {
	for p, want := range map[string]string{"a/b.CSV": "text/csv", "x.parquet": "application/vnd.apache.parquet", "noext": "", "a.weird": "", "dir.csv/file": ""} {
		if got := dcat.MediaType(p); got != want {
			t.Errorf("MediaType(%q) = %q, want %q", p, got, want)
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	db := MustOpenDB(b)
	for i := range 20 {
		var files []string
		for j := range 100 {
			files = append(files, fmt.Sprintf("f%03d.csv", j), fmt.Sprint(i, j))
		}
		addVersion(b, db, "p1", fmt.Sprintf("d%02d", i), fullMetadata, files...)
	}
	for b.Loop() {
		if err := dcat.Write(ctx, &bytes.Buffer{}, catalog, db, []string{"p1"}); err != nil {
			b.Fatal(err)
		}
	}
}
