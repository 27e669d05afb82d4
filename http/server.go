// Package http is Tycho's REST API under /v1: the server, which serves a
// tycho.Store, the ask/tell service and the lab agents' leases over HTTP,
// and the Go client, which implements the same interfaces on the other
// side of the wire. api/openapi.yaml is the contract both keep.
package http

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"tycho"
	"tycho/internal/notify"
	"tycho/internal/storejson"
)

// Server serves the API. Set its fields, then use Handler.
type Server struct {
	Store tycho.Store
	// Provenance, if set, answers the lineage and provenance routes.
	Provenance tycho.ProvenanceService
	AskTell    tycho.AskTellService
	// Parse reads a campaign file (YAML) into a validated spec; name is
	// the file's name, for error messages.
	Parse func(name string, src []byte) (*tycho.Spec, error)
	// NewID returns a new campaign ID for a campaign name.
	NewID func(name string) string
	// OpenAPI is the API's description, served at /v1/openapi.yaml.
	OpenAPI []byte
	Hub     *notify.Hub
	Logger  *slog.Logger
	// Registry, if set, receives the server's metrics and is served at
	// /metrics.
	Registry *prometheus.Registry
	// LeasePoll is how often a long-polling lease request looks at the
	// store for work another server made ready; 0 means 250 ms.
	LeasePoll time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Datasets, with Chunks, serves the dataset and chunk routes and the
	// DCAT-AP catalogue; without both, those routes answer 404.
	Datasets tycho.DatasetService
	// Chunks holds the bytes of the datasets' files.
	Chunks tycho.ChunkStore

	metrics *metrics
	// specs caches campaign specs by campaign ID; a spec never changes.
	specs sync.Map
}

