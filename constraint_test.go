package tycho_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"tycho"
)

// maxConstraintLen mirrors the limit ParseConstraint enforces.
const maxConstraintLen = 4096

// goodConstraints are constraints ParseConstraint must accept, with the
// constraint it must return and its canonical form.
var goodConstraints = []struct {
	name string
	src  string
	want tycho.Constraint
	str  string
}{
	{"Coefficients", "x1 + 2*x2 - 0.5 x3 <= 1",
		tycho.Constraint{Terms: []tycho.Term{{1, "x1"}, {2, "x2"}, {-0.5, "x3"}}, Op: "<=", Bound: 1},
		"x1 + 2*x2 - 0.5*x3 <= 1"},
	{"OneName", "impurity >= 0.5",
		tycho.Constraint{Terms: []tycho.Term{{1, "impurity"}}, Op: ">=", Bound: 0.5},
		"impurity >= 0.5"},
	{"UnicodeLessEqual", "x ≤ 3",
		tycho.Constraint{Terms: []tycho.Term{{1, "x"}}, Op: "<=", Bound: 3},
		"x <= 3"},
	{"UnicodeGreaterEqual", "x≥-3",
		tycho.Constraint{Terms: []tycho.Term{{1, "x"}}, Op: ">=", Bound: -3},
		"x >= -3"},
	{"NoSpaces", "2x-y<=1",
		tycho.Constraint{Terms: []tycho.Term{{2, "x"}, {-1, "y"}}, Op: "<=", Bound: 1},
		"2*x - y <= 1"},
	{"StarWithSpaces", "- x + 3 * y >= -2",
		tycho.Constraint{Terms: []tycho.Term{{-1, "x"}, {3, "y"}}, Op: ">=", Bound: -2},
		"-x + 3*y >= -2"},
	{"LeadingPlus", "+x <= +1",
		tycho.Constraint{Terms: []tycho.Term{{1, "x"}}, Op: "<=", Bound: 1},
		"x <= 1"},
	{"SpaceInBound", "x >= - 1",
		tycho.Constraint{Terms: []tycho.Term{{1, "x"}}, Op: ">=", Bound: -1},
		"x >= -1"},
	{"ConstantFirst", "1 + x <= 3",
		tycho.Constraint{Terms: []tycho.Term{{1, "x"}}, Op: "<=", Bound: 2},
		"x <= 2"},
	{"ConstantsMoveRight", "x - 2 + y + 0.5 <= 1",
		tycho.Constraint{Terms: []tycho.Term{{1, "x"}, {1, "y"}}, Op: "<=", Bound: 2.5},
		"x + y <= 2.5"},
	{"ConstantToZero", "x + 1 <= 1",
		tycho.Constraint{Terms: []tycho.Term{{1, "x"}}, Op: "<=", Bound: 0},
		"x <= 0"},
	{"RepeatedNamesSummed", "x + 2x - y + y.b - x <= 0",
		tycho.Constraint{Terms: []tycho.Term{{2, "x"}, {-1, "y"}, {1, "y.b"}}, Op: "<=", Bound: 0},
		"2*x - y + y.b <= 0"},
	{"RepeatedToOne", "x + x - x <= 1",
		tycho.Constraint{Terms: []tycho.Term{{1, "x"}}, Op: "<=", Bound: 1},
		"x <= 1"},
	{"SumRounding", "0.1x + 0.2x <= 1",
		tycho.Constraint{Terms: []tycho.Term{{0.30000000000000004, "x"}}, Op: "<=", Bound: 1},
		"0.30000000000000004*x <= 1"},
	{"Exponents", "1e-3 x + 2.5E+2*y <= 1e2",
		tycho.Constraint{Terms: []tycho.Term{{0.001, "x"}, {250, "y"}}, Op: "<=", Bound: 100},
		"0.001*x + 250*y <= 100"},
	{"ExponentInBound", "x >= -0.5e-1",
		tycho.Constraint{Terms: []tycho.Term{{1, "x"}}, Op: ">=", Bound: -0.05},
		"x >= -0.05"},
	{"LargeCoefficient", "1e21*x <= 1e-7",
		tycho.Constraint{Terms: []tycho.Term{{1e21, "x"}}, Op: "<=", Bound: 1e-7},
		"1e+21*x <= 1e-07"},
	{"BareFractions", ".5x + 1.*y <= 0",
		tycho.Constraint{Terms: []tycho.Term{{0.5, "x"}, {1, "y"}}, Op: "<=", Bound: 0},
		"0.5*x + y <= 0"},
	{"NameE", "2e <= 1", // "e" without digits is not an exponent
		tycho.Constraint{Terms: []tycho.Term{{2, "e"}}, Op: "<=", Bound: 1},
		"2*e <= 1"},
	{"NameStartingWithE", "2*e5 + e1 <= 1",
		tycho.Constraint{Terms: []tycho.Term{{2, "e5"}, {1, "e1"}}, Op: "<=", Bound: 1},
		"2*e5 + e1 <= 1"},
	{"DigitsAfterNumber", "1x2 <= 3",
		tycho.Constraint{Terms: []tycho.Term{{1, "x2"}}, Op: "<=", Bound: 3},
		"x2 <= 3"},
	{"NameCharacters", "x_1 + _y + x3.5 + é <= 1",
		tycho.Constraint{Terms: []tycho.Term{{1, "x_1"}, {1, "_y"}, {1, "x3.5"}, {1, "é"}}, Op: "<=", Bound: 1},
		"x_1 + _y + x3.5 + é <= 1"},
	{"Tabs", "\tx\t<=\t1\t",
		tycho.Constraint{Terms: []tycho.Term{{1, "x"}}, Op: "<=", Bound: 1},
		"x <= 1"},
	{"AtTheLimit", strings.Repeat("x + ", (maxConstraintLen-6)/4) + "x <= 1" + strings.Repeat(" ", (maxConstraintLen-6)%4),
		tycho.Constraint{Terms: []tycho.Term{{float64((maxConstraintLen-6)/4 + 1), "x"}}, Op: "<=", Bound: 1},
		"1023*x <= 1"},
}

