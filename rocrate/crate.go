package rocrate

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"tycho"
	"tycho/internal/storejson"
)

// Identifiers the crate's JSON-LD uses.
const (
	roCrate11      = "https://w3id.org/ro/crate/1.1"
	processProfile = "https://w3id.org/ro/wfrun/process/0.5"
	schemaOrg      = "http://schema.org/"
	// tychoTerms is the namespace of Tycho's own terms (tycho:...).
	tychoTerms = "https://tycho.dev/ns#"
	// tychoIDs prefixes a provenance node's ID to make its IRI, so that a
	// dataset version's DCAT record and its PROV node are one resource.
	tychoIDs = "urn:tycho:"
)

// crateMeta collects what ro-crate-metadata.json says beyond the spooled
// entities: the root's parts and actions, and the contextual entities
// (people, organizations, labs, licences, places) that entities share.
type crateMeta struct {
	parts    []string
	mentions []string
	context  map[string]map[string]any
}

func newCrateMeta() *crateMeta { return &crateMeta{context: map[string]map[string]any{}} }

func ref(id string) map[string]any { return map[string]any{"@id": id} }

func refs(ids []string) []map[string]any {
	out := make([]map[string]any, len(ids))
	for i, id := range ids {
		out[i] = ref(id)
	}
	return out
}

// contextual adds a contextual entity once and returns a reference to it.
func (m *crateMeta) contextual(e map[string]any) map[string]any {
	id := e["@id"].(string)
	if _, ok := m.context[id]; !ok {
		m.context[id] = e
	}
	return ref(id)
}

// fragment makes a local identifier ("#kind-name") from free text.
func fragment(kind, name string) string { return "#" + kind + "-" + url.PathEscape(name) }

