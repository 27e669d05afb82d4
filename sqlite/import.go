package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"tycho"
	"tycho/internal/storejson"
)

var _ tycho.Importer = (*DB)(nil)

// ImportCampaign implements tycho.Importer. Every experiment gets revision
// 1, so a reader's first ListExperimentsSince returns them all and the
// next write after the import is revision 2. Leases keep their holder and
// expiry but no token: an imported store has no lease secrets, so a
// leased experiment returns to the queue when its lease expires. Nothing
// is recorded as provenance: an import brings its provenance graph whole
// (ImportProvenance).
func (db *DB) ImportCampaign(ctx context.Context, c *tycho.Campaign, gens []*tycho.Generation, exps []*tycho.Experiment) error {
	if c == nil || c.ID == "" {
		return tycho.Errorf(tycho.EINVALID, "a campaign needs an ID")
	}
	switch c.Status {
	case tycho.CampaignRunning, tycho.CampaignCompleted, tycho.CampaignFailed:
	default:
		return tycho.Errorf(tycho.EINVALID, "campaign %s: unknown status %q", c.ID, c.Status)
	}
	spec, err := json.Marshal(c.Spec)
	if err != nil {
		return tycho.Errorf(tycho.EINVALID, "spec of campaign %s cannot be stored: %v", c.ID, err)
	}
	source := c.Source
	if source == nil {
		source = []byte{}
	}

	type genRow struct {
		g          *tycho.Generation
		model, acq []byte
	}
	grows := make([]genRow, len(gens))
	indexes := make(map[int]bool, len(gens))
	keys := make(map[string]bool)
	for i, g := range gens {
		if g == nil {
			return tycho.Errorf(tycho.EINVALID, "campaign %s: generation %d is missing", c.ID, i+1)
		}
		if g.CampaignID != c.ID {
			return tycho.Errorf(tycho.EINVALID, "generation %d belongs to campaign %q, not %s", g.Index, g.CampaignID, c.ID)
		}
		if g.Index < 1 {
			return tycho.Errorf(tycho.EINVALID, "generation %d of campaign %s: generations are numbered from 1", g.Index, c.ID)
		}
		if indexes[g.Index] {
			return tycho.Errorf(tycho.EINVALID, "campaign %s: generation %d given twice", c.ID, g.Index)
		}
		indexes[g.Index] = true
		if g.Key != "" {
			if keys[g.Key] {
				return tycho.Errorf(tycho.EINVALID, "campaign %s: idempotency key %q given to two generations", c.ID, g.Key)
			}
			keys[g.Key] = true
		}
		r := genRow{g: g}
		if r.model, err = storejson.EncodeModel(g.Model); err != nil {
			return err
		}
		if r.acq, err = storejson.EncodeNumbers(g.Acquisition); err != nil {
			return tycho.Errorf(tycho.EINVALID, "generation %d of campaign %s: acquisition values cannot be stored: %v", g.Index, c.ID, err)
		}
		grows[i] = r
	}

	type expRow struct {
		e      *tycho.Experiment
		params string
		result *string
	}
	erows := make([]expRow, len(exps))
	ids := make(map[string]bool, len(exps))
	seqs := make(map[int]bool, len(exps))
	for i, e := range exps {
		if e == nil || e.ID == "" {
			return tycho.Errorf(tycho.EINVALID, "campaign %s: experiment %d needs an ID", c.ID, i+1)
		}
		switch {
		case e.CampaignID != c.ID:
			return tycho.Errorf(tycho.EINVALID, "experiment %s belongs to campaign %q, not %s", e.ID, e.CampaignID, c.ID)
		case ids[e.ID]:
			return tycho.Errorf(tycho.EINVALID, "campaign %s: experiment %s given twice", c.ID, e.ID)
		case e.Seq < 1 || seqs[e.Seq]:
			return tycho.Errorf(tycho.EINVALID, "experiment %s of campaign %s: sequence number %d is below 1 or taken", e.ID, c.ID, e.Seq)
		case !indexes[e.Generation]:
			return tycho.Errorf(tycho.EINVALID, "experiment %s of campaign %s: generation %d is not among the campaign's", e.ID, c.ID, e.Generation)
		case !slices.Contains(tycho.ExperimentStates, e.State):
			return tycho.Errorf(tycho.EINVALID, "experiment %s of campaign %s: unknown state %q", e.ID, c.ID, e.State)
		case e.Attempt < 0:
			return tycho.Errorf(tycho.EINVALID, "experiment %s of campaign %s: attempt %d", e.ID, c.ID, e.Attempt)
		}
		ids[e.ID], seqs[e.Seq] = true, true
		params, err := storejson.EncodeParams(e.Params)
		if err != nil {
			return tycho.Errorf(tycho.EINVALID, "experiment %s: %s", e.ID, tycho.ErrorMessage(err))
		}
		r := expRow{e: e, params: string(params)}
		if e.Result != nil {
			body, err := storejson.ResultBody(e.ID, e.Result)
			if err != nil {
				return err
			}
			s := string(body)
			r.result = &s
		}
		erows[i] = r
	}

	err = db.tx(ctx, func(tx conn) error {
		if ok, err := campaignExists(ctx, tx, c.ID); err != nil {
			return err
		} else if ok {
			return tycho.Errorf(tycho.ECONFLICT, "campaign %s already exists", c.ID)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO campaigns (id, name, spec, source, source_digest, source_name, status, stop_reason, elapsed_ns, created_at, updated_at, queue, approval)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.Spec.Name, string(spec), source, c.SourceDigest, c.SourceName, c.Status, c.StopReason, int64(c.Elapsed),
			nanos(c.CreatedAt), nanos(c.UpdatedAt), queue(&c.Spec), c.Spec.Lab.Approval); err != nil {
			return fmt.Errorf("insert campaign: %w", err)
		}
		for _, r := range grows {
			g := r.g
			if _, err := tx.ExecContext(ctx, `INSERT INTO generations (campaign_id, idx, strategy, seed, observations, pending, model, acquisition, fit_ns, propose_ns, created_at, key)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				c.ID, g.Index, g.Strategy, strconv.FormatUint(g.Seed, 10), g.Observations, g.Pending, nullText(r.model), nullText(r.acq),
				int64(g.FitTime), int64(g.ProposeTime), nanos(g.CreatedAt), nullString(g.Key)); err != nil {
				return fmt.Errorf("insert generation %d: %w", g.Index, err)
			}
		}
		for _, r := range erows {
			e := r.e
			var l tycho.Lease
			if e.Lease != nil {
				l = *e.Lease
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO experiments (`+experimentColumns+`, lease_token, rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', 1)`,
				e.ID, c.ID, e.Seq, e.Generation, r.params, e.State, e.Attempt, r.result, e.Error,
				nanos(e.CreatedAt), nanos(e.StartedAt), nanos(e.FinishedAt), l.Holder, nanos(l.Expires))
			if isUnique(err) {
				return tycho.Errorf(tycho.ECONFLICT, "experiment %s already exists", e.ID)
			} else if err != nil {
				return fmt.Errorf("insert experiment %s: %w", e.ID, err)
			}
		}
		return nil
	})
	return wrap(err, "import campaign %s", c.ID)
}

