package quality

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"tycho"
)

// CSV reads a table of comma-separated (comma ',') or tab-separated (comma
// '\t') values from r, streaming, and reports on it; path is the file's
// path in the dataset and declared the columns a schema declares for it,
// if any. The first row is the header. A UTF-8 byte-order mark is skipped
// and values are trimmed of surrounding white space. Tab-separated files
// are read with lazy quotes, since their fields are seldom quoted.
//
// A file that is not a table, or stops being one part-way (a malformed
// quote, a row with the wrong number of fields), gets a report with Error
// set, counting the rows before the problem; the only error returned is
// the context's.
func CSV(ctx context.Context, path string, r io.Reader, comma rune, declared []tycho.Column) (tycho.TableReport, error) {
	format := "csv"
	if comma == '\t' {
		format = "tsv"
	}
	br := bufio.NewReaderSize(r, 1<<20)
	if b, _ := br.Peek(3); string(b) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = comma != '\t'
	cr.LazyQuotes = comma == '\t'

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return tycho.TableReport{Path: path, Format: format, Error: "the file is empty; a table needs a header row"}, nil
	} else if err != nil {
		return tycho.TableReport{Path: path, Format: format, Error: csvError(err)}, nil
	}
	names := slices.Clone(header)
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	problem := checkHeader(names)
	for i, n := range names {
		if n == "" {
			names[i] = fmt.Sprintf("column %d", i+1)
		}
	}
	t := newTable(path, format, names, declared)
	t.report.HeaderProblem = problem

	// One goroutine parses the rows, another hashes them and counts
	// their values: on two cores that reads a file in nearly half the
	// time.
	batches, free := make(chan *batch, 4), make(chan *batch, 8)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range batches {
			t.observe(b, len(names))
			select {
			case free <- b:
			default:
			}
		}
	}()
	err = t.readCSV(ctx, cr, len(names), batches, free)
	<-done
	if err != nil {
		return tycho.TableReport{}, err
	}
	return t.finish(), nil
}

// A batch is rows parsed and hashed, on their way to have their values
// counted.
type batch struct {
	first  int64    // the number of the first row
	fields []string // the values, row after row
	lines  []int64  // the line each row starts on
}

// Batches are sent when they hold batchRows rows or batchFields values,
// whichever comes first, so that wide tables use no more memory than
// narrow ones.
const (
	batchRows   = 512
	batchFields = 1 << 15
)

// readCSV reads and counts the data rows and sends them out in batches,
// closing out at the end. A problem with the file is
// recorded in the report; the only error returned is the context's.
func (t *table) readCSV(ctx context.Context, cr *csv.Reader, width int, out chan<- *batch, free chan *batch) error {
	defer close(out)
	next := func() *batch {
		select {
		case b := <-free:
			b.fields, b.lines = b.fields[:0], b.lines[:0]
			return b
		default:
			return &batch{}
		}
	}
	b := next()
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.report.Error = csvError(err)
			break
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != width {
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				continue // a line of blanks
			}
			t.report.Error = fmt.Sprintf("line %d: %d fields, but the header has %d", line, len(rec), width)
			break
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		t.report.Rows++
		if len(b.lines) == 0 {
			b.first = t.report.Rows
		}
		b.fields = append(b.fields, rec...)
		b.lines = append(b.lines, int64(line))
		if len(b.lines) >= batchRows || len(b.fields) >= batchFields {
			if err := ctx.Err(); err != nil {
				return err
			}
			out <- b
			b = next()
		}
	}
	if len(b.lines) > 0 {
		out <- b
	}
	return nil
}

// observe hashes the rows of a batch, each width values wide, and counts
// their values.
func (t *table) observe(b *batch, width int) {
	for r, line := range b.lines {
		row := b.fields[r*width : (r+1)*width]
		t.rows.add(t.hashText(row))
		for i, s := range row {
			t.cols[i].observe(s, b.first+int64(r), line)
		}
	}
}

// csvError describes a CSV syntax or read error by line and column.
func csvError(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d, byte %d: %v", pe.Line, pe.Column, pe.Err)
	}
	return err.Error()
}
