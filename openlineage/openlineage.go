// Package openlineage reads OpenLineage RunEvents (spec 2-0-x), as data
// pipelines outside Tycho report them, and turns each into the W3C PROV
// nodes and edges it adds to Tycho's provenance graph:
//
//   - the run is an activity, openlineage/run/RUNID;
//   - its job is an agent the run was associated with,
//     openlineage/job/NAMESPACE/NAME;
//   - a parent run facet makes the run informed by the parent run;
//   - each input dataset is an entity the run used, and each output one it
//     generated, openlineage/dataset/NAMESPACE/NAME, except that a dataset
//     in the namespace "tycho" named PROJECT/NAME@VERSION is that Tycho
//     dataset version, which must exist.
//
// Namespaces and names are path-escaped in IDs. Facets are kept out of
// the graph, but the producer and event type of the first event of a run
// are attributes of its activity.
package openlineage

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"tycho"
)

// TychoNamespace is the dataset namespace that names Tycho dataset
// versions.
const TychoNamespace = "tycho"

// A RunEvent is the part of an OpenLineage RunEvent that Tycho records.
type RunEvent struct {
	EventType string    `json:"eventType"`
	EventTime time.Time `json:"eventTime"`
	Run       Run       `json:"run"`
	Job       Job       `json:"job"`
	Inputs    []Dataset `json:"inputs"`
	Outputs   []Dataset `json:"outputs"`
	Producer  string    `json:"producer"`
	SchemaURL string    `json:"schemaURL"`
}

// A Run is one execution of a job.
type Run struct {
	RunID  string `json:"runId"`
	Facets struct {
		Parent *struct {
			Run struct {
				RunID string `json:"runId"`
			} `json:"run"`
			Job Job `json:"job"`
		} `json:"parent"`
	} `json:"facets"`
}

// A Job is what runs: a pipeline, a task, a notebook.
type Job struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// A Dataset is read or written by a run.
type Dataset struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// Event types, as the spec names them.
var eventTypes = map[string]bool{"START": true, "RUNNING": true, "COMPLETE": true, "ABORT": true, "FAIL": true, "OTHER": true}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// MaxEvent bounds the size of one event.
const MaxEvent = 4 << 20

// Parse reads one RunEvent and checks that it has what the spec requires.
// where names the input in errors, such as "event 3 of run.jsonl".
func Parse(where string, data []byte) (*RunEvent, error) {
	bad := func(format string, args ...any) error {
		return tycho.Errorf(tycho.EINVALID, "%s: %s", where, fmt.Sprintf(format, args...))
	}
	if len(data) > MaxEvent {
		return nil, bad("larger than %d bytes", MaxEvent)
	}
	var ev RunEvent
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&ev); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		var pe *time.ParseError
		switch {
		case errors.As(err, &pe):
			return nil, bad("eventTime %q: not an RFC 3339 time", pe.Value)
		case errors.As(err, &te):
			return nil, bad("%s: want %s, got JSON %s", orRoot(te.Field), te.Type, te.Value)
		case errors.As(err, &se):
			return nil, bad("malformed JSON at byte %d: %v", se.Offset, err)
		case errors.Is(err, io.EOF):
			return nil, bad("empty; want a RunEvent object")
		}
		return nil, bad("%v", err)
	}
	if dec.More() {
		return nil, bad("more than one JSON value; give one RunEvent")
	}
	switch {
	case ev.EventType != "" && !eventTypes[ev.EventType]:
		return nil, bad("eventType %q: use START, RUNNING, COMPLETE, ABORT, FAIL or OTHER", ev.EventType)
	case ev.EventTime.IsZero():
		return nil, bad("eventTime is missing")
	case !uuidRE.MatchString(ev.Run.RunID):
		return nil, bad("run.runId %q: want a UUID", ev.Run.RunID)
	case ev.Producer == "":
		return nil, bad("producer is missing")
	}
	if err := checkName("job", ev.Job.Namespace, ev.Job.Name); err != nil {
		return nil, bad("%v", err)
	}
	if p := ev.Run.Facets.Parent; p != nil {
		if !uuidRE.MatchString(p.Run.RunID) {
			return nil, bad("run.facets.parent.run.runId %q: want a UUID", p.Run.RunID)
		}
		if strings.EqualFold(p.Run.RunID, ev.Run.RunID) {
			return nil, bad("run.facets.parent names the run itself")
		}
	}
	for i, d := range ev.Inputs {
		if err := checkDataset(fmt.Sprintf("inputs[%d]", i), d); err != nil {
			return nil, bad("%v", err)
		}
	}
	for i, d := range ev.Outputs {
		if err := checkDataset(fmt.Sprintf("outputs[%d]", i), d); err != nil {
			return nil, bad("%v", err)
		}
	}
	return &ev, nil
}

func orRoot(field string) string {
	if field == "" {
		return "the event"
	}
	return field
}

func checkName(what, namespace, name string) error {
	if namespace == "" || name == "" {
		return fmt.Errorf("%s needs a namespace and a name", what)
	}
	if len(namespace)+len(name) > 400 {
		return fmt.Errorf("%s %s/%s: namespace and name are longer than 400 bytes", what, namespace, name)
	}
	return nil
}

func checkDataset(what string, d Dataset) error {
	if err := checkName(what, d.Namespace, d.Name); err != nil {
		return err
	}
	if d.Namespace == TychoNamespace {
		if _, err := tychoDataset(d.Name); err != nil {
			return fmt.Errorf("%s: %v", what, err)
		}
	}
	return nil
}

