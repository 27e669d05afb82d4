package tycho

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ProvKind is the W3C PROV class of a provenance node.
type ProvKind string

// PROV classes.
const (
	ProvEntity   ProvKind = "entity"
	ProvActivity ProvKind = "activity"
	ProvAgent    ProvKind = "agent"
)

// ProvRelation is a W3C PROV relation. Every relation points back in time,
// from the later node to the earlier: an activity used an entity, an
// entity wasGeneratedBy an activity, and so on.
type ProvRelation string

// PROV relations.
const (
	Used              ProvRelation = "used"
	WasGeneratedBy    ProvRelation = "wasGeneratedBy"
	WasDerivedFrom    ProvRelation = "wasDerivedFrom"
	WasAssociatedWith ProvRelation = "wasAssociatedWith"
	ActedOnBehalfOf   ProvRelation = "actedOnBehalfOf"
	WasInformedBy     ProvRelation = "wasInformedBy"
)

// ProvRelations lists the relations in the order PROV-DM introduces them.
var ProvRelations = []ProvRelation{WasGeneratedBy, Used, WasInformedBy, WasDerivedFrom, WasAssociatedWith, ActedOnBehalfOf}

// kinds says which classes each relation joins, from and to.
var provKinds = map[ProvRelation][2]ProvKind{
	Used:              {ProvActivity, ProvEntity},
	WasGeneratedBy:    {ProvEntity, ProvActivity},
	WasDerivedFrom:    {ProvEntity, ProvEntity},
	WasAssociatedWith: {ProvActivity, ProvAgent},
	ActedOnBehalfOf:   {ProvAgent, ProvAgent},
	WasInformedBy:     {ProvActivity, ProvActivity},
}

// Provenance node types beyond the PROV classes, as the tycho: prefix of
// the PROV-O export.
const (
	ProvTypeDatasetVersion = "DatasetVersion"
	ProvTypeCampaign       = "Campaign"
	ProvTypeModelFit       = "ModelFit"
	ProvTypeImport         = "Import"
	ProvTypeModel          = "Model"
	ProvTypeProposal       = "Proposal"
	ProvTypeExperiment     = "Experiment"
	ProvTypeResult         = "Result"
	ProvTypeJob            = "Job"
	ProvTypeLab            = "Lab"
	ProvTypeLabAgent       = "LabAgent"
	ProvTypeStrategy       = "Strategy"
	ProvTypePerson         = "Person"
	ProvTypeExternal       = "External" // reported by another system (OpenLineage)
)

// A ProvNode is an entity, activity or agent of the provenance graph. Its
// ID is a path such as "experiment/ID" or "dataset/PROJECT/NAME@3", unique
// across the graph and stable across an export and import.
type ProvNode struct {
	ID    string   `json:"id"`
	Kind  ProvKind `json:"kind"`
	Type  string   `json:"type"`
	Label string   `json:"label,omitempty"`
	// Attributes are free-form facts about the node: a version's digest, an
	// experiment's parameters, a result's objectives.
	Attributes map[string]any `json:"attributes,omitempty"`
	// Time is when the entity was generated, the activity started or the
	// agent was first seen.
	Time time.Time `json:"time"`
}

// A ProvEdge says that From stands in Relation to To.
type ProvEdge struct {
	From     string       `json:"from"`
	Relation ProvRelation `json:"relation"`
	To       string       `json:"to"`
	Time     time.Time    `json:"time"`
}

// A ProvGraph is a set of nodes and the edges between them. An edge may
// name a node recorded earlier.
type ProvGraph struct {
	Nodes []ProvNode `json:"nodes"`
	Edges []ProvEdge `json:"edges"`
}

func (g *ProvGraph) node(id string, kind ProvKind, typ, label string, t time.Time, attrs map[string]any) {
	g.Nodes = append(g.Nodes, ProvNode{ID: id, Kind: kind, Type: typ, Label: label, Time: t, Attributes: attrs})
}

func (g *ProvGraph) edge(from string, rel ProvRelation, to string, t time.Time) {
	g.Edges = append(g.Edges, ProvEdge{From: from, Relation: rel, To: to, Time: t})
}

