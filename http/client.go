package http

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"tycho"
)

// Client talks to a Tycho server. It implements tycho.Store and
// tycho.AskTellService, so the CLI and the loop work the same against a
// server as against the local data directory.
type Client struct {
	base string
	http *http.Client
	// Retries is how often a request that may safely be repeated is tried
	// again after a network error or a 502/503/504; 0 means 4.
	Retries int
}

var (
	_ tycho.Store          = (*Client)(nil)
	_ tycho.AskTellService = (*Client)(nil)
)

// NewClient returns a client of the server at base, such as
// http://127.0.0.1:8080. hc may be nil for a default client.
func NewClient(base string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, tycho.Errorf(tycho.EINVALID, "server %q: want a URL such as http://127.0.0.1:8080", base)
	}
	if hc == nil {
		hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	return &Client{base: strings.TrimRight(base, "/"), http: hc}, nil
}

// Close releases idle connections.
func (c *Client) Close() error {
	c.http.CloseIdleConnections()
	return nil
}

// call sends a request and decodes the JSON response into out (if not
// nil). A problem+json response becomes a *tycho.Error with its code.
// Requests marked retry are repeated on network errors and on 502, 503
// and 504, with the same idempotency key.
type call struct {
	method, path string
	body         any
	key          string
	retry        bool
}

func (c *Client) do(ctx context.Context, req call, out any) error {
	var body []byte
	if req.body != nil {
		var err error
		if body, err = json.Marshal(req.body); err != nil {
			return tycho.Errorf(tycho.EINVALID, "encode request: %v", err)
		}
	}
	tries := 1
	if req.retry {
		tries = c.Retries
		if tries <= 0 {
			tries = 4
		}
		tries++
	}
	var err error
	for i := range tries {
		if i > 0 {
			backoff := time.Duration(50<<min(i, 6)) * time.Millisecond
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
		}
		var again bool
		again, err = c.once(ctx, req, body, out)
		if !again {
			return err
		}
	}
	return err
}

// once sends one request; again says whether it may be worth repeating.
func (c *Client) once(ctx context.Context, req call, body []byte, out any) (again bool, err error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, c.base+req.path, rd)
	if err != nil {
		return false, err
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("Accept", "application/json")
	if req.key != "" {
		hr.Header.Set("Idempotency-Key", req.key)
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return true, tycho.Errorf(tycho.EINTERNAL, "%s %s: %v", req.method, req.path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return true, tycho.Errorf(tycho.EINTERNAL, "%s %s: reading the response: %v", req.method, req.path, err)
	}
	if resp.StatusCode >= 400 {
		again := resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusGatewayTimeout
		return again, problemError(resp.StatusCode, data)
	}
	if out == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return false, tycho.Errorf(tycho.EINTERNAL, "%s %s: the server's response is not what this client expects: %v", req.method, req.path, err)
	}
	return false, nil
}

// problemError turns an error response into a *tycho.Error.
func problemError(status int, data []byte) error {
	var p Problem
	if err := json.Unmarshal(data, &p); err != nil || p.Code == "" {
		msg := strings.TrimSpace(string(data))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		return tycho.Errorf(codeOf(status), "server answered %d: %s", status, msg)
	}
	if _, ok := problemTypes[p.Code]; !ok || p.Code == etooLarge || p.Code == eunsupported || p.Code == emethod {
		p.Code = codeOf(status)
	}
	return &tycho.Error{Code: p.Code, Message: p.Detail}
}

func codeOf(status int) string {
	switch {
	case status == http.StatusNotFound:
		return tycho.ENOTFOUND
	case status == http.StatusConflict:
		return tycho.ECONFLICT
	case status == http.StatusUnauthorized:
		return tycho.EUNAUTHORIZED
	case status == http.StatusForbidden:
		return tycho.EFORBIDDEN
	case status < 500:
		return tycho.EINVALID
	}
	return tycho.EINTERNAL
}

func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func esc(s string) string { return url.PathEscape(s) }

// CreateCampaign implements tycho.CampaignService. The campaign keeps its
// ID, so a retry finds the campaign it created.
func (c *Client) CreateCampaign(ctx context.Context, camp *tycho.Campaign) error {
	var out Campaign
	spec := camp.Spec
	req := createCampaignRequest{
		ID: camp.ID, SourceName: camp.SourceName, Spec: &spec, SourceDigest: camp.SourceDigest,
		Status: string(camp.Status), StopReason: camp.StopReason, ElapsedNS: int64(camp.Elapsed),
		CreatedAt: optTime(camp.CreatedAt), UpdatedAt: optTime(camp.UpdatedAt),
	}
	req.Source, req.SourceBase64 = sourceOut(camp.Source)
	if err := c.do(ctx, call{method: "POST", path: "/v1/campaigns", body: req, key: newKey(), retry: true}, &out); err != nil {
		return err
	}
	camp.CreatedAt, camp.UpdatedAt, camp.Status = out.CreatedAt, out.UpdatedAt, tycho.CampaignStatus(out.Status)
	return nil
}