// tychoDataset returns the provenance ID of a Tycho dataset version named
// PROJECT/NAME@VERSION.
func tychoDataset(name string) (string, error) {
	project, rest, ok := strings.Cut(name, "/")
	dataset, version, ok2 := strings.Cut(rest, "@")
	n, err := strconv.Atoi(version)
	if !ok || !ok2 || err != nil || n < 1 || tycho.ValidName("project", project) != nil || tycho.ValidName("dataset", dataset) != nil {
		return "", fmt.Errorf("tycho dataset %q: name it PROJECT/NAME@VERSION, the version a number", name)
	}
	return tycho.ProvDataset(project, dataset, n), nil
}

// RunID is the provenance ID of a run.
func RunID(runID string) string { return "openlineage/run/" + strings.ToLower(runID) }

// JobID is the provenance ID of a job.
func JobID(j Job) string {
	return "openlineage/job/" + url.PathEscape(j.Namespace) + "/" + url.PathEscape(j.Name)
}

// DatasetID is the provenance ID of a dataset.
func DatasetID(d Dataset) string {
	if d.Namespace == TychoNamespace {
		if id, err := tychoDataset(d.Name); err == nil {
			return id
		}
	}
	return "openlineage/dataset/" + url.PathEscape(d.Namespace) + "/" + url.PathEscape(d.Name)
}

// Provenance returns what the event adds to the graph. The Tycho dataset
// versions it names are not among its nodes: they must be recorded.
func (ev *RunEvent) Provenance() *tycho.ProvGraph {
	g := new(tycho.ProvGraph)
	t := ev.EventTime.UTC()
	run, job := RunID(ev.Run.RunID), JobID(ev.Job)
	g.Nodes = append(g.Nodes,
		tycho.ProvNode{ID: run, Kind: tycho.ProvActivity, Type: tycho.ProvTypeExternal, Label: ev.Job.Name, Time: t,
			Attributes: map[string]any{"producer": ev.Producer, "event_type": ev.EventType, "run_id": ev.Run.RunID}},
		tycho.ProvNode{ID: job, Kind: tycho.ProvAgent, Type: tycho.ProvTypeExternal, Label: ev.Job.Namespace + "/" + ev.Job.Name, Time: t})
	g.Edges = append(g.Edges, tycho.ProvEdge{From: run, Relation: tycho.WasAssociatedWith, To: job, Time: t})
	if p := ev.Run.Facets.Parent; p != nil {
		parent := RunID(p.Run.RunID)
		label := p.Job.Name
		if label == "" {
			label = "parent run"
		}
		g.Nodes = append(g.Nodes, tycho.ProvNode{ID: parent, Kind: tycho.ProvActivity, Type: tycho.ProvTypeExternal, Label: label, Time: t,
			Attributes: map[string]any{"run_id": p.Run.RunID}})
		g.Edges = append(g.Edges, tycho.ProvEdge{From: run, Relation: tycho.WasInformedBy, To: parent, Time: t})
	}
	dataset := func(d Dataset) string {
		id := DatasetID(d)
		if !strings.HasPrefix(id, "dataset/") {
			g.Nodes = append(g.Nodes, tycho.ProvNode{ID: id, Kind: tycho.ProvEntity, Type: tycho.ProvTypeExternal, Label: d.Namespace + "/" + d.Name, Time: t})
		}
		return id
	}
	for _, d := range ev.Inputs {
		g.Edges = append(g.Edges, tycho.ProvEdge{From: run, Relation: tycho.Used, To: dataset(d), Time: t})
	}
	for _, d := range ev.Outputs {
		g.Edges = append(g.Edges, tycho.ProvEdge{From: dataset(d), Relation: tycho.WasGeneratedBy, To: run, Time: t})
	}
	return g
}

// ReadEvents reads the events of a file: one JSON object, a JSON array of
// them, or JSON lines (as OpenLineage's file transport writes).
func ReadEvents(name string, r io.Reader) ([]*RunEvent, error) {
	data, err := io.ReadAll(io.LimitReader(r, 256<<20+1))
	if err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "%s: %v", name, err)
	}
	if len(data) > 256<<20 {
		return nil, tycho.Errorf(tycho.EINVALID, "%s: larger than 256 MiB; split it", name)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var raw []json.RawMessage
		if err := json.Unmarshal(trimmed, &raw); err != nil {
			return nil, tycho.Errorf(tycho.EINVALID, "%s: not a JSON array of events: %v", name, err)
		}
		out := make([]*RunEvent, len(raw))
		for i, m := range raw {
			if out[i], err = Parse(fmt.Sprintf("%s: event %d", name, i+1), m); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	var out []*RunEvent
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), MaxEvent+1)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		ev, err := Parse(fmt.Sprintf("%s: line %d", name, line), sc.Bytes())
		if err != nil {
			if len(out) == 0 && bytes.Count(trimmed, []byte("\n")) > 0 {
				// Perhaps one pretty-printed object.
				if one, err2 := Parse(name, trimmed); err2 == nil {
					return []*RunEvent{one}, nil
				}
			}
			return nil, err
		}
		out = append(out, ev)
	}
	if err := sc.Err(); err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "%s: line %d: %v", name, line+1, err)
	}
	if len(out) == 0 {
		return nil, tycho.Errorf(tycho.EINVALID, "%s: no events", name)
	}
	return out, nil
}
