package tycho

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
)

// Lease is a lab's claim on an experiment it runs outside the process that
// proposed it: an instrument agent's, or a notebook's that asked for it.
// The token is the holder's proof: a result, a failure or a heartbeat is
// accepted only with the token of the current lease, so a result that
// arrives after its lease expired and the experiment was leased again is
// refused rather than recorded twice.
type Lease struct {
	// Holder names who holds the lease, such as an agent's name.
	Holder string
	// Token is secret to the holder; stores return it only from the call
	// that grants the lease.
	Token string
	// Expires is when the lease lapses unless renewed; the zero time means
	// never (an ask/tell client's lease).
	Expires time.Time
}

// Expired reports whether the lease has lapsed at now.
func (l *Lease) Expired(now time.Time) bool {
	return l != nil && !l.Expires.IsZero() && !now.Before(l.Expires)
}

// LeaseRequest asks for experiments to run in an agent lab.
type LeaseRequest struct {
	// Lab is the name of the agent lab (the spec's lab.name).
	Lab string
	// Holder names the agent; it is recorded with each lease.
	Holder string
	// Max is the most experiments to lease at once.
	Max int
	// TTL is how long each lease lasts unless renewed.
	TTL time.Duration
}

// MaxLeaseTTL bounds how long a lease may last before it must be renewed.
const MaxLeaseTTL = 24 * time.Hour

// LeaseService hands experiments to labs that run them asynchronously and
// takes their approval.
type LeaseService interface {
	// FindExperiment returns an experiment by ID, without its lease token.
	// Returns ENOTFOUND if it does not exist.
	FindExperiment(ctx context.Context, id string) (*Experiment, error)
	// LeaseExperiments leases up to req.Max experiments ready for the
	// agent lab req.Lab, oldest first: proposed ones (approved ones, when
	// the campaign requires approval) of running campaigns, and those
	// whose lease has expired. Each moves to dispatched with its attempt
	// incremented and a fresh token. No experiment is ever leased to two
	// holders at once, even by several servers sharing one database.
	// Returns an empty slice when nothing is ready.
	LeaseExperiments(ctx context.Context, req LeaseRequest) ([]*Experiment, error)
	// RenewLease extends the lease the token belongs to by ttl from now
	// and moves a dispatched experiment to running. Returns ECONFLICT if
	// the token is not the current lease's, or the experiment is final.
	RenewLease(ctx context.Context, id, token string, ttl time.Duration) (*Experiment, error)
	// ReleaseLease hands a leased experiment back to the queue at once, as
	// if its lease had expired; an agent does so for the work it will not
	// finish when it stops. Releasing it again under the same token, before
	// anyone leases it again, is a no-op. Returns ECONFLICT as RenewLease
	// does.
	ReleaseLease(ctx context.Context, id, token string) error
	// ApproveExperiment approves a proposed experiment for dispatch.
	// Approving an approved experiment is a no-op. Returns ECONFLICT if it
	// is in any other state.
	ApproveExperiment(ctx context.Context, id string) (*Experiment, error)
	// CompleteLeased records the result of the attempt the token leased,
	// as CompleteExperiment does, and returns the experiment as recorded;
	// recording the same result under the same token again is a no-op.
	// Returns ECONFLICT if the experiment is not leased under token, for
	// instance because its lease expired and it was leased again.
	CompleteLeased(ctx context.Context, id, token string, r *Result) (*Experiment, error)
	// FailLeased marks the attempt the token leased failed, keeping msg
	// (a driver's standard error, say), and returns the experiment as
	// recorded. Returns ECONFLICT as CompleteLeased does.
	FailLeased(ctx context.Context, id, token, msg string) (*Experiment, error)
}

// NewLeaseToken returns a fresh random lease token.
func NewLeaseToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("lease token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// HashLeaseToken is how stores keep a token: its SHA-256, so that a copy
// of the database grants no lease. The empty token hashes to "".
func HashLeaseToken(token string) string {
	if token == "" {
		return ""
	}
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// LeaseTokenMatches reports whether token hashes to the stored hash.
func LeaseTokenMatches(stored, token string) bool {
	return stored != "" && subtle.ConstantTimeCompare([]byte(stored), []byte(HashLeaseToken(token))) == 1
}

// ValidLeaseTTL checks a lease duration.
func ValidLeaseTTL(ttl time.Duration) error {
	if ttl <= 0 || ttl > MaxLeaseTTL {
		return Errorf(EINVALID, "ttl: a lease lasts more than 0 and at most %s, got %s", MaxLeaseTTL, ttl)
	}
	return nil
}

// ValidLeaseRequest checks a lease request.
func ValidLeaseRequest(req LeaseRequest) error {
	switch {
	case !validLabName(req.Lab):
		return Errorf(EINVALID, "lab: %q is not a lab name", req.Lab)
	case req.Holder == "" || len(req.Holder) > 200:
		return Errorf(EINVALID, "holder: name the agent that leases, in at most 200 bytes")
	case req.Max < 1 || req.Max > MaxLease:
		return Errorf(EINVALID, "max: lease between 1 and %d experiments at once, got %d", MaxLease, req.Max)
	}
	return ValidLeaseTTL(req.TTL)
}

// MaxLease is the most experiments one lease request may take.
const MaxLease = 1000

// SortForLease orders experiments as a lab's queue hands them out: oldest
// first, then by campaign and Seq.
func SortForLease(exps []*Experiment) {
	slices.SortFunc(exps, func(a, b *Experiment) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.CampaignID, b.CampaignID), cmp.Compare(a.Seq, b.Seq))
	})
}
