package http

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"

	"tycho"
)

// The client implements tycho.DatasetService and tycho.ChunkStore, so
// dataset.Service{Datasets: client, Chunks: client} adds and gets
// versions on a server as it does in the local data directory.
var (
	_ tycho.DatasetService = (*Client)(nil)
	_ tycho.ChunkStore     = (*Client)(nil)
)

// datasetPath returns the route of a project's dataset.
func datasetPath(project, name string) string {
	return "/v1/projects/" + esc(project) + "/datasets/" + esc(name)
}

// unknownName reports whether a project or dataset name cannot name
// anything stored. Such names are answered here, as the stores answer
// them, since some ("", "..") would not survive as a path segment.
func unknownName(names ...string) bool {
	for _, n := range names {
		if tycho.ValidName("", n) != nil {
			return true
		}
	}
	return false
}

// AddVersion implements tycho.DatasetService. The chunks must have been
// put first; the server makes them durable and checks that they are all
// there before it records the version. A retry is safe: the same files
// and metadata again return the version already recorded.
func (c *Client) AddVersion(ctx context.Context, v *tycho.DatasetVersion) (*tycho.DatasetVersion, error) {
	if err := tycho.ValidName("project", v.Project); err != nil {
		return nil, err
	}
	if err := tycho.ValidName("dataset", v.Dataset); err != nil {
		return nil, err
	}
	req := addVersionRequest{Files: filesOut(v.Files), Metadata: metadataOut(v.Metadata), Quality: v.Quality}
	var out DatasetVersion
	if err := c.do(ctx, call{method: "POST", path: datasetPath(v.Project, v.Dataset) + "/versions", body: req, retry: true}, &out); err != nil {
		return nil, err
	}
	return out.domain(), nil
}

// FindDataset implements tycho.DatasetService.
func (c *Client) FindDataset(ctx context.Context, project, name string) (*tycho.Dataset, error) {
	if unknownName(project, name) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "dataset %s not found in project %s", name, project)
	}
	var out Dataset
	if err := c.do(ctx, call{method: "GET", path: datasetPath(project, name), retry: true}, &out); err != nil {
		return nil, err
	}
	return out.domain(), nil
}

// ListDatasets implements tycho.DatasetService.
func (c *Client) ListDatasets(ctx context.Context, project string) ([]*tycho.Dataset, error) {
	if unknownName(project) {
		return nil, nil
	}
	var out struct {
		Datasets []*Dataset `json:"datasets"`
	}
	if err := c.do(ctx, call{method: "GET", path: "/v1/projects/" + esc(project) + "/datasets", retry: true}, &out); err != nil {
		return nil, err
	}
	ds := make([]*tycho.Dataset, len(out.Datasets))
	for i, d := range out.Datasets {
		ds[i] = d.domain()
	}
	return ds, nil
}

// ListVersions implements tycho.DatasetService.
func (c *Client) ListVersions(ctx context.Context, project, name string) ([]*tycho.DatasetVersion, error) {
	if unknownName(project, name) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "dataset %s not found in project %s", name, project)
	}
	var out struct {
		Versions []*DatasetVersion `json:"versions"`
	}
	if err := c.do(ctx, call{method: "GET", path: datasetPath(project, name) + "/versions", retry: true}, &out); err != nil {
		return nil, err
	}
	vs := make([]*tycho.DatasetVersion, len(out.Versions))
	for i, v := range out.Versions {
		vs[i] = v.domain()
	}
	return vs, nil
}

// FindVersion implements tycho.DatasetService.
func (c *Client) FindVersion(ctx context.Context, project, name, ref string) (*tycho.DatasetVersion, error) {
	switch ref {
	case "":
		ref = "latest"
	case ".", "..":
		return nil, tycho.Errorf(tycho.EINVALID, "version %q of dataset %s: give a number, latest, or sha256: and at least 8 hex digits of the digest", ref, name)
	}
	if unknownName(project, name) {
		return nil, tycho.Errorf(tycho.ENOTFOUND, "dataset %s not found in project %s", name, project)
	}
	var out DatasetVersion
	if err := c.do(ctx, call{method: "GET", path: datasetPath(project, name) + "/versions/" + esc(ref), retry: true}, &out); err != nil {
		return nil, err
	}
	return out.domain(), nil
}