// Handler returns the server's routes, instrumented.
func (s *Server) Handler() http.Handler {
	if s.Hub == nil {
		s.Hub = new(notify.Hub)
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	s.metrics = newMetrics(s.Registry, s.Store)
	mux := http.NewServeMux()
	for _, r := range s.routes() {
		mux.Handle(r.pattern, s.instrument(r.pattern, r.handler))
	}
	unmatched := s.instrument("unmatched", func(w http.ResponseWriter, r *http.Request) error {
		// The mux answers 404 or 405 (with Allow); say the same as a problem.
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		if allow := rec.Header().Get("Allow"); rec.Code == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", allow)
			return &fieldError{emethod, "", fmt.Sprintf("%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow)}
		}
		return tycho.Errorf(tycho.ENOTFOUND, "no route %s %s", r.Method, r.URL.Path)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			unmatched.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

type route struct {
	pattern string
	handler handlerFunc
}

// handlerFunc is a handler that returns its error, which the server
// writes as problem+json.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// routes lists every route; api/openapi.yaml documents exactly these, and
// a test holds the two together.
func (s *Server) routes() []route {
	return []route{
		{"GET /healthz", s.healthz},
		{"GET /readyz", s.readyz},
		{"GET /metrics", s.serveMetrics},
		{"GET /v1/openapi.yaml", s.openAPI},

		{"GET /v1/campaigns", s.listCampaigns},
		{"POST /v1/campaigns", s.createCampaign},
		{"GET /v1/campaigns/{id}", s.getCampaign},
		{"PATCH /v1/campaigns/{id}", s.updateCampaign},
		{"GET /v1/campaigns/{id}/experiments", s.listExperiments},
		{"POST /v1/campaigns/{id}/experiments", s.attachExperiment},
		{"GET /v1/campaigns/{id}/generations", s.listGenerations},
		{"POST /v1/campaigns/{id}/generations", s.addGeneration},
		{"POST /v1/campaigns/{id}/suggest", s.suggest},

		{"GET /v1/experiments/counts", s.countExperiments},
		{"GET /v1/experiments/{id}", s.getExperiment},
		{"POST /v1/experiments/{id}/start", s.startExperiment},
		{"POST /v1/experiments/{id}/complete", s.completeExperiment},
		{"POST /v1/experiments/{id}/result", s.postResult},
		{"POST /v1/experiments/{id}/fail", s.failExperiment},
		{"POST /v1/experiments/{id}/abandon", s.abandonExperiment},
		{"POST /v1/experiments/{id}/approve", s.approveExperiment},
		{"POST /v1/experiments/{id}/heartbeat", s.heartbeat},
		{"POST /v1/experiments/{id}/release", s.release},

		{"POST /v1/labs/{lab}/leases", s.lease},

		{"GET /v1/catalog", s.catalog},
		{"GET /v1/projects/{project}/datasets", s.listDatasets},
		{"GET /v1/projects/{project}/datasets/{name}", s.getDataset},
		{"GET /v1/projects/{project}/datasets/{name}/versions", s.listVersions},
		{"POST /v1/projects/{project}/datasets/{name}/versions", s.addVersion},
		{"GET /v1/projects/{project}/datasets/{name}/versions/{ref}", s.getVersion},
		{"POST /v1/projects/{project}/chunks/missing", s.missingChunks},
		{"PUT /v1/projects/{project}/chunks/{hash}", s.putChunk},
		{"GET /v1/projects/{project}/chunks/{hash}", s.getChunk},

		{"GET /v1/lineage/{id...}", s.lineage},
		{"POST /v1/lineage/openlineage", s.openLineage},
		{"GET /v1/provenance", s.listProvenance},
		{"POST /v1/provenance", s.recordProvenance},
		{"GET /v1/provenance/nodes/{id...}", s.provNode},
	}
}

// instrument logs a request, records its latency and writes its error.
func (s *Server) instrument(pattern string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		if err := h(rec, r); err != nil {
			writeError(rec, r, s.Logger, err)
		}
		d := time.Since(start)
		s.metrics.observeRequest(pattern, rec.status, d)
		level := slog.LevelDebug
		if rec.status >= 500 {
			level = slog.LevelError
		}
		s.Logger.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", d)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz reports whether the store answers.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	_, err := s.Store.FindExperiment(ctx, "readyz-probe")
	if err != nil && tycho.ErrorCode(err) != tycho.ENOTFOUND {
		s.Logger.Warn("not ready", "error", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "detail": "the store does not answer"})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	_, err := w.Write(s.OpenAPI)
	return err
}

// createCampaignRequest creates a campaign from a campaign file (source)
// or a spec given as JSON. The fields after spec are for a lossless import
// of a campaign from elsewhere and are usually left out.
type createCampaignRequest struct {
	ID           string      `json:"id,omitempty"`
	Source       string      `json:"source,omitempty"`
	SourceBase64 []byte      `json:"source_base64,omitempty"`
	SourceName   string      `json:"source_name,omitempty"`
	Spec         *tycho.Spec `json:"spec,omitempty"`
	SourceDigest string      `json:"source_digest,omitempty"`
	Status       string      `json:"status,omitempty"`
	StopReason   string      `json:"stop_reason,omitempty"`
	ElapsedNS    int64       `json:"elapsed_ns,omitempty"`
	CreatedAt    *time.Time  `json:"created_at,omitempty"`
	UpdatedAt    *time.Time  `json:"updated_at,omitempty"`
}

// idPattern is what a client-chosen campaign ID may look like.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

func (s *Server) createCampaign(w http.ResponseWriter, r *http.Request) error {
	var req createCampaignRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	c := &tycho.Campaign{
		Status: tycho.CampaignRunning, SourceName: req.SourceName, StopReason: req.StopReason,
		Elapsed: time.Duration(req.ElapsedNS), CreatedAt: fromOpt(req.CreatedAt), UpdatedAt: fromOpt(req.UpdatedAt),
	}
	switch tycho.CampaignStatus(req.Status) {
	case "":
	case tycho.CampaignRunning, tycho.CampaignCompleted, tycho.CampaignFailed:
		c.Status = tycho.CampaignStatus(req.Status)
	default:
		return &fieldError{tycho.EINVALID, "/status", "status: want running, completed or failed"}
	}
	if req.ElapsedNS < 0 {
		return &fieldError{tycho.EINVALID, "/elapsed_ns", "elapsed_ns: must not be negative"}
	}
	source := sourceIn(req.Source, req.SourceBase64)
	switch {
	case req.Spec != nil:
		// A client that read the campaign file itself (the CLI) sends the
		// spec it resolved, and the file's text for the record.
		c.Spec, c.Source = *req.Spec, source
		c.Spec.SetDefaults()
		if errs := c.Spec.Validate(); len(errs) > 0 {
			f := errs[0]
			return &fieldError{tycho.EINVALID, "/spec" + fieldPointer(f.Field), "spec." + f.Field + ": " + f.Message}
		}
	case len(source) > 0:
		name := req.SourceName
		if name == "" {
			name = "campaign.yaml"
		}
		spec, err := s.Parse(name, source)
		if err != nil {
			return &fieldError{tycho.EINVALID, "/source", tycho.ErrorMessage(err)}
		}
		c.Spec, c.Source = *spec, source
	default:
		return &fieldError{tycho.EINVALID, "/source", "give the campaign as source (the text of a campaign file) or as spec (JSON)"}
	}
	c.SourceDigest = req.SourceDigest
	if c.SourceDigest == "" {
		sum := sha256.Sum256(c.Source)
		c.SourceDigest = hex.EncodeToString(sum[:])
	}
	switch {
	case req.ID != "":
		if !idPattern.MatchString(req.ID) {
			return &fieldError{tycho.EINVALID, "/id", "id: use letters, digits, '.', '_' and '-', at most 128"}
		}
		c.ID = req.ID
	case key != "":
		// The ID follows from the key (after the name, for readability),
		// so a retry finds what the first request created, whatever name
		// it carries.
		k := sha256.Sum256([]byte("tycho campaign\x00" + key))
		suffix := "-" + hex.EncodeToString(k[:6])
		if old, err := s.findBySuffix(r.Context(), suffix); err != nil {
			return err
		} else if old != nil {
			if old.SourceDigest != c.SourceDigest || !sameSpec(&old.Spec, &c.Spec) {
				return tycho.Errorf(tycho.ECONFLICT, "Idempotency-Key was used for campaign %s, with another spec; a key names one request", old.ID)
			}
			writeJSON(w, http.StatusOK, campaignOut(old))
			return nil
		}
		c.ID = s.NewID(c.Spec.Name)
		c.ID = c.ID[:strings.LastIndexByte(c.ID, '-')] + suffix
	default:
		c.ID = s.NewID(c.Spec.Name)
	}
	err = s.Store.CreateCampaign(r.Context(), c)
	if tycho.ErrorCode(err) == tycho.ECONFLICT && (key != "" || req.ID != "") {
		old, ferr := s.Store.FindCampaign(r.Context(), c.ID)
		if ferr != nil {
			return ferr
		}
		if old.SourceDigest != c.SourceDigest || !sameSpec(&old.Spec, &c.Spec) {
			return tycho.Errorf(tycho.ECONFLICT, "campaign %s exists with another spec; an idempotency key or ID names one request", c.ID)
		}
		writeJSON(w, http.StatusOK, campaignOut(old))
		return nil
	} else if err != nil {
		return err
	}
	s.Hub.Notify(notify.CampaignsTopic)
	writeJSON(w, http.StatusCreated, campaignOut(c))
	return nil
}

func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.Store.ListCampaigns(r.Context())
	if err != nil {
		return err
	}
	out := make([]*Campaign, len(cs))
	for i, c := range cs {
		out[i] = campaignOut(c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"campaigns": out})
	return nil
}

func (s *Server) getCampaign(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Store.FindCampaign(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, campaignOut(c))
	return nil
}

type updateCampaignRequest struct {
	Status     *tycho.CampaignStatus `json:"status,omitempty"`
	StopReason *string               `json:"stop_reason,omitempty"`
	ElapsedNS  *int64                `json:"elapsed_ns,omitempty"`
}

func (s *Server) updateCampaign(w http.ResponseWriter, r *http.Request) error {
	var req updateCampaignRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	upd := tycho.CampaignUpdate{Status: req.Status, StopReason: req.StopReason}
	if req.Status != nil {
		switch *req.Status {
		case tycho.CampaignRunning, tycho.CampaignCompleted, tycho.CampaignFailed:
		default:
			return &fieldError{tycho.EINVALID, "/status", "status: want running, completed or failed"}
		}
	}
	if req.ElapsedNS != nil {
		if *req.ElapsedNS < 0 {
			return &fieldError{tycho.EINVALID, "/elapsed_ns", "elapsed_ns: must not be negative"}
		}
		d := time.Duration(*req.ElapsedNS)
		upd.Elapsed = &d
	}
	c, err := s.Store.UpdateCampaign(r.Context(), r.PathValue("id"), upd)
	if err != nil {
		return err
	}
	s.Hub.Notify(notify.CampaignTopic(c.ID))
	s.Hub.Notify(notify.CampaignsTopic)
	writeJSON(w, http.StatusOK, campaignOut(c))
	return nil
}

func (s *Server) listExperiments(w http.ResponseWriter, r *http.Request) error {
	var since int64
	if q := r.URL.Query().Get("since"); q != "" {
		var err error
		if since, err = strconv.ParseInt(q, 10, 64); err != nil || since < 0 {
			return &fieldError{tycho.EINVALID, "since", "since: want the cursor a previous read returned, a non-negative integer"}
		}
	}
	exps, cursor, err := s.Store.ListExperimentsSince(r.Context(), r.PathValue("id"), since)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"experiments": experimentsOut(exps), "cursor": cursor})
	return nil
}

func (s *Server) listGenerations(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var gens []*tycho.Generation
	if key := r.URL.Query().Get("key"); key != "" {
		g, err := s.Store.FindGeneration(r.Context(), id, key)
		if err != nil {
			return err
		}
		gens = []*tycho.Generation{g}
	} else {
		var err error
		if gens, err = s.Store.ListGenerations(r.Context(), id); err != nil {
			return err
		}
	}
	out := make([]*Generation, len(gens))
	for i, g := range gens {
		out[i] = generationOut(g)
	}
	writeJSON(w, http.StatusOK, map[string]any{"generations": out})
	return nil
}

type addGenerationRequest struct {
	Generation  *Generation   `json:"generation"`
	Experiments []*Experiment `json:"experiments"`
}

// addGeneration records a generation a client's runner proposed. A retry
// whose experiments are all stored already succeeds without storing twice.
func (s *Server) addGeneration(w http.ResponseWriter, r *http.Request) error {
	var req addGenerationRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Generation == nil {
		return &fieldError{tycho.EINVALID, "/generation", "generation: is required"}
	}
	g := req.Generation.domain()
	g.CampaignID = r.PathValue("id")
	exps := make([]*tycho.Experiment, len(req.Experiments))
	for i, e := range req.Experiments {
		if e == nil {
			return &fieldError{tycho.EINVALID, "/experiments/" + strconv.Itoa(i), "experiments: null is not an experiment"}
		}
		exps[i] = e.domain()
	}
	err := s.Store.AddGeneration(r.Context(), g, exps)
	if err != nil {
		return err
	}
	s.Hub.Notify(notify.LabTopic(labOf(r.Context(), s.Store, g.CampaignID)))
	writeJSON(w, http.StatusCreated, map[string]any{"generation": generationOut(g), "experiments": experimentsOut(exps)})
	return nil
}

// findBySuffix returns the campaign whose ID ends in suffix, or nil.
func (s *Server) findBySuffix(ctx context.Context, suffix string) (*tycho.Campaign, error) {
	cs, err := s.Store.ListCampaigns(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if strings.HasSuffix(c.ID, suffix) {
			return c, nil
		}
	}
	return nil, nil
}

// labOf returns the agent lab of a campaign, or "".
func labOf(ctx context.Context, store tycho.Store, id string) string {
	c, err := store.FindCampaign(ctx, id)
	if err != nil || c.Spec.Lab.Kind != tycho.LabAgent {
		return ""
	}
	return c.Spec.Lab.Name
}

type suggestRequest struct {
	N      int    `json:"n"`
	Holder string `json:"holder,omitempty"`
}

func (s *Server) suggest(w http.ResponseWriter, r *http.Request) error {
	var req suggestRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	if req.N < 1 || req.N > tycho.MaxSuggest {
		return &fieldError{tycho.EINVALID, "/n", "n: ask for between 1 and " + strconv.Itoa(tycho.MaxSuggest) + " experiments"}
	}
	exps, err := s.AskTell.Suggest(r.Context(), r.PathValue("id"), tycho.SuggestParams{N: req.N, Holder: req.Holder, Key: key})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"experiments": experimentsOut(exps)})
	return nil
}

