package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"tycho"
)

// ProvenanceStore is a store that records provenance as it records
// campaigns, experiments and leases.
type ProvenanceStore interface {
	tycho.Store
	tycho.ProvenanceService
}

// RunProvenance runs the conformance suite of tycho.ProvenanceService,
// and checks that the store records the provenance of what it stores.
func RunProvenance(t *testing.T, open func(t *testing.T) ProvenanceStore) {
	tests := []struct {
		name string
		f    func(*testing.T, ProvenanceStore)
	}{
		{"RecordIsIdempotent", testRecordIdempotent},
		{"ErrBadGraph", testBadGraph},
		{"LineageUpAndDown", testLineageUpDown},
		{"LineagePages", testLineagePages},
		{"LineageCycle", testLineageCycle},
		{"ListProvenance", testListProvenance},
		{"CampaignProvenance", testCampaignProvenance},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, open(t)) })
	}
}

func mustRecord(t *testing.T, s tycho.ProvenanceService, g *tycho.ProvGraph) {
	t.Helper()
	if err := s.RecordProvenance(ctx, g); err != nil {
		t.Fatalf("record provenance: %v", err)
	}
}

func mustLineage(t *testing.T, s tycho.ProvenanceService, q tycho.LineageQuery) *tycho.Lineage {
	t.Helper()
	l, err := s.Lineage(ctx, q)
	if err != nil {
		t.Fatalf("lineage %+v: %v", q, err)
	}
	return l
}

// nodeIDs returns the IDs of a lineage's nodes, as "ID@DEPTH".
func nodeIDs(l *tycho.Lineage) []string {
	var out []string
	for _, n := range l.Nodes {
		out = append(out, fmt.Sprintf("%s@%d", n.ID, n.Depth))
	}
	return out
}

// chainGraph is d0 ← a1 ← d1 ← a2 ← d2 …: entity d(i) wasGeneratedBy
// activity a(i), which used d(i-1); n activities.
func chainGraph(n int) *tycho.ProvGraph {
	g := &tycho.ProvGraph{Nodes: []tycho.ProvNode{{ID: "d/0", Kind: tycho.ProvEntity, Type: "Data", Time: t0}}}
	for i := 1; i <= n; i++ {
		d, a := fmt.Sprintf("d/%d", i), fmt.Sprintf("a/%d", i)
		g.Nodes = append(g.Nodes,
			tycho.ProvNode{ID: a, Kind: tycho.ProvActivity, Type: "Step", Label: "step", Time: t0},
			tycho.ProvNode{ID: d, Kind: tycho.ProvEntity, Type: "Data", Time: t0})
		g.Edges = append(g.Edges,
			tycho.ProvEdge{From: d, Relation: tycho.WasGeneratedBy, To: a, Time: t0},
			tycho.ProvEdge{From: a, Relation: tycho.Used, To: fmt.Sprintf("d/%d", i-1), Time: t0})
	}
	return g
}

func testRecordIdempotent(t *testing.T, s ProvenanceStore) {
	g := chainGraph(2)
	g.Nodes[0].Attributes = map[string]any{"digest": "sha256:ab", "size": 12.0, "tags": []any{"a", "b"}}
	mustRecord(t, s, g)
	// Again, with a changed label: recorded nodes do not change.
	again := chainGraph(2)
	again.Nodes[0].Label = "changed"
	mustRecord(t, s, again)
	n, err := s.FindProvNode(ctx, "d/0")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "node", n, &g.Nodes[0])
	_, err = s.FindProvNode(ctx, "nope")
	wantCode(t, "find a node never recorded", err, tycho.ENOTFOUND)
	l := mustLineage(t, s, tycho.LineageQuery{ID: "d/2", Depth: 10})
	if len(l.Edges) != 4 {
		t.Errorf("recorded twice, lineage has %d edges, want 4: %+v", len(l.Edges), l.Edges)
	}
}

