package http

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"tycho"
	"tycho/openlineage"
)

// provenance returns the service that answers provenance routes.
func (s *Server) provenance() (tycho.ProvenanceService, error) {
	if s.Provenance == nil {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "this server keeps no provenance")
	}
	return s.Provenance, nil
}

// lineage answers GET /v1/lineage/{id...}?direction=&depth=&limit=&after=.
func (s *Server) lineage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.provenance()
	if err != nil {
		return err
	}
	q := tycho.LineageQuery{ID: r.PathValue("id")}
	v := r.URL.Query()
	q.Direction = tycho.LineageDirection(v.Get("direction"))
	if q.Depth, err = intParam(v, "depth"); err != nil {
		return err
	}
	if q.Limit, err = intParam(v, "limit"); err != nil {
		return err
	}
	q.After = v.Get("after")
	l, err := p.Lineage(r.Context(), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// intParam reads an optional integer query parameter; absent is 0.
func intParam(v url.Values, name string) (int, error) {
	s := v.Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, &fieldError{tycho.EINVALID, name, name + ": want an integer, got " + strconv.Quote(s)}
	}
	return n, nil
}

// provNode answers GET /v1/provenance/nodes/{id...}.
func (s *Server) provNode(w http.ResponseWriter, r *http.Request) error {
	p, err := s.provenance()
	if err != nil {
		return err
	}
	n, err := p.FindProvNode(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

// provGraphPage is a page of the whole graph on the wire.
type provGraphPage struct {
	tycho.ProvGraph
	Next string `json:"next,omitempty"`
}

// listProvenance answers GET /v1/provenance?after=&limit=.
func (s *Server) listProvenance(w http.ResponseWriter, r *http.Request) error {
	p, err := s.provenance()
	if err != nil {
		return err
	}
	limit, err := intParam(r.URL.Query(), "limit")
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = tycho.DefaultLineageLimit
	}
	if limit > tycho.MaxLineageLimit {
		return &fieldError{tycho.EINVALID, "limit", "limit: at most " + strconv.Itoa(tycho.MaxLineageLimit)}
	}
	g, next, err := p.ListProvenance(r.Context(), r.URL.Query().Get("after"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, provGraphPage{ProvGraph: *g, Next: next})
	return nil
}

// recordProvenance answers POST /v1/provenance with a graph to add.
func (s *Server) recordProvenance(w http.ResponseWriter, r *http.Request) error {
	p, err := s.provenance()
	if err != nil {
		return err
	}
	var g tycho.ProvGraph
	if err := decode(w, r, &g); err != nil {
		return err
	}
	if err := p.RecordProvenance(r.Context(), &g); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// openLineage answers POST /v1/lineage/openlineage with one RunEvent, as
// OpenLineage's HTTP transport sends it.
func (s *Server) openLineage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.provenance()
	if err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, openlineage.MaxEvent))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &fieldError{etooLarge, "", "an OpenLineage event is at most " + strconv.Itoa(openlineage.MaxEvent) + " bytes"}
	} else if err != nil {
		return &fieldError{tycho.EINVALID, "", "the body could not be read: " + err.Error()}
	}
	ev, err := openlineage.Parse("OpenLineage event", body)
	if err != nil {
		return err
	}
	if err := p.RecordProvenance(r.Context(), ev.Provenance()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

var _ tycho.ProvenanceService = (*Client)(nil)

// RecordProvenance implements tycho.ProvenanceService. Recording is
// idempotent, so it is retried.
func (c *Client) RecordProvenance(ctx context.Context, g *tycho.ProvGraph) error {
	return c.do(ctx, call{method: "POST", path: "/v1/provenance", body: g, retry: true}, nil)
}

// FindProvNode implements tycho.ProvenanceService.
func (c *Client) FindProvNode(ctx context.Context, id string) (*tycho.ProvNode, error) {
	var n tycho.ProvNode
	if err := c.do(ctx, call{method: "GET", path: "/v1/provenance/nodes/" + escPath(id), retry: true}, &n); err != nil {
		return nil, err
	}
	return &n, nil
}

// Lineage implements tycho.ProvenanceService.
func (c *Client) Lineage(ctx context.Context, q tycho.LineageQuery) (*tycho.Lineage, error) {
	v := url.Values{}
	if q.Direction != "" {
		v.Set("direction", string(q.Direction))
	}
	if q.Depth != 0 {
		v.Set("depth", strconv.Itoa(q.Depth))
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.After != "" {
		v.Set("after", q.After)
	}
	if q.ID == "" {
		return nil, tycho.Errorf(tycho.EINVALID, "provenance ID %q: use 1 to 512 characters", q.ID)
	}
	path := "/v1/lineage/" + escPath(q.ID)
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var l tycho.Lineage
	if err := c.do(ctx, call{method: "GET", path: path, retry: true}, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// ListProvenance implements tycho.ProvenanceService.
func (c *Client) ListProvenance(ctx context.Context, after string, limit int) (*tycho.ProvGraph, string, error) {
	if limit < 1 {
		return nil, "", tycho.Errorf(tycho.EINVALID, "provenance page size %d: use at least 1", limit)
	}
	v := url.Values{"limit": {strconv.Itoa(limit)}}
	if after != "" {
		v.Set("after", after)
	}
	var p provGraphPage
	if err := c.do(ctx, call{method: "GET", path: "/v1/provenance?" + v.Encode(), retry: true}, &p); err != nil {
		return nil, "", err
	}
	return &p.ProvGraph, p.Next, nil
}

// ReportOpenLineage sends one OpenLineage RunEvent, as raw JSON.
func (c *Client) ReportOpenLineage(ctx context.Context, event []byte) error {
	return c.do(ctx, call{method: "POST", path: "/v1/lineage/openlineage", body: rawJSON(event), retry: true}, nil)
}

// rawJSON is sent as it is.
type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

// escPath escapes each segment of a slash-separated ID.
func escPath(id string) string {
	return (&url.URL{Path: id}).EscapedPath()
}
