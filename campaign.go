package tycho

import (
	"context"
	"time"
)

// CampaignStatus is where a campaign is in its life.
type CampaignStatus string

// Campaign statuses. A running campaign may be resumed; the others are final.
const (
	CampaignRunning   CampaignStatus = "running"
	CampaignCompleted CampaignStatus = "completed"
	CampaignFailed    CampaignStatus = "failed"
)

// Campaign is one run of the closed loop over a spec.
type Campaign struct {
	ID   string
	Spec Spec
	// Source is the campaign file as written and SourceDigest its SHA-256
	// (hex), so a resume can tell whether the file changed underneath it.
	Source       []byte
	SourceDigest string
	SourceName   string
	Status       CampaignStatus
	// StopReason says why a finished campaign stopped, in words.
	StopReason string
	// Elapsed is the wall time the campaign has spent running, summed over
	// resumes; the MaxWallTime budget is charged against it.
	Elapsed   time.Duration
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CampaignUpdate changes the mutable fields of a campaign. Nil fields are
// left as they are.
type CampaignUpdate struct {
	Status     *CampaignStatus
	StopReason *string
	Elapsed    *time.Duration
}

// CampaignService stores campaigns.
type CampaignService interface {
	// CreateCampaign stores a new campaign. Returns ECONFLICT if a campaign
	// with the same ID exists.
	CreateCampaign(ctx context.Context, c *Campaign) error
	// FindCampaign returns a campaign by ID, or by a unique ID prefix or
	// name. Returns ENOTFOUND if none matches and EINVALID if several do.
	FindCampaign(ctx context.Context, id string) (*Campaign, error)
	// ListCampaigns returns all campaigns, newest first.
	ListCampaigns(ctx context.Context) ([]*Campaign, error)
	// UpdateCampaign applies upd. Returns ENOTFOUND if the campaign does not
	// exist.
	UpdateCampaign(ctx context.Context, id string, upd CampaignUpdate) (*Campaign, error)
}
