package csvfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"tycho"
	"tycho/internal/csvfile"
)

// goodFiles are files Parse must accept, with the header, rows and row
// lines it must return.
var goodFiles = []struct {
	name   string
	data   string
	header []string
	rows   [][]string
	lines  []int
}{
	{"Simple", "a,b\n1,2\n3,4\n",
		[]string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}}, []int{2, 3}},
	{"NoFinalNewline", "a,b\n1,2",
		[]string{"a", "b"}, [][]string{{"1", "2"}}, []int{2}},
	{"CRLF", "a,b\r\n1,2\r\n3,4\r\n",
		[]string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}}, []int{2, 3}},
	{"BOM", "\xef\xbb\xbfa,b\n1,2\n",
		[]string{"a", "b"}, [][]string{{"1", "2"}}, []int{2}},
	{"HeaderOnly", "a,b\n",
		[]string{"a", "b"}, nil, nil},
	{"BlankLines", "a,b\n\n1,2\n\n\n3,4\n\n",
		[]string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}}, []int{3, 6}},
	{"BlankLinesBeforeHeader", "\n\na,b\n1,2\n",
		[]string{"a", "b"}, [][]string{{"1", "2"}}, []int{4}},
	{"SpacesOnlyLine", "a,b\n1,2\n   \n\t\n3,4\n",
		[]string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}}, []int{2, 5}},
	{"SpacesTrimmed", " a , b \n 1 ,\t2\t\n",
		[]string{"a", "b"}, [][]string{{"1", "2"}}, []int{2}},
	{"EmptyFields", "a,b,c\n,,\n1,,3\n",
		[]string{"a", "b", "c"}, [][]string{{"", "", ""}, {"1", "", "3"}}, []int{2, 3}},
	{"QuotedFields", "name,note\n\"a, b\",\"say \"\"hi\"\"\"\n\"multi\nline\",x\n4,\"\"\n",
		[]string{"name", "note"}, [][]string{{"a, b", `say "hi"`}, {"multi\nline", "x"}, {"4", ""}}, []int{2, 3, 5}},
	{"QuotedHeader", "\"a,b\",\"c\"\n1,2\n",
		[]string{"a,b", "c"}, [][]string{{"1", "2"}}, []int{2}},
	{"QuotedSpacesTrimmed", "a\n\" x \"\n",
		[]string{"a"}, [][]string{{"x"}}, []int{2}},
	{"Unicode", "ligand,σ\nPPh₃,0.5\n",
		[]string{"ligand", "σ"}, [][]string{{"PPh₃", "0.5"}}, []int{2}},
	{"HashIsData", "a,b\n#1,2\n",
		[]string{"a", "b"}, [][]string{{"#1", "2"}}, []int{2}},
}

// badFiles are files Parse must reject, with the whole message of the
// EINVALID error it must return.
var badFiles = []struct {
	name string
	data string
	want string
}{
	{"ErrEmpty", "", "f.csv: the file is empty; want a header row"},
	{"ErrOnlyBlankLines", "\n\n\r\n", "f.csv: the file is empty; want a header row"},
	{"ErrOnlyBOM", "\xef\xbb\xbf", "f.csv: the file is empty; want a header row"},
	{"ErrRaggedShort", "a,b\n1,2\n3\n", "f.csv:3: 1 fields, the header has 2"},
	{"ErrRaggedLong", "a,b\n1,2\n\n3,4,5\n", "f.csv:4: 3 fields, the header has 2"},
	{"ErrRaggedAfterQuotedNewline", "a,b\n\"x\ny\",2\n3\n", "f.csv:4: 1 fields, the header has 2"},
	{"ErrDuplicateHeader", "a,b,a\n1,2,3\n", `f.csv:1: column "a" appears twice in the header`},
	{"ErrDuplicateHeaderAfterTrim", "a, a \n", `f.csv:1: column "a" appears twice in the header`},
	{"ErrEmptyHeaderName", "a,,b\n", "f.csv:1: column 2 of the header has no name"},
	{"ErrBlankHeaderName", "\n\na,  \n", "f.csv:3: column 2 of the header has no name"},
	{"ErrNotUTF8", "a,b\n1,2\n3,\xff\n", "f.csv:3: not UTF-8 text"},
	{"ErrNotUTF8FirstLine", "\xef\xbb\xbfa\xc3,b\n1,2\n", "f.csv:1: not UTF-8 text"},
	{"ErrNotUTF8Latin1", "ligand,x\n\ncaf\xe9,1\n", "f.csv:3: not UTF-8 text"},
	{"ErrBareQuote", "a,b\n1,x\"y\n", `f.csv:2: column 4: bare " in non-quoted-field`},
	{"ErrUnterminatedQuote", "a,b\n1,\"xy\n", `f.csv:2: column 7: extraneous or missing " in quoted-field`},
}