// pathIRI escapes a slash-separated path as a relative IRI.
func pathIRI(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// provIRI is the IRI of a provenance node. A dataset version's is the IRI
// its DCAT-AP record has in the catalogue (package dcat), so that the two
// describe one resource.
func provIRI(id string) string {
	if rest, ok := strings.CutPrefix(id, "dataset/"); ok {
		project, ref, _ := strings.Cut(rest, "/")
		if name, n, ok := strings.Cut(ref, "@"); ok && tycho.ValidName("project", project) == nil && tycho.ValidName("dataset", name) == nil {
			return tychoIDs + "dataset:" + project + ":" + name + ":" + n
		}
	}
	return tychoIDs + pathIRI(id)
}

func dateTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

var spdxID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.+-]*$`)

// license returns a reference to a licence's entity: SPDX's page for a
// licence identifier, or a local one for an expression.
func (m *crateMeta) license(l string) map[string]any {
	if spdxID.MatchString(l) {
		return m.contextual(map[string]any{"@id": "https://spdx.org/licenses/" + l, "@type": "CreativeWork", "name": l, "identifier": l})
	}
	return m.contextual(map[string]any{"@id": fragment("license", l), "@type": "CreativeWork", "name": l, "description": "SPDX license expression " + l})
}

func (m *crateMeta) person(c tycho.Creator) map[string]any {
	id := fragment("person", c.Name)
	if c.ORCID != "" {
		id = "https://orcid.org/" + c.ORCID
	}
	return m.contextual(map[string]any{"@id": id, "@type": "Person", "name": c.Name})
}

// versionEntity is the Dataset entity of a version's bag.
func (m *crateMeta) versionEntity(v *tycho.DatasetVersion, dir string) map[string]any {
	md := &v.Metadata
	name := md.Title
	if name == "" {
		name = v.Ref()
	}
	e := map[string]any{
		"@id": dir, "@type": "Dataset", "name": name,
		"identifier":  []string{v.Digest, provIRI(tycho.ProvDataset(v.Project, v.Dataset, v.Number))},
		"version":     strconv.Itoa(v.Number),
		"dateCreated": dateTime(v.CreatedAt),
		"contentSize": strconv.FormatInt(v.Size, 10),
		"hasPart":     refs([]string{dir + manifestFile, dir + versionFile}),
	}
	for _, f := range []struct{ name, format, desc string }{
		{manifestFile, "text/plain", "BagIt manifest: the SHA-256 of every file under data/"},
		{versionFile, "application/json", "Tycho's record of the version"},
	} {
		m.contextual(map[string]any{"@id": dir + f.name, "@type": "File", "name": f.name, "encodingFormat": f.format, "description": f.desc})
	}
	if md.Description != "" {
		e["description"] = md.Description
	}
	if md.License != "" {
		e["license"] = m.license(md.License)
	}
	if md.Publisher != "" {
		e["publisher"] = m.contextual(map[string]any{"@id": fragment("organization", md.Publisher), "@type": "Organization", "name": md.Publisher})
	}
	if len(md.Creators) > 0 {
		var cs []map[string]any
		for _, c := range md.Creators {
			cs = append(cs, m.person(c))
		}
		e["creator"] = cs
	}
	if len(md.Keywords) > 0 {
		e["keywords"] = md.Keywords
	}
	if t := md.Temporal; t != nil {
		e["temporalCoverage"] = isoDate(t.Start) + "/" + isoDate(t.End)
	}
	if md.Spatial != "" {
		id := fragment("place", md.Spatial)
		if strings.HasPrefix(md.Spatial, "http://") || strings.HasPrefix(md.Spatial, "https://") {
			id = md.Spatial
		}
		e["spatialCoverage"] = m.contextual(map[string]any{"@id": id, "@type": "Place", "name": md.Spatial})
	}
	if md.Jurisdiction != "" {
		e["tycho:jurisdiction"] = md.Jurisdiction
	}
	if v.Quality != nil && v.Quality.Grade != "" {
		e["tycho:qualityGrade"] = string(v.Quality.Grade)
	}
	return e
}

// isoDate writes one end of an ISO 8601 interval, ".." when open.
func isoDate(t time.Time) string {
	if t.IsZero() {
		return ".."
	}
	return t.UTC().Format(time.DateOnly)
}

// actionStatus maps a state to schema.org's action statuses.
func actionStatus(s string) map[string]any {
	switch s {
	case string(tycho.ExperimentCompleted): // and tycho.CampaignCompleted
		return ref(schemaOrg + "CompletedActionStatus")
	case string(tycho.ExperimentFailed), string(tycho.ExperimentAbandoned): // and tycho.CampaignFailed
		return ref(schemaOrg + "FailedActionStatus")
	case string(tycho.ExperimentProposed), string(tycho.ExperimentApproved):
		return ref(schemaOrg + "PotentialActionStatus")
	}
	return ref(schemaOrg + "ActiveActionStatus")
}

// lab returns a reference to the entity of a campaign's lab, the
// instrument of its experiments.
func (m *crateMeta) lab(s *tycho.Spec) map[string]any {
	name := s.Lab.Name
	if name == "" {
		name = s.Lab.Kind
	}
	return m.contextual(map[string]any{"@id": fragment("lab", name), "@type": "SoftwareApplication", "name": name,
		"description": "Tycho lab of kind " + s.Lab.Kind})
}

// campaignEntities are a campaign's directory, its files and its
// CreateAction: Tycho, following the campaign file (and drawing on the
// prior dataset, if it is in the crate), created the experiments.
func (m *crateMeta) campaignEntities(c *tycho.Campaign, dir, prior string) []map[string]any {
	files := []string{dir + campaignFile, dir + generationsFile, dir + experimentsFile}
	formats := []string{"application/json", "application/jsonl", "application/jsonl"}
	names := []string{"The campaign's record", "How each batch was proposed, one JSON object a line", "The experiments and their results, one JSON object a line"}
	var object []string
	if len(c.Source) > 0 {
		files, formats, names = append(files, dir+sourceFile), append(formats, "application/yaml"), append(names, "The campaign file as written")
		object = append(object, dir+sourceFile)
	}
	if prior != "" {
		object = append(object, prior)
	}
	out := []map[string]any{{"@id": dir, "@type": "Dataset", "name": "Campaign " + c.ID, "hasPart": refs(files)}}
	for i, f := range files {
		out = append(out, map[string]any{"@id": f, "@type": "File", "name": baseName(f), "encodingFormat": formats[i], "description": names[i]})
	}
	id := fragment("campaign", c.ID)
	a := map[string]any{
		"@id": id, "@type": "CreateAction", "name": "Campaign " + c.Spec.Name + " (" + c.ID + ")",
		"instrument":   m.contextual(tychoApp()),
		"result":       refs([]string{dir + experimentsFile, dir + generationsFile}),
		"startTime":    dateTime(c.CreatedAt),
		"actionStatus": actionStatus(string(c.Status)),
		"tycho:lab":    m.lab(&c.Spec),
	}
	if c.Spec.Strategy != "" {
		a["tycho:strategy"] = c.Spec.Strategy
	}
	desc := c.Spec.Description
	if c.StopReason != "" {
		desc = strings.TrimSpace(desc + "\nStopped: " + c.StopReason)
	}
	if desc != "" {
		a["description"] = desc
	}
	if len(object) > 0 {
		a["object"] = refs(object)
	}
	if c.Status != tycho.CampaignRunning {
		a["endTime"] = dateTime(c.UpdatedAt)
	}
	if c.Status == tycho.CampaignFailed {
		a["error"] = c.StopReason
	}
	m.mentions = append(m.mentions, id)
	return append(out, a)
}

func baseName(f string) string { return f[strings.LastIndexByte(f, '/')+1:] }

func tychoApp() map[string]any {
	return map[string]any{"@id": "#tycho", "@type": "SoftwareApplication", "name": "Tycho",
		"description": "Closed-loop optimization of experiments: proposes experiments by Bayesian optimization, runs them in a lab and learns from the results"}
}

// experimentEntities are an experiment's CreateAction, run by the
// campaign's lab, with its parameters as objects and its measured values
// as results (PropertyValues).
func (m *crateMeta) experimentEntities(c *tycho.Campaign, e *tycho.Experiment) []map[string]any {
	id := fragment("experiment", e.ID)
	a := map[string]any{
		"@id": id, "@type": "CreateAction",
		"name":             fmt.Sprintf("Experiment %d of campaign %s", e.Seq, c.ID),
		"instrument":       m.lab(&c.Spec),
		"actionStatus":     actionStatus(string(e.State)),
		"tycho:campaign":   ref(fragment("campaign", c.ID)),
		"tycho:generation": e.Generation,
		"tycho:attempt":    e.Attempt,
		"tycho:state":      string(e.State),
	}
	if !e.StartedAt.IsZero() {
		a["startTime"] = dateTime(e.StartedAt)
	}
	if !e.FinishedAt.IsZero() {
		a["endTime"] = dateTime(e.FinishedAt)
	}
	if e.Error != "" && (e.State == tycho.ExperimentFailed || e.State == tycho.ExperimentAbandoned) {
		a["error"] = strings.ToValidUTF8(e.Error, "\uFFFD")
	}
	var out []map[string]any
	value := func(kind, name string, v any) string {
		pid := id + "/" + kind + "/" + url.PathEscape(name)
		out = append(out, map[string]any{"@id": pid, "@type": "PropertyValue", "name": name, "value": jsonValue(v)})
		return pid
	}
	var object, result []string
	for _, name := range sortedKeys(e.Params) {
		object = append(object, value("param", name, e.Params[name]))
	}
	if e.Result != nil {
		for _, name := range sortedKeys(e.Result.Objectives) {
			result = append(result, value("result", name, e.Result.Objectives[name]))
		}
	}
	if len(object) > 0 {
		a["object"] = refs(object)
	}
	if len(result) > 0 {
		a["result"] = refs(result)
	}
	m.mentions = append(m.mentions, id)
	return append(out, a)
}

// jsonValue makes a value JSON can hold: non-finite numbers as text.
func jsonValue(v any) any {
	if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return storejson.Finite(f)
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// writeHead writes ro-crate-metadata.json up to the spooled entities: the
// context, the metadata descriptor, the root dataset, the profile, the
// files at the root and the contextual entities.
func (m *crateMeta) writeHead(w io.Writer, project string, now time.Time) error {
	context := []any{roCrate11 + "/context", map[string]any{"tycho": tychoTerms}}
	head, err := json.Marshal(context)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "{\"@context\": %s,\n\"@graph\": [\n", head); err != nil {
		return err
	}
	parts := append(slices.Clone(m.parts), headerFile)
	entities := []map[string]any{
		{"@id": metadataFile, "@type": "CreativeWork", "conformsTo": ref(roCrate11), "about": ref("./")},
		{
			"@id": "./", "@type": "Dataset",
			"name":          "Tycho project " + project,
			"description":   "Everything Tycho held for project " + project + ": its datasets with their original bytes (a BagIt bag per version), its campaigns, experiments and results, and their provenance (W3C PROV-O). See docs/exit.md of Tycho, or the README of each part.",
			"datePublished": dateTime(now),
			"conformsTo":    ref(processProfile),
			"hasPart":       refs(parts),
			"mentions":      refs(m.mentions),
		},
		{"@id": processProfile, "@type": "CreativeWork", "name": "Process Run Crate", "version": "0.5"},
		tychoApp(),
		{"@id": headerFile, "@type": "File", "name": headerFile, "encodingFormat": "application/json",
			"description": "What the export holds, counted, and the version of Tycho's record format"},
		{"@id": catalogFile, "@type": "File", "name": "DCAT-AP catalogue of the datasets", "encodingFormat": "application/ld+json", "about": ref("./")},
	}
	if slices.Contains(m.parts, provOFile) {
		entities = append(entities,
			map[string]any{"@id": provOFile, "@type": "File", "name": "Provenance graph (W3C PROV-O)", "encodingFormat": "application/ld+json",
				"about": ref("./")},
			map[string]any{"@id": graphFile, "@type": "File", "name": "Provenance graph, one node or edge a line", "encodingFormat": "application/jsonl"})
	}
	delete(m.context, "#tycho")
	for _, id := range sortedKeys(m.context) {
		entities = append(entities, m.context[id])
	}
	for i, e := range entities {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if i > 0 {
			if _, err := io.WriteString(w, ",\n"); err != nil {
				return err
			}
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