type attachRequest struct {
	Params tycho.Params `json:"params"`
	Result *Result      `json:"result,omitempty"`
	Error  string       `json:"error,omitempty"`
}

func (s *Server) attachExperiment(w http.ResponseWriter, r *http.Request) error {
	var req attachRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	e, err := s.AskTell.Attach(r.Context(), r.PathValue("id"), key, &tycho.Experiment{Params: req.Params, Result: req.Result.domain(), Error: req.Error})
	if err != nil {
		return withField(err)
	}
	writeJSON(w, http.StatusCreated, experimentOut(e))
	return nil
}

func (s *Server) countExperiments(w http.ResponseWriter, r *http.Request) error {
	counts, err := s.Store.CountExperiments(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"counts": counts})
	return nil
}

func (s *Server) getExperiment(w http.ResponseWriter, r *http.Request) error {
	e, err := s.Store.FindExperiment(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, experimentOut(e))
	return nil
}

func (s *Server) startExperiment(w http.ResponseWriter, r *http.Request) error {
	e, err := s.Store.StartExperiment(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, experimentOut(e))
	return nil
}

type completeRequest struct {
	Attempt int     `json:"attempt"`
	Result  *Result `json:"result"`
}

func (s *Server) completeExperiment(w http.ResponseWriter, r *http.Request) error {
	var req completeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Result == nil {
		return &fieldError{tycho.EINVALID, "/result", "result: is required"}
	}
	id := r.PathValue("id")
	if err := s.Store.CompleteExperiment(r.Context(), id, req.Attempt, req.Result.domain()); err != nil {
		return err
	}
	return s.finishedID(w, r, id)
}

