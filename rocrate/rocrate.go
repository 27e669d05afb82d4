// Package rocrate writes a project as an RO-Crate, a ZIP file that any
// institution can read without Tycho, and reads it back into an empty
// store: the exit path.
//
// The crate (docs/exit.md describes it for readers without Tycho) holds
// each dataset version as a BagIt bag with its original bytes, each
// campaign's records as JSON lines, the DCAT-AP catalogue of the datasets
// (package dcat), the provenance graph as PROV-O JSON-LD and as JSON
// lines, and an ro-crate-metadata.json (RO-Crate 1.1, in the
// style of the Process Run Crate profile: a CreateAction per campaign and
// per experiment) that ties them together. The JSON-lines records are what
// Import reads; the JSON-LD is for everyone else.
//
// Export streams: dataset bytes go from the chunk store to the ZIP chunk
// by chunk, and the provenance graph is read a page at a time. Import
// checks the whole archive (paths, sizes, compression ratios, duplicates,
// every hash against its manifest, every record) before it writes
// anything.
package rocrate

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"time"
	"unicode/utf8"

	"tycho"
)

// Source is what Export reads a project from.
type Source interface {
	tycho.CampaignService
	tycho.ExperimentService
	tycho.DatasetService
	tycho.ChunkStore
	tycho.ProvenanceService
}

// Destination is what Import writes a project into: an empty store and
// chunk store.
type Destination interface {
	tycho.Importer
	tycho.ChunkStore
	// ImportProvenance stores provenance nodes and edges as they are,
	// keeping their times, and accepts edges that name nodes it does not
	// hold (the exporting store may have such edges). Returns ECONFLICT if
	// a node or edge exists.
	ImportProvenance(ctx context.Context, g *tycho.ProvGraph) error
}

// The layout of a crate. Dataset versions live under
// datasets/NAME/NUMBER/ and campaigns under campaigns/ID/.
const (
	metadataFile = "ro-crate-metadata.json"
	headerFile   = "tycho-export.json"

	bagitFile       = "bagit.txt"
	bagInfoFile     = "bag-info.txt"
	manifestFile    = "manifest-sha256.txt"
	tagManifestFile = "tagmanifest-sha256.txt"
	versionFile     = "version.json"
	payloadDir      = "data"

	// catalogFile holds the DCAT-AP records of every version (package
	// dcat).
	catalogFile = "catalog.jsonld"

	campaignFile    = "campaign.json"
	sourceFile      = "source.yaml"
	generationsFile = "generations.jsonl"
	experimentsFile = "experiments.jsonl"

	graphFile = "provenance/graph.jsonl"
	provOFile = "provenance/prov.jsonld"
)

// Format and FormatVersion name the Tycho records of a crate in
// tycho-export.json. The version grows when a change would make an older
// Tycho misread a crate.
const (
	Format        = "tycho-export"
	FormatVersion = 1
)

// header is tycho-export.json: what the crate holds, counted, so that an
// import notices a crate missing whole parts.
type header struct {
	Format     string    `json:"format"`
	Version    int       `json:"version"`
	Project    string    `json:"project"`
	ExportedAt time.Time `json:"exported_at"`
	Versions   int       `json:"dataset_versions"`
	Campaigns  int       `json:"campaigns"`
	ProvNodes  int       `json:"provenance_nodes"`
	ProvEdges  int       `json:"provenance_edges"`
}

// versionRecord is datasets/NAME/NUMBER/version.json. Files are in the
// bag's manifest; chunks are not exported, since import cuts the files
// again as ingest does.
type versionRecord struct {
	Project   string `json:"project"`
	Dataset   string `json:"dataset"`
	Number    int    `json:"number"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	FileCount int    `json:"file_count"`
	// Metadata is in the store's form: DCAT-AP terms as keys.
	Metadata  json.RawMessage      `json:"metadata"`
	Quality   *tycho.QualityReport `json:"quality,omitempty"`
	CreatedAt time.Time            `json:"created_at"`
}

// campaignRecord is campaigns/ID/campaign.json.
type campaignRecord struct {
	ID           string          `json:"id"`
	Spec         json.RawMessage `json:"spec"`
	SourceName   text            `json:"source_name"`
	SourceDigest string          `json:"source_digest"`
	// SourceFile names the file beside this one that holds the campaign
	// file as written, if the campaign has one.
	SourceFile  string    `json:"source_file,omitempty"`
	Status      string    `json:"status"`
	StopReason  text      `json:"stop_reason,omitempty"`
	ElapsedNS   int64     `json:"elapsed_ns"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Generations int       `json:"generations"`
	Experiments int       `json:"experiments"`
}

// generationRecord is a line of campaigns/ID/generations.jsonl.
type generationRecord struct {
	Index        int    `json:"index"`
	Key          text   `json:"key,omitempty"`
	Strategy     string `json:"strategy"`
	Seed         string `json:"seed"` // a uint64, beyond what JSON numbers hold exactly
	Observations int    `json:"observations"`
	Pending      int    `json:"pending"`
	// Model and Acquisition are in the store's form, where non-finite
	// numbers are the strings "NaN", "+Inf" and "-Inf".
	Model       json.RawMessage `json:"model,omitempty"`
	Acquisition json.RawMessage `json:"acquisition,omitempty"`
	FitNS       int64           `json:"fit_ns"`
	ProposeNS   int64           `json:"propose_ns"`
	CreatedAt   time.Time       `json:"created_at"`
}

// experimentRecord is a line of campaigns/ID/experiments.jsonl.
type experimentRecord struct {
	ID         string          `json:"id"`
	Seq        int             `json:"seq"`
	Generation int             `json:"generation"`
	Params     json.RawMessage `json:"params"`
	State      string          `json:"state"`
	Attempt    int             `json:"attempt"`
	Lease      *leaseRecord    `json:"lease,omitempty"`
	Result     json.RawMessage `json:"result,omitempty"`
	Error      text            `json:"error,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	StartedAt  *time.Time      `json:"started_at,omitempty"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
}

// leaseRecord is an experiment's last lease, without its token.
type leaseRecord struct {
	Holder  text       `json:"holder"`
	Expires *time.Time `json:"expires,omitempty"`
}

// graphLine is a line of provenance/graph.jsonl: a node or an edge.
type graphLine struct {
	Node *tycho.ProvNode `json:"node,omitempty"`
	Edge *tycho.ProvEdge `json:"edge,omitempty"`
}

// text is free text that may not be UTF-8, such as a driver's standard
// error: a JSON string when it is UTF-8, else {"base64": "..."}, so that
// it survives the round trip byte for byte.
type text string

// MarshalJSON implements json.Marshaler.
func (t text) MarshalJSON() ([]byte, error) {
	if utf8.ValidString(string(t)) {
		return json.Marshal(string(t))
	}
	return json.Marshal(struct {
		Base64 string `json:"base64"`
	}{base64.StdEncoding.EncodeToString([]byte(t))})
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *text) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = text(s)
		return nil
	}
	var o struct {
		Base64 *string `json:"base64"`
	}
	if err := strictJSON(b, &o); err != nil || o.Base64 == nil {
		return tycho.Errorf(tycho.EINVALID, "want a string or {\"base64\": \"...\"}")
	}
	raw, err := base64.StdEncoding.DecodeString(*o.Base64)
	if err != nil {
		return tycho.Errorf(tycho.EINVALID, "base64: %v", err)
	}
	*t = text(raw)
	return nil
}

// optTime returns a pointer to t, or nil for the zero time.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// fromOpt is the inverse of optTime.
func fromOpt(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
