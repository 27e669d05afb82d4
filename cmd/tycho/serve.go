package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"tycho"
	"tycho/api"
	"tycho/blob"
	"tycho/campaign"
	tychohttp "tycho/http"
	"tycho/internal/notify"
	"tycho/optimize"
	"tycho/postgres"
	"tycho/spec"
)

// serveCommand is "tycho serve": the REST API, the ask/tell service and
// the runners of agent-lab campaigns.
type serveCommand struct {
	stdout, stderr io.Writer
	// ready, if set, receives the address the server listens on.
	ready func(addr string)
}

func (c *serveCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("serve", "serve [--addr HOST:PORT] [--data DIR | --store postgres://...]", c.stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	dataDir := dataFlag(fs)
	storeURL := fs.String("store", "", "postgres://... to use PostgreSQL (default: SQLite in the data directory)")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	grace := fs.Duration("shutdown-grace", 10*time.Second, "how long requests in flight may finish on shutdown")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	log, err := newLogger(c.stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}

	store, where, err := openServerStore(ctx, *dataDir, *storeURL)
	if err != nil {
		return err
	}
	defer store.Close()
	chunks, err := blob.Open(filepath.Join(*dataDir, "blobs"))
	if err != nil {
		return err
	}

	hub := new(notify.Hub)
	strategy := &optimize.Strategy{}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv := &tychohttp.Server{
		Store:   store,
		AskTell: &campaign.AskTell{Store: store, Strategy: strategy, Hub: hub, Logger: log},
		Parse: func(name string, src []byte) (*tycho.Spec, error) {
			return spec.Parse(name, src, labChecker(name))
		},
		NewID:    campaign.NewID,
		OpenAPI:  api.OpenAPI,
		Hub:      hub,
		Logger:   log,
		Registry: reg,
		// Both stores keep provenance and datasets; the chunks are in
		// the data directory.
		Provenance: store.(tycho.ProvenanceService),
		Datasets:   store.(tycho.DatasetService),
		Chunks:     chunks,
	}
	sup := &campaign.Supervisor{
		Runner: campaign.Runner{Store: store, Strategy: strategy, Hub: hub},
		Logger: log,
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("serving", "addr", ln.Addr().String(), "store", where, "version", version)
	fmt.Fprintf(c.stderr, "tycho serve: listening on http://%s (store: %s)\n", ln.Addr(), where)
	if c.ready != nil {
		c.ready(ln.Addr().String())
	}

	runCtx, stopRunners := context.WithCancel(context.WithoutCancel(ctx))
	supDone := make(chan struct{})
	go func() {
		defer close(supDone)
		_ = sup.Run(runCtx)
	}()
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	select {
	case err = <-served:
	case <-ctx.Done():
		log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), *grace)
		err = hs.Shutdown(sctx)
		cancel()
	}
	// Runners stop at their next safe point; leases stay in the store and
	// survive the restart, as does everything else.
	stopRunners()
	<-supDone
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// openServerStore opens PostgreSQL if url is given, else SQLite in dir.
func openServerStore(ctx context.Context, dir, url string) (tycho.Store, string, error) {
	if url == "" {
		db, err := openStore(ctx, dir, true)
		return db, "sqlite " + dir, err
	}
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		return nil, "", tycho.Errorf(tycho.EINVALID, "--store: want postgres://USER@HOST:PORT/DB, got %q", url)
	}
	db, err := postgres.Open(ctx, url)
	return db, "postgres", err
}

// newLogger returns a slog logger writing to w.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "--log-level: want debug, info, warn or error, got %q", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, tycho.Errorf(tycho.EINVALID, "--log-format: want text or json, got %q", format)
}