// ImportVersion implements tycho.Importer, keeping the version's quality
// report. The dataset is created with version 1, at its time; a later version needs the one before it, so
// that numbers stay 1, 2, … as AddVersion makes them.
func (db *DB) ImportVersion(ctx context.Context, v *tycho.DatasetVersion) error {
	if v == nil {
		return tycho.Errorf(tycho.EINVALID, "no dataset version given")
	}
	if err := tycho.CheckVersion(v); err != nil {
		return err
	}
	if v.Number < 1 {
		return tycho.Errorf(tycho.EINVALID, "dataset %s: version number %d: versions are numbered from 1", v.Dataset, v.Number)
	}
	if got := tycho.ManifestDigest(v.Files); got != v.Digest {
		return tycho.Errorf(tycho.EINVALID, "version %s of project %s: digest %s does not match its files, whose manifest has digest %s", v.Ref(), v.Project, v.Digest, got)
	}
	var size int64
	chunks := make([][]byte, len(v.Files))
	for i, f := range v.Files {
		size += f.Size
		var err error
		if chunks[i], err = storejson.EncodeChunks(f.Chunks); err != nil {
			return err
		}
	}
	if v.Size != 0 && v.Size != size || v.FileCount != 0 && v.FileCount != len(v.Files) {
		return tycho.Errorf(tycho.EINVALID, "version %s of project %s: %d bytes in %d files, but its files hold %d bytes in %d",
			v.Ref(), v.Project, v.Size, v.FileCount, size, len(v.Files))
	}
	md, err := storejson.EncodeMetadata(v.Metadata)
	if err != nil {
		return err
	}
	quality, err := storejson.EncodeQuality(v.Quality)
	if err != nil {
		return err
	}
	created := v.CreatedAt
	if created.IsZero() {
		created = db.now()
	}
	err = db.tx(ctx, func(tx conn) error {
		var latest int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) FROM dataset_versions WHERE project = ? AND dataset = ?`,
			v.Project, v.Dataset).Scan(&latest); err != nil {
			return err
		}
		switch {
		case v.Number <= latest:
			return tycho.Errorf(tycho.ECONFLICT, "version %s of project %s already exists", v.Ref(), v.Project)
		case v.Number != latest+1:
			return tycho.Errorf(tycho.EINVALID, "version %s of project %s: the dataset's latest version is %d; import versions in order", v.Ref(), v.Project, latest)
		case v.Number == 1:
			_, err := tx.ExecContext(ctx, `INSERT INTO datasets (project, name, created_at) VALUES (?, ?, ?)`, v.Project, v.Dataset, nanos(created))
			if isUnique(err) {
				return tycho.Errorf(tycho.ECONFLICT, "dataset %s of project %s already exists", v.Dataset, v.Project)
			} else if err != nil {
				return fmt.Errorf("insert dataset: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO dataset_versions (project, dataset, number, digest, size, file_count, metadata, quality, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.Project, v.Dataset, v.Number, v.Digest, size, len(v.Files), string(md), nullText(quality), nanos(created)); err != nil {
			return fmt.Errorf("insert version: %w", err)
		}
		for i, f := range v.Files {
			if _, err := tx.ExecContext(ctx, `INSERT INTO dataset_files (project, dataset, number, path, size, sha256, chunks) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				v.Project, v.Dataset, v.Number, f.Path, f.Size, f.SHA256, chunks[i]); err != nil {
				return fmt.Errorf("insert file %s: %w", f.Path, err)
			}
		}
		return nil
	})
	return wrap(err, "import version %s of project %s", v.Ref(), v.Project)
}

