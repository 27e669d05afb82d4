package quality

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"tycho"
)

// Missing reports whether a value counts as missing: after trimming
// surrounding white space, the empty string or, in any case, NA, N/A, #N/A,
// NaN or null. "None" and "-" are values: in chemistry "None" is often a
// real entry (no ligand, no additive).
func Missing(s string) bool {
	return missing(strings.TrimSpace(s))
}

// missing is Missing of a trimmed value.
func missing(s string) bool {
	if s != "" {
		// Every missing-value word starts with one of these.
		switch s[0] {
		case 'n', 'N', '#':
		default:
			return false
		}
	}
	switch len(s) {
	case 0:
		return true
	case 2:
		return strings.EqualFold(s, "na")
	case 3:
		return strings.EqualFold(s, "n/a") || strings.EqualFold(s, "nan")
	case 4:
		return strings.EqualFold(s, "#n/a") || strings.EqualFold(s, "null")
	}
	return false
}

// dominant is the share of a column's present values that must fit a type
// for the column to be inferred to have it; the rest are type violations.
const dominant = 0.9

// maxExample bounds, in runes, how much of an offending value a report
// quotes.
const maxExample = 64

// example is an offending value and where it was: the data row (from 1)
// and, for text formats, the line it starts on. A zero row is no example.
type example struct {
	row, line int64
	value     string
}

func (e *example) set(row, line int64, value string) {
	if e.row == 0 {
		*e = example{row: row, line: line, value: clip(value)}
	}
}

// clip shortens a value for a report and makes it valid UTF-8.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= maxExample {
		return s
	}
	r := []rune(s)
	return string(r[:maxExample]) + "…"
}

// where names a row for a report.
func (e example) where() string {
	if e.line > 0 {
		return fmt.Sprintf("row %d (line %d)", e.row, e.line)
	}
	return fmt.Sprintf("row %d", e.row)
}

// column accumulates what one column's values show. It keeps counts and
// a few examples, never the values, so its size does not grow with the
// file.
type column struct {
	tycho.Column
	// headerUnit is a unit read from the header, kept if the column turns
	// out to be numeric.
	headerUnit string
	// typed says the file format fixes the type (Parquet), so that
	// nothing is inferred.
	typed bool

	missing, present int64
	// For inference: how many present values fit each type, and the first
	// that does not.
	ints, nums, bools, times         int64
	notInt, notNum, notBool, notTime example
	// For a declared type: values that do not fit it, and values outside
	// the declared range.
	violations, outOfRange int64
	firstBad, firstOut     example
	firstMissing           example
}

// observe counts one value given as text, trimmed of white space.
func (c *column) observe(s string, row, line int64) {
	if missing(s) {
		c.missing++
		c.firstMissing.set(row, line, s)
		return
	}
	c.present++
	if c.Declared {
		ok, f := conforms(c.Type, s)
		if !ok {
			c.violations++
			c.firstBad.set(row, line, s)
			return
		}
		c.checkRange(f, row, line, s)
		return
	}
	// Inference needs to know what a value is, not its value, so the
	// syntax is enough.
	isInt := integer(s)
	isNum := isInt || decimal(s) || infinity(s)
	if isInt {
		c.ints++
	} else {
		c.notInt.set(row, line, s)
	}
	if isNum {
		c.nums++
		// A number is neither a boolean nor a time.
		c.notBool.set(row, line, s)
		c.notTime.set(row, line, s)
		return
	}
	c.notNum.set(row, line, s)
	if boolean(s, false) {
		c.bools++
	} else {
		c.notBool.set(row, line, s)
	}
	if datetime(s) {
		c.times++
	} else {
		c.notTime.set(row, line, s)
	}
}

// checkRange counts a numeric value of a declared column outside its
// declared bounds.
func (c *column) checkRange(f float64, row, line int64, s string) {
	numeric := c.Type == tycho.ColumnInteger || c.Type == tycho.ColumnNumber
	if numeric && c.outside(f) {
		c.outOfRange++
		c.firstOut.set(row, line, s)
	}
}

// outside reports whether f is outside the column's declared bounds.
func (c *column) outside(f float64) bool {
	return c.Min != nil && !(f >= *c.Min) || c.Max != nil && !(f <= *c.Max)
}

// conforms reports whether the text s (trimmed, not missing) is a value of
// type t, and its value if t is numeric.
func conforms(t tycho.ColumnType, s string) (bool, float64) {
	switch t {
	case tycho.ColumnInteger:
		if integer(s) {
			f, _ := strconv.ParseFloat(s, 64)
			return true, f
		}
		return false, 0
	case tycho.ColumnNumber:
		f, ok := number(s)
		return ok, f
	case tycho.ColumnBoolean:
		return boolean(s, true), 0
	case tycho.ColumnTime:
		return datetime(s), 0
	}
	return true, 0
}

// number parses a decimal number: an optional sign, digits with an
// optional decimal point, and an optional exponent; or inf or infinity,
// in any case and with an optional sign. One too large for a float64 is
// still a number (±Inf). The syntax is checked first, so that text that
// is not a number costs no error value.
func number(s string) (float64, bool) {
	if !decimal(s) && !infinity(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil || errors.Is(err, strconv.ErrRange)
}

// infinity reports whether s is inf or infinity, in any case, with an
// optional sign.
func infinity(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" || s[0] != 'i' && s[0] != 'I' {
		return false
	}
	return strings.EqualFold(s, "inf") || strings.EqualFold(s, "infinity")
}

