package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"tycho"
)

// modelCardCommand is "tycho model-card": which data trained a campaign's
// models and which experiments they produced, from the provenance graph.
type modelCardCommand struct {
	stdout, stderr io.Writer
}

// A modelCard discloses what trained a campaign's models.
type modelCard struct {
	Campaign string `json:"campaign"`
	Name     string `json:"name"`
	Strategy string `json:"strategy"`
	// Models counts the fits that produced a model.
	Models int `json:"models"`
	// Datasets are the dataset versions the campaign's models were trained
	// on, directly or as the campaign's prior data.
	Datasets []cardDataset `json:"datasets"`
	// Trained lists the experiments whose results some fit used, by ID.
	Trained []string `json:"trained_on_experiments"`
	// Produced lists the experiments the models proposed.
	Produced []cardExperiment `json:"produced_experiments"`
}

type cardDataset struct {
	ID     string `json:"id"`
	Ref    string `json:"ref"`
	Digest string `json:"digest"`
	Title  string `json:"title,omitempty"`
}

type cardExperiment struct {
	ID         string             `json:"id"`
	Seq        int                `json:"seq"`
	Generation int                `json:"generation"`
	State      string             `json:"state"`
	Params     tycho.Params       `json:"params"`
	Objectives map[string]float64 `json:"objectives,omitempty"`
}

func (c *modelCardCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("model-card", "model-card [--json] CAMPAIGN", c.stderr)
	where := whereFlags(fs)
	asJSON := fs.Bool("json", false, "print the card as JSON")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		fs.Usage()
		return errUsage
	}
	store, camp, exps, err := loadCampaign(ctx, where, rest[0])
	if err != nil {
		return err
	}
	defer store.Close()
	card, err := buildModelCard(ctx, store, store.(tycho.ProvenanceService), camp, exps)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(card)
	}
	return card.write(c.stdout, &camp.Spec, exps)
}

// buildModelCard reads, for each fit of the campaign, what it used: the
// previous model, results, and (through the campaign) dataset versions.
func buildModelCard(ctx context.Context, store tycho.Store, prov tycho.ProvenanceService, camp *tycho.Campaign, exps []*tycho.Experiment) (*modelCard, error) {
	card := &modelCard{Campaign: camp.ID, Name: camp.Spec.Name, Strategy: camp.Spec.Strategy}
	gens, err := store.ListGenerations(ctx, camp.ID)
	if err != nil {
		return nil, err
	}
	datasets := map[string]bool{}
	trained := map[string]bool{}
	used := func(id string) error {
		q := tycho.LineageQuery{ID: id, Direction: tycho.Upstream, Depth: 1, Limit: tycho.MaxLineageLimit}
		for {
			l, err := prov.Lineage(ctx, q)
			if tycho.ErrorCode(err) == tycho.ENOTFOUND {
				return nil // recorded before provenance was
			} else if err != nil {
				return err
			}
			for _, n := range l.Nodes {
				switch {
				case n.Type == tycho.ProvTypeDatasetVersion || strings.HasPrefix(n.ID, "dataset/"):
					datasets[n.ID] = true
				case n.Type == tycho.ProvTypeResult:
					trained[strings.TrimPrefix(n.ID, "result/")] = true
				}
			}
			if l.Next == "" {
				return nil
			}
			q.After = l.Next
		}
	}
	if err := used(tycho.ProvCampaign(camp.ID)); err != nil {
		return nil, err
	}
	for _, g := range gens {
		if g.FitsModel() {
			card.Models++
		}
		if err := used(tycho.ProvFit(camp.ID, g.Index)); err != nil {
			return nil, err
		}
	}
	for _, id := range slices.Sorted(maps.Keys(datasets)) {
		d := cardDataset{ID: id, Ref: strings.TrimPrefix(id, "dataset/")}
		if n, err := prov.FindProvNode(ctx, id); err == nil {
			d.Digest, _ = n.Attributes["digest"].(string)
			d.Title, _ = n.Attributes["title"].(string)
		}
		card.Datasets = append(card.Datasets, d)
	}
	fits := map[int]bool{}
	for _, g := range gens {
		fits[g.Index] = g.FitsModel()
	}
	for _, e := range exps {
		if trained[e.ID] {
			card.Trained = append(card.Trained, e.ID)
		}
		if fits[e.Generation] {
			ce := cardExperiment{ID: e.ID, Seq: e.Seq, Generation: e.Generation, State: string(e.State), Params: e.Params}
			if e.Result != nil {
				ce.Objectives = e.Result.Objectives
			}
			card.Produced = append(card.Produced, ce)
		}
	}
	return card, nil
}

func (card *modelCard) write(w io.Writer, s *tycho.Spec, exps []*tycho.Experiment) error {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("# Model card: %s (%s)\n\n", card.Name, card.Campaign)
	p("Strategy %s; %d model fits.\n\n", card.Strategy, card.Models)
	p("## Training data\n\n")
	if len(card.Datasets) == 0 {
		p("No dataset versions: the models learnt only from the campaign's own experiments.\n")
	}
	for _, d := range card.Datasets {
		p("- %s  %s", d.Ref, d.Digest)
		if d.Title != "" {
			p("  %q", d.Title)
		}
		p("\n")
	}
	p("\n%d experiment results trained the models.\n\n", len(card.Trained))
	p("## Experiments the models produced (%d)\n\n", len(card.Produced))
	byID := make(map[string]*tycho.Experiment, len(exps))
	for _, e := range exps {
		byID[e.ID] = e
	}
	for _, ce := range card.Produced {
		e := byID[ce.ID]
		p("- #%d %s gen %d %s  %s", ce.Seq, ce.ID, ce.Generation, ce.State, formatParams(s, e.Params))
		for _, o := range s.Objectives {
			if v, ok := ce.Objectives[o.Name]; ok {
				p("  %s=%.6g", o.Name, v)
			}
		}
		p("\n")
	}
	return nil
}
