package http

import (
	"time"
	"unicode/utf8"

	"tycho"
	"tycho/internal/storejson"
)

// The JSON shapes of the API. They are the contract of api/openapi.yaml:
// fields are snake_case, times RFC 3339 in UTC, and a time that has not
// happened is left out.

// Campaign is a campaign on the wire.
type Campaign struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Spec         tycho.Spec `json:"spec"`
	Source       string     `json:"source,omitempty"`
	SourceBase64 []byte     `json:"source_base64,omitempty"`
	SourceName   string     `json:"source_name,omitempty"`
	SourceDigest string     `json:"source_digest,omitempty"`
	Status       string     `json:"status"`
	StopReason   string     `json:"stop_reason,omitempty"`
	ElapsedNS    int64      `json:"elapsed_ns"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

func campaignOut(c *tycho.Campaign) *Campaign {
	out := &Campaign{
		ID: c.ID, Name: c.Spec.Name, Spec: c.Spec, SourceName: c.SourceName, SourceDigest: c.SourceDigest,
		Status: string(c.Status), StopReason: c.StopReason, ElapsedNS: int64(c.Elapsed), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	out.Source, out.SourceBase64 = sourceOut(c.Source)
	return out
}

// sourceOut carries a campaign file as text, or, should it not be UTF-8,
// as base64 so that it survives the trip byte for byte.
func sourceOut(b []byte) (string, []byte) {
	if utf8.Valid(b) {
		return string(b), nil
	}
	return "", b
}

func sourceIn(text string, b64 []byte) []byte {
	if b64 != nil {
		return b64
	}
	return []byte(text)
}

func (c *Campaign) domain() *tycho.Campaign {
	return &tycho.Campaign{
		ID: c.ID, Spec: c.Spec, Source: sourceIn(c.Source, c.SourceBase64), SourceName: c.SourceName, SourceDigest: c.SourceDigest,
		Status: tycho.CampaignStatus(c.Status), StopReason: c.StopReason, Elapsed: time.Duration(c.ElapsedNS),
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

// Experiment is an experiment on the wire.
type Experiment struct {
	ID         string       `json:"id"`
	CampaignID string       `json:"campaign_id"`
	Seq        int          `json:"seq"`
	Generation int          `json:"generation"`
	Params     tycho.Params `json:"params"`
	State      string       `json:"state"`
	Attempt    int          `json:"attempt"`
	Lease      *Lease       `json:"lease,omitempty"`
	Result     *Result      `json:"result,omitempty"`
	Error      string       `json:"error,omitempty"`
	CreatedAt  time.Time    `json:"created_at"`
	StartedAt  *time.Time   `json:"started_at,omitempty"`
	FinishedAt *time.Time   `json:"finished_at,omitempty"`
}

// Lease is a lease on the wire; the token appears only in the response
// that grants it.
type Lease struct {
	Holder  string     `json:"holder"`
	Token   string     `json:"token,omitempty"`
	Expires *time.Time `json:"expires,omitempty"`
}

// Result is what a lab measured. Values that are not finite travel as the
// strings "NaN", "+Inf" and "-Inf".
type Result struct {
	Objectives map[string]Number `json:"objectives"`
	Noise      map[string]Number `json:"noise,omitempty"`
	Metadata   map[string]any    `json:"metadata,omitempty"`
}

func experimentOut(e *tycho.Experiment) *Experiment {
	out := &Experiment{
		ID: e.ID, CampaignID: e.CampaignID, Seq: e.Seq, Generation: e.Generation, Params: e.Params,
		State: string(e.State), Attempt: e.Attempt, Result: resultOut(e.Result), Error: e.Error,
		CreatedAt: e.CreatedAt, StartedAt: optTime(e.StartedAt), FinishedAt: optTime(e.FinishedAt),
	}
	if e.Lease != nil {
		out.Lease = &Lease{Holder: e.Lease.Holder, Token: e.Lease.Token, Expires: optTime(e.Lease.Expires)}
	}
	return out
}

func (e *Experiment) domain() *tycho.Experiment {
	out := &tycho.Experiment{
		ID: e.ID, CampaignID: e.CampaignID, Seq: e.Seq, Generation: e.Generation, Params: e.Params,
		State: tycho.ExperimentState(e.State), Attempt: e.Attempt, Result: e.Result.domain(), Error: e.Error,
		CreatedAt: e.CreatedAt, StartedAt: fromOpt(e.StartedAt), FinishedAt: fromOpt(e.FinishedAt),
	}
	if e.Lease != nil {
		out.Lease = &tycho.Lease{Holder: e.Lease.Holder, Token: e.Lease.Token, Expires: fromOpt(e.Lease.Expires)}
	}
	return out
}

func experimentsOut(exps []*tycho.Experiment) []*Experiment {
	out := make([]*Experiment, len(exps))
	for i, e := range exps {
		out[i] = experimentOut(e)
	}
	return out
}

func resultOut(r *tycho.Result) *Result {
	if r == nil {
		return nil
	}
	return &Result{Objectives: storejson.Numbers(r.Objectives), Noise: storejson.Numbers(r.Noise), Metadata: r.Metadata}
}

func (r *Result) domain() *tycho.Result {
	if r == nil {
		return nil
	}
	return &tycho.Result{Objectives: storejson.Floats(r.Objectives), Noise: storejson.Floats(r.Noise), Metadata: r.Metadata}
}

// Generation is a generation record on the wire.
type Generation struct {
	CampaignID   string         `json:"campaign_id"`
	Index        int            `json:"index"`
	Key          string         `json:"key,omitempty"`
	Strategy     string         `json:"strategy"`
	Seed         uint64         `json:"seed,string"`
	Observations int            `json:"observations"`
	Pending      int            `json:"pending"`
	Model        map[string]any `json:"model,omitempty"`
	Acquisition  []Number       `json:"acquisition,omitempty"`
	FitNS        int64          `json:"fit_ns"`
	ProposeNS    int64          `json:"propose_ns"`
	CreatedAt    time.Time      `json:"created_at"`
	// Used goes only to the server: the completed experiments the fit
	// used, recorded as provenance.
	Used []string `json:"used,omitempty"`
}

func generationOut(g *tycho.Generation) *Generation {
	out := &Generation{
		CampaignID: g.CampaignID, Index: g.Index, Key: g.Key, Strategy: g.Strategy, Seed: g.Seed,
		Observations: g.Observations, Pending: g.Pending,
		FitNS: int64(g.FitTime), ProposeNS: int64(g.ProposeTime), CreatedAt: g.CreatedAt, Used: g.Used,
	}
	out.Model, _ = storejson.Finite(g.Model).(map[string]any)
	for _, v := range g.Acquisition {
		out.Acquisition = append(out.Acquisition, Number(v))
	}
	return out
}

func (g *Generation) domain() *tycho.Generation {
	out := &tycho.Generation{
		CampaignID: g.CampaignID, Index: g.Index, Key: g.Key, Strategy: g.Strategy, Seed: g.Seed,
		Observations: g.Observations, Pending: g.Pending, Model: g.Model,
		FitTime: time.Duration(g.FitNS), ProposeTime: time.Duration(g.ProposeNS), CreatedAt: g.CreatedAt, Used: g.Used,
	}
	for _, v := range g.Acquisition {
		out.Acquisition = append(out.Acquisition, float64(v))
	}
	return out
}

// Number is a float64 that JSON carries exactly, NaN and ±Inf included,
// as the stores keep it.
type Number = storejson.Number

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func fromOpt(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
