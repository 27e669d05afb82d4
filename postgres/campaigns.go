package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"tycho"
)

const campaignColumns = `id, spec, source, source_digest, source_name, status, stop_reason, elapsed_ns, created_at, updated_at`

// CreateCampaign implements tycho.CampaignService. A zero CreatedAt or
// UpdatedAt is stamped with the store's clock; both are written back to c
// as stored, to the microsecond.
func (db *DB) CreateCampaign(ctx context.Context, c *tycho.Campaign) error {
	if c == nil || c.ID == "" {
		return tycho.Errorf(tycho.EINVALID, "a campaign needs an ID")
	}
	if err := checkText("campaign ID", c.ID, "campaign name", c.Spec.Name, "source digest", c.SourceDigest, "status", string(c.Status), "lab name", c.Spec.Lab.Name); err != nil {
		return err
	}
	spec, err := json.Marshal(c.Spec)
	if err != nil {
		return tycho.Errorf(tycho.EINVALID, "spec of campaign %s cannot be stored: %v", c.ID, err)
	}
	source := c.Source
	if source == nil {
		source = []byte{}
	}
	created, updated := micro(c.CreatedAt), micro(c.UpdatedAt)
	if created.IsZero() {
		created = db.clock()
	}
	if updated.IsZero() {
		updated = created
	}
	stamped := *c
	stamped.CreatedAt = created
	err = db.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO campaigns (id, name, spec, source, source_digest, source_name, status, stop_reason, elapsed_ns, created_at, updated_at, queue, approval)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			c.ID, c.Spec.Name, spec, source, c.SourceDigest, blob(c.SourceName), string(c.Status), blob(c.StopReason), int64(c.Elapsed),
			created, updated, queue(&c.Spec), c.Spec.Lab.Approval)
		if _, ok := uniqueViolation(err); ok {
			return tycho.Errorf(tycho.ECONFLICT, "campaign %s already exists", c.ID)
		} else if err != nil {
			return fmt.Errorf("insert campaign %s: %w", c.ID, err)
		}
		return insertProv(ctx, tx, tycho.CampaignProvenance(&stamped), created)
	})
	if err != nil {
		return err
	}
	c.CreatedAt, c.UpdatedAt = created, updated
	return nil
}

// FindCampaign implements tycho.CampaignService. An exact ID wins over
// prefixes and names; an empty id is EINVALID.
func (db *DB) FindCampaign(ctx context.Context, id string) (*tycho.Campaign, error) {
	if id == "" {
		return nil, tycho.Errorf(tycho.EINVALID, "no campaign ID or name given")
	}
	if !storable(id) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "campaign %q not found", id)
	}
	c, err := scanCampaign(db.pool.QueryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = $1`, id))
	if err == nil {
		return c, nil
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("find campaign %s: %w", id, err)
	}
	// Not an exact ID: try it as a prefix and as a name. starts_with,
	// unlike LIKE, gives no character a special meaning.
	rows, err := db.pool.Query(ctx, `SELECT `+campaignColumns+` FROM campaigns
		WHERE starts_with(id, $1) OR name = $1 ORDER BY created_at DESC, id`, id)
	if err != nil {
		return nil, fmt.Errorf("find campaign %s: %w", id, err)
	}
	list, err := scanCampaigns(rows)
	if err != nil {
		return nil, fmt.Errorf("find campaign %s: %w", id, err)
	}
	switch len(list) {
	case 0:
		return nil, tycho.Errorf(tycho.ENOTFOUND, "campaign %q not found", id)
	case 1:
		return list[0], nil
	}
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	return nil, tycho.Errorf(tycho.EINVALID, "%q matches %d campaigns (%s); give more of the ID", id, len(list), strings.Join(ids, ", "))
}

// ListCampaigns implements tycho.CampaignService. Campaigns created at the
// same instant are ordered by ID.
func (db *DB) ListCampaigns(ctx context.Context) ([]*tycho.Campaign, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+campaignColumns+` FROM campaigns ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	list, err := scanCampaigns(rows)
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	return list, nil
}

// UpdateCampaign implements tycho.CampaignService. It stamps UpdatedAt with
// the store's clock. One statement reads and writes the row, so updates
// racing from several servers each apply whole.
func (db *DB) UpdateCampaign(ctx context.Context, id string, upd tycho.CampaignUpdate) (*tycho.Campaign, error) {
	if !storable(id) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "campaign %q not found", id)
	}
	var status *string
	if upd.Status != nil {
		s := string(*upd.Status)
		if err := checkText("status", s); err != nil {
			return nil, err
		}
		status = &s
	}
	var reason []byte // NULL keeps the stored reason
	if upd.StopReason != nil {
		reason = blob(*upd.StopReason)
	}
	var elapsed *int64
	if upd.Elapsed != nil {
		ns := int64(*upd.Elapsed)
		elapsed = &ns
	}
	c, err := scanCampaign(db.pool.QueryRow(ctx, `UPDATE campaigns SET
			status = COALESCE($2, status), stop_reason = COALESCE($3, stop_reason),
			elapsed_ns = COALESCE($4, elapsed_ns), updated_at = $5
		WHERE id = $1 RETURNING `+campaignColumns,
		id, status, reason, elapsed, db.clock()))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "campaign %q not found", id)
	} else if err != nil {
		return nil, fmt.Errorf("update campaign %s: %w", id, err)
	}
	return c, nil
}

func scanCampaign(s scanner) (*tycho.Campaign, error) {
	var c tycho.Campaign
	var spec, sourceName, stopReason []byte
	var status string
	var elapsed int64
	var created, updated pgtype.Timestamptz
	if err := s.Scan(&c.ID, &spec, &c.Source, &c.SourceDigest, &sourceName, &status, &stopReason, &elapsed, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(spec, &c.Spec); err != nil {
		return nil, fmt.Errorf("decode spec of campaign %s: %w", c.ID, err)
	}
	c.SourceName, c.Status, c.StopReason = string(sourceName), tycho.CampaignStatus(status), string(stopReason)
	c.Elapsed = time.Duration(elapsed)
	c.CreatedAt, c.UpdatedAt = fromTimestamp(created), fromTimestamp(updated)
	return &c, nil
}

func scanCampaigns(rows pgx.Rows) ([]*tycho.Campaign, error) {
	defer rows.Close()
	var out []*tycho.Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// queue is the agent lab a campaign's experiments are leased from, or ""
// for a campaign whose experiments no agent may lease.
func queue(s *tycho.Spec) string {
	if s.Lab.Kind != tycho.LabAgent {
		return ""
	}
	return s.Lab.Name
}
