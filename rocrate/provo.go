package rocrate

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/url"

	"tycho"
	"tycho/internal/storejson"
)

// provClass is the PROV-O class of each kind of node.
var provClass = map[tycho.ProvKind]string{
	tycho.ProvEntity:   "prov:Entity",
	tycho.ProvActivity: "prov:Activity",
	tycho.ProvAgent:    "prov:Agent",
}

// qualified says how PROV-O qualifies each relation: the property that
// holds the qualification, its class, the property that names the
// influencer, and where its time goes. PROV-O gives a time (prov:atTime)
// only to usages and generations; the others carry tycho:time.
var qualified = map[tycho.ProvRelation]struct{ property, class, influencer, time string }{
	tycho.Used:              {"prov:qualifiedUsage", "prov:Usage", "prov:entity", "prov:atTime"},
	tycho.WasGeneratedBy:    {"prov:qualifiedGeneration", "prov:Generation", "prov:activity", "prov:atTime"},
	tycho.WasInformedBy:     {"prov:qualifiedCommunication", "prov:Communication", "prov:activity", "tycho:time"},
	tycho.WasDerivedFrom:    {"prov:qualifiedDerivation", "prov:Derivation", "prov:entity", "tycho:time"},
	tycho.WasAssociatedWith: {"prov:qualifiedAssociation", "prov:Association", "prov:agent", "tycho:time"},
	tycho.ActedOnBehalfOf:   {"prov:qualifiedDelegation", "prov:Delegation", "prov:agent", "tycho:time"},
}

// WriteProvO writes a provenance graph, given a page at a time, as one
// PROV-O JSON-LD document, holding one page in memory at a time.
//
// Each node is a resource with IRI urn:tycho:ID, typed with its PROV class
// and its Tycho type (tycho:Experiment, …), labelled (rdfs:label), timed
// (prov:generatedAtTime for an entity, prov:startedAtTime for an activity,
// tycho:time for an agent) and carrying its ID (tycho:id) and its
// attributes as a JSON literal (tycho:attributes). Each edge is the PROV-O
// property on the node it leaves (prov:used, prov:wasGeneratedBy, …) and,
// to keep its time, the matching qualified influence (prov:qualifiedUsage
// with a prov:Usage, …).
func WriteProvO(w io.Writer, pages iter.Seq2[*tycho.ProvGraph, error]) error {
	bw := bufio.NewWriter(w)
	context := map[string]any{
		"@version": 1.1,
		"prov":     "http://www.w3.org/ns/prov#",
		"xsd":      "http://www.w3.org/2001/XMLSchema#",
		"rdfs":     "http://www.w3.org/2000/01/rdf-schema#",
		"tycho":    tychoTerms,
	}
	head, err := json.Marshal(context)
	if err != nil {
		return err
	}
	fmt.Fprintf(bw, "{\"@context\": %s,\n\"@graph\": [", head)
	first := true
	for g, err := range pages {
		if err != nil {
			return err
		}
		for _, o := range provObjects(g) {
			b, err := json.Marshal(o)
			if err != nil {
				return fmt.Errorf("encode provenance node %v: %w", o["tycho:id"], err)
			}
			if !first {
				bw.WriteByte(',')
			}
			first = false
			bw.WriteString("\n")
			bw.Write(b)
		}
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}

// provObjects returns the JSON-LD node objects of a page: one per node
// with the edges that leave it, and one per other node that edges leave.
func provObjects(g *tycho.ProvGraph) []map[string]any {
	var out []map[string]any
	byID := map[string]map[string]any{}
	for _, n := range g.Nodes {
		o := map[string]any{"@id": provIRI(n.ID), "tycho:id": n.ID}
		types := []string{}
		if c, ok := provClass[n.Kind]; ok {
			types = append(types, c)
		}
		if n.Type != "" {
			types = append(types, "tycho:"+url.PathEscape(n.Type))
		}
		o["@type"] = types
		if n.Label != "" {
			o["rdfs:label"] = n.Label
		}
		if !n.Time.IsZero() {
			key := "tycho:time"
			switch n.Kind {
			case tycho.ProvEntity:
				key = "prov:generatedAtTime"
			case tycho.ProvActivity:
				key = "prov:startedAtTime"
			}
			o[key] = xsdDateTime(n)
		}
		if n.Attributes != nil {
			o["tycho:attributes"] = map[string]any{"@type": "@json", "@value": storejson.Finite(n.Attributes)}
		}
		byID[n.ID] = o
		out = append(out, o)
	}
	for _, e := range g.Edges {
		o, ok := byID[e.From]
		if !ok {
			o = map[string]any{"@id": provIRI(e.From), "tycho:id": e.From}
			byID[e.From] = o
			out = append(out, o)
		}
		to := ref(provIRI(e.To))
		rel := "prov:" + string(e.Relation)
		o[rel] = appendAny(o[rel], to)
		q, ok := qualified[e.Relation]
		if !ok {
			continue
		}
		inf := map[string]any{"@type": q.class, q.influencer: to}
		if !e.Time.IsZero() {
			inf[q.time] = map[string]any{"@value": dateTime(e.Time), "@type": "xsd:dateTime"}
		}
		o[q.property] = appendAny(o[q.property], inf)
	}
	return out
}

func xsdDateTime(n tycho.ProvNode) map[string]any {
	return map[string]any{"@value": dateTime(n.Time), "@type": "xsd:dateTime"}
}

func appendAny(list any, v map[string]any) []map[string]any {
	l, _ := list.([]map[string]any)
	return append(l, v)
}
