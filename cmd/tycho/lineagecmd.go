package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"tycho"
	tychohttp "tycho/http"
	"tycho/openlineage"
)

type lineageCommand struct {
	stdout, stderr io.Writer
}

const lineageUsage = `Usage:
  tycho lineage ID [--up|--down] [--depth N] [--limit N] [--all] [--json]
                                  what ID came from (--up, the default) or what came from it
  tycho lineage ingest FILE       record OpenLineage RunEvents (a JSON object, array or JSON lines)

ID is a provenance ID (campaign/ID, experiment/ID, result/ID, fit/CAMPAIGN/N,
model/CAMPAIGN/N, dataset/PROJECT/NAME@N, ...), or an experiment ID, a
campaign ID or name, or a dataset version NAME@N of the default project.
`

func (c *lineageCommand) Run(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "ingest" {
		return c.ingest(ctx, args[1:])
	}
	fs := newFlagSet("lineage", "lineage ID [flags]", c.stderr)
	fs.Usage = func() {
		fmt.Fprint(c.stderr, lineageUsage, "\nFlags:\n")
		fs.PrintDefaults()
	}
	w := whereFlags(fs)
	up := fs.Bool("up", false, "walk to what the node came from (the default)")
	down := fs.Bool("down", false, "walk to what came from the node")
	depth := fs.Int("depth", tycho.DefaultLineageDepth, fmt.Sprintf("how many edges to walk, 1 to %d", tycho.MaxLineageDepth))
	limit := fs.Int("limit", tycho.DefaultLineageLimit, "nodes per page")
	all := fs.Bool("all", false, "print every page, not just the first")
	asJSON := fs.Bool("json", false, "print the lineage as JSON")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		fs.Usage()
		return errUsage
	}
	if *up && *down {
		return tycho.Errorf(tycho.EINVALID, "give --up or --down, not both")
	}
	q := tycho.LineageQuery{ID: rest[0], Direction: tycho.Upstream, Depth: *depth, Limit: *limit}
	if *down {
		q.Direction = tycho.Downstream
	}
	store, err := w.open(ctx, false)
	if err != nil {
		return err
	}
	defer store.Close()
	prov := store.(tycho.ProvenanceService)
	if q.ID, err = resolveProvID(ctx, store, prov, q.ID); err != nil {
		return err
	}
	var pages []*tycho.Lineage
	for {
		l, err := prov.Lineage(ctx, q)
		if err != nil {
			return err
		}
		pages = append(pages, l)
		if l.Next == "" || !*all {
			break
		}
		q.After = l.Next
	}
	if *asJSON {
		out := *pages[0]
		for _, p := range pages[1:] {
			out.Nodes, out.Edges = append(out.Nodes, p.Nodes...), append(out.Edges, p.Edges...)
		}
		out.Next = pages[len(pages)-1].Next
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	root := pages[0].Root
	fmt.Fprintf(c.stdout, "%s  %s %s  %s\n", root.ID, root.Kind, root.Type, root.Label)
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEPTH\tRELATION\tNODE\tKIND\tLABEL")
	for _, l := range pages {
		via := make(map[string][]string)
		for _, e := range l.Edges {
			far, near := e.To, e.From
			if q.Direction == tycho.Downstream {
				far, near = e.From, e.To
			}
			via[far] = append(via[far], fmt.Sprintf("%s %s", e.Relation, near))
		}
		for _, n := range l.Nodes {
			kind := strings.TrimSpace(string(n.Kind) + " " + n.Type)
			if kind == "" {
				kind = "(not recorded)"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", n.Depth, strings.Join(via[n.ID], ", "), n.ID, kind, n.Label)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if next := pages[len(pages)-1].Next; next != "" {
		fmt.Fprintf(c.stdout, "more: --all prints every page\n")
	}
	return nil
}

// resolveProvID turns what a user typed into a provenance ID: one that
// exists as given, else an experiment, campaign or dataset version.
func resolveProvID(ctx context.Context, store tycho.Store, prov tycho.ProvenanceService, id string) (string, error) {
	if _, err := prov.FindProvNode(ctx, id); err == nil {
		return id, nil
	} else if tycho.ErrorCode(err) != tycho.ENOTFOUND && tycho.ErrorCode(err) != tycho.EINVALID {
		return "", err
	}
	var candidates []string
	if name, ver, ok := strings.Cut(id, "@"); ok {
		if ds, ok := store.(tycho.DatasetService); ok && !strings.Contains(name, "/") {
			if v, err := ds.FindVersion(ctx, tycho.DefaultProject, name, ver); err == nil {
				candidates = append(candidates, tycho.ProvDataset(v.Project, v.Dataset, v.Number))
			}
		}
	} else if !strings.Contains(id, "/") {
		candidates = append(candidates, tycho.ProvExperiment(id), tycho.ProvProposal(id))
		if c, err := store.FindCampaign(ctx, id); err == nil {
			candidates = append(candidates, tycho.ProvCampaign(c.ID))
		}
	}
	for _, c := range candidates {
		if _, err := prov.FindProvNode(ctx, c); err == nil {
			return c, nil
		}
	}
	return "", tycho.Errorf(tycho.ENOTFOUND, "nothing in the provenance graph is called %q (tycho lineage -h lists the forms of ID)", id)
}

// ingest records the OpenLineage events of a file.
func (c *lineageCommand) ingest(ctx context.Context, args []string) error {
	fs := newFlagSet("lineage ingest", "lineage ingest FILE [flags]", c.stderr)
	w := whereFlags(fs)
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		fs.Usage()
		return errUsage
	}
	f, err := os.Open(rest[0])
	if err != nil {
		return err
	}
	defer f.Close()
	events, err := openlineage.ReadEvents(rest[0], f)
	if err != nil {
		return err
	}
	store, err := w.open(ctx, true)
	if err != nil {
		return err
	}
	defer store.Close()
	prov := store.(tycho.ProvenanceService)
	for i, ev := range events {
		if err := prov.RecordProvenance(ctx, ev.Provenance()); err != nil {
			return fmt.Errorf("%s: event %d (run %s): %w", rest[0], i+1, ev.Run.RunID, err)
		}
	}
	fmt.Fprintf(c.stdout, "recorded %d OpenLineage events from %s\n", len(events), rest[0])
	return nil
}

var _ tycho.ProvenanceService = (*tychohttp.Client)(nil)