func TestParse(t *testing.T) {
	for _, tc := range goodFiles {
		t.Run(tc.name, func(t *testing.T) {
			f, err := csvfile.Parse("f.csv", []byte(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if f.Name != "f.csv" {
				t.Errorf("name: got %q, want f.csv", f.Name)
			}
			if !reflect.DeepEqual(f.Header, tc.header) {
				t.Errorf("header: got %q, want %q", f.Header, tc.header)
			}
			if !reflect.DeepEqual(f.Rows, tc.rows) {
				t.Errorf("rows: got %q, want %q", f.Rows, tc.rows)
			}
			if !reflect.DeepEqual(f.Lines, tc.lines) {
				t.Errorf("lines: got %v, want %v", f.Lines, tc.lines)
			}
			for i, h := range tc.header {
				if got := f.Column(h); got != i {
					t.Errorf("Column(%q): got %d, want %d", h, got, i)
				}
			}
			if got := f.Column("nope"); got != -1 {
				t.Errorf("Column(nope): got %d, want -1", got)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range badFiles {
		t.Run(tc.name, func(t *testing.T) {
			f, err := csvfile.Parse("f.csv", []byte(tc.data))
			if err == nil {
				t.Fatalf("parsed %+v, want an error", f)
			}
			var e *tycho.Error
			if !errors.As(err, &e) || e.Code != tycho.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			if e.Message != tc.want {
				t.Errorf("got\n%s\nwant\n%s", e.Message, tc.want)
			}
		})
	}
}

func TestFloat(t *testing.T) {
	f, err := csvfile.Parse("f.csv", []byte("k,v\na,1.5\nb, -2e3 \nc,\nd,abc\ne,NaN\nf,inf\ng,1e999\nh,0x1p-2\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		row  int
		want float64
		err  string
	}{
		{0, 1.5, ""},
		{1, -2000, ""},
		{2, 0, "f.csv:4: v: no value"},
		{3, 0, `f.csv:5: v: "abc" is not a finite number`},
		{4, 0, `f.csv:6: v: "NaN" is not a finite number`},
		{5, 0, `f.csv:7: v: "inf" is not a finite number`},
		{6, 0, `f.csv:8: v: "1e999" is not a finite number`},
		{7, 0.25, ""},
	} {
		v, err := f.Float(tc.row, 1)
		if got := tycho.ErrorMessage(err); got != tc.err || v != tc.want {
			t.Errorf("row %d: got %v, %q, want %v, %q", tc.row, v, got, tc.want, tc.err)
		}
		if err != nil && tycho.ErrorCode(err) != tycho.EINVALID {
			t.Errorf("row %d: error %v is not EINVALID", tc.row, err)
		}
	}
}

func TestNumeric(t *testing.T) {
	f, err := csvfile.Parse("f.csv", []byte("name,x,y,z,w\na,1,2,,q\nb,3,x,4,5\n"))
	if err != nil {
		t.Fatal(err)
	}
	for col, want := range []bool{false, true, false, false, false} {
		if got := f.Numeric(col); got != want {
			t.Errorf("Numeric(%d) (%s): got %v, want %v", col, f.Header[col], got, want)
		}
	}
	empty, err := csvfile.Parse("e.csv", []byte("x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if empty.Numeric(0) {
		t.Errorf("Numeric of a column with no rows: got true, want false")
	}
}

func TestErrorf(t *testing.T) {
	f, err := csvfile.Parse("dir/f.csv", []byte("a,b\n\n1,2\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = f.Errorf(0, 1, "%d is %s", 2, "odd")
	if got, want := tycho.ErrorMessage(err), "dir/f.csv:3: b: 2 is odd"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := tycho.ErrorCode(err); got != tycho.EINVALID {
		t.Errorf("code: got %q, want %q", got, tycho.EINVALID)
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	t.Run("Good", func(t *testing.T) {
		path := filepath.Join(dir, "good.csv")
		if err := os.WriteFile(path, []byte("\xef\xbb\xbfx,y\n1,2\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := csvfile.Read(path)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name != path || !reflect.DeepEqual(f.Header, []string{"x", "y"}) || !reflect.DeepEqual(f.Rows, [][]string{{"1", "2"}}) {
			t.Errorf("got %+v", f)
		}
	})
	t.Run("ErrNamesFile", func(t *testing.T) {
		path := filepath.Join(dir, "bad.csv")
		if err := os.WriteFile(path, []byte("x,y\n1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := csvfile.Read(path)
		if got, want := tycho.ErrorMessage(err), path+":2: 1 fields, the header has 2"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	for _, tc := range []struct {
		name string
		path string
		want string
	}{
		{"ErrDirectory", dir, dir + ": not a regular file"},
		{"ErrMissing", filepath.Join(dir, "nope.csv"), "stat " + filepath.Join(dir, "nope.csv") + ": no such file or directory"},
		{"ErrMissingDirectory", filepath.Join(dir, "nope", "x.csv"), "stat " + filepath.Join(dir, "nope", "x.csv") + ": no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := csvfile.Read(tc.path)
			if err == nil {
				t.Fatalf("read %+v, want an error", f)
			}
			if got := tycho.ErrorCode(err); got != tycho.EINVALID {
				t.Errorf("code: got %q, want %q", got, tycho.EINVALID)
			}
			if got := tycho.ErrorMessage(err); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("ErrTooLarge", func(t *testing.T) {
		path := filepath.Join(dir, "big.csv")
		if err := os.WriteFile(path, []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(path, csvfile.MaxSize+1); err != nil { // sparse
			t.Skip(err)
		}
		_, err := csvfile.Read(path)
		if got, want := tycho.ErrorMessage(err), path+": 268435457 bytes; the limit is 268435456"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

// FuzzCSV checks that no input panics Parse, that every error is EINVALID
// and names the file, and that an accepted file has a header of distinct
// non-empty names and rows of exactly as many trimmed fields, each with
// its line.
func FuzzCSV(f *testing.F) {
	for _, tc := range goodFiles {
		f.Add([]byte(tc.data))
	}
	for _, tc := range badFiles {
		f.Add([]byte(tc.data))
	}
	f.Add([]byte("name,x,y\n\"a\",1,2e-3\n b ,NaN, \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := csvfile.Parse("fuzz.csv", data)
		if err != nil {
			var e *tycho.Error
			if !errors.As(err, &e) || e.Code != tycho.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			if !strings.HasPrefix(e.Message, "fuzz.csv:") {
				t.Fatalf("error %q does not name the file", e.Message)
			}
			return
		}
		if len(file.Header) == 0 {
			t.Fatalf("no header")
		}
		for i, h := range file.Header {
			if h == "" || file.Column(h) != i {
				t.Fatalf("header %q: column %d is empty or not distinct", file.Header, i)
			}
		}
		if len(file.Lines) != len(file.Rows) {
			t.Fatalf("%d lines for %d rows", len(file.Lines), len(file.Rows))
		}
		for i, row := range file.Rows {
			if len(row) != len(file.Header) {
				t.Fatalf("row %d has %d fields, the header %d", i, len(row), len(file.Header))
			}
			if file.Lines[i] < 2 || (i > 0 && file.Lines[i] <= file.Lines[i-1]) {
				t.Fatalf("lines %v do not increase from 2", file.Lines)
			}
			for _, v := range row {
				if v != strings.TrimSpace(v) {
					t.Fatalf("row %d: field %q is not trimmed", i, v)
				}
			}
		}
		for j := range file.Header {
			file.Numeric(j)
			for i := range file.Rows {
				if _, err := file.Float(i, j); err != nil && tycho.ErrorCode(err) != tycho.EINVALID {
					t.Fatalf("Float(%d, %d): error %v is not EINVALID", i, j, err)
				}
			}
		}
	})
}