// decimal reports whether s is a decimal number's text.
func decimal(s string) bool {
	i, digits := 0, 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// integer reports whether s is a base-10 integer: an optional sign and
// digits, of any length.
func integer(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// boolean reports whether s is true, false, yes or no in any case, and
// with digits also 1 or 0 (allowed for declared boolean columns only, so
// that a column of 0s and 1s is inferred to be integer).
func boolean(s string, digits bool) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	switch s[0] {
	case 't', 'T', 'f', 'F', 'y', 'Y', 'n', 'N', '0', '1':
	default:
		return false
	}
	switch len(s) {
	case 1:
		return digits && (s == "0" || s == "1")
	case 2:
		return strings.EqualFold(s, "no")
	case 3:
		return strings.EqualFold(s, "yes")
	case 4:
		return strings.EqualFold(s, "true")
	case 5:
		return strings.EqualFold(s, "false")
	}
	return false
}

// timeLayouts are the datetime forms recognised: RFC 3339 and its
// relatives without a zone or with a space for the T, and plain dates.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	time.DateOnly,
}

// datetime reports whether s is a date or a date and time in one of
// timeLayouts.
func datetime(s string) bool {
	if len(s) < len("2006-01-02") || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, l := range timeLayouts {
		if _, err := time.Parse(l, s); err == nil {
			return true
		}
	}
	return false
}

// typeName names a type with its article, for messages.
func typeName(t tycho.ColumnType) string {
	switch t {
	case tycho.ColumnInteger:
		return "an integer"
	case tycho.ColumnNumber:
		return "a number"
	case tycho.ColumnBoolean:
		return "a boolean (true, false, yes, no, 1 or 0)"
	case tycho.ColumnTime:
		return "a datetime (RFC 3339 or YYYY-MM-DD)"
	}
	return "a string"
}

// finish decides the column's type, if it was not declared, and returns
// the column and its quality.
func (c *column) finish() (tycho.Column, tycho.ColumnQuality) {
	col := c.Column
	q := tycho.ColumnQuality{Name: col.Name, Missing: c.missing}
	bad := c.firstBad
	if !c.Declared && !c.typed {
		col.Type, q.TypeViolations, bad = c.infer()
	} else {
		q.TypeViolations = c.violations
	}
	if col.Unit == "" && (col.Type == tycho.ColumnInteger || col.Type == tycho.ColumnNumber) {
		col.Unit = c.headerUnit
	}
	q.OutOfRange = c.outOfRange
	switch {
	case q.TypeViolations > 0 && bad.row > 0:
		q.Example = fmt.Sprintf("%s: %q is not %s", bad.where(), bad.value, typeName(col.Type))
	case c.outOfRange > 0:
		q.Example = fmt.Sprintf("%s: %s is outside %s", c.firstOut.where(), c.firstOut.value, rangeText(col))
	case col.Required && c.missing > 0:
		q.Example = fmt.Sprintf("%s: missing (%q), but the column is required", c.firstMissing.where(), c.firstMissing.value)
	}
	return col, q
}

// infer returns the most specific type that at least the dominant share of
// the present values fit, the number that do not, and the first of those.
// A column with no values at all is a string column.
func (c *column) infer() (tycho.ColumnType, int64, example) {
	n := c.present
	if n == 0 {
		return tycho.ColumnString, 0, example{}
	}
	need := int64(math.Ceil(dominant * float64(n)))
	switch {
	case c.nums >= need && c.ints == c.nums:
		return tycho.ColumnInteger, n - c.ints, c.notInt
	case c.nums >= need:
		return tycho.ColumnNumber, n - c.nums, c.notNum
	case c.bools >= need:
		return tycho.ColumnBoolean, n - c.bools, c.notBool
	case c.times >= need:
		return tycho.ColumnTime, n - c.times, c.notTime
	}
	return tycho.ColumnString, 0, example{}
}

// rangeText writes a column's declared range.
func rangeText(c tycho.Column) string {
	lo, hi := "-∞", "∞"
	if c.Min != nil {
		lo = strconv.FormatFloat(*c.Min, 'g', -1, 64)
	}
	if c.Max != nil {
		hi = strconv.FormatFloat(*c.Max, 'g', -1, 64)
	}
	return "[" + lo + ", " + hi + "]"
}

// headerUnit splits a header such as "temperature [K]" or "yield (%)"
// into its name and unit. The unit is the text inside a final pair of
// square brackets or parentheses, non-empty, without brackets of its own,
// and at most 32 bytes; anything else is all name.
func headerUnit(h string) (name, unit string) {
	h = strings.TrimSpace(h)
	if len(h) < 3 {
		return h, ""
	}
	var open byte
	switch h[len(h)-1] {
	case ']':
		open = '['
	case ')':
		open = '('
	default:
		return h, ""
	}
	i := strings.LastIndexByte(h, open)
	if i <= 0 {
		return h, ""
	}
	unit = strings.TrimSpace(h[i+1 : len(h)-1])
	name = strings.TrimSpace(h[:i])
	if unit == "" || name == "" || len(unit) > 32 || strings.ContainsAny(unit, "[]()") {
		return h, ""
	}
	return name, unit
}
