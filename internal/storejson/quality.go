package storejson

import (
	"bytes"
	"encoding/json"
	"fmt"

	"tycho"
)

// EncodeQuality returns the stored form of a version's quality report:
// its JSON, with the time in UTC. A nil report is stored as nil (NULL),
// for versions added before reports were made.
func EncodeQuality(q *tycho.QualityReport) ([]byte, error) {
	if q == nil {
		return nil, nil
	}
	c := *q
	c.CheckedAt = c.CheckedAt.UTC()
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "quality report: %v", err)
	}
	return b, nil
}

// DecodeQuality reads what EncodeQuality wrote; nil or empty is no
// report.
func DecodeQuality(b []byte) (*tycho.QualityReport, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var q tycho.QualityReport
	if err := json.Unmarshal(b, &q); err != nil {
		return nil, fmt.Errorf("decode quality report: %w", err)
	}
	if q.Grade.Rank() < 0 {
		return nil, fmt.Errorf("decode quality report: unknown grade %q", q.Grade)
	}
	q.CheckedAt = q.CheckedAt.UTC()
	if y := q.CheckedAt.Year(); y < 0 || y > 9999 {
		// Its offset moved it out of what RFC 3339 can write.
		return nil, fmt.Errorf("decode quality report: checked_at is in the year %d", y)
	}
	return &q, nil
}

// SameQuality reports whether two reports say the same, whenever they
// were made: adding the same files with the same metadata and schema
// again makes no new version, but a new schema, which changes the report,
// does.
func SameQuality(a, b *tycho.QualityReport) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.CheckedAt = y.CheckedAt
	ex, err1 := json.Marshal(&x)
	ey, err2 := json.Marshal(&y)
	return err1 == nil && err2 == nil && bytes.Equal(ex, ey)
}
