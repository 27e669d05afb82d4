// Package dcat writes a catalogue of datasets as DCAT-AP 3 JSON-LD, so
// that data portals and harvesters (data.europa.eu, CKAN's DCAT harvester)
// can list what a Tycho node holds.
//
// The catalogue is a dcat:Catalog. Each dataset is a dcat:Dataset that
// describes the series as it now stands (the latest version's metadata),
// points at its current version (dcat:hasCurrentVersion) and holds every
// version (dcat:hasVersion). Each version is a dcat:Dataset of its own,
// with its number (dcat:version), its digest (dct:identifier), the one
// before it (dcat:previousVersion), and one dcat:Distribution per file
// with its size (dcat:byteSize), its media type where the file's extension
// names one (dcat:mediaType, an IANA URI) and its SPDX SHA-256 checksum.
//
// The metadata maps to DCAT-AP as follows: title and description to
// dct:title and dct:description, the publisher to a foaf:Agent, the
// licence to https://spdx.org/licenses/ID (an SPDX expression that is not
// a single identifier becomes a dct:LicenseDocument with the expression as
// its rdfs:label), creators to foaf:Agents whose IRI is their ORCID iD
// when they have one, keywords to dcat:keyword, temporal coverage to a
// dct:PeriodOfTime with dcat:startDate and dcat:endDate, and spatial
// coverage to a dct:Location: the URI itself if it is one, a
// locn:geometry if it is WKT, else a skos:prefLabel.
//
// Jurisdiction, in Tycho where the data may reside, has no DCAT-AP
// property: dct:coverage and dct:spatial say what the data is about, not
// where it may be kept, and dcatap:applicableLegislation names laws. It is
// written as tycho:jurisdiction (https://tycho.dev/ns#jurisdiction), one
// literal per code, which DCAT-AP consumers ignore and Tycho nodes read.
//
// DCAT-AP makes a dataset's description mandatory; a version without one
// is given a sentence saying so, and a version without a title its
// NAME@VERSION.
package dcat

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"tycho"
)

// Catalog describes the catalogue itself. Title, Description and
// Publisher are mandatory in DCAT-AP.
type Catalog struct {
	Title       string
	Description string
	// Publisher names the organisation that publishes the catalogue.
	Publisher string
	// BaseURL is the URL of the Tycho server, such as
	// https://tycho.example.org: the IRIs of datasets and versions are
	// their API URLs under it. Empty, they are urn:tycho: names.
	BaseURL string
}

// Check returns EINVALID if a mandatory field is missing or the base URL
// is not an absolute http or https URL.
func (c *Catalog) Check() error {
	switch {
	case strings.TrimSpace(c.Title) == "":
		return tycho.Errorf(tycho.EINVALID, "catalogue: a title is required (DCAT-AP dct:title)")
	case strings.TrimSpace(c.Description) == "":
		return tycho.Errorf(tycho.EINVALID, "catalogue: a description is required (DCAT-AP dct:description)")
	case strings.TrimSpace(c.Publisher) == "":
		return tycho.Errorf(tycho.EINVALID, "catalogue: a publisher is required (DCAT-AP dct:publisher)")
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return tycho.Errorf(tycho.EINVALID, "catalogue: base URL %q: want an absolute http or https URL such as https://tycho.example.org", c.BaseURL)
		}
	}
	return nil
}

// ProjectLister is a dataset service that can list the projects holding
// datasets. A catalogue of every project needs one.
type ProjectLister interface {
	// ListDatasetProjects returns the projects that hold at least one
	// dataset, by name.
	ListDatasetProjects(ctx context.Context) ([]string, error)
}

// Projects returns the projects a catalogue covers: project alone if it
// is given, else every project svc holds datasets in. Returns EINVALID for
// a bad project name, or if no project is given and svc cannot list its
// projects.
func Projects(ctx context.Context, svc tycho.DatasetService, project string) ([]string, error) {
	if project != "" {
		if err := tycho.ValidName("project", project); err != nil {
			return nil, err
		}
		return []string{project}, nil
	}
	l, ok := svc.(ProjectLister)
	if !ok {
		return nil, tycho.Errorf(tycho.EINVALID, "this store cannot list its projects; name the project of the catalogue")
	}
	return l.ListDatasetProjects(ctx)
}