// Check checks a graph before it is recorded: IDs, classes, and that each
// edge joins nodes of the classes its relation needs, where the graph holds
// them.
func (g *ProvGraph) Check() error {
	kinds := make(map[string]ProvKind, len(g.Nodes))
	for _, n := range g.Nodes {
		if err := validProvID(n.ID); err != nil {
			return err
		}
		switch n.Kind {
		case ProvEntity, ProvActivity, ProvAgent:
		default:
			return Errorf(EINVALID, "provenance node %s: kind %q: use entity, activity or agent", n.ID, n.Kind)
		}
		if k, ok := kinds[n.ID]; ok && k != n.Kind {
			return Errorf(EINVALID, "provenance node %s: given as both %s and %s", n.ID, k, n.Kind)
		}
		kinds[n.ID] = n.Kind
	}
	for _, e := range g.Edges {
		want, ok := provKinds[e.Relation]
		if !ok {
			return Errorf(EINVALID, "provenance edge %s → %s: unknown relation %q", e.From, e.To, e.Relation)
		}
		for i, id := range []string{e.From, e.To} {
			if err := validProvID(id); err != nil {
				return err
			}
			if k, ok := kinds[id]; ok && k != want[i] {
				return Errorf(EINVALID, "provenance edge %s %s %s: %s is an %s, but %s joins an %s to an %s",
					e.From, e.Relation, e.To, id, k, e.Relation, want[0], want[1])
			}
		}
		if e.From == e.To {
			return Errorf(EINVALID, "provenance edge %s %s itself", e.From, e.Relation)
		}
	}
	return nil
}

// Named returns, each once, the IDs the graph's edges name that its nodes
// do not hold: those that must be recorded already.
func (g *ProvGraph) Named() []string {
	given := make(map[string]bool, len(g.Nodes))
	for _, n := range g.Nodes {
		given[n.ID] = true
	}
	var named []string
	for _, e := range g.Edges {
		for _, id := range []string{e.From, e.To} {
			if !given[id] {
				given[id] = true
				named = append(named, id)
			}
		}
	}
	return named
}

// validProvID checks a node ID: 1 to 512 printable bytes without spaces.
func validProvID(id string) error {
	if id == "" || len(id) > 512 {
		return Errorf(EINVALID, "provenance ID %q: use 1 to 512 characters", id)
	}
	for _, r := range id {
		if r <= ' ' || r == 0x7f {
			return Errorf(EINVALID, "provenance ID %q: contains a space or control character", id)
		}
	}
	return nil
}

// LineageDirection says which way a lineage query walks.
type LineageDirection string

// Lineage directions: Up to what a node came from (its ancestors), Down to
// what came from it (its descendants).
const (
	Upstream   LineageDirection = "up"
	Downstream LineageDirection = "down"
)

// Lineage query bounds.
const (
	DefaultLineageDepth = 5
	MaxLineageDepth     = 100
	DefaultLineageLimit = 500
	MaxLineageLimit     = 10000
)

// A LineageQuery asks for the nodes within Depth edges of ID, one page of
// Limit nodes at a time, nearest first.
type LineageQuery struct {
	ID        string
	Direction LineageDirection
	Depth     int
	Limit     int
	// After is the Next of the previous page, or "" for the first.
	After string
}

// Normalize fills in defaults and checks the bounds.
func (q *LineageQuery) Normalize() error {
	if err := validProvID(q.ID); err != nil {
		return err
	}
	switch q.Direction {
	case "":
		q.Direction = Upstream
	case Upstream, Downstream:
	default:
		return Errorf(EINVALID, "lineage direction %q: use up or down", q.Direction)
	}
	if q.Depth == 0 {
		q.Depth = DefaultLineageDepth
	}
	if q.Depth < 1 || q.Depth > MaxLineageDepth {
		return Errorf(EINVALID, "lineage depth %d: use 1 to %d", q.Depth, MaxLineageDepth)
	}
	if q.Limit == 0 {
		q.Limit = DefaultLineageLimit
	}
	if q.Limit < 1 || q.Limit > MaxLineageLimit {
		return Errorf(EINVALID, "lineage limit %d: use 1 to %d", q.Limit, MaxLineageLimit)
	}
	if q.After != "" {
		if _, _, err := ParseLineageCursor(q.After); err != nil {
			return err
		}
	}
	return nil
}

// LineageCursor returns the cursor after the node at depth with id: pages
// are ordered by depth, then ID.
func LineageCursor(depth int, id string) string { return strconv.Itoa(depth) + ":" + id }

// ParseLineageCursor reads a cursor made by LineageCursor.
func ParseLineageCursor(s string) (depth int, id string, err error) {
	d, id, ok := strings.Cut(s, ":")
	n, convErr := strconv.Atoi(d)
	if !ok || convErr != nil || n < 0 || id == "" {
		return 0, "", Errorf(EINVALID, "lineage cursor %q: pass the next cursor of the previous page as it was", s)
	}
	return n, id, nil
}

