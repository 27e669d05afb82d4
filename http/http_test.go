package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"tycho"
	"tycho/api"
	"tycho/campaign"
	tychohttp "tycho/http"
	"tycho/internal/notify"
	"tycho/optimize"
	"tycho/spec"
	"tycho/sqlite"
	"tycho/storetest"
)

// env is a server on a fresh SQLite store, on loopback, and a client of it.
type env struct {
	db     *sqlite.DB
	server *tychohttp.Server
	url    string
	client *tychohttp.Client
}

func newEnv(t testing.TB) *env {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tycho.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	hub := new(notify.Hub)
	s := &tychohttp.Server{
		Store:      db,
		Provenance: db,
		AskTell:    &campaign.AskTell{Store: db, Strategy: &optimize.Strategy{}, Hub: hub},
		Parse:      func(name string, src []byte) (*tycho.Spec, error) { return spec.Parse(name, src, nil) },
		NewID:      campaign.NewID,
		OpenAPI:    api.OpenAPI,
		Hub:        hub,
		Registry:   prometheus.NewRegistry(),
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	c, err := tychohttp.NewClient(ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &env{db: db, server: s, url: ts.URL, client: c}
}

// TestStoreOverHTTP runs the store conformance suite through the client
// and the server: the client is a tycho.Store like any other.
func TestStoreOverHTTP(t *testing.T) {
	storetest.Run(t, func(t *testing.T) tycho.Store { return newEnv(t).client })
}

var ctx = context.Background()

// createAskTell creates the ask/tell campaign over the API and returns
// its ID.
func (e *env) createAskTell(t *testing.T) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"source": askTellCampaign, "source_name": "asktell.yaml"})
	resp, err := http.Post(e.url+"/v1/campaigns", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct{ ID, Detail string }
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != 201 {
		t.Fatalf("create: %d %v %s", resp.StatusCode, err, c.Detail)
	}
	return c.ID
}
