package tycho

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Constraint is a linear inequality as a campaign file writes it, such as
// "x1 + 2*x2 <= 1" or "impurity <= 0.5". When every name is a parameter it
// restricts where experiments may be proposed; when it names one measured
// outcome it restricts which results count as feasible.
type Constraint struct {
	// Terms is the left-hand side, one term per name, in order of first
	// appearance; a name written twice has its coefficients summed.
	Terms []Term
	// Op is "<=" or ">=".
	Op string
	// Bound is the right-hand side.
	Bound float64
}

// Term is coefficient · name.
type Term struct {
	Coef float64
	Name string
}

// maxConstraintLen bounds the canonical text of one constraint (see
// String), so that whatever parses also parses again from its canonical
// form; real constraints are short. maxInputLen bounds the input.
const (
	maxConstraintLen = 4096
	maxInputLen      = 16 * maxConstraintLen
)

// ParseConstraint parses a linear inequality: a sum of terms, each an
// optional sign, an optional number with an optional "*", and a name
// (optionally followed by "*" and a number), then
// "<=" or ">=" (or "≤", "≥"), then a number. Numbers may appear on the
// left as constants, which move to the right. Names start with a letter or
// "_" and continue with letters, digits, "_" or ".". Returns EINVALID
// naming the offending column.
func ParseConstraint(s string) (Constraint, error) {
	if len(s) > maxInputLen {
		return Constraint{}, Errorf(EINVALID, "constraint is %d bytes long; the limit is %d", len(s), maxInputLen)
	}
	p := &exprParser{src: s}
	c, err := p.parse()
	if err != nil {
		return Constraint{}, Errorf(EINVALID, "constraint %q: %v", excerpt(s, 80), err)
	}
	if n := len(c.String()); n > maxConstraintLen {
		return Constraint{}, Errorf(EINVALID, "constraint is %d bytes long written out as %q; the limit is %d", n, excerpt(c.String(), 40), maxConstraintLen)
	}
	return c, nil
}

// String returns the constraint in the canonical form ParseConstraint reads.
func (c Constraint) String() string {
	var b strings.Builder
	for i, t := range c.Terms {
		coef := t.Coef
		switch {
		case i > 0 && coef < 0:
			b.WriteString(" - ")
			coef = -coef
		case i > 0:
			b.WriteString(" + ")
		case coef < 0:
			b.WriteString("-")
			coef = -coef
		}
		if coef != 1 {
			b.WriteString(strconv.FormatFloat(coef, 'g', -1, 64))
			b.WriteString("*")
		}
		b.WriteString(t.Name)
	}
	fmt.Fprintf(&b, " %s %s", c.Op, strconv.FormatFloat(c.Bound, 'g', -1, 64))
	return b.String()
}