// A LineageNode is a node found by a lineage query, Depth edges away.
type LineageNode struct {
	ProvNode
	Depth int `json:"depth"`
}

// Lineage is one page of a lineage query's answer: nodes nearest first, and
// for each the edges by which it was reached from the page's nodes or the
// pages before.
type Lineage struct {
	Root  ProvNode      `json:"root"`
	Nodes []LineageNode `json:"nodes"`
	Edges []ProvEdge    `json:"edges"`
	// Next is the cursor of the next page, "" on the last.
	Next string `json:"next,omitempty"`
}

// ProvenanceService records and queries the provenance graph.
type ProvenanceService interface {
	// RecordProvenance adds nodes and edges. Recording a node or an edge
	// that exists is a no-op: nothing recorded changes. An edge may name
	// only nodes that exist or come in the same graph. Returns EINVALID
	// otherwise.
	RecordProvenance(ctx context.Context, g *ProvGraph) error
	// FindProvNode returns a node. Returns ENOTFOUND if there is none.
	FindProvNode(ctx context.Context, id string) (*ProvNode, error)
	// Lineage walks the graph from q.ID. Returns ENOTFOUND if the node
	// does not exist.
	Lineage(ctx context.Context, q LineageQuery) (*Lineage, error)
	// ListProvenance returns up to limit nodes in ID order after the node
	// with ID after ("" for the first page), with every edge from them,
	// and the ID to pass as after for the next page ("" on the last). An
	// export walks the whole graph this way.
	ListProvenance(ctx context.Context, after string, limit int) (g *ProvGraph, next string, err error)
}

// Provenance node IDs.

// ProvCampaign is the ID of a campaign's activity.
func ProvCampaign(id string) string { return "campaign/" + id }

// ProvFit is the ID of the activity that made a campaign's generation:
// a model fit and proposal, or the import of prior data.
func ProvFit(campaignID string, index int) string {
	return "fit/" + campaignID + "/" + strconv.Itoa(index)
}

// ProvModel is the ID of the model a generation's fit produced.
func ProvModel(campaignID string, index int) string {
	return "model/" + campaignID + "/" + strconv.Itoa(index)
}

// ProvProposal is the ID of an experiment's proposal (its parameters).
func ProvProposal(experimentID string) string { return "proposal/" + experimentID }

// ProvExperiment is the ID of the activity that ran an experiment.
func ProvExperiment(experimentID string) string { return "experiment/" + experimentID }

// ProvResult is the ID of an experiment's result.
func ProvResult(experimentID string) string { return "result/" + experimentID }

// ProvDataset is the ID of a dataset version.
func ProvDataset(project, dataset string, number int) string {
	return "dataset/" + project + "/" + dataset + "@" + strconv.Itoa(number)
}

// ProvLab is the ID of a lab, an organization-like agent.
func ProvLab(name string) string { return "lab/" + name }

// ProvLabAgent is the ID of a lab agent (a lease holder).
func ProvLabAgent(holder string) string { return "agent/" + holder }

// ProvStrategy is the ID of an optimization strategy, a software agent.
func ProvStrategy(name string) string { return "strategy/" + name }

// ProvJob is the ID of a compute job.
func ProvJob(id string) string { return "job/" + id }

// VersionProvenance is what recording a dataset version adds: the version,
// derived from the one before.
func VersionProvenance(v *DatasetVersion) *ProvGraph {
	g := new(ProvGraph)
	id := ProvDataset(v.Project, v.Dataset, v.Number)
	g.node(id, ProvEntity, ProvTypeDatasetVersion, v.Ref(), v.CreatedAt, map[string]any{
		"digest": v.Digest, "size": v.Size, "files": v.FileCount, "title": v.Metadata.Title,
	})
	if v.Number > 1 {
		g.edge(id, WasDerivedFrom, ProvDataset(v.Project, v.Dataset, v.Number-1), v.CreatedAt)
	}
	return g
}

// CampaignProvenance is what creating a campaign adds: its activity, the
// lab it is associated with and the prior dataset it used.
func CampaignProvenance(c *Campaign) *ProvGraph {
	g := new(ProvGraph)
	id := ProvCampaign(c.ID)
	g.node(id, ProvActivity, ProvTypeCampaign, c.Spec.Name, c.CreatedAt, map[string]any{
		"source_digest": c.SourceDigest, "strategy": c.Spec.Strategy,
	})
	lab := c.Spec.Lab.Name
	if lab == "" {
		lab = c.Spec.Lab.Kind
	}
	if lab != "" {
		g.node(ProvLab(lab), ProvAgent, ProvTypeLab, lab, c.CreatedAt, map[string]any{"kind": c.Spec.Lab.Kind})
		g.edge(id, WasAssociatedWith, ProvLab(lab), c.CreatedAt)
	}
	if project, name, n, ok := c.Spec.PriorVersion(); ok {
		g.edge(id, Used, ProvDataset(project, name, n), c.CreatedAt)
	}
	return g
}

