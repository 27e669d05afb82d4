package notify

import (
	"context"
	"testing"
	"time"
)

func TestNotifyWakesWatchers(t *testing.T) {
	var h Hub
	a, b := h.Watch("x"), h.Watch("x")
	other := h.Watch("y")
	h.Notify("x")
	for _, ch := range []<-chan struct{}{a, b} {
		select {
		case <-ch:
		default:
			t.Fatal("a watcher of x was not woken")
		}
	}
	select {
	case <-other:
		t.Fatal("a watcher of y was woken by x")
	default:
	}
	if ch := h.Watch("x"); ch == a {
		t.Fatal("a new watch reuses a closed channel")
	}
}

func TestWaitTimesOutAndCancels(t *testing.T) {
	var h Hub
	if err := Wait(context.Background(), h.Watch("x"), time.Millisecond); err != nil {
		t.Fatalf("timeout: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Wait(ctx, h.Watch("x"), time.Hour); err == nil {
		t.Fatal("a cancelled wait returned nil")
	}
}
