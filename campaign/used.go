package campaign

import (
	"sync"

	"tycho"
)

// usedSet remembers which completed experiments of a campaign the store
// has recorded as used by a fit, so that each generation passes only the
// new ones (Generation.Used). Without it every generation would pass every
// result, and a campaign's provenance would cost time quadratic in its
// length. A process that starts afresh passes everything once; the store
// skips what an earlier fit used.
type usedSet struct {
	mu   sync.Mutex
	seen map[string]bool
}

// fresh returns the IDs of the completed experiments not yet recorded.
// A nil set knows nothing.
func (u *usedSet) fresh(completed []*tycho.Experiment) []string {
	out := make([]string, 0, len(completed))
	if u != nil {
		u.mu.Lock()
		defer u.mu.Unlock()
	}
	for _, e := range completed {
		if u == nil || !u.seen[e.ID] {
			out = append(out, e.ID)
		}
	}
	return out
}

// mark records that ids were stored with a generation.
func (u *usedSet) mark(ids []string) {
	if u == nil {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.seen == nil {
		u.seen = make(map[string]bool, len(ids))
	}
	for _, id := range ids {
		u.seen[id] = true
	}
}