// badConstraints are constraints ParseConstraint must reject, with the
// whole message of the EINVALID error it must return.
var badConstraints = []struct {
	name string
	src  string
	want string
}{
	{"ErrEmpty", "",
		`constraint "": column 1: want a number or a name, got the end`},
	{"ErrBlank", "   ",
		`constraint "   ": column 4: want a number or a name, got the end`},
	{"ErrMissingOp", "x + y",
		`constraint "x + y": column 6: want +, -, <= or >=, got the end`},
	{"ErrEquals", "x = 1",
		`constraint "x = 1": column 3: want +, -, <= or >=, got "= 1"`},
	{"ErrStrictLess", "x < 1",
		`constraint "x < 1": column 3: want +, -, <= or >=, got "< 1"`},
	{"ErrTwoNames", "x y <= 1",
		`constraint "x y <= 1": column 3: want +, -, <= or >=, got "y <= 1"`},
	{"ErrOnlyOp", "<= 1",
		`constraint "<= 1": column 1: want a number or a name, got "<= 1"`},
	{"ErrMissingBound", "x <=",
		`constraint "x <=": column 5: want a number after <=, got the end`},
	{"ErrNameAsBound", "x >= y",
		`constraint "x >= y": column 6: want a number after >=, got "y"`},
	{"ErrDoubleSignInBound", "x <= --1",
		`constraint "x <= --1": column 7: want a number after <=, got "-1"`},
	{"ErrTrailingName", "x <= 1 y",
		`constraint "x <= 1 y": column 8: unexpected "y" after the bound`},
	{"ErrTrailingNumber", "x <= 1 2",
		`constraint "x <= 1 2": column 8: unexpected "2" after the bound`},
	{"ErrSumOnRight", "x <= 1 + 2",
		`constraint "x <= 1 + 2": column 8: unexpected "+ 2" after the bound`},
	{"ErrChained", "0 <= x <= 1",
		`constraint "0 <= x <= 1": column 6: want a number after <=, got "x <= 1"`},
	{"ErrDanglingExponent", "x <= 1e",
		`constraint "x <= 1e": column 7: unexpected "e" after the bound`},
	{"ErrLongJunkQuotedShort", "x <= 1 abcdefghijklmnopqrstuvwxyz",
		`constraint "x <= 1 abcdefghijklmnopqrstuvwxyz": column 8: unexpected "abcdefghijklmnopqrst…" after the bound`},
	{"ErrStarWithoutNumber", "x + * y <= 1",
		`constraint "x + * y <= 1": column 5: want a number or a name, got "* y <= 1"`},
	{"ErrDoubleMinus", "x -- y <= 1",
		`constraint "x -- y <= 1": column 4: want a number or a name, got "- y <= 1"`},
	{"ErrZeroAfterSumming", "x + y - x <= 1",
		`constraint "x + y - x <= 1": the coefficient of x is 0`},
	{"ErrZeroCoefficient", "y + 0x <= 1",
		`constraint "y + 0x <= 1": the coefficient of x is 0`},
	{"ErrOnlyConstants", "1 <= 2",
		`constraint "1 <= 2": names nothing to constrain`},
	{"ErrOnlyConstantsSum", "1 + 2 - 0.5 >= 0",
		`constraint "1 + 2 - 0.5 >= 0": names nothing to constrain`},
	{"ErrStarOnly", "2 * <= 1",
		`constraint "2 * <= 1": names nothing to constrain`},
	{"ErrNumberOutOfRange", "1e999x <= 1",
		`constraint "1e999x <= 1": column 1: number 1e999 is out of range`},
	{"ErrBoundOutOfRange", "x <= 1e999",
		`constraint "x <= 1e999": column 6: number 1e999 is out of range`},
	{"ErrInfiniteCoefficient", "1e308x + 1e308x <= 1",
		`constraint "1e308x + 1e308x <= 1": the coefficient of x is +Inf`},
	{"ErrInfiniteBound", "x + 1e308 + 1e308 <= 1",
		`constraint "x + 1e308 + 1e308 <= 1": the bound is not finite`},
	{"ErrOverLong", strings.Repeat("x + ", 16400) + "x <= 1",
		"constraint is 65606 bytes long; the limit is 65536"},
	{"ErrCanonicalOverLimit", manyTerms(1000),
		`constraint is 6896 bytes long written out as "x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + …"; the limit is 4096`},
}

