package tycho

import (
	"context"
	"time"
)

// ExperimentState is where an experiment is in its lifecycle:
// proposed → (approved) → dispatched → running → completed, failed or
// abandoned. The states travel over the wire, so the set only grows.
type ExperimentState string

// Experiment states.
const (
	ExperimentProposed   ExperimentState = "proposed"
	ExperimentApproved   ExperimentState = "approved"
	ExperimentDispatched ExperimentState = "dispatched"
	ExperimentRunning    ExperimentState = "running"
	ExperimentCompleted  ExperimentState = "completed"
	ExperimentFailed     ExperimentState = "failed"
	ExperimentAbandoned  ExperimentState = "abandoned"
)

// ExperimentStates lists the states in lifecycle order.
var ExperimentStates = []ExperimentState{
	ExperimentProposed, ExperimentApproved, ExperimentDispatched, ExperimentRunning,
	ExperimentCompleted, ExperimentFailed, ExperimentAbandoned,
}

// Final reports whether no further transition leaves state s.
func (s ExperimentState) Final() bool {
	return s == ExperimentCompleted || s == ExperimentFailed || s == ExperimentAbandoned
}

// Params holds the value of each parameter of one experiment, by name.
// Continuous and integer values are float64 (integers are whole), and
// categorical values are strings; a fixed parameter has its declared value.
type Params map[string]any

// Experiment is one proposed point of a campaign and what became of it.
type Experiment struct {
	ID         string
	CampaignID string
	// Seq numbers a campaign's experiments from 1 in the order they were
	// proposed; the history of a campaign is ordered by it.
	Seq        int
	Generation int
	Params     Params
	State      ExperimentState
	// Attempt counts the times the experiment was started; a result is
	// accepted only for the current attempt.
	Attempt int
	// Lease is the current or last lease of an experiment run by an agent
	// or an ask/tell client, and nil for one run in process.
	Lease      *Lease
	Result     *Result
	Error      string
	CreatedAt  time.Time
	StartedAt  time.Time
	FinishedAt time.Time
}

// Result is what a lab measured for one experiment.
type Result struct {
	// Objectives holds one value per objective, by name.
	Objectives map[string]float64 `json:"objectives"`
	// Noise optionally holds the standard deviation of each measurement.
	Noise map[string]float64 `json:"noise,omitempty"`
	// Metadata is free-form information from the lab.
	Metadata map[string]any `json:"metadata,omitempty"`
}

// Generation records how a batch of experiments was proposed, so that any
// proposal can be explained and reproduced.
type Generation struct {
	CampaignID string
	// Index numbers a campaign's generations from 1.
	Index int
	// Key, if set, is the idempotency key of the request that created the
	// generation; a campaign's keys are unique, so a retried request finds
	// the generation it created instead of creating a twin.
	Key      string
	Strategy string
	Seed     uint64
	// Observations and Pending count the experiments the strategy saw
	// completed and still in flight.
	Observations int
	Pending      int
	// Model holds the fitted model's hyperparameters, if any.
	Model map[string]any
	// Acquisition holds the acquisition value of each proposed experiment,
	// in proposal order; empty for strategies without one.
	Acquisition []float64
	FitTime     time.Duration
	ProposeTime time.Duration
	CreatedAt   time.Time

	// Used lists the completed experiments whose results the strategy
	// saw. It is not stored with the generation: the store records, as
	// provenance in the same transaction, that the fit used each result
	// no earlier fit of the campaign used.
	Used []string
}

// ExperimentService stores experiments and the generations that proposed
// them.
type ExperimentService interface {
	// AddGeneration stores a generation and its proposed experiments in one
	// transaction, assigning each experiment its Seq. Returns ENOTFOUND if
	// the campaign does not exist and ECONFLICT if the generation index is
	// taken.
	AddGeneration(ctx context.Context, g *Generation, exps []*Experiment) error
	// ListExperiments returns a campaign's experiments ordered by Seq.
	// Returns ENOTFOUND if the campaign does not exist.
	ListExperiments(ctx context.Context, campaignID string) ([]*Experiment, error)
	// ListExperimentsSince returns the experiments of a campaign that
	// changed after the read that returned cursor, ordered by Seq, and the
	// cursor for the next read; cursor 0 returns them all. An unchanged
	// experiment may come again, but no change is ever missed, however
	// many writers there are. A runner keeps a campaign's experiments in
	// memory this way without rereading them all. Returns ENOTFOUND if the
	// campaign does not exist.
	ListExperimentsSince(ctx context.Context, campaignID string, cursor int64) ([]*Experiment, int64, error)
	// FindGeneration returns the generation of a campaign created under an
	// idempotency key. Returns ENOTFOUND if there is none.
	FindGeneration(ctx context.Context, campaignID, key string) (*Generation, error)
	// CountExperiments counts the experiments of all campaigns by state.
	CountExperiments(ctx context.Context) (map[ExperimentState]int, error)
	// ListGenerations returns a campaign's generations ordered by Index.
	ListGenerations(ctx context.Context, campaignID string) ([]*Generation, error)
	// StartExperiment moves an experiment that is not final to running and
	// increments its attempt. Returns ENOTFOUND if it does not exist and
	// ECONFLICT if it is final.
	StartExperiment(ctx context.Context, id string) (*Experiment, error)
	// CompleteExperiment records the result of the given attempt. Recording
	// the same result for the same attempt again is a no-op. Returns
	// ENOTFOUND if the experiment does not exist and ECONFLICT if the
	// attempt is not current or the experiment is already final otherwise.
	CompleteExperiment(ctx context.Context, id string, attempt int, r *Result) error
	// FailExperiment marks the given attempt failed with a message. Returns
	// ENOTFOUND and ECONFLICT as CompleteExperiment does.
	FailExperiment(ctx context.Context, id string, attempt int, msg string) error
	// AbandonExperiment marks an experiment that is not final abandoned,
	// keeping the reason as its Error. Abandoning it again for the same
	// reason is a no-op. Returns ENOTFOUND if it does not exist and
	// ECONFLICT if it is final otherwise.
	AbandonExperiment(ctx context.Context, id string, reason string) error
}

// Store is everything the embedded store and the PostgreSQL store provide.
type Store interface {
	CampaignService
	ExperimentService
	LeaseService
	Close() error
}

// Importer writes records as an export holds them, keeping their IDs,
// numbers, states and times, so that an import reproduces the exporting
// node. Stores implement it; `tycho import` is its only caller.
type Importer interface {
	// ImportCampaign stores a campaign with its generations and
	// experiments, as they are, in one transaction. Returns ECONFLICT if a
	// campaign with its ID exists and EINVALID for records that do not
	// belong together.
	ImportCampaign(ctx context.Context, c *Campaign, gens []*Generation, exps []*Experiment) error
	// ImportVersion stores a dataset version as it is, keeping its Number
	// and CreatedAt; the dataset is created with it if it is the first.
	// Returns ECONFLICT if the version exists, EINVALID if its digest does
	// not match its files.
	ImportVersion(ctx context.Context, v *DatasetVersion) error
	// ImportProvenance stores nodes and edges as exported. Unlike
	// RecordProvenance it accepts an edge to a node that was never
	// recorded, as the exporting store may hold such edges (to records
	// that predate provenance).
	ImportProvenance(ctx context.Context, g *ProvGraph) error
}
