// Package csvfile reads the small CSV files campaigns refer to —
// descriptors, earlier results, tables of measurements — with errors that
// name the file, line and column of every problem.
package csvfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"tycho"
)

// MaxSize is the largest file Read accepts.
const MaxSize = 256 << 20

// File is a CSV file with a header row.
type File struct {
	Name   string
	Header []string
	Rows   [][]string
	// Lines holds the line on which each row starts.
	Lines []int
	index map[string]int
}

// Read reads the regular file at path.
func Read(path string) (*File, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "%v", err)
	}
	if !info.Mode().IsRegular() {
		return nil, tycho.Errorf(tycho.EINVALID, "%s: not a regular file", path)
	}
	if info.Size() > MaxSize {
		return nil, tycho.Errorf(tycho.EINVALID, "%s: %d bytes; the limit is %d", path, info.Size(), MaxSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "%v", err)
	}
	return Parse(path, data)
}

// Parse parses CSV data; name is the file's path as messages show it. The
// first row is the header: its names must be non-empty and distinct. Every
// row must have as many fields as the header. A UTF-8 byte-order mark is
// skipped, and fields are trimmed of surrounding spaces.
func Parse(name string, data []byte) (*File, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, tycho.Errorf(tycho.EINVALID, "%s:%d: not UTF-8 text", name, badLine(data))
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	f := &File{Name: name, index: map[string]int{}}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, tycho.Errorf(tycho.EINVALID, "%s:%d: column %d: %v", name, pe.Line, pe.Column, pe.Err)
			}
			return nil, tycho.Errorf(tycho.EINVALID, "%s: %v", name, err)
		}
		line, _ := r.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if f.Header == nil {
			for i, h := range rec {
				switch _, dup := f.index[h]; {
				case h == "":
					return nil, tycho.Errorf(tycho.EINVALID, "%s:%d: column %d of the header has no name", name, line, i+1)
				case dup:
					return nil, tycho.Errorf(tycho.EINVALID, "%s:%d: column %q appears twice in the header", name, line, h)
				}
				f.index[h] = i
			}
			f.Header = rec
			continue
		}
		if len(rec) == 1 && rec[0] == "" {
			continue // a blank line
		}
		if len(rec) != len(f.Header) {
			return nil, tycho.Errorf(tycho.EINVALID, "%s:%d: %d fields, the header has %d", name, line, len(rec), len(f.Header))
		}
		f.Rows = append(f.Rows, rec)
		f.Lines = append(f.Lines, line)
	}
	if f.Header == nil {
		return nil, tycho.Errorf(tycho.EINVALID, "%s: the file is empty; want a header row", name)
	}
	return f, nil
}

// Column returns the index of the named column, or -1.
func (f *File) Column(name string) int {
	if i, ok := f.index[name]; ok {
		return i
	}
	return -1
}

// Errorf returns an EINVALID error about row i, column col.
func (f *File) Errorf(i, col int, format string, args ...any) error {
	return tycho.Errorf(tycho.EINVALID, "%s:%d: %s: %s", f.Name, f.Lines[i], f.Header[col], fmt.Sprintf(format, args...))
}

// Float parses the number in row i, column col. Empty, non-numeric and
// non-finite values are errors.
func (f *File) Float(i, col int) (float64, error) {
	s := f.Rows[i][col]
	if s == "" {
		return 0, f.Errorf(i, col, "no value")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, f.Errorf(i, col, "%q is not a finite number", s)
	}
	return v, nil
}

// Numeric reports whether every value of column col is a finite number.
func (f *File) Numeric(col int) bool {
	for i := range f.Rows {
		if _, err := f.Float(i, col); err != nil {
			return false
		}
	}
	return len(f.Rows) > 0
}

func badLine(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		data = data[size:]
	}
	return line
}