func TestParseConstraint(t *testing.T) {
	for _, tc := range goodConstraints {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tycho.ParseConstraint(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c, tc.want) {
				t.Errorf("got %#v, want %#v", c, tc.want)
			}
			if got := c.String(); got != tc.str {
				t.Errorf("String: got %q, want %q", got, tc.str)
			}
			again, err := tycho.ParseConstraint(c.String())
			if err != nil {
				t.Fatalf("String %q does not parse: %v", c.String(), err)
			}
			if !reflect.DeepEqual(again, c) {
				t.Errorf("round trip through %q: got %#v, want %#v", c.String(), again, c)
			}
		})
	}
}

func TestParseConstraintErrors(t *testing.T) {
	for _, tc := range badConstraints {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tycho.ParseConstraint(tc.src)
			if err == nil {
				t.Fatalf("parsed %#v, want an error", c)
			}
			var e *tycho.Error
			if !errors.As(err, &e) || e.Code != tycho.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			if e.Message != tc.want {
				t.Errorf("got\n%s\nwant\n%s", e.Message, tc.want)
			}
			if !reflect.DeepEqual(c, tycho.Constraint{}) {
				t.Errorf("got %#v with the error, want the zero Constraint", c)
			}
		})
	}
}

func TestConstraintNames(t *testing.T) {
	c, err := tycho.ParseConstraint("b + 2a - b + c + b <= 1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Names(), []string{"b", "a", "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestConstraintText(t *testing.T) {
	type doc struct {
		C []tycho.Constraint `json:"c"`
	}
	in := `{"c":["x1 + 2 x2 ≤ 1","1 - y >= 0"]}`
	var d doc
	if err := json.Unmarshal([]byte(in), &d); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"c":["x1 + 2*x2 \u003c= 1","-y \u003e= -1"]}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	var again doc
	if err := json.Unmarshal(b, &again); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, d) {
		t.Errorf("round trip: got %#v, want %#v", again, d)
	}

	t.Run("ErrUnmarshal", func(t *testing.T) {
		c := tycho.Constraint{Terms: []tycho.Term{{1, "x"}}, Op: "<=", Bound: 1}
		err := c.UnmarshalText([]byte("x <"))
		if got, want := tycho.ErrorMessage(err), `constraint "x <": column 3: want +, -, <= or >=, got "<"`; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
		if code := tycho.ErrorCode(err); code != tycho.EINVALID {
			t.Errorf("code: got %q, want %q", code, tycho.EINVALID)
		}
		if want := (tycho.Constraint{Terms: []tycho.Term{{1, "x"}}, Op: "<=", Bound: 1}); !reflect.DeepEqual(c, want) {
			t.Errorf("a failed UnmarshalText changed the constraint to %#v", c)
		}
	})
}