// resultRequest is a lab's result for an experiment it leased.
type resultRequest struct {
	Token      string            `json:"token"`
	Objectives map[string]Number `json:"objectives"`
	Noise      map[string]Number `json:"noise,omitempty"`
	Metadata   map[string]any    `json:"metadata,omitempty"`
}

func (s *Server) postResult(w http.ResponseWriter, r *http.Request) error {
	var req resultRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	e, err := s.Store.FindExperiment(r.Context(), id)
	if err != nil {
		return err
	}
	spec, err := s.spec(r.Context(), e.CampaignID)
	if err != nil {
		return err
	}
	res := &tycho.Result{Objectives: storejson.Floats(req.Objectives), Noise: storejson.Floats(req.Noise), Metadata: req.Metadata}
	if err := checkObjectives(spec, res); err != nil {
		return err
	}
	start := time.Now()
	e, err = s.Store.CompleteLeased(r.Context(), id, req.Token, res)
	if err != nil {
		return err
	}
	s.metrics.resultLatency.Observe(time.Since(start).Seconds())
	s.finished(w, e)
	return nil
}

// spec returns the spec of a campaign, from the cache if it can.
func (s *Server) spec(ctx context.Context, id string) (*tycho.Spec, error) {
	if v, ok := s.specs.Load(id); ok {
		return v.(*tycho.Spec), nil
	}
	c, err := s.Store.FindCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	s.specs.Store(id, &c.Spec)
	return &c.Spec, nil
}