// FindCampaign implements tycho.CampaignService.
func (c *Client) FindCampaign(ctx context.Context, id string) (*tycho.Campaign, error) {
	if id == "" {
		return nil, tycho.Errorf(tycho.EINVALID, "no campaign ID or name given")
	}
	var out Campaign
	if err := c.do(ctx, call{method: "GET", path: "/v1/campaigns/" + esc(id), retry: true}, &out); err != nil {
		return nil, err
	}
	return out.domain(), nil
}

// ListCampaigns implements tycho.CampaignService.
func (c *Client) ListCampaigns(ctx context.Context) ([]*tycho.Campaign, error) {
	var out struct {
		Campaigns []*Campaign `json:"campaigns"`
	}
	if err := c.do(ctx, call{method: "GET", path: "/v1/campaigns", retry: true}, &out); err != nil {
		return nil, err
	}
	cs := make([]*tycho.Campaign, len(out.Campaigns))
	for i, x := range out.Campaigns {
		cs[i] = x.domain()
	}
	return cs, nil
}

// UpdateCampaign implements tycho.CampaignService.
func (c *Client) UpdateCampaign(ctx context.Context, id string, upd tycho.CampaignUpdate) (*tycho.Campaign, error) {
	req := updateCampaignRequest{Status: upd.Status, StopReason: upd.StopReason}
	if upd.Elapsed != nil {
		ns := int64(*upd.Elapsed)
		req.ElapsedNS = &ns
	}
	var out Campaign
	if err := c.do(ctx, call{method: "PATCH", path: "/v1/campaigns/" + esc(id), body: req, retry: true}, &out); err != nil {
		return nil, err
	}
	return out.domain(), nil
}

// AddGeneration implements tycho.ExperimentService. A retry that finds its
// experiments stored already (the first attempt's answer was lost)
// succeeds.
func (c *Client) AddGeneration(ctx context.Context, g *tycho.Generation, exps []*tycho.Experiment) error {
	if g == nil {
		return tycho.Errorf(tycho.EINVALID, "no generation given")
	}
	req := addGenerationRequest{Generation: generationOut(g), Experiments: experimentsOut(exps)}
	var out struct {
		Generation  *Generation   `json:"generation"`
		Experiments []*Experiment `json:"experiments"`
	}
	path := "/v1/campaigns/" + esc(g.CampaignID) + "/generations"
	err := c.do(ctx, call{method: "POST", path: path, body: req, retry: true}, &out)
	if tycho.ErrorCode(err) == tycho.ECONFLICT && len(exps) > 0 {
		if stored, ok := c.storedAlready(ctx, g, exps); ok {
			out.Generation, out.Experiments = generationOut(g), experimentsOut(stored)
			err = nil
		}
	}
	if err != nil {
		return err
	}
	g.CreatedAt = out.Generation.CreatedAt
	for i, e := range out.Experiments {
		if i < len(exps) {
			exps[i].CampaignID, exps[i].Generation, exps[i].Seq = e.CampaignID, e.Generation, e.Seq
			exps[i].State, exps[i].CreatedAt = tycho.ExperimentState(e.State), e.CreatedAt
		}
	}
	return nil
}

