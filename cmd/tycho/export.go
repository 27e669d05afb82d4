package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"tycho"
	"tycho/optimize"
)

// exportCommand is "tycho export": a campaign's experiments as CSV or JSON.
type exportCommand struct {
	stdout, stderr io.Writer
}

func (c *exportCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("export", "export [--data DIR] [--format csv|json] [-o FILE] CAMPAIGN", c.stderr)
	where := whereFlags(fs)
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
	store, camp, exps, err := loadCampaign(ctx, where, fs.Arg(0))
	if err != nil {
		return err
	}
	defer store.Close()
	a, err := optimize.Analyze(ctx, &camp.Spec, exps)
	if err != nil {
		return err
	}
	return writeOutput(c.stdout, *out, func(w io.Writer) error {
		if *format == "json" {
			return exportJSON(w, camp, exps, a)
		}
		return exportCSV(w, camp, exps, a)
	})
}

// writeOutput calls write on stdout or, if path is set, on a temporary
// file beside path that replaces it once complete, so that a failure
// never leaves a half-written file. A path that is not a regular file (a
// device such as /dev/null, or a pipe) is written in place, never
// replaced.
func writeOutput(stdout io.Writer, path string, write func(io.Writer) error) error {
	if path == "" {
		return write(stdout)
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return fmt.Errorf("write %s: is a directory", path)
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		bw := bufio.NewWriter(f)
		err = write(bw)
		if err == nil {
			err = bw.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer os.Remove(f.Name()) // after a successful rename, a no-op
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("create %s: %w", path, err)
	}
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// exportCSV writes one row per experiment: identity and state, then a
// column per parameter, per objective, and the error.
//
// The parameter, objective and outcome columns are named as in the spec,
// so an export can serve as another campaign's prior_data. With several
// objectives a "pareto" column marks the Pareto front.
func exportCSV(w io.Writer, camp *tycho.Campaign, exps []*tycho.Experiment, a *optimize.Analysis) error {
	s := &camp.Spec
	cw := csv.NewWriter(w)
	head := []string{"seq", "id", "generation", "state", "attempt"}
	for _, p := range s.Parameters {
		head = append(head, p.Name)
	}
	measured := measuredNames(s)
	head = append(head, measured...)
	multi := len(s.Objectives) > 1
	if multi {
		head = append(head, "pareto")
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
		for _, name := range measured {
			v := ""
			if e.Result != nil {
				if x, ok := e.Result.Objectives[name]; ok {
					v = strconv.FormatFloat(x, 'g', -1, 64)
				}
			}
			row = append(row, v)
		}
		if multi {
			row = append(row, strconv.FormatBool(slices.Contains(a.Pareto, e)))
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
	Analysis    *exportAnalysis    `json:"analysis,omitempty"`
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

func exportJSON(w io.Writer, camp *tycho.Campaign, exps []*tycho.Experiment, a *optimize.Analysis) error {
	doc := exportDoc{
		Analysis: analysisDoc(&camp.Spec, a),
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

// measuredNames returns the objectives' and outcomes' names in spec order.
func measuredNames(s *tycho.Spec) []string {
	var out []string
	for _, o := range s.Objectives {
		out = append(out, o.Name)
	}
	for _, o := range s.Outcomes {
		out = append(out, o.Name)
	}
	return out
}

// exportAnalysis is what the model and results say, in the JSON export.
type exportAnalysis struct {
	ParetoFront []int              `json:"pareto_front,omitempty"`
	Hypervolume *float64           `json:"hypervolume,omitempty"`
	Reference   map[string]float64 `json:"reference,omitempty"`
	Recommended *exportRecommended `json:"recommended,omitempty"`
}

// exportRecommended is the experiment the model rates best under noise.
type exportRecommended struct {
	Seq  int     `json:"seq"`
	Mean float64 `json:"posterior_mean"`
}

func analysisDoc(s *tycho.Spec, a *optimize.Analysis) *exportAnalysis {
	out := &exportAnalysis{}
	if len(s.Objectives) > 1 && a.Reference != nil {
		for _, e := range a.Pareto {
			out.ParetoFront = append(out.ParetoFront, e.Seq)
		}
		hv := a.Hypervolume
		out.Hypervolume = &hv
		out.Reference = map[string]float64{}
		for j, o := range s.Objectives {
			out.Reference[o.Name] = a.Reference[j]
		}
	}
	if a.Recommended != nil {
		out.Recommended = &exportRecommended{Seq: a.Recommended.Seq, Mean: a.Mean}
	}
	if out.ParetoFront == nil && out.Recommended == nil {
		return nil
	}
	return out
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
