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

// CreateCampaign implements tycho.CampaignService.
func (db *DB) CreateCampaign(ctx context.Context, c *tycho.Campaign) error {
	spec, err := json.Marshal(c.Spec)
	if err != nil {
		return fmt.Errorf("encode spec: %w", err)
	}
	source := c.Source
	if source == nil {
		source = []byte{}
	}
	_, err = db.db.ExecContext(ctx, `INSERT INTO campaigns (id, name, spec, source, source_digest, source_name, status, stop_reason, elapsed_ns, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Spec.Name, spec, source, c.SourceDigest, c.SourceName, c.Status, c.StopReason, int64(c.Elapsed), nanos(c.CreatedAt), nanos(c.UpdatedAt))
	if isConstraint(err) {
		return tycho.Errorf(tycho.ECONFLICT, "campaign %s already exists", c.ID)
	} else if err != nil {
		return fmt.Errorf("insert campaign %s: %w", c.ID, err)
	}
	return nil
}

// FindCampaign implements tycho.CampaignService.
func (db *DB) FindCampaign(ctx context.Context, id string) (*tycho.Campaign, error) {
	c, err := scanCampaign(db.db.QueryRowContext(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = ?`, id))
	if err == nil {
		return c, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("find campaign %s: %w", id, err)
	}
	// Not an exact ID: try it as a prefix, then as a name.
	rows, err := db.db.QueryContext(ctx, `SELECT `+campaignColumns+` FROM campaigns
		WHERE substr(id, 1, length(?)) = ? OR name = ? ORDER BY created_at DESC, id`, id, id, id)
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

// ListCampaigns implements tycho.CampaignService.
func (db *DB) ListCampaigns(ctx context.Context) ([]*tycho.Campaign, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+campaignColumns+` FROM campaigns ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	list, err := scanCampaigns(rows)
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	return list, nil
}

// UpdateCampaign implements tycho.CampaignService.
func (db *DB) UpdateCampaign(ctx context.Context, id string, upd tycho.CampaignUpdate) (*tycho.Campaign, error) {
	var c *tycho.Campaign
	err := db.tx(ctx, func(tx *sql.Tx) error {
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
		if tycho.ErrorCode(err) != tycho.EINTERNAL {
			return nil, err
		}
		return nil, fmt.Errorf("update campaign %s: %w", id, err)
	}
	return c, nil
}

type scanner interface{ Scan(...any) error }

func scanCampaign(s scanner) (*tycho.Campaign, error) {
	var c tycho.Campaign
	var spec string
	var elapsed, created, updated int64
	if err := s.Scan(&c.ID, &spec, &c.Source, &c.SourceDigest, &c.SourceName, &c.Status, &c.StopReason, &elapsed, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(spec), &c.Spec); err != nil {
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
