package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"tycho"
)

// exportCommand is "tycho export": a campaign's experiments as CSV or JSON.
type exportCommand struct {
	stdout, stderr io.Writer
}

func (c *exportCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("export", "export [--data DIR] [--format csv|json] [-o FILE] CAMPAIGN", c.stderr)
	dataDir := dataFlag(fs)
	format := fs.String("format", "csv", "output format: csv or json")
	out := fs.String("o", "", "write to FILE instead of standard output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	if *format != "csv" && *format != "json" {
		return tycho.Errorf(tycho.EINVALID, "unknown format %q: want csv or json", *format)
	}
	store, camp, exps, err := loadCampaign(ctx, *dataDir, fs.Arg(0))
	if err != nil {
		return err
	}
	defer store.Close()
	w := c.stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("create export file: %w", err)
		}
		defer f.Close()
		w = f
	}
	if *format == "json" {
		err = exportJSON(w, camp, exps)
	} else {
		err = exportCSV(w, camp, exps)
	}
	if err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok && *out != "" {
		return f.Close()
	}
	return nil
}

// exportCSV writes one row per experiment: identity and state, then a
// column per parameter, per objective, and the error.
func exportCSV(w io.Writer, camp *tycho.Campaign, exps []*tycho.Experiment) error {
	s := &camp.Spec
	cw := csv.NewWriter(w)
	head := []string{"seq", "id", "generation", "state", "attempt"}
	for _, p := range s.Parameters {
		head = append(head, p.Name)
	}
	for _, o := range s.Objectives {
		head = append(head, o.Name)
	}
	head = append(head, "error", "created_at", "finished_at")
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, e := range exps {
		row := []string{strconv.Itoa(e.Seq), e.ID, strconv.Itoa(e.Generation), string(e.State), strconv.Itoa(e.Attempt)}
		for _, p := range s.Parameters {
			row = append(row, exactValue(e.Params[p.Name]))
		}
		for _, o := range s.Objectives {
			v := ""
			if e.Result != nil {
				if x, ok := e.Result.Objectives[o.Name]; ok {
					v = strconv.FormatFloat(x, 'g', -1, 64)
				}
			}
			row = append(row, v)
		}
		row = append(row, e.Error, timeString(e.CreatedAt), timeString(e.FinishedAt))
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// exportDoc is the JSON export: the campaign and its experiments.
type exportDoc struct {
	Campaign    exportCampaign     `json:"campaign"`
	Experiments []exportExperiment `json:"experiments"`
}

type exportCampaign struct {
	ID         string     `json:"id"`
	Status     string     `json:"status"`
	StopReason string     `json:"stop_reason,omitempty"`
	Spec       tycho.Spec `json:"spec"`
	CreatedAt  time.Time  `json:"created_at"`
	ElapsedSec float64    `json:"elapsed_seconds"`
}

type exportExperiment struct {
	ID         string             `json:"id"`
	Seq        int                `json:"seq"`
	Generation int                `json:"generation"`
	State      string             `json:"state"`
	Attempt    int                `json:"attempt"`
	Parameters tycho.Params       `json:"parameters"`
	Results    map[string]float64 `json:"results,omitempty"`
	Noise      map[string]float64 `json:"noise,omitempty"`
	Metadata   map[string]any     `json:"metadata,omitempty"`
	Error      string             `json:"error,omitempty"`
	CreatedAt  time.Time          `json:"created_at"`
	StartedAt  *time.Time         `json:"started_at,omitempty"`
	FinishedAt *time.Time         `json:"finished_at,omitempty"`
}

func exportJSON(w io.Writer, camp *tycho.Campaign, exps []*tycho.Experiment) error {
	doc := exportDoc{
		Campaign: exportCampaign{
			ID: camp.ID, Status: string(camp.Status), StopReason: camp.StopReason,
			Spec: camp.Spec, CreatedAt: camp.CreatedAt, ElapsedSec: camp.Elapsed.Seconds(),
		},
		Experiments: make([]exportExperiment, 0, len(exps)),
	}
	for _, e := range exps {
		x := exportExperiment{
			ID: e.ID, Seq: e.Seq, Generation: e.Generation, State: string(e.State), Attempt: e.Attempt,
			Parameters: e.Params, Error: e.Error, CreatedAt: e.CreatedAt,
			StartedAt: optTime(e.StartedAt), FinishedAt: optTime(e.FinishedAt),
		}
		if e.Result != nil {
			x.Results, x.Noise, x.Metadata = e.Result.Objectives, e.Result.Noise, e.Result.Metadata
		}
		doc.Experiments = append(doc.Experiments, x)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// exactValue prints a parameter value so that it parses back exactly.
func exactValue(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return formatValue(v)
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