// MarshalText implements encoding.TextMarshaler.
func (c Constraint) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Constraint) UnmarshalText(b []byte) error {
	v, err := ParseConstraint(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Names returns the names the constraint refers to.
func (c Constraint) Names() []string {
	out := make([]string, len(c.Terms))
	for i, t := range c.Terms {
		out[i] = t.Name
	}
	return out
}

// Slack returns how far the values are inside the constraint: positive or
// zero when it holds, negative when it is violated. ok is false if a name
// has no value.
func (c Constraint) Slack(value func(name string) (float64, bool)) (slack float64, ok bool) {
	var lhs float64
	for _, t := range c.Terms {
		v, ok := value(t.Name)
		if !ok {
			return 0, false
		}
		lhs += t.Coef * v
	}
	if c.Op == ">=" {
		return lhs - c.Bound, true
	}
	return c.Bound - lhs, true
}

// Holds reports whether the values satisfy the constraint, allowing a
// relative tolerance of 1e-9 for rounding.
func (c Constraint) Holds(value func(name string) (float64, bool)) bool {
	s, ok := c.Slack(value)
	return ok && s >= -1e-9*math.Max(1, math.Abs(c.Bound))
}

type exprParser struct {
	src string
	pos int
}

func (p *exprParser) errorf(format string, args ...any) error {
	return fmt.Errorf("column %d: %s", p.pos+1, fmt.Sprintf(format, args...))
}

func (p *exprParser) parse() (Constraint, error) {
	var c Constraint
	index := map[string]int{}
	var constant float64
	for first := true; ; first = false {
		p.space()
		sign := 1.0
		switch {
		case p.peek("+") && !first:
			p.pos++
		case p.peek("-"):
			p.pos++
			sign = -1
		case p.peek("+"):
			p.pos++
		case !first:
			if op, ok := p.op(); ok {
				c.Op = op
				goto rhs
			}
			return c, p.errorf("want +, -, <= or >=, got %s", p.rest())
		}
		p.space()
		coef, hasNum, err := p.number()
		if err != nil {
			return c, err
		}
		p.space()
		if hasNum && p.peek("*") {
			p.pos++
			p.space()
		}
		name := p.name()
		switch {
		case name == "" && !hasNum:
			return c, p.errorf("want a number or a name, got %s", p.rest())
		case name == "":
			constant += sign * coef
			continue
		case !hasNum:
			coef = 1
		}
		if p.space(); p.peek("*") {
			// A coefficient may also follow its name: "x * 2".
			p.pos++
			p.space()
			c2, ok, err := p.number()
			if err != nil {
				return c, err
			}
			if !ok {
				return c, p.errorf("want a number after *, got %s", p.rest())
			}
			coef *= c2
		}
		if i, ok := index[name]; ok {
			c.Terms[i].Coef += sign * coef
			continue
		}
		index[name] = len(c.Terms)
		c.Terms = append(c.Terms, Term{Coef: sign * coef, Name: name})
	}
rhs:
	p.space()
	neg := false
	if p.peek("-") {
		neg = true
		p.pos++
		p.space()
	} else if p.peek("+") {
		p.pos++
		p.space()
	}
	b, ok, err := p.number()
	if err != nil {
		return c, err
	}
	if !ok {
		return c, p.errorf("want a number after %s, got %s", c.Op, p.rest())
	}
	if neg {
		b = -b
	}
	p.space()
	if p.pos < len(p.src) {
		return c, p.errorf("unexpected %s after the bound", p.rest())
	}
	if len(c.Terms) == 0 {
		return c, fmt.Errorf("names nothing to constrain")
	}
	c.Bound = b - constant
	if math.IsInf(c.Bound, 0) || math.IsNaN(c.Bound) {
		return c, fmt.Errorf("the bound is not finite")
	}
	for _, t := range c.Terms {
		if t.Coef == 0 || math.IsInf(t.Coef, 0) {
			return c, fmt.Errorf("the coefficient of %s is %g", t.Name, t.Coef)
		}
	}
	return c, nil
}

func (p *exprParser) space() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

func (p *exprParser) peek(s string) bool { return strings.HasPrefix(p.src[p.pos:], s) }

func (p *exprParser) rest() string {
	if p.pos >= len(p.src) {
		return "the end"
	}
	return strconv.Quote(excerpt(p.src[p.pos:], 20))
}

// excerpt returns s cut to at most n runes, with "…" if it was cut.
func excerpt(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i] + "…"
		}
		n--
	}
	return s
}

func (p *exprParser) op() (string, bool) {
	for _, o := range []struct{ text, op string }{{"<=", "<="}, {">=", ">="}, {"≤", "<="}, {"≥", ">="}} {
		if p.peek(o.text) {
			p.pos += len(o.text)
			return o.op, true
		}
	}
	return "", false
}

// number reads a decimal number with optional fraction and exponent.
func (p *exprParser) number() (float64, bool, error) {
	start := p.pos
	digits := func() int {
		n := 0
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	n := digits()
	if p.pos < len(p.src) && p.src[p.pos] == '.' {
		p.pos++
		n += digits()
	}
	if n == 0 {
		p.pos = start
		return 0, false, nil
	}
	if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		save := p.pos
		p.pos++
		if p.pos < len(p.src) && (p.src[p.pos] == '+' || p.src[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			p.pos = save
		}
	}
	text := p.src[start:p.pos]
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(v, 0) {
		p.pos = start
		return 0, false, p.errorf("number %s is out of range", text)
	}
	return v, true, nil
}

// name reads an identifier.
func (p *exprParser) name() string {
	start := p.pos
	for i, r := range p.src[p.pos:] {
		ok := r == '_' || unicode.IsLetter(r)
		if i > 0 {
			ok = ok || unicode.IsDigit(r) || r == '.'
		}
		if !ok {
			break
		}
		p.pos = start + i + len(string(r))
	}
	return p.src[start:p.pos]
}