// GenerationProvenance is what storing a generation adds: the fit (or the
// import of prior data) informed by the campaign, associated with its
// strategy, having used the model of generation previousModel (0 for
// none); the model it produced; and
// each proposal, generated by the fit. An imported experiment's result is
// generated by the import. The experiments are numbered from firstSeq, as
// the store numbers them. The store adds the fit's use of the results in
// g.Used, each only once per campaign (see Generation.Used).
func GenerationProvenance(g *Generation, exps []*Experiment, firstSeq, previousModel int) *ProvGraph {
	out := new(ProvGraph)
	t := g.CreatedAt
	fit := ProvFit(g.CampaignID, g.Index)
	typ := ProvTypeModelFit
	if !g.FitsModel() {
		typ = ProvTypeImport
	}
	out.node(fit, ProvActivity, typ, g.Strategy+" #"+strconv.Itoa(g.Index), t, map[string]any{
		"strategy": g.Strategy, "seed": strconv.FormatUint(g.Seed, 10), "observations": g.Observations, "pending": g.Pending,
	})
	out.edge(fit, WasInformedBy, ProvCampaign(g.CampaignID), t)
	if g.Strategy != "" {
		out.node(ProvStrategy(g.Strategy), ProvAgent, ProvTypeStrategy, g.Strategy, t, nil)
		out.edge(fit, WasAssociatedWith, ProvStrategy(g.Strategy), t)
	}
	if typ == ProvTypeModelFit {
		model := ProvModel(g.CampaignID, g.Index)
		out.node(model, ProvEntity, ProvTypeModel, "model #"+strconv.Itoa(g.Index), t, g.Model)
		out.edge(model, WasGeneratedBy, fit, t)
		if previousModel > 0 {
			prev := ProvModel(g.CampaignID, previousModel)
			out.edge(fit, Used, prev, t)
			out.edge(model, WasDerivedFrom, prev, t)
		}
	}
	for i, e := range exps {
		seq := strconv.Itoa(firstSeq + i)
		p := ProvProposal(e.ID)
		out.node(p, ProvEntity, ProvTypeProposal, "proposal "+seq, t, map[string]any{"params": e.Params})
		out.edge(p, WasGeneratedBy, fit, t)
		if e.State == ExperimentCompleted && e.Result != nil {
			r := ProvResult(e.ID)
			out.node(r, ProvEntity, ProvTypeResult, "result "+seq, t, resultAttributes(e.Result))
			out.edge(r, WasGeneratedBy, fit, t)
			out.edge(r, WasDerivedFrom, p, t)
		}
	}
	return out
}

// ResultProvenance is what completing an experiment adds: the experiment's
// activity, which used its proposal and was associated with the lab agent
// that held its lease, and the result it generated. It is written with
// every result, so it holds no edge a path already implies: the campaign
// is reached through the proposal's fit.
func ResultProvenance(e *Experiment) *ProvGraph {
	g := new(ProvGraph)
	run, res, prop := ProvExperiment(e.ID), ProvResult(e.ID), ProvProposal(e.ID)
	start := e.StartedAt
	if start.IsZero() {
		start = e.FinishedAt
	}
	g.node(run, ProvActivity, ProvTypeExperiment, "experiment "+strconv.Itoa(e.Seq), start, map[string]any{
		"attempt": e.Attempt, "ended": e.FinishedAt.UTC().Format(time.RFC3339Nano), "state": string(e.State),
	})
	g.node(res, ProvEntity, ProvTypeResult, "result "+strconv.Itoa(e.Seq), e.FinishedAt, resultAttributes(e.Result))
	g.edge(run, Used, prop, start)
	g.edge(res, WasGeneratedBy, run, e.FinishedAt)
	if e.Lease != nil && e.Lease.Holder != "" {
		g.node(ProvLabAgent(e.Lease.Holder), ProvAgent, ProvTypeLabAgent, e.Lease.Holder, start, nil)
		g.edge(run, WasAssociatedWith, ProvLabAgent(e.Lease.Holder), start)
	}
	return g
}