// storedAlready reports whether every experiment of exps is stored in
// generation g, and returns them as stored.
func (c *Client) storedAlready(ctx context.Context, g *tycho.Generation, exps []*tycho.Experiment) ([]*tycho.Experiment, bool) {
	all, err := c.ListExperiments(ctx, g.CampaignID)
	if err != nil {
		return nil, false
	}
	byID := map[string]*tycho.Experiment{}
	for _, e := range all {
		byID[e.ID] = e
	}
	out := make([]*tycho.Experiment, len(exps))
	for i, e := range exps {
		s, ok := byID[e.ID]
		if !ok || s.Generation != g.Index {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

// ListExperiments implements tycho.ExperimentService.
func (c *Client) ListExperiments(ctx context.Context, campaignID string) ([]*tycho.Experiment, error) {
	exps, _, err := c.ListExperimentsSince(ctx, campaignID, 0)
	return exps, err
}

// ListExperimentsSince implements tycho.ExperimentService.
func (c *Client) ListExperimentsSince(ctx context.Context, campaignID string, cursor int64) ([]*tycho.Experiment, int64, error) {
	var out struct {
		Experiments []*Experiment `json:"experiments"`
		Cursor      int64         `json:"cursor"`
	}
	path := "/v1/campaigns/" + esc(campaignID) + "/experiments"
	if cursor > 0 {
		path += "?since=" + strconv.FormatInt(cursor, 10)
	}
	if err := c.do(ctx, call{method: "GET", path: path, retry: true}, &out); err != nil {
		return nil, 0, err
	}
	return experimentsIn(out.Experiments), out.Cursor, nil
}

func experimentsIn(in []*Experiment) []*tycho.Experiment {
	exps := make([]*tycho.Experiment, len(in))
	for i, e := range in {
		exps[i] = e.domain()
	}
	return exps
}

// ListGenerations implements tycho.ExperimentService.
func (c *Client) ListGenerations(ctx context.Context, campaignID string) ([]*tycho.Generation, error) {
	return c.generations(ctx, "/v1/campaigns/"+esc(campaignID)+"/generations")
}

// FindGeneration implements tycho.ExperimentService.
func (c *Client) FindGeneration(ctx context.Context, campaignID, key string) (*tycho.Generation, error) {
	gens, err := c.generations(ctx, "/v1/campaigns/"+esc(campaignID)+"/generations?key="+url.QueryEscape(key))
	if err != nil {
		return nil, err
	}
	if len(gens) != 1 {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "campaign %s has no generation with idempotency key %q", campaignID, key)
	}
	return gens[0], nil
}

func (c *Client) generations(ctx context.Context, path string) ([]*tycho.Generation, error) {
	var out struct {
		Generations []*Generation `json:"generations"`
	}
	if err := c.do(ctx, call{method: "GET", path: path, retry: true}, &out); err != nil {
		return nil, err
	}
	gens := make([]*tycho.Generation, len(out.Generations))
	for i, g := range out.Generations {
		gens[i] = g.domain()
	}
	return gens, nil
}

// CountExperiments implements tycho.ExperimentService.
func (c *Client) CountExperiments(ctx context.Context) (map[tycho.ExperimentState]int, error) {
	var out struct {
		Counts map[tycho.ExperimentState]int `json:"counts"`
	}
	if err := c.do(ctx, call{method: "GET", path: "/v1/experiments/counts", retry: true}, &out); err != nil {
		return nil, err
	}
	return out.Counts, nil
}

// experimentCall posts to an experiment's action and decodes the
// experiment it returns.
func (c *Client) experimentCall(ctx context.Context, id, action string, body any, retry bool) (*tycho.Experiment, error) {
	var out Experiment
	path := "/v1/experiments/" + esc(id)
	method := "GET"
	if action != "" {
		path, method = path+"/"+action, "POST"
		if body == nil {
			body = struct{}{}
		}
	}
	if err := c.do(ctx, call{method: method, path: path, body: body, retry: retry}, &out); err != nil {
		return nil, err
	}
	return out.domain(), nil
}

// FindExperiment implements tycho.LeaseService.
func (c *Client) FindExperiment(ctx context.Context, id string) (*tycho.Experiment, error) {
	return c.experimentCall(ctx, id, "", nil, true)
}

// StartExperiment implements tycho.ExperimentService. It is not retried:
// a repeated start would count another attempt.
func (c *Client) StartExperiment(ctx context.Context, id string) (*tycho.Experiment, error) {
	return c.experimentCall(ctx, id, "start", nil, false)
}

// CompleteExperiment implements tycho.ExperimentService.
func (c *Client) CompleteExperiment(ctx context.Context, id string, attempt int, r *tycho.Result) error {
	if r == nil {
		return tycho.Errorf(tycho.EINVALID, "experiment %s: no result given", id)
	}
	_, err := c.experimentCall(ctx, id, "complete", completeRequest{Attempt: attempt, Result: resultOut(r)}, true)
	return err
}

// FailExperiment implements tycho.ExperimentService.
func (c *Client) FailExperiment(ctx context.Context, id string, attempt int, msg string) error {
	_, err := c.experimentCall(ctx, id, "fail", failRequest{Attempt: attempt, Error: msg}, true)
	return err
}

// AbandonExperiment implements tycho.ExperimentService.
func (c *Client) AbandonExperiment(ctx context.Context, id, reason string) error {
	_, err := c.experimentCall(ctx, id, "abandon", abandonRequest{Reason: reason}, false)
	return err
}

// LeaseExperiments implements tycho.LeaseService without waiting.
func (c *Client) LeaseExperiments(ctx context.Context, req tycho.LeaseRequest) ([]*tycho.Experiment, error) {
	return c.Lease(ctx, req, 0)
}

// Lease leases experiments, waiting up to wait for some to become ready
// (a long poll). It is not retried: a lost answer's leases expire and
// their experiments are leased again.
func (c *Client) Lease(ctx context.Context, req tycho.LeaseRequest, wait time.Duration) ([]*tycho.Experiment, error) {
	if err := tycho.ValidLeaseRequest(req); err != nil {
		return nil, err
	}
	body := leaseRequest{Holder: req.Holder, Max: req.Max, TTLSeconds: req.TTL.Seconds(), WaitSeconds: wait.Seconds()}
	var out struct {
		Experiments []*Experiment `json:"experiments"`
	}
	if err := c.do(ctx, call{method: "POST", path: "/v1/labs/" + esc(req.Lab) + "/leases", body: body}, &out); err != nil {
		return nil, err
	}
	return experimentsIn(out.Experiments), nil
}

// RenewLease implements tycho.LeaseService.
func (c *Client) RenewLease(ctx context.Context, id, token string, ttl time.Duration) (*tycho.Experiment, error) {
	return c.experimentCall(ctx, id, "heartbeat", heartbeatRequest{Token: token, TTLSeconds: ttl.Seconds()}, true)
}

// ReleaseLease implements tycho.LeaseService.
func (c *Client) ReleaseLease(ctx context.Context, id, token string) error {
	_, err := c.experimentCall(ctx, id, "release", releaseRequest{Token: token}, true)
	return err
}

// ApproveExperiment implements tycho.LeaseService.
func (c *Client) ApproveExperiment(ctx context.Context, id string) (*tycho.Experiment, error) {
	return c.experimentCall(ctx, id, "approve", nil, true)
}

// CompleteLeased implements tycho.LeaseService. Retrying is safe: the
// server records a result once.
func (c *Client) CompleteLeased(ctx context.Context, id, token string, r *tycho.Result) (*tycho.Experiment, error) {
	if r == nil {
		return nil, tycho.Errorf(tycho.EINVALID, "experiment %s: no result given", id)
	}
	out := resultOut(r)
	return c.experimentCall(ctx, id, "result", resultRequest{Token: token, Objectives: out.Objectives, Noise: out.Noise, Metadata: out.Metadata}, true)
}

// FailLeased implements tycho.LeaseService.
func (c *Client) FailLeased(ctx context.Context, id, token, msg string) (*tycho.Experiment, error) {
	return c.experimentCall(ctx, id, "fail", failRequest{Token: token, Error: msg}, true)
}

// Suggest implements tycho.AskTellService. Without a key the client makes
// one, so that its own retries propose nothing twice.
func (c *Client) Suggest(ctx context.Context, campaignID string, p tycho.SuggestParams) ([]*tycho.Experiment, error) {
	key := p.Key
	if key == "" {
		key = newKey()
	}
	var out struct {
		Experiments []*Experiment `json:"experiments"`
	}
	req := call{method: "POST", path: "/v1/campaigns/" + esc(campaignID) + "/suggest", body: suggestRequest{N: p.N, Holder: p.Holder}, key: key, retry: true}
	if err := c.do(ctx, req, &out); err != nil {
		return nil, err
	}
	return experimentsIn(out.Experiments), nil
}

// Attach implements tycho.AskTellService.
func (c *Client) Attach(ctx context.Context, campaignID, key string, e *tycho.Experiment) (*tycho.Experiment, error) {
	if key == "" {
		key = newKey()
	}
	var out Experiment
	body := attachRequest{Params: e.Params, Result: resultOut(e.Result), Error: e.Error}
	if err := c.do(ctx, call{method: "POST", path: "/v1/campaigns/" + esc(campaignID) + "/experiments", body: body, key: key, retry: true}, &out); err != nil {
		return nil, err
	}
	return out.domain(), nil
}

// Ready reports whether the server and its store answer.
func (c *Client) Ready(ctx context.Context) error {
	if err := c.do(ctx, call{method: "GET", path: "/readyz"}, nil); err != nil {
		return fmt.Errorf("server %s is not ready: %w", c.base, err)
	}
	return nil
}
