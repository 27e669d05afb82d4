package campaign

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"tycho"
	"tycho/internal/notify"
)

// Supervisor keeps a runner going for every running campaign whose lab is
// an agent, for as long as its context lives: the server's side of the
// loop. It looks for such campaigns when told of a new one and every Poll.
// Several servers sharing a database may each supervise the same campaign;
// the store keeps their proposals from colliding.
type Supervisor struct {
	// Runner is the template each campaign's runner is copied from.
	Runner Runner
	Logger *slog.Logger
	// Poll is how often the store is searched for campaigns; 0 means 5 s.
	Poll time.Duration

	mu      sync.Mutex
	running map[string]bool
	wg      sync.WaitGroup
}

// Run supervises until ctx is done, then waits for the runners to stop.
func (s *Supervisor) Run(ctx context.Context) error {
	hub := s.Runner.Hub
	if hub == nil {
		hub = new(notify.Hub)
		s.Runner.Hub = hub
	}
	poll := s.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	defer s.wg.Wait()
	for {
		news := hub.Watch(notify.CampaignsTopic)
		if err := s.scan(ctx); err != nil && ctx.Err() == nil {
			s.log().Error("looking for campaigns to run", "error", err)
		}
		if err := notify.Wait(ctx, news, poll); err != nil {
			return nil
		}
	}
}

func (s *Supervisor) scan(ctx context.Context) error {
	cs, err := s.Runner.Store.ListCampaigns(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running == nil {
		s.running = make(map[string]bool)
	}
	for _, c := range cs {
		if c.Status != tycho.CampaignRunning || c.Spec.Lab.Kind != tycho.LabAgent || s.running[c.ID] {
			continue
		}
		s.running[c.ID] = true
		s.wg.Go(func() { s.run(ctx, c.ID) })
	}
	return nil
}

// run runs one campaign, restarting its runner after an error (after a
// pause) until the campaign finishes or ctx is done.
func (s *Supervisor) run(ctx context.Context, id string) {
	defer func() {
		s.mu.Lock()
		delete(s.running, id)
		s.mu.Unlock()
	}()
	log := s.log().With("campaign", id)
	log.Info("running campaign")
	for {
		r := s.Runner
		r.Logger = log
		c, err := r.Run(ctx, id)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil:
			log.Info("campaign stopped", "status", c.Status, "reason", c.StopReason)
			return
		case tycho.ErrorCode(err) == tycho.ECONFLICT || tycho.ErrorCode(err) == tycho.ENOTFOUND:
			return // finished meanwhile, or gone
		}
		log.Error("campaign runner failed; retrying", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Second):
		}
	}
}

func (s *Supervisor) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}
