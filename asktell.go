package tycho

import "context"

// AskTellService lets a notebook or an external optimizer drive a
// campaign whose lab is external: it asks for experiments, runs them
// wherever it likes and tells the results back (with the lease token each
// proposal carries, through LeaseService.CompleteLeased or FailLeased).
type AskTellService interface {
	// Suggest proposes up to req.N experiments, accounting for those still
	// in flight, and returns them leased to req.Holder without expiry.
	// Returns ECONFLICT, and marks the campaign completed, if a stop rule
	// has fired. With a key, a retried request returns the experiments the
	// first one proposed, tokens included, and proposes nothing.
	Suggest(ctx context.Context, campaignID string, req SuggestParams) ([]*Experiment, error)
	// Attach records an experiment run outside Tycho's proposals, with its
	// result (or its error, when it failed). With a key, a retried request
	// returns the experiment the first one recorded.
	Attach(ctx context.Context, campaignID, key string, e *Experiment) (*Experiment, error)
}

// SuggestParams asks for experiments.
type SuggestParams struct {
	// N is the number of experiments wanted, at most MaxSuggest.
	N int
	// Holder names the caller; it is recorded with each lease.
	Holder string
	// Key is the request's idempotency key, or "".
	Key string
}

// MaxSuggest is the most experiments one suggestion may ask for.
const MaxSuggest = 1000

// StrategyExternal names the generation of an attached experiment.
const StrategyExternal = "external"
