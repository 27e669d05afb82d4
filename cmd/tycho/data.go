package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"tycho"
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

// loadCampaign opens the store in dir and returns the campaign that id names
// (an ID, a unique ID prefix or a name) with its experiments. The caller
// closes the store.
func loadCampaign(ctx context.Context, dir, id string) (*sqlite.DB, *tycho.Campaign, []*tycho.Experiment, error) {
	store, err := openStore(ctx, dir, false)
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