// Context is the JSON-LD context of a catalogue.
var Context = map[string]string{
	"dcat":  "http://www.w3.org/ns/dcat#",
	"dct":   "http://purl.org/dc/terms/",
	"foaf":  "http://xmlns.com/foaf/0.1/",
	"spdx":  "http://spdx.org/rdf/terms#",
	"vcard": "http://www.w3.org/2006/vcard/ns#",
	"xsd":   "http://www.w3.org/2001/XMLSchema#",
	"rdfs":  "http://www.w3.org/2000/01/rdf-schema#",
	"skos":  "http://www.w3.org/2004/02/skos/core#",
	"locn":  "http://www.w3.org/ns/locn#",
	"gsp":   "http://www.opengis.net/ont/geosparql#",
	"tycho": "https://tycho.dev/ns#",
}

// ContentType is the media type of a catalogue.
const ContentType = "application/ld+json"

// Write writes the catalogue of the datasets of projects in svc to w. It
// streams: one version with its files is in memory at a time, however
// large the catalogue. If it fails part way, what it wrote is not a whole
// JSON document.
func Write(ctx context.Context, w io.Writer, cat Catalog, svc tycho.DatasetService, projects []string) error {
	if err := cat.Check(); err != nil {
		return err
	}
	for _, p := range projects {
		if err := tycho.ValidName("project", p); err != nil {
			return err
		}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	head, err := openObject(catalogNode{
		Context: Context, ID: cat.catalogIRI(), Type: "dcat:Catalog",
		Title: cat.Title, Description: cat.Description, Publisher: &agent{Type: "foaf:Agent", Name: cat.Publisher},
	})
	if err != nil {
		return err
	}
	bw.Write(head)
	bw.WriteString(`,"dcat:dataset":[`)
	first := true
	for _, p := range projects {
		ds, err := svc.ListDatasets(ctx, p)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if !first {
				bw.WriteByte(',')
			}
			first = false
			if err := cat.writeDataset(ctx, bw, svc, d); err != nil {
				return err
			}
		}
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

// writeDataset writes one dataset with all its versions.
func (c *Catalog) writeDataset(ctx context.Context, w *bufio.Writer, svc tycho.DatasetService, d *tycho.Dataset) error {
	versions, err := svc.ListVersions(ctx, d.Project, d.Name)
	if err != nil {
		return err
	}
	if len(versions) == 0 {
		return tycho.Errorf(tycho.EINTERNAL, "dataset %s of project %s has no versions", d.Name, d.Project)
	}
	latest := versions[len(versions)-1]
	n := described(c, latest, d.Project+"/"+d.Name)
	n.ID = c.datasetIRI(d.Project, d.Name)
	n.Identifier = d.Project + "/" + d.Name
	n.Version = strconv.Itoa(latest.Number)
	n.Issued = dateTime(d.CreatedAt)
	n.Modified = dateTime(latest.CreatedAt)
	n.CurrentVersion = &ref{c.versionIRI(latest)}
	head, err := openObject(n)
	if err != nil {
		return err
	}
	w.Write(head)
	w.WriteString(`,"dcat:hasVersion":[`)
	var prev *tycho.DatasetVersion
	for i, v := range versions {
		full, err := svc.FindVersion(ctx, d.Project, d.Name, strconv.Itoa(v.Number))
		if err != nil {
			return err
		}
		if i > 0 {
			w.WriteByte(',')
		}
		b, err := json.Marshal(c.versionNode(full, prev))
		if err != nil {
			return err
		}
		w.Write(b)
		prev = v
	}
	_, err = w.WriteString("]}")
	return err
}

// versionNode describes one version with its files.
func (c *Catalog) versionNode(v, prev *tycho.DatasetVersion) *datasetNode {
	n := described(c, v, v.Project+"/"+v.Ref())
	n.ID = c.versionIRI(v)
	n.Identifier = v.Digest
	n.Version = strconv.Itoa(v.Number)
	n.Issued = dateTime(v.CreatedAt)
	n.VersionOf = &ref{c.datasetIRI(v.Project, v.Dataset)}
	if prev != nil {
		n.Previous = &ref{c.versionIRI(prev)}
	}
	access := &ref{c.versionIRI(v)}
	n.Distributions = make([]distribution, len(v.Files))
	for i, f := range v.Files {
		d := distribution{
			ID: c.versionIRI(v) + "#" + (&url.URL{Fragment: f.Path}).EscapedFragment(), Type: "dcat:Distribution",
			Title: f.Path, AccessURL: access,
			ByteSize: &literal{Value: strconv.FormatInt(f.Size, 10), Type: "xsd:nonNegativeInteger"},
			Checksum: &checksum{Type: "spdx:Checksum", Algorithm: ref{"spdx:checksumAlgorithm_sha256"},
				Value: literal{Value: f.SHA256, Type: "xsd:hexBinary"}},
		}
		if mt := MediaType(f.Path); mt != "" {
			d.MediaType = &ref{"https://www.iana.org/assignments/media-types/" + mt}
		}
		n.Distributions[i] = d
	}
	return n
}

// described returns a dataset node with a version's metadata; name is
// what to call it if it has no title.
func described(c *Catalog, v *tycho.DatasetVersion, name string) *datasetNode {
	m := v.Metadata
	n := &datasetNode{Type: "dcat:Dataset", Title: m.Title, Description: m.Description, Keywords: m.Keywords}
	if strings.TrimSpace(n.Title) == "" {
		n.Title = name
	}
	if strings.TrimSpace(n.Description) == "" {
		n.Description = "Dataset " + name + ". No description was given."
	}
	if m.Publisher != "" {
		n.Publisher = &agent{Type: "foaf:Agent", Name: m.Publisher}
	}
	if m.License != "" {
		n.License = license(m.License)
	}
	for _, cr := range m.Creators {
		a := agent{Type: "foaf:Agent", Name: cr.Name}
		if cr.ORCID != "" {
			a.ID = "https://orcid.org/" + cr.ORCID
		}
		n.Creators = append(n.Creators, a)
	}
	if t := m.Temporal; t != nil && (!t.Start.IsZero() || !t.End.IsZero()) {
		n.Temporal = &period{Type: "dct:PeriodOfTime", Start: date(t.Start), End: date(t.End)}
	}
	if m.Spatial != "" {
		n.Spatial = location(m.Spatial)
	}
	for _, j := range strings.Split(m.Jurisdiction, ",") {
		if j = strings.TrimSpace(j); j != "" {
			n.Jurisdiction = append(n.Jurisdiction, j)
		}
	}
	return n
}

// The IRIs of the catalogue's resources: API URLs under the base URL, or
// urn:tycho: names without one.

func (c *Catalog) catalogIRI() string {
	if c.BaseURL == "" {
		return "urn:tycho:catalog"
	}
	return strings.TrimRight(c.BaseURL, "/") + "/v1/catalog"
}

func (c *Catalog) datasetIRI(project, name string) string {
	if c.BaseURL == "" {
		return "urn:tycho:dataset:" + project + ":" + name
	}
	return strings.TrimRight(c.BaseURL, "/") + "/v1/projects/" + url.PathEscape(project) + "/datasets/" + url.PathEscape(name)
}

func (c *Catalog) versionIRI(v *tycho.DatasetVersion) string {
	if c.BaseURL == "" {
		return c.datasetIRI(v.Project, v.Dataset) + ":" + strconv.Itoa(v.Number)
	}
	return c.datasetIRI(v.Project, v.Dataset) + "/versions/" + strconv.Itoa(v.Number)
}

// The JSON-LD shapes, in the order their members are written.

type catalogNode struct {
	Context     map[string]string `json:"@context"`
	ID          string            `json:"@id"`
	Type        string            `json:"@type"`
	Title       string            `json:"dct:title"`
	Description string            `json:"dct:description"`
	Publisher   *agent            `json:"dct:publisher"`
}

type datasetNode struct {
	ID             string         `json:"@id"`
	Type           string         `json:"@type"`
	Identifier     string         `json:"dct:identifier"`
	Title          string         `json:"dct:title"`
	Description    string         `json:"dct:description"`
	Version        string         `json:"dcat:version"`
	Issued         *literal       `json:"dct:issued,omitempty"`
	Modified       *literal       `json:"dct:modified,omitempty"`
	Publisher      *agent         `json:"dct:publisher,omitempty"`
	Creators       []agent        `json:"dct:creator,omitempty"`
	License        *licenseDoc    `json:"dct:license,omitempty"`
	Keywords       []string       `json:"dcat:keyword,omitempty"`
	Temporal       *period        `json:"dct:temporal,omitempty"`
	Spatial        *locationNode  `json:"dct:spatial,omitempty"`
	Jurisdiction   []string       `json:"tycho:jurisdiction,omitempty"`
	VersionOf      *ref           `json:"dct:isVersionOf,omitempty"`
	Previous       *ref           `json:"dcat:previousVersion,omitempty"`
	CurrentVersion *ref           `json:"dcat:hasCurrentVersion,omitempty"`
	Distributions  []distribution `json:"dcat:distribution,omitempty"`
}

type agent struct {
	ID   string `json:"@id,omitempty"`
	Type string `json:"@type"`
	Name string `json:"foaf:name"`
}

type ref struct {
	ID string `json:"@id"`
}

type literal struct {
	Value string `json:"@value"`
	Type  string `json:"@type"`
}

type licenseDoc struct {
	ID    string `json:"@id,omitempty"`
	Type  string `json:"@type"`
	Label string `json:"rdfs:label,omitempty"`
}

type period struct {
	Type  string   `json:"@type"`
	Start *literal `json:"dcat:startDate,omitempty"`
	End   *literal `json:"dcat:endDate,omitempty"`
}

type locationNode struct {
	ID       string   `json:"@id,omitempty"`
	Type     string   `json:"@type,omitempty"`
	Label    string   `json:"skos:prefLabel,omitempty"`
	Geometry *literal `json:"locn:geometry,omitempty"`
}

type distribution struct {
	ID        string    `json:"@id"`
	Type      string    `json:"@type"`
	Title     string    `json:"dct:title"`
	AccessURL *ref      `json:"dcat:accessURL"`
	ByteSize  *literal  `json:"dcat:byteSize"`
	MediaType *ref      `json:"dcat:mediaType,omitempty"`
	Checksum  *checksum `json:"spdx:checksum"`
}

type checksum struct {
	Type      string  `json:"@type"`
	Algorithm ref     `json:"spdx:algorithm"`
	Value     literal `json:"spdx:checksumValue"`
}

// openObject marshals v, a struct, without its closing brace, so that
// more members can follow.
func openObject(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return b[:len(b)-1], nil
}

// dateTime is t as an xsd:dateTime, or nil for the zero time.
func dateTime(t time.Time) *literal {
	if t.IsZero() {
		return nil
	}
	return &literal{Value: t.UTC().Format(time.RFC3339Nano), Type: "xsd:dateTime"}
}

// date is t as an xsd:date if it is midnight UTC, as coverage dates given
// as YYYY-MM-DD are, else as an xsd:dateTime; nil for the zero time.
func date(t time.Time) *literal {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return &literal{Value: t.Format(time.DateOnly), Type: "xsd:date"}
	}
	return dateTime(t)
}

// spdxID matches a single SPDX license identifier, such as CC-BY-4.0 or
// GPL-2.0-or-later, as opposed to an expression.
var spdxID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]*\+?$`)

// license returns the licence document of an SPDX identifier or
// expression.
func license(s string) *licenseDoc {
	if spdxID.MatchString(s) && !strings.HasPrefix(s, "LicenseRef-") && !strings.HasPrefix(s, "DocumentRef-") {
		return &licenseDoc{ID: "https://spdx.org/licenses/" + s, Type: "dct:LicenseDocument"}
	}
	return &licenseDoc{Type: "dct:LicenseDocument", Label: s}
}

// wkt matches the start of a WKT geometry, with an optional CRS IRI as
// GeoSPARQL's wktLiteral allows.
var wkt = regexp.MustCompile(`(?i)^\s*(<[^>]*>\s*)?(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION|TRIANGLE|TIN|POLYHEDRALSURFACE)\s*(Z|M|ZM)?\s*(\(|EMPTY)`)

// location returns the dct:Location of a spatial coverage.
func location(s string) *locationNode {
	if u, err := url.Parse(s); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && !strings.ContainsAny(s, " \t\n<>\"{}|\\^`") {
		return &locationNode{ID: s}
	}
	if wkt.MatchString(s) {
		return &locationNode{Type: "dct:Location", Geometry: &literal{Value: s, Type: "gsp:wktLiteral"}}
	}
	return &locationNode{Type: "dct:Location", Label: s}
}

// mediaTypes are the IANA media types of common data files, by
// extension. A fixed table rather than the system's (mime.TypeByExtension
// reads /etc/mime.types), so that a catalogue is the same on every
// machine; only registered types, since each becomes an IANA URI.
var mediaTypes = map[string]string{
	".csv":     "text/csv",
	".tsv":     "text/tab-separated-values",
	".txt":     "text/plain",
	".md":      "text/markdown",
	".html":    "text/html",
	".json":    "application/json",
	".jsonld":  "application/ld+json",
	".geojson": "application/geo+json",
	".xml":     "application/xml",
	".yaml":    "application/yaml",
	".yml":     "application/yaml",
	".parquet": "application/vnd.apache.parquet",
	".pdf":     "application/pdf",
	".zip":     "application/zip",
	".gz":      "application/gzip",
	".zst":     "application/zstd",
	".xlsx":    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".png":     "image/png",
	".jpg":     "image/jpeg",
	".jpeg":    "image/jpeg",
	".tif":     "image/tiff",
	".tiff":    "image/tiff",
	".svg":     "image/svg+xml",
}

// MediaType guesses a file's IANA media type from its extension, or
// returns "".
func MediaType(p string) string {
	return mediaTypes[strings.ToLower(path.Ext(p))]
}
