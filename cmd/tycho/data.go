package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"tycho"
	tychohttp "tycho/http"
	"tycho/sqlite"
)

// dataFlag registers --data on fs and returns where its value lands.
func dataFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("TYCHO_DATA")
	if def == "" {
		def = "tycho-data"
	}
	return fs.String("data", def, "data directory (default $TYCHO_DATA, else ./tycho-data)")
}

// openStore opens the store in the data directory dir. With create false a
// missing directory is an error rather than created.
func openStore(ctx context.Context, dir string, create bool) (*sqlite.DB, error) {
	path := filepath.Join(dir, "tycho.db")
	if !create {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			return nil, tycho.Errorf(tycho.ENOTFOUND, "no Tycho data in %s (set --data or $TYCHO_DATA, or start a campaign with tycho run)", dir)
		}
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	return sqlite.Open(ctx, path)
}

// where says where a command finds campaigns: a server, or the local
// data directory.
type where struct {
	data, server *string
}

// whereFlags registers --data and --server on fs.
func whereFlags(fs *flag.FlagSet) where {
	return where{
		data:   dataFlag(fs),
		server: fs.String("server", os.Getenv("TYCHO_SERVER"), "a Tycho server's URL (default $TYCHO_SERVER); without one, the data directory is used"),
	}
}

// remote reports whether a server was named.
func (w where) remote() bool { return *w.server != "" }

// String names the store for messages.
func (w where) String() string {
	if w.remote() {
		return "server " + *w.server
	}
	return "data in " + *w.data
}

// open returns the store: a client of the server if one was named, else
// the data directory's (created if create is set).
func (w where) open(ctx context.Context, create bool) (tycho.Store, error) {
	if !w.remote() {
		return openStore(ctx, *w.data, create)
	}
	c, err := tychohttp.NewClient(*w.server, nil)
	if err != nil {
		return nil, err
	}
	if err := c.Ready(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// loadCampaign opens the store and returns the campaign that id names
// (an ID, a unique ID prefix or a name) with its experiments. The caller
// closes the store.
func loadCampaign(ctx context.Context, w where, id string) (tycho.Store, *tycho.Campaign, []*tycho.Experiment, error) {
	store, err := w.open(ctx, false)
	if err != nil {
		return nil, nil, nil, err
	}
	camp, err := store.FindCampaign(ctx, id)
	if err != nil {
		store.Close()
		return nil, nil, nil, err
	}
	exps, err := store.ListExperiments(ctx, camp.ID)
	if err != nil {
		store.Close()
		return nil, nil, nil, err
	}
	return store, camp, exps, nil
}
