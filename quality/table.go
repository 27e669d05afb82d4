package quality

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"

	"tycho"
)

// table accumulates the report of one file as its rows stream past.
type table struct {
	report tycho.TableReport
	cols   []column
	rows   rowSet
	buf    []byte // the row being hashed
	// scratch holds one Parquet value's bytes.
	scratch []byte
}

// newTable starts the report of a table with the given column names,
// matching them with the declared columns: a declared column matches a
// column of the same name or, failing that, one whose name without its
// unit ("temperature" of "temperature [K]") is that name.
func newTable(path, format string, names []string, declared []tycho.Column) *table {
	t := &table{report: tycho.TableReport{Path: path, Format: format}, cols: make([]column, len(names))}
	byName := make(map[string]int, len(declared))
	for i, d := range declared {
		byName[d.Name] = i
	}
	used := make([]bool, len(declared))
	match := func(name string) (int, bool) {
		if i, ok := byName[name]; ok && !used[i] {
			used[i] = true
			return i, true
		}
		return 0, false
	}
	for i, name := range names {
		base, unit := headerUnit(name)
		c := &t.cols[i]
		c.Name, c.headerUnit = name, unit
		d, ok := match(name)
		if !ok && base != name {
			d, ok = match(base)
		}
		if ok {
			c.Column = declared[d]
			c.Name, c.Declared = name, true
		}
	}
	for i, d := range declared {
		if !used[i] {
			t.report.AbsentColumns = append(t.report.AbsentColumns, d.Name)
		}
	}
	return t
}

// hashText returns the 64-bit hash of a row of text fields, each
// prefixed with its length so that no two different rows are written
// alike.
func (t *table) hashText(rec []string) uint64 {
	b := t.buf[:0]
	for _, s := range rec {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	t.buf = b
	return xxhash.Sum64(b)
}

// row counts one more row with the given hash (for Parquet; CSV counts
// and hashes rows on separate goroutines).
func (t *table) row(h uint64) {
	t.report.Rows++
	t.rows.add(h)
}

// finish completes the report.
func (t *table) finish() tycho.TableReport {
	r := t.report
	r.DuplicateRows = t.rows.duplicates()
	r.DuplicatesPartial = t.rows.full
	r.Columns = make([]tycho.Column, len(t.cols))
	r.Quality = make([]tycho.ColumnQuality, len(t.cols))
	for i := range t.cols {
		r.Columns[i], r.Quality[i] = t.cols[i].finish()
	}
	return r
}

// checkHeader returns why a header row is not usable, or "".
func checkHeader(names []string) string {
	seen := make(map[string]int, len(names))
	numbers := 0
	for i, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			return fmt.Sprintf("column %d of the first row has no name", i+1)
		}
		if j, ok := seen[n]; ok {
			return fmt.Sprintf("columns %d and %d are both named %s", j+1, i+1, strconv.Quote(clip(n)))
		}
		seen[n] = i
		if _, ok := number(n); ok {
			numbers++
		}
	}
	if numbers == len(names) && numbers > 0 {
		return "the first row holds only numbers: it looks like data, not a header of column names"
	}
	return ""
}