func testBadGraph(t *testing.T, s ProvenanceStore) {
	mustRecord(t, s, chainGraph(1))
	bad := map[string]*tycho.ProvGraph{
		"edge to a node neither recorded nor given": {Edges: []tycho.ProvEdge{{From: "d/1", Relation: tycho.WasDerivedFrom, To: "ghost"}}},
		"unknown relation":                          {Edges: []tycho.ProvEdge{{From: "d/1", Relation: "wasEatenBy", To: "d/0"}}},
		"entity used an entity":                     {Edges: []tycho.ProvEdge{{From: "x", Relation: tycho.Used, To: "d/0"}}, Nodes: []tycho.ProvNode{{ID: "x", Kind: tycho.ProvEntity}}},
		"unknown kind":                              {Nodes: []tycho.ProvNode{{ID: "x", Kind: "thing"}}},
		"ID with a space":                           {Nodes: []tycho.ProvNode{{ID: "x y", Kind: tycho.ProvAgent}}},
		"self loop":                                 {Edges: []tycho.ProvEdge{{From: "d/1", Relation: tycho.WasDerivedFrom, To: "d/1"}}},
		"good node, bad edge":                       {Nodes: []tycho.ProvNode{{ID: "fresh", Kind: tycho.ProvEntity}}, Edges: []tycho.ProvEdge{{From: "fresh", Relation: tycho.WasDerivedFrom, To: "ghost"}}},
	}
	for what, g := range bad {
		wantCode(t, what, s.RecordProvenance(ctx, g), tycho.EINVALID)
	}
	_, err := s.FindProvNode(ctx, "fresh")
	wantCode(t, "a node of a refused graph", err, tycho.ENOTFOUND)
	for _, q := range []tycho.LineageQuery{
		{ID: "d/1", Depth: -1}, {ID: "d/1", Depth: tycho.MaxLineageDepth + 1}, {ID: "d/1", Direction: "sideways"},
		{ID: "d/1", Limit: -5}, {ID: "d/1", After: "x"}, {ID: ""},
	} {
		_, err := s.Lineage(ctx, q)
		wantCode(t, fmt.Sprintf("lineage %+v", q), err, tycho.EINVALID)
	}
	_, err = s.Lineage(ctx, tycho.LineageQuery{ID: "ghost"})
	wantCode(t, "lineage of a node never recorded", err, tycho.ENOTFOUND)
}

func testLineageUpDown(t *testing.T, s ProvenanceStore) {
	mustRecord(t, s, chainGraph(3))
	up := mustLineage(t, s, tycho.LineageQuery{ID: "d/3", Direction: tycho.Upstream, Depth: 3})
	same(t, "up from d/3, depth 3", nodeIDs(up), []string{"a/3@1", "d/2@2", "a/2@3"})
	if up.Root.ID != "d/3" || up.Next != "" {
		t.Errorf("root %s, next %q", up.Root.ID, up.Next)
	}
	same(t, "edges up", up.Edges, []tycho.ProvEdge{
		{From: "d/3", Relation: tycho.WasGeneratedBy, To: "a/3", Time: t0},
		{From: "a/3", Relation: tycho.Used, To: "d/2", Time: t0},
		{From: "d/2", Relation: tycho.WasGeneratedBy, To: "a/2", Time: t0},
	})
	down := mustLineage(t, s, tycho.LineageQuery{ID: "d/1", Direction: tycho.Downstream, Depth: 10})
	same(t, "down from d/1", nodeIDs(down), []string{"a/2@1", "d/2@2", "a/3@3", "d/3@4"})
	all := mustLineage(t, s, tycho.LineageQuery{ID: "d/3"})
	if len(all.Nodes) != tycho.DefaultLineageDepth {
		t.Errorf("default depth: %v", nodeIDs(all))
	}
}