// values returns a lookup of the given name, value pairs.
func values(kv ...any) func(string) (float64, bool) {
	m := map[string]float64{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1].(float64)
	}
	return func(name string) (float64, bool) {
		v, ok := m[name]
		return v, ok
	}
}

func TestConstraintSlackHolds(t *testing.T) {
	for _, tc := range []struct {
		constraint string
		values     func(string) (float64, bool)
		slack      float64
		ok, holds  bool
	}{
		{"x + 2y <= 4", values("x", 1.0, "y", 1.0), 1, true, true},
		{"x + 2y <= 4", values("x", 2.0, "y", 1.0), 0, true, true},
		{"x + 2y <= 4", values("x", 2.0, "y", 1.5), -1, true, false},
		{"x + 2y <= 4", values("x", 2.0, "z", 1.0), 0, false, false},
		{"x + 2y <= 4", values("x", 2.0, "y", 1.0, "z", 100.0), 0, true, true},
		{"x >= 1", values("x", 0.5), -0.5, true, false},
		{"x >= 1", values("x", 3.0), 2, true, true},
		{"x ≥ 1", values("x", 1.0), 0, true, true},
		{"-x - 1 >= -3", values("x", 2.5), -0.5, true, false},
		{"impurity <= 0.5", values("impurity", 0.25), 0.25, true, true},
		{"impurity <= 0.5", values(), 0, false, false},
		// Rounding: a relative tolerance of 1e-9 of the bound, at least 1e-9.
		{"x <= 1e6", values("x", 1e6+1e-4), -1e-4, true, true},
		{"x <= 1e6", values("x", 1e6+1e-2), -1e-2, true, false},
		{"x <= 0", values("x", 5e-10), -5e-10, true, true},
		{"x <= 0", values("x", 1e-8), -1e-8, true, false},
		{"x >= -1e6", values("x", -1e6-1e-4), -1e-4, true, true},
		{"x >= -1e6", values("x", -1e6-1e-2), -1e-2, true, false},
	} {
		t.Run(fmt.Sprintf("%s/%v", tc.constraint, tc.slack), func(t *testing.T) {
			c, err := tycho.ParseConstraint(tc.constraint)
			if err != nil {
				t.Fatal(err)
			}
			slack, ok := c.Slack(tc.values)
			if ok != tc.ok || math.Abs(slack-tc.slack) > 1e-9*math.Max(1, math.Abs(c.Bound)) {
				t.Errorf("Slack: got %v, %v, want %v, %v", slack, ok, tc.slack, tc.ok)
			}
			if got := c.Holds(tc.values); got != tc.holds {
				t.Errorf("Holds: got %v, want %v", got, tc.holds)
			}
		})
	}
}