// withField gives a domain error whose message starts with a field path
// (params.x: …) that field as a JSON Pointer.
func withField(err error) error {
	msg := tycho.ErrorMessage(err)
	path, _, ok := strings.Cut(msg, ": ")
	if tycho.ErrorCode(err) != tycho.EINVALID || !ok || strings.ContainsAny(path, " \n") {
		return err
	}
	return &fieldError{tycho.EINVALID, fieldPointer(path), msg}
}

// checkObjectives refuses a result that lacks a finite value for an
// objective, or names a quantity the campaign does not measure, naming
// the member.
func checkObjectives(spec *tycho.Spec, res *tycho.Result) error {
	for _, name := range sortedKeys(res.Objectives) {
		if !measures(spec, name) {
			return &fieldError{tycho.EINVALID, "/objectives/" + name, "objectives." + name + ": the campaign measures no such objective or outcome"}
		}
	}
	for _, o := range spec.Objectives {
		v, ok := res.Objectives[o.Name]
		if !ok {
			return &fieldError{tycho.EINVALID, "/objectives/" + o.Name, "objectives." + o.Name + ": is missing; report a failed measurement with /fail"}
		}
		if v != v || v > maxFloat || v < -maxFloat {
			return &fieldError{tycho.EINVALID, "/objectives/" + o.Name, "objectives." + o.Name + ": must be a finite number; report a failed measurement with /fail"}
		}
	}
	return nil
}

