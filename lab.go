package tycho

import "context"

// Lab runs experiments: a digital twin in process, an instrument behind an
// agent, or a job on a compute backend.
type Lab interface {
	// Run performs one experiment and returns what was measured. An error
	// of code EINVALID means the experiment itself could not be performed
	// (it is marked failed); any other error is a fault of the lab.
	Run(ctx context.Context, e *Experiment) (*Result, error)
}

// Strategy proposes experiments from what a campaign has seen so far. It is
// deterministic: the same request gives the same proposals.
type Strategy interface {
	Suggest(ctx context.Context, req *SuggestRequest) (*Suggestion, error)
}

// SuggestRequest is everything a strategy may look at.
type SuggestRequest struct {
	Spec *Spec
	// Completed are the experiments with results, Pending those proposed
	// or running whose results are not in yet. Both are ordered by Seq.
	Completed []*Experiment
	Pending   []*Experiment
	// Failed are experiments that produced no result.
	Failed []*Experiment
	// N is the number of experiments wanted.
	N int
	// Seed seeds this generation alone.
	Seed uint64
}

// Suggestion is a strategy's answer: the proposed parameters and how they
// were found. Generation fields that identify the campaign are filled in
// by the caller.
type Suggestion struct {
	Params     []Params
	Generation Generation
}