// TestConstraintStringTooLong checks that the length limit applies to the
// canonical form, so that whatever parses reads back from its String (as a
// stored spec must).
func TestConstraintStringTooLong(t *testing.T) {
	// The limit applies to the canonical form, so a compact constraint
	// whose canonical form is too long is refused rather than stored in a
	// form that would not read back.
	var b strings.Builder
	for i := 0; b.Len() < 4000; i++ {
		fmt.Fprintf(&b, "2x%d+", i)
	}
	b.WriteString("2y<=1")
	if _, err := tycho.ParseConstraint(b.String()); tycho.ErrorCode(err) != tycho.EINVALID {
		t.Errorf("a %d-byte constraint with a longer canonical form: got %v, want EINVALID", b.Len(), err)
	}
	// Whatever parses reads back from its canonical form.
	b.Reset()
	for i := 0; b.Len() < 3900; i++ {
		fmt.Fprintf(&b, "2*x%d + ", i)
	}
	b.WriteString("2*y <= 1")
	c, err := tycho.ParseConstraint(b.String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tycho.ParseConstraint(c.String()); err != nil {
		t.Errorf("String of a %d-byte constraint is %d bytes and does not parse: %v", b.Len(), len(c.String()), err)
	}
}

// FuzzParseConstraint checks that no input panics the parser, that every
// error is EINVALID, and that an accepted constraint is well formed and
// reads back from its canonical form as the same constraint.
func FuzzParseConstraint(f *testing.F) {
	for _, tc := range goodConstraints {
		f.Add(tc.src)
	}
	for _, tc := range badConstraints {
		if len(tc.src) <= maxConstraintLen {
			f.Add(tc.src)
		}
	}
	f.Add("a.b - 3.25e-2 * c_d + 7 >= -1.5E3")
	f.Add("x\t≥\t0")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := tycho.ParseConstraint(s)
		if err != nil {
			var e *tycho.Error
			if !errors.As(err, &e) || e.Code != tycho.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if c.Op != "<=" && c.Op != ">=" {
			t.Fatalf("%q: op %q", s, c.Op)
		}
		if len(c.Terms) == 0 {
			t.Fatalf("%q: no terms", s)
		}
		if math.IsNaN(c.Bound) || math.IsInf(c.Bound, 0) {
			t.Fatalf("%q: bound %v", s, c.Bound)
		}
		seen := map[string]bool{}
		for _, term := range c.Terms {
			if term.Name == "" || seen[term.Name] {
				t.Fatalf("%q: empty or repeated name in %#v", s, c.Terms)
			}
			seen[term.Name] = true
			if term.Coef == 0 || math.IsNaN(term.Coef) || math.IsInf(term.Coef, 0) {
				t.Fatalf("%q: coefficient %v of %s", s, term.Coef, term.Name)
			}
		}
		str := c.String()
		if len(str) > maxConstraintLen {
			t.Fatalf("%q parses, but its String is %d bytes long", s, len(str))
		}
		again, err := tycho.ParseConstraint(str)
		if err != nil {
			t.Fatalf("%q parses, but its String %q does not: %v", s, str, err)
		}
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("%q: round trip through %q: got %#v, want %#v", s, str, again, c)
		}
		if again.String() != str {
			t.Fatalf("%q: String is not canonical: %q, then %q", s, str, again.String())
		}
		zero := func(string) (float64, bool) { return 0, true }
		if slack, ok := c.Slack(zero); !ok || slack != map[string]float64{"<=": c.Bound, ">=": -c.Bound}[c.Op] {
			t.Fatalf("%q: slack at zero: got %v, %v", s, slack, ok)
		}
	})
}

// TestConstraintErrorSplitsRune checks that the excerpt of the input an
// error quotes is cut between characters, not inside one.
func TestConstraintErrorSplitsRune(t *testing.T) {
	_, err := tycho.ParseConstraint("x <= 1 " + strings.Repeat("a", 19) + "é")
	if msg := tycho.ErrorMessage(err); strings.Contains(msg, `\x`) {
		t.Errorf("message %q shows a partial character", msg)
	}
}

// manyTerms returns "x0 + x1 + … <= 1" with n terms.
func manyTerms(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "x%d + ", i)
	}
	b.WriteString("y <= 1")
	return b.String()
}