// FitsModel reports whether a generation's strategy proposed its
// experiments, as opposed to importing prior data or a result reported
// from outside.
func (g *Generation) FitsModel() bool {
	return g.Strategy != StrategyPriorData && g.Strategy != StrategyExternal
}

// CompletionProvenance is ResultProvenance of experiment e, as it is once
// result r completes it at t.
func CompletionProvenance(e *Experiment, r *Result, t time.Time) *ProvGraph {
	done := *e
	done.State, done.Result, done.FinishedAt = ExperimentCompleted, r, t
	return ResultProvenance(&done)
}

// LeaseProvenance is what a lease adds the first time a holder leases from
// a lab: the holder acts on behalf of the lab.
func LeaseProvenance(lab, holder string, t time.Time) *ProvGraph {
	g := new(ProvGraph)
	g.node(ProvLab(lab), ProvAgent, ProvTypeLab, lab, t, map[string]any{"kind": LabAgent})
	g.node(ProvLabAgent(holder), ProvAgent, ProvTypeLabAgent, holder, t, nil)
	g.edge(ProvLabAgent(holder), ActedOnBehalfOf, ProvLab(lab), t)
	return g
}

func resultAttributes(r *Result) map[string]any {
	if r == nil {
		return nil
	}
	a := map[string]any{"objectives": r.Objectives}
	if len(r.Noise) > 0 {
		a["noise"] = r.Noise
	}
	return a
}

// LineageStep returns the edges that leave the given nodes in a direction:
// for Upstream those whose From is among ids, for Downstream those whose To
// is. Stores implement it with one indexed query per batch.
type LineageStep func(ctx context.Context, ids []string) ([]ProvEdge, error)

// WalkLineage answers a normalized lineage query breadth first, one step
// per depth, so a store needs no recursive query: it stops at the depth at
// which the page is full. A node is reported at its least depth; a cycle,
// which an external report could make, ends where it closes.
func WalkLineage(ctx context.Context, q LineageQuery, step LineageStep, nodes func(ctx context.Context, ids []string) (map[string]ProvNode, error)) (*Lineage, error) {
	afterDepth, afterID := -1, ""
	if q.After != "" {
		afterDepth, afterID, _ = ParseLineageCursor(q.After)
	}
	after := func(depth int, id string) bool {
		return depth > afterDepth || depth == afterDepth && id > afterID
	}
	type reach struct {
		depth int
		edges []ProvEdge
	}
	seen := map[string]*reach{q.ID: {depth: 0}}
	frontier := []string{q.ID}
	var page []string // IDs past the cursor, in (depth, ID) order
	more := false
	for depth := 1; depth <= q.Depth && len(frontier) > 0; depth++ {
		edges, err := step(ctx, frontier)
		if err != nil {
			return nil, err
		}
		var next []string
		for _, e := range edges {
			far := e.To
			if q.Direction == Downstream {
				far = e.From
			}
			r, ok := seen[far]
			if !ok {
				r = &reach{depth: depth}
				seen[far] = r
				next = append(next, far)
			}
			if r.depth == depth {
				r.edges = append(r.edges, e)
			}
		}
		slices.Sort(next)
		frontier = next
		for _, id := range next {
			if after(depth, id) {
				page = append(page, id)
			}
		}
		if len(page) > q.Limit {
			more = true
			break
		}
	}
	if !more && len(page) == q.Limit && len(frontier) > 0 && q.Depth > seen[frontier[0]].depth {
		// The page is exactly full: there is a next page if the walk
		// would go on.
		more = true
	}
	if len(page) > q.Limit {
		page = page[:q.Limit]
	}
	found, err := nodes(ctx, append([]string{q.ID}, page...))
	if err != nil {
		return nil, err
	}
	root, ok := found[q.ID]
	if !ok {
		return nil, Errorf(ENOTFOUND, "provenance node %q not found", q.ID)
	}
	out := &Lineage{Root: root, Nodes: make([]LineageNode, 0, len(page))}
	for _, id := range page {
		r := seen[id]
		n, ok := found[id]
		if !ok {
			// An edge to a node that was never recorded, such as one
			// recorded before provenance was: show its ID alone.
			n = ProvNode{ID: id}
		}
		out.Nodes = append(out.Nodes, LineageNode{ProvNode: n, Depth: r.depth})
		out.Edges = append(out.Edges, r.edges...)
	}
	if more && len(page) > 0 {
		last := page[len(page)-1]
		out.Next = LineageCursor(seen[last].depth, last)
	}
	return out, nil
}
