package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"tycho"
)

const campaignColumns = `id, spec, source, source_digest, source_name, status, stop_reason, elapsed_ns, created_at, updated_at`

// CreateCampaign implements tycho.CampaignService. A zero CreatedAt or
// UpdatedAt is stamped with the store's clock and written back to c.
func (db *DB) CreateCampaign(ctx context.Context, c *tycho.Campaign) error {
	if c == nil || c.ID == "" {
		return tycho.Errorf(tycho.EINVALID, "a campaign needs an ID")
	}
	spec, err := json.Marshal(c.Spec)
	if err != nil {
		return tycho.Errorf(tycho.EINVALID, "spec of campaign %s cannot be stored: %v", c.ID, err)
	}
	source := c.Source
	if source == nil {
		source = []byte{}
	}
	created, updated := c.CreatedAt, c.UpdatedAt
	if created.IsZero() {
		created = db.now()
	}
	if updated.IsZero() {
		updated = created
	}
	err = db.tx(ctx, func(tx conn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO campaigns (id, name, spec, source, source_digest, source_name, status, stop_reason, elapsed_ns, created_at, updated_at, queue, approval)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.Spec.Name, string(spec), source, c.SourceDigest, c.SourceName, c.Status, c.StopReason, int64(c.Elapsed), nanos(created), nanos(updated),
			queue(&c.Spec), c.Spec.Lab.Approval)
		if isUnique(err) {
			return tycho.Errorf(tycho.ECONFLICT, "campaign %s already exists", c.ID)
		} else if err != nil {
			return err
		}
		stamped := *c
		stamped.CreatedAt = created
		return insertProv(ctx, tx, tycho.CampaignProvenance(&stamped), created)
	})
	if err != nil {
		return wrap(err, "insert campaign %s", c.ID)
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
	c, err := scanCampaign(db.pool().QueryRowContext(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = ?`, id))
	if err == nil {
		return c, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("find campaign %s: %w", id, err)
	}
	// Not an exact ID: try it as a prefix and as a name. substr, unlike
	// LIKE, gives no character a special meaning.
	rows, err := db.pool().QueryContext(ctx, `SELECT `+campaignColumns+` FROM campaigns
		WHERE substr(id, 1, length(?1)) = ?1 OR name = ?1 ORDER BY created_at DESC, id`, id)
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
	rows, err := db.pool().QueryContext(ctx, `SELECT `+campaignColumns+` FROM campaigns ORDER BY created_at DESC, id`)
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
// the store's clock.
func (db *DB) UpdateCampaign(ctx context.Context, id string, upd tycho.CampaignUpdate) (*tycho.Campaign, error) {
	var c *tycho.Campaign
	err := db.tx(ctx, func(tx conn) error {
		var err error
		c, err = scanCampaign(tx.QueryRowContext(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return tycho.Errorf(tycho.ENOTFOUND, "campaign %q not found", id)
		} else if err != nil {
			return err
		}
		if upd.Status != nil {
			c.Status = *upd.Status
		}
		if upd.StopReason != nil {
			c.StopReason = *upd.StopReason
		}
		if upd.Elapsed != nil {
			c.Elapsed = *upd.Elapsed
		}
		c.UpdatedAt = db.now()
		_, err = tx.ExecContext(ctx, `UPDATE campaigns SET status = ?, stop_reason = ?, elapsed_ns = ?, updated_at = ? WHERE id = ?`,
			c.Status, c.StopReason, int64(c.Elapsed), nanos(c.UpdatedAt), id)
		return err
	})
	if err != nil {
		return nil, wrap(err, "update campaign %s", id)
	}
	return c, nil
}

func scanCampaign(s scanner) (*tycho.Campaign, error) {
	var c tycho.Campaign
	var spec []byte
	var elapsed, created, updated int64
	if err := s.Scan(&c.ID, &spec, &c.Source, &c.SourceDigest, &c.SourceName, &c.Status, &c.StopReason, &elapsed, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(spec, &c.Spec); err != nil {
		return nil, fmt.Errorf("decode spec of campaign %s: %w", c.ID, err)
	}
	c.Elapsed = time.Duration(elapsed)
	c.CreatedAt, c.UpdatedAt = fromNanos(created), fromNanos(updated)
	return &c, nil
}

func scanCampaigns(rows *sql.Rows) ([]*tycho.Campaign, error) {
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