// Missing implements tycho.ChunkStore, asking MaxMissing hashes at a
// time.
func (c *Client) Missing(ctx context.Context, project string, hashes []string) ([]string, error) {
	if err := tycho.ValidName("project", project); err != nil {
		return nil, err
	}
	var missing []string
	for len(hashes) > 0 {
		batch := hashes[:min(len(hashes), MaxMissing)]
		hashes = hashes[len(batch):]
		var out struct {
			Missing []string `json:"missing"`
		}
		if err := c.do(ctx, call{method: "POST", path: "/v1/projects/" + esc(project) + "/chunks/missing", body: missingRequest{Hashes: batch}, retry: true}, &out); err != nil {
			return nil, err
		}
		missing = append(missing, out.Missing...)
	}
	return missing, nil
}

// PutChunk implements tycho.ChunkStore. The server checks the hash and
// stores the chunk; it makes it durable before it records a version that
// uses it.
func (c *Client) PutChunk(ctx context.Context, project, hash string, data []byte) error {
	if err := tycho.ValidName("project", project); err != nil {
		return err
	}
	if !tycho.ValidHash(hash) {
		return tycho.Errorf(tycho.EINVALID, "chunk hash %q is not a hex SHA-256", hash)
	}
	path := "/v1/projects/" + esc(project) + "/chunks/" + hash
	return c.retrying(ctx, func() (bool, error) {
		resp, again, err := c.raw(ctx, "PUT", path, data)
		if err != nil {
			return again, err
		}
		resp.Body.Close()
		return false, nil
	})
}

// OpenChunk implements tycho.ChunkStore. The chunk streams from the
// server; the caller checks its hash.
func (c *Client) OpenChunk(ctx context.Context, project, hash string) (io.ReadCloser, error) {
	if err := tycho.ValidName("project", project); err != nil {
		return nil, err
	}
	if !tycho.ValidHash(hash) {
		return nil, tycho.Errorf(tycho.EINVALID, "chunk hash %q is not a hex SHA-256", hash)
	}
	var body io.ReadCloser
	err := c.retrying(ctx, func() (bool, error) {
		resp, again, err := c.raw(ctx, "GET", "/v1/projects/"+esc(project)+"/chunks/"+hash, nil)
		if err != nil {
			return again, err
		}
		body = resp.Body
		return false, nil
	})
	return body, err
}

// Sync implements tycho.ChunkStore. It has nothing to do: the server
// makes the chunks durable before it records the version that uses them.
func (c *Client) Sync(ctx context.Context, project string) error { return nil }

// retrying runs f, and again after a pause while it says so, as many
// times as the client retries.
func (c *Client) retrying(ctx context.Context, f func() (again bool, err error)) error {
	tries := c.Retries
	if tries <= 0 {
		tries = 4
	}
	var err error
	for i := range tries + 1 {
		if i > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(50<<min(i, 6)) * time.Millisecond):
			}
		}
		var again bool
		if again, err = f(); !again {
			return err
		}
	}
	return err
}

// raw sends a request whose body, if any, is bytes rather than JSON, and
// returns the response for the caller to read and close if it succeeded.
// A problem+json answer becomes a *tycho.Error; again says whether the
// request may be worth repeating.
func (c *Client) raw(ctx context.Context, method, path string, body []byte) (*http.Response, bool, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, false, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, true, tycho.Errorf(tycho.EINTERNAL, "%s %s: %v", method, path, err)
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		again := resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusGatewayTimeout
		return nil, again, problemError(resp.StatusCode, data)
	}
	return resp, false, nil
}