// ImportProvenance stores provenance nodes and edges as an export holds
// them, in one transaction, keeping their times. Unlike RecordProvenance
// it accepts an edge naming a node that is not recorded, since the
// exporting store may hold such edges (a node that predates provenance),
// and refuses what exists: an import goes into an empty store. Returns
// EINVALID for a graph that fails ProvGraph.Check and ECONFLICT if a node
// or edge exists.
func (db *DB) ImportProvenance(ctx context.Context, g *tycho.ProvGraph) error {
	if g == nil {
		return tycho.Errorf(tycho.EINVALID, "no provenance graph given")
	}
	if err := g.Check(); err != nil {
		return err
	}
	attrs := make([][]byte, len(g.Nodes))
	for i, n := range g.Nodes {
		var err error
		if attrs[i], err = storejson.EncodeAttributes(n.Attributes); err != nil {
			return tycho.Errorf(tycho.EINVALID, "provenance node %s: %s", n.ID, tycho.ErrorMessage(err))
		}
	}
	err := db.tx(ctx, func(tx conn) error {
		for i, n := range g.Nodes {
			_, err := tx.ExecContext(ctx, `INSERT INTO prov_nodes (id, kind, type, label, attributes, time) VALUES (?, ?, ?, ?, ?, ?)`,
				n.ID, n.Kind, n.Type, n.Label, nullText(attrs[i]), nanos(n.Time))
			if isUnique(err) {
				return tycho.Errorf(tycho.ECONFLICT, "provenance node %s already exists", n.ID)
			} else if err != nil {
				return fmt.Errorf("insert provenance node %s: %w", n.ID, err)
			}
		}
		for _, e := range g.Edges {
			_, err := tx.ExecContext(ctx, `INSERT INTO prov_edges (src, relation, dst, time) VALUES (?, ?, ?, ?)`,
				e.From, e.Relation, e.To, nanos(e.Time))
			if isUnique(err) {
				return tycho.Errorf(tycho.ECONFLICT, "provenance edge %s %s %s already exists", e.From, e.Relation, e.To)
			} else if err != nil {
				return fmt.Errorf("insert provenance edge %s %s %s: %w", e.From, e.Relation, e.To, err)
			}
		}
		return nil
	})
	return wrap(err, "import provenance")
}
