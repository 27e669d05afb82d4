// Package notify wakes goroutines of one process waiting for news on a
// topic, such as "experiments are ready for lab reactor-1" or "a result
// came in for campaign c". It carries no data: a woken waiter rereads the
// store, which stays the only source of truth. Processes sharing a
// database do not hear each other, so waiters also wake on a timeout and
// look again.
package notify

import (
	"context"
	"sync"
	"time"
)

// Hub is a set of topics. The zero Hub is ready to use.
type Hub struct {
	mu     sync.Mutex
	topics map[string]chan struct{}
}

// Notify wakes everyone waiting on topic.
func (h *Hub) Notify(topic string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ch, ok := h.topics[topic]; ok {
		close(ch)
		delete(h.topics, topic)
	}
}

// Watch returns a channel closed at the next Notify of topic. Take it
// before looking at the store, then wait on it, so that news arriving in
// between is not missed.
func (h *Hub) Watch(topic string) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.topics == nil {
		h.topics = make(map[string]chan struct{})
	}
	ch, ok := h.topics[topic]
	if !ok {
		ch = make(chan struct{})
		h.topics[topic] = ch
	}
	return ch
}

// Wait blocks until ch is closed, d has passed or ctx is done, and
// returns ctx's error in the last case.
func Wait(ctx context.Context, ch <-chan struct{}, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// Topics used across packages.

// LabTopic is notified when experiments may have become ready for lab.
func LabTopic(lab string) string { return "lab/" + lab }

// CampaignTopic is notified when an experiment of campaign id finished or
// the campaign changed.
func CampaignTopic(id string) string { return "campaign/" + id }

// CampaignsTopic is notified when a campaign was created.
const CampaignsTopic = "campaigns"
