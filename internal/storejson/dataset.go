package storejson

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"tycho"
)

// metadata is how a dataset version's metadata is stored: DCAT-AP terms
// as keys, dates as RFC 3339.
type metadata struct {
	Title        string    `json:"title,omitempty"`
	Description  string    `json:"description,omitempty"`
	Publisher    string    `json:"publisher,omitempty"`
	License      string    `json:"license,omitempty"`
	Creators     []creator `json:"creator,omitempty"`
	Keywords     []string  `json:"keyword,omitempty"`
	Start        string    `json:"temporal_start,omitempty"`
	End          string    `json:"temporal_end,omitempty"`
	Spatial      string    `json:"spatial,omitempty"`
	Jurisdiction string    `json:"jurisdiction,omitempty"`
}

type creator struct {
	Name  string `json:"name"`
	ORCID string `json:"orcid,omitempty"`
}

// EncodeMetadata returns the stored form of m.
func EncodeMetadata(m tycho.Metadata) ([]byte, error) {
	out := metadata{Title: m.Title, Description: m.Description, Publisher: m.Publisher, License: m.License,
		Keywords: m.Keywords, Spatial: m.Spatial, Jurisdiction: m.Jurisdiction}
	for _, c := range m.Creators {
		out.Creators = append(out.Creators, creator(c))
	}
	if t := m.Temporal; t != nil {
		out.Start, out.End = date(t.Start), date(t.End)
	}
	return json.Marshal(out)
}

// DecodeMetadata reads what EncodeMetadata wrote.
func DecodeMetadata(b []byte) (tycho.Metadata, error) {
	var in metadata
	if err := json.Unmarshal(b, &in); err != nil {
		return tycho.Metadata{}, fmt.Errorf("decode metadata: %w", err)
	}
	m := tycho.Metadata{Title: in.Title, Description: in.Description, Publisher: in.Publisher, License: in.License,
		Keywords: in.Keywords, Spatial: in.Spatial, Jurisdiction: in.Jurisdiction}
	for _, c := range in.Creators {
		m.Creators = append(m.Creators, tycho.Creator(c))
	}
	if in.Start != "" || in.End != "" {
		m.Temporal = new(tycho.Period)
		var err error
		if m.Temporal.Start, err = parseDate(in.Start); err != nil {
			return tycho.Metadata{}, err
		}
		if m.Temporal.End, err = parseDate(in.End); err != nil {
			return tycho.Metadata{}, err
		}
	}
	return m, nil
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("decode metadata: %w", err)
	}
	return t, nil
}

// chunkRecord is the stored size of one chunk: its SHA-256 and its size
// as a big-endian uint64.
const chunkRecord = 32 + 8

// EncodeChunks packs a file's chunk list, in order, 40 bytes a chunk.
func EncodeChunks(chunks []tycho.Chunk) ([]byte, error) {
	out := make([]byte, 0, len(chunks)*chunkRecord)
	for _, c := range chunks {
		h, err := hex.DecodeString(c.Hash)
		if err != nil || len(h) != 32 {
			return nil, tycho.Errorf(tycho.EINVALID, "chunk hash %q is not a hex SHA-256", c.Hash)
		}
		out = append(out, h...)
		out = binary.BigEndian.AppendUint64(out, uint64(c.Size))
	}
	return out, nil
}

// DecodeChunks reads what EncodeChunks wrote.
func DecodeChunks(b []byte) ([]tycho.Chunk, error) {
	if len(b)%chunkRecord != 0 {
		return nil, fmt.Errorf("decode chunks: %d bytes is not a whole number of %d-byte records", len(b), chunkRecord)
	}
	out := make([]tycho.Chunk, len(b)/chunkRecord)
	for i := range out {
		r := b[i*chunkRecord:]
		out[i] = tycho.Chunk{Hash: hex.EncodeToString(r[:32]), Size: int64(binary.BigEndian.Uint64(r[32:40]))}
	}
	return out, nil
}