const maxFloat = 1.7976931348623157e308

// measures reports whether name is an objective or outcome of spec.
func measures(spec *tycho.Spec, name string) bool {
	for _, o := range spec.Objectives {
		if o.Name == name {
			return true
		}
	}
	for _, o := range spec.Outcomes {
		if o.Name == name {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// finished answers a request that finished an experiment and wakes the
// campaign's runner.
func (s *Server) finished(w http.ResponseWriter, e *tycho.Experiment) {
	s.Hub.Notify(notify.CampaignTopic(e.CampaignID))
	writeJSON(w, http.StatusOK, experimentOut(e))
}

// finishedID answers as finished does, reading the experiment first.
func (s *Server) finishedID(w http.ResponseWriter, r *http.Request, id string) error {
	e, err := s.Store.FindExperiment(r.Context(), id)
	if err != nil {
		return err
	}
	s.finished(w, e)
	return nil
}

type failRequest struct {
	Token   string `json:"token,omitempty"`
	Attempt int    `json:"attempt,omitempty"`
	Error   string `json:"error"`
}

// maxError bounds a stored error message (a driver's stderr tail).
const maxError = 64 << 10

func (s *Server) failExperiment(w http.ResponseWriter, r *http.Request) error {
	var req failRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Error == "" {
		return &fieldError{tycho.EINVALID, "/error", "error: say why the experiment failed"}
	}
	if len(req.Error) > maxError {
		req.Error = "…" + req.Error[len(req.Error)-maxError:]
	}
	id := r.PathValue("id")
	switch {
	case req.Token != "" && req.Attempt != 0:
		return &fieldError{tycho.EINVALID, "/attempt", "give the lease token or the attempt, not both"}
	case req.Token != "":
		e, err := s.Store.FailLeased(r.Context(), id, req.Token, req.Error)
		if err != nil {
			return err
		}
		s.finished(w, e)
		return nil
	case req.Attempt != 0:
		if err := s.Store.FailExperiment(r.Context(), id, req.Attempt, req.Error); err != nil {
			return err
		}
		return s.finishedID(w, r, id)
	default:
		return &fieldError{tycho.EINVALID, "/token", "token: is required: the lease token the experiment was handed out with"}
	}
}

type abandonRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) abandonExperiment(w http.ResponseWriter, r *http.Request) error {
	var req abandonRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Reason == "" {
		return &fieldError{tycho.EINVALID, "/reason", "reason: say why the experiment is abandoned"}
	}
	id := r.PathValue("id")
	if err := s.Store.AbandonExperiment(r.Context(), id, req.Reason); err != nil {
		return err
	}
	return s.finishedID(w, r, id)
}

func (s *Server) approveExperiment(w http.ResponseWriter, r *http.Request) error {
	e, err := s.Store.ApproveExperiment(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.Hub.Notify(notify.LabTopic(labOf(r.Context(), s.Store, e.CampaignID)))
	writeJSON(w, http.StatusOK, experimentOut(e))
	return nil
}

type heartbeatRequest struct {
	Token      string  `json:"token"`
	TTLSeconds float64 `json:"ttl_seconds"`
}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request) error {
	var req heartbeatRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ttl, err := seconds("/ttl_seconds", req.TTLSeconds)
	if err != nil {
		return err
	}
	e, err := s.Store.RenewLease(r.Context(), r.PathValue("id"), req.Token, ttl)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, experimentOut(e))
	return nil
}

type releaseRequest struct {
	Token string `json:"token"`
}

func (s *Server) release(w http.ResponseWriter, r *http.Request) error {
	var req releaseRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := s.Store.ReleaseLease(r.Context(), id, req.Token); err != nil {
		return err
	}
	e, err := s.Store.FindExperiment(r.Context(), id)
	if err != nil {
		return err
	}
	s.Hub.Notify(notify.LabTopic(labOf(r.Context(), s.Store, e.CampaignID)))
	writeJSON(w, http.StatusOK, experimentOut(e))
	return nil
}

type leaseRequest struct {
	Holder      string  `json:"holder"`
	Max         int     `json:"max"`
	TTLSeconds  float64 `json:"ttl_seconds"`
	WaitSeconds float64 `json:"wait_seconds,omitempty"`
}

// MaxLeaseWait bounds a long poll, below common proxies' idle timeouts.
const MaxLeaseWait = 60 * time.Second

// lease leases experiments to an agent, waiting up to wait_seconds for
// some to become ready.
func (s *Server) lease(w http.ResponseWriter, r *http.Request) error {
	var req leaseRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ttl, err := seconds("/ttl_seconds", req.TTLSeconds)
	if err != nil {
		return err
	}
	if req.WaitSeconds < 0 || req.WaitSeconds > MaxLeaseWait.Seconds() {
		return &fieldError{tycho.EINVALID, "/wait_seconds", "wait_seconds: wait between 0 and " + strconv.Itoa(int(MaxLeaseWait.Seconds())) + " seconds"}
	}
	lab := r.PathValue("lab")
	lr := tycho.LeaseRequest{Lab: lab, Holder: req.Holder, Max: req.Max, TTL: ttl}
	if err := tycho.ValidLeaseRequest(lr); err != nil {
		return err
	}
	poll := s.LeasePoll
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	ctx := r.Context()
	deadline := time.Now().Add(time.Duration(req.WaitSeconds * float64(time.Second)))
	for {
		news := s.Hub.Watch(notify.LabTopic(lab))
		start := time.Now()
		exps, err := s.Store.LeaseExperiments(ctx, lr)
		if err != nil {
			return err
		}
		if len(exps) > 0 {
			s.metrics.leaseLatency.Observe(time.Since(start).Seconds())
		}
		left := time.Until(deadline)
		if len(exps) > 0 || left <= 0 {
			writeJSON(w, http.StatusOK, map[string]any{"experiments": experimentsOut(exps)})
			return nil
		}
		if err := notify.Wait(ctx, news, min(left, poll)); err != nil {
			return nil // the agent hung up
		}
	}
}

// seconds turns a duration in seconds from a request into a lease TTL.
func seconds(field string, v float64) (time.Duration, error) {
	d := time.Duration(v * float64(time.Second))
	if err := tycho.ValidLeaseTTL(d); err != nil {
		return 0, &fieldError{tycho.EINVALID, field, field[1:] + ": " + strings.TrimPrefix(tycho.ErrorMessage(err), "ttl: ")}
	}
	return d, nil
}

// idempotencyKey returns the request's Idempotency-Key header, or "".
func idempotencyKey(r *http.Request) (string, error) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 255 {
		return "", tycho.Errorf(tycho.EINVALID, "Idempotency-Key: at most 255 characters")
	}
	return key, nil
}

// sameSpec reports whether two specs are the same campaign.
func sameSpec(a, b *tycho.Spec) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// fieldPointer turns a spec field path such as parameters[0].bounds into
// a JSON Pointer, /parameters/0/bounds.
func fieldPointer(path string) string {
	r := strings.NewReplacer("[", "/", "]", "", ".", "/", "~", "~0")
	return "/" + r.Replace(path)
}

// Routes lists the patterns the server serves, "METHOD /path/{param}".
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.routes() {
		// OpenAPI has no "rest of the path" parameter: {id...} is
		// documented as {id}, saying that it may hold slashes.
		out = append(out, strings.ReplaceAll(r.pattern, "...}", "}"))
	}
	return out
}
