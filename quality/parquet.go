package quality

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"tycho"
)

// leaf is what the analysis needs of a Parquet leaf column's type.
type leaf struct {
	typ      tycho.ColumnType
	decimal  bool
	scale    int
	unsigned bool
}

// leafType maps a Parquet column type to a column type: booleans,
// integers, floating point and decimals, dates and times, and the rest
// (strings, enums, JSON, UUIDs, bytes) as strings.
func leafType(t parquet.Type) leaf {
	var lt format.LogicalTypeValue
	if l := t.LogicalType(); l != nil {
		lt = l.Value
	}
	switch v := lt.(type) {
	case *format.DecimalType:
		return leaf{typ: tycho.ColumnNumber, decimal: true, scale: int(v.Scale)}
	case *format.DateType, *format.TimeType, *format.TimestampType:
		return leaf{typ: tycho.ColumnTime}
	case *format.IntType:
		return leaf{typ: tycho.ColumnInteger, unsigned: !v.IsSigned}
	}
	switch t.Kind() {
	case parquet.Boolean:
		return leaf{typ: tycho.ColumnBoolean}
	case parquet.Int32, parquet.Int64:
		return leaf{typ: tycho.ColumnInteger}
	case parquet.Int96:
		return leaf{typ: tycho.ColumnTime} // legacy timestamps
	case parquet.Float, parquet.Double:
		return leaf{typ: tycho.ColumnNumber}
	}
	return leaf{typ: tycho.ColumnString}
}

// Parquet reads a Parquet file of size bytes from r, a row group at a
// time, and reports on it; path is the file's path in the dataset and
// declared the columns a schema declares for it, if any. Columns are the
// leaf columns, named by their dotted paths; in a repeated (list) column
// each element counts as a value. Types come from the file's schema, so
// only declared types can be violated. Null, NaN and, in string columns,
// the missing-value words count as missing.
//
// A file that is not Parquet, or is damaged, gets a report with Error
// set; the only error returned is the context's.
func Parquet(ctx context.Context, path string, r io.ReaderAt, size int64, declared []tycho.Column) (rep tycho.TableReport, err error) {
	defer func() {
		// A damaged file can make the reader panic rather than fail;
		// the file is the user's, so that is a report, not a crash.
		if p := recover(); p != nil {
			rep = tycho.TableReport{Path: path, Format: "parquet", Error: fmt.Sprintf("damaged Parquet file: %v", p)}
			err = nil
		}
	}()
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return tycho.TableReport{Path: path, Format: "parquet", Error: "not a readable Parquet file: " + err.Error()}, nil
	}
	schema := f.Schema()
	paths := schema.Columns()
	names := make([]string, len(paths))
	leaves := make([]leaf, len(paths))
	for i, p := range paths {
		names[i] = strings.Join(p, ".")
		lc, ok := schema.Lookup(p...)
		if !ok {
			return tycho.TableReport{Path: path, Format: "parquet", Error: fmt.Sprintf("column %s is in the schema but cannot be looked up", names[i])}, nil
		}
		leaves[i] = leafType(lc.Node.Type())
	}
	// The names come from the file's schema, so there is no header to
	// check.
	t := newTable(path, "parquet", names, declared)
	for i := range t.cols {
		if !t.cols[i].Declared {
			t.cols[i].Type, t.cols[i].typed = leaves[i].typ, true
		}
	}
	rows := make([]parquet.Row, 256)
	for _, rg := range f.RowGroups() {
		if err := t.readGroup(ctx, rg, leaves, rows); err != nil {
			if ctx.Err() != nil {
				return tycho.TableReport{}, ctx.Err()
			}
			t.report.Error = fmt.Sprintf("row %d: %v", t.report.Rows+1, err)
			break
		}
	}
	return t.finish(), nil
}

// readGroup reads the rows of one row group.
func (t *table) readGroup(ctx context.Context, rg parquet.RowGroup, leaves []leaf, buf []parquet.Row) error {
	rows := rg.Rows()
	defer rows.Close()
	for {
		n, err := rows.ReadRows(buf)
		for _, row := range buf[:n] {
			t.parquetRow(row, leaves)
		}
		if errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("the reader returned no rows and no error")
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// parquetRow counts one row.
func (t *table) parquetRow(row parquet.Row, leaves []leaf) {
	b := t.buf[:0]
	for _, v := range row {
		b = binary.AppendUvarint(b, uint64(v.Column()))
		b = append(b, byte(v.RepetitionLevel()), byte(v.DefinitionLevel()))
		if v.IsNull() {
			b = append(b, 0)
			continue
		}
		t.scratch = v.AppendBytes(t.scratch[:0])
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(t.scratch)))
		b = append(b, t.scratch...)
	}
	t.buf = b
	t.row(xxhash.Sum64(b))
	n := t.report.Rows
	for _, v := range row {
		if c := v.Column(); c >= 0 && c < len(t.cols) {
			t.cols[c].observeValue(v, leaves[c], n)
		}
	}
}

// observeValue counts one Parquet value of row n.
func (c *column) observeValue(v parquet.Value, l leaf, n int64) {
	if v.IsNull() {
		c.missing++
		c.firstMissing.set(n, 0, "null")
		return
	}
	f, numeric := 0.0, true
	switch v.Kind() {
	case parquet.Int32:
		f = float64(v.Int32())
	case parquet.Int64:
		if l.unsigned {
			f = float64(uint64(v.Int64()))
		} else {
			f = float64(v.Int64())
		}
	case parquet.Float:
		f = float64(v.Float())
	case parquet.Double:
		f = v.Double()
	case parquet.ByteArray, parquet.FixedLenByteArray:
		if l.decimal {
			f = decimalBytes(v.ByteArray())
		} else {
			numeric = false
		}
	default:
		numeric = false
	}
	if l.decimal && numeric && (v.Kind() == parquet.Int32 || v.Kind() == parquet.Int64) {
		f /= math.Pow10(l.scale)
	}
	if numeric && math.IsNaN(f) || !numeric && l.typ == tycho.ColumnString && Missing(string(v.ByteArray())) {
		c.missing++
		c.firstMissing.set(n, 0, text(v, l, f))
		return
	}
	c.present++
	if !c.Declared {
		return
	}
	ok := false
	switch want := c.Type; {
	case want == tycho.ColumnString, want == l.typ, want == tycho.ColumnNumber && l.typ == tycho.ColumnInteger:
		ok = true
	case want == tycho.ColumnInteger && l.typ == tycho.ColumnNumber:
		ok = f == math.Trunc(f) && !math.IsInf(f, 0)
	default:
		ok, f = conforms(want, strings.TrimSpace(text(v, l, f)))
	}
	if !ok {
		c.violations++
		c.firstBad.set(n, 0, text(v, l, f))
		return
	}
	if (c.Type == tycho.ColumnInteger || c.Type == tycho.ColumnNumber) && c.outside(f) {
		c.outOfRange++
		c.firstOut.set(n, 0, text(v, l, f))
	}
}

// text writes a Parquet value for a report, with decimals scaled.
func text(v parquet.Value, l leaf, f float64) string {
	if l.decimal {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return v.String()
}

// decimalBytes reads a big-endian two's complement integer.
func decimalBytes(b []byte) float64 {
	x := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	f, _ := new(big.Float).SetInt(x).Float64()
	return f
}