// testLineagePages checks that pages of a wide, deep graph add up to the
// one-page answer, in order, without repeats.
func testLineagePages(t *testing.T, s ProvenanceStore) {
	g := &tycho.ProvGraph{Nodes: []tycho.ProvNode{{ID: "root", Kind: tycho.ProvEntity}}}
	// root was derived from 12 entities, each derived from 3 more.
	for i := range 12 {
		p := fmt.Sprintf("p/%02d", i)
		g.Nodes = append(g.Nodes, tycho.ProvNode{ID: p, Kind: tycho.ProvEntity})
		g.Edges = append(g.Edges, tycho.ProvEdge{From: "root", Relation: tycho.WasDerivedFrom, To: p})
		for j := range 3 {
			q := fmt.Sprintf("q/%02d/%d", i, j)
			g.Nodes = append(g.Nodes, tycho.ProvNode{ID: q, Kind: tycho.ProvEntity})
			g.Edges = append(g.Edges, tycho.ProvEdge{From: p, Relation: tycho.WasDerivedFrom, To: q})
		}
	}
	mustRecord(t, s, g)
	whole := mustLineage(t, s, tycho.LineageQuery{ID: "root", Depth: 2, Limit: 1000})
	if len(whole.Nodes) != 48 || whole.Next != "" {
		t.Fatalf("one page: %d nodes, next %q", len(whole.Nodes), whole.Next)
	}
	for _, limit := range []int{1, 5, 12, 13, 47, 48} {
		var got []string
		var edges int
		q := tycho.LineageQuery{ID: "root", Depth: 2, Limit: limit}
		for pages := 0; ; pages++ {
			if pages > 60 {
				t.Fatalf("limit %d: more than 60 pages", limit)
			}
			l := mustLineage(t, s, q)
			if len(l.Nodes) > limit {
				t.Fatalf("limit %d: a page of %d", limit, len(l.Nodes))
			}
			got = append(got, nodeIDs(l)...)
			edges += len(l.Edges)
			if l.Next == "" {
				break
			}
			q.After = l.Next
		}
		same(t, fmt.Sprintf("pages of %d", limit), got, nodeIDs(whole))
		if edges != 48 {
			t.Errorf("limit %d: %d edges over all pages, want 48", limit, edges)
		}
	}
	shallow := mustLineage(t, s, tycho.LineageQuery{ID: "root", Depth: 1, Limit: 1000})
	if len(shallow.Nodes) != 12 || !slices.IsSortedFunc(shallow.Nodes, func(a, b tycho.LineageNode) int {
		return compareStrings(a.ID, b.ID)
	}) {
		t.Errorf("depth 1: %v", nodeIDs(shallow))
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testLineageCycle(t *testing.T, s ProvenanceStore) {
	// An external report may close a cycle; a walk must still end.
	g := &tycho.ProvGraph{
		Nodes: []tycho.ProvNode{{ID: "x", Kind: tycho.ProvEntity}, {ID: "y", Kind: tycho.ProvEntity}, {ID: "z", Kind: tycho.ProvEntity}},
		Edges: []tycho.ProvEdge{
			{From: "x", Relation: tycho.WasDerivedFrom, To: "y"},
			{From: "y", Relation: tycho.WasDerivedFrom, To: "z"},
			{From: "z", Relation: tycho.WasDerivedFrom, To: "x"},
		},
	}
	mustRecord(t, s, g)
	l := mustLineage(t, s, tycho.LineageQuery{ID: "x", Depth: tycho.MaxLineageDepth})
	same(t, "cycle", nodeIDs(l), []string{"y@1", "z@2"})
}

func testListProvenance(t *testing.T, s ProvenanceStore) {
	g := chainGraph(5)
	mustRecord(t, s, g)
	var nodes []string
	edges := 0
	after := ""
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("more than 20 pages")
		}
		p, next, err := s.ListProvenance(ctx, after, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range p.Nodes {
			nodes = append(nodes, n.ID)
		}
		edges += len(p.Edges)
		if next == "" {
			break
		}
		after = next
	}
	var want []string
	for _, n := range g.Nodes {
		want = append(want, n.ID)
	}
	slices.Sort(want)
	same(t, "listed nodes", nodes, want)
	if edges != len(g.Edges) {
		t.Errorf("listed %d edges, want %d", edges, len(g.Edges))
	}
	_, _, err := s.ListProvenance(ctx, "", 0)
	wantCode(t, "page size 0", err, tycho.EINVALID)
}

// testCampaignProvenance runs a small campaign through the store and
// checks the graph it records: which results each fit used, what each
// result came from, who ran it.
func testCampaignProvenance(t *testing.T, s ProvenanceStore) {
	c := newCampaign("c-p", t0)
	c.Spec.Lab = tycho.LabSpec{Kind: tycho.LabAgent, Name: "reactor"}
	mustCreate(t, s, c)
	gen := func(idx int, used []string, n int) []*tycho.Experiment {
		t.Helper()
		exps := proposal(n, fmt.Sprintf("p%d", idx))
		g := &tycho.Generation{CampaignID: "c-p", Index: idx, Strategy: "gp", Seed: 7, CreatedAt: t0.Add(time.Duration(idx) * time.Minute),
			Used: used, Model: map[string]any{"lengthscale": 0.5}}
		if err := s.AddGeneration(ctx, g, exps); err != nil {
			t.Fatal(err)
		}
		return exps
	}
	g1 := gen(1, nil, 2)
	// One result through a lease, one in process.
	ls := lease(t, s, "reactor", "robot-1", 1, time.Minute)
	if _, err := s.CompleteLeased(ctx, ls[0].ID, ls[0].Lease.Token, result(1)); err != nil {
		t.Fatal(err)
	}
	other := g1[0].ID
	if other == ls[0].ID {
		other = g1[1].ID
	}
	e := mustStart(t, s, other)
	if err := s.CompleteExperiment(ctx, other, e.Attempt, result(2)); err != nil {
		t.Fatal(err)
	}
	gen(2, []string{g1[0].ID, g1[1].ID}, 1)
	gen(3, []string{g1[0].ID, g1[1].ID}, 1) // the same results again: not recorded again

	up := func(id string, depth int) []string {
		t.Helper()
		var out []string
		for _, n := range mustLineage(t, s, tycho.LineageQuery{ID: id, Depth: depth, Limit: 1000}).Nodes {
			out = append(out, fmt.Sprintf("%s@%d", n.ID, n.Depth))
		}
		return out
	}
	leased := ls[0].ID
	same(t, "result up", up(tycho.ProvResult(leased), 4), []string{
		tycho.ProvExperiment(leased) + "@1",
		"agent/robot-1@2", tycho.ProvProposal(leased) + "@2",
		"fit/c-p/1@3", "lab/reactor@3",
		"campaign/c-p@4", "strategy/gp@4",
	})
	fit2 := mustLineage(t, s, tycho.LineageQuery{ID: tycho.ProvFit("c-p", 2), Depth: 1})
	same(t, "fit 2 used", nodeIDs(fit2), []string{"campaign/c-p@1", "model/c-p/1@1", tycho.ProvResult(g1[0].ID) + "@1", tycho.ProvResult(g1[1].ID) + "@1", "strategy/gp@1"})
	fit3 := mustLineage(t, s, tycho.LineageQuery{ID: tycho.ProvFit("c-p", 3), Depth: 1})
	same(t, "fit 3 used", nodeIDs(fit3), []string{"campaign/c-p@1", "model/c-p/2@1", "strategy/gp@1"})
	model3 := up(tycho.ProvModel("c-p", 3), 20)
	for _, want := range []string{tycho.ProvResult(g1[0].ID), tycho.ProvResult(g1[1].ID), "model/c-p/1"} {
		if !slices.ContainsFunc(model3, func(s string) bool { return len(s) > len(want) && s[:len(want)+1] == want+"@" }) {
			t.Errorf("model 3's ancestors lack %s: %v", want, model3)
		}
	}
	down := mustLineage(t, s, tycho.LineageQuery{ID: tycho.ProvResult(g1[0].ID), Direction: tycho.Downstream, Depth: 2})
	same(t, "what result 1 informed", nodeIDs(down), []string{"fit/c-p/2@1", "model/c-p/2@2", tycho.ProvProposal("e-p2-1") + "@2"})
	n, err := s.FindProvNode(ctx, tycho.ProvResult(leased))
	if err != nil {
		t.Fatal(err)
	}
	if n.Kind != tycho.ProvEntity || n.Type != tycho.ProvTypeResult || n.Attributes["objectives"].(map[string]any)["y"] != 1.0 {
		t.Errorf("result node: %+v", n)
	}
}
