package quality

import (
	"fmt"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"

	"tycho"
)

// MaxMissing is the largest share of a table's values that may be missing
// in a silver or gold version.
const MaxMissing = 0.05

// maxReasons bounds the reasons a report lists.
const maxReasons = 50

// Grade grades a version from its metadata and the reports of its tables
// under the minimum standards of docs/data-quality.md. Each grade needs
// everything the grade below needs, and:
//
//   - bronze: a licence; every table readable, with a header row.
//   - silver: a title, a description and a publisher; the licence a valid
//     SPDX expression; every table with rows, at most 5 % of its values
//     missing, no type violations, no column without values to type, and
//     every column its schema declares.
//   - gold: creators, each with an ORCID iD; the licence made of SPDX-listed,
//     current identifiers only; every table without duplicate rows, values
//     outside declared ranges or missing values in required columns, every
//     column declared in a schema, and a unit for every number column.
//
// A version without tables is graded on its metadata alone. Reasons list
// every requirement of a higher grade that the version does not meet,
// each prefixed with the lowest grade that needs it. CheckedAt is left
// for the caller, who has the clock.
func Grade(md tycho.Metadata, tables []tycho.TableReport) *tycho.QualityReport {
	r := &tycho.QualityReport{
		Tables:         tables,
		HasLicense:     strings.TrimSpace(md.License) != "",
		HasDescription: strings.TrimSpace(md.Description) != "",
	}
	var unmet [4][]string // by the rank of the grade each blocks
	need := func(g tycho.Grade, format string, args ...any) {
		unmet[g.Rank()] = append(unmet[g.Rank()], fmt.Sprintf(format, args...))
	}
	gradeMetadata(md, need)
	for _, t := range tables {
		gradeTable(t, need)
	}
	r.Grade = tycho.GradeNone
	for _, g := range tycho.Grades {
		if len(unmet[g.Rank()]) > 0 {
			break
		}
		r.Grade = g
	}
	for _, g := range tycho.Grades {
		if g.Rank() <= r.Grade.Rank() {
			continue
		}
		for _, why := range unmet[g.Rank()] {
			r.Reasons = append(r.Reasons, string(g)+": "+why)
		}
	}
	if n := len(r.Reasons); n > maxReasons {
		r.Reasons = append(r.Reasons[:maxReasons-1:maxReasons-1], fmt.Sprintf("… and %d more (tycho data quality shows every table)", n-maxReasons+1))
	}
	return r
}

type needFunc func(g tycho.Grade, format string, args ...any)

func gradeMetadata(md tycho.Metadata, need needFunc) {
	license := strings.TrimSpace(md.License)
	if license == "" {
		need(tycho.GradeBronze, "no licence: give one as an SPDX identifier, such as CC-BY-4.0")
	}
	for _, f := range []struct{ name, value, hint string }{
		{"title", md.Title, ""},
		{"description", md.Description, ""},
		{"publisher", md.Publisher, " (the organisation that makes the data available)"},
	} {
		if strings.TrimSpace(f.value) == "" {
			need(tycho.GradeSilver, "no %s%s", f.name, f.hint)
		}
	}
	if license != "" {
		switch valid, listed := spdxStatus(license); {
		case !valid:
			need(tycho.GradeSilver, "licence %q is not a valid SPDX licence expression (https://spdx.org/licenses/)", license)
		case !listed:
			need(tycho.GradeGold, "licence %q uses identifiers that are not on the SPDX licence list or are deprecated", license)
		}
	}
	if len(md.Creators) == 0 {
		need(tycho.GradeGold, "no creators")
	}
	for _, c := range md.Creators {
		if c.ORCID == "" {
			need(tycho.GradeGold, "creator %s has no ORCID iD", c.Name)
		}
	}
}

// spdxStatus reports whether license is a valid SPDX licence expression
// and whether every licence in it is on the SPDX list and current (no
// LicenseRef-, DocumentRef- or deprecated identifiers).
func spdxStatus(license string) (valid, listed bool) {
	if ok, _ := spdxexp.ValidateLicenses([]string{license}); !ok {
		return false, false
	}
	ids, err := spdxexp.ExtractLicenses(license)
	if err != nil || len(ids) == 0 {
		return true, false
	}
	for _, id := range ids {
		id, _, _ = strings.Cut(id, " WITH ")
		id = strings.TrimSuffix(strings.TrimSpace(id), "+")
		if ok, _ := spdxexp.ActiveLicense(id); !ok {
			return true, false
		}
	}
	return true, true
}

func gradeTable(t tycho.TableReport, need needFunc) {
	p := t.Path
	if t.Error != "" {
		need(tycho.GradeBronze, "%s: cannot be read as a table: %s", p, t.Error)
	}
	if t.HeaderProblem != "" {
		need(tycho.GradeBronze, "%s: no usable header row: %s", p, t.HeaderProblem)
	}
	if t.Error != "" && t.Rows == 0 && len(t.Columns) == 0 {
		return // nothing was read to grade further
	}
	if t.Rows == 0 {
		need(tycho.GradeSilver, "%s: has no rows", p)
	}
	var missing int64
	for _, q := range t.Quality {
		missing += q.Missing
	}
	if cells := t.Rows * int64(len(t.Columns)); cells > 0 && float64(missing) > MaxMissing*float64(cells) {
		need(tycho.GradeSilver, "%s: %.1f %% of values are missing (at most %g %%)", p, 100*float64(missing)/float64(cells), 100*MaxMissing)
	}
	if len(t.AbsentColumns) > 0 {
		need(tycho.GradeSilver, "%s: the schema declares columns the file lacks: %s", p, strings.Join(t.AbsentColumns, ", "))
	}
	var noUnit, undeclared []string
	for i, c := range t.Columns {
		var q tycho.ColumnQuality
		if i < len(t.Quality) {
			q = t.Quality[i]
		}
		example := ""
		if q.Example != "" {
			example = "; first: " + q.Example
		}
		// Each column's example is shown once, with its first problem.
		use := func() string { e := example; example = ""; return e }
		if q.TypeViolations > 0 {
			need(tycho.GradeSilver, "%s: column %s: %s %s%s", p, c.Name, count(q.TypeViolations, "value is not", "values are not"), typeName(c.Type), use())
		}
		if !c.Declared && t.Rows > 0 && q.Missing >= t.Rows {
			need(tycho.GradeSilver, "%s: column %s has no values, so its type is unknown: declare it in a schema", p, c.Name)
		}
		if q.OutOfRange > 0 {
			need(tycho.GradeGold, "%s: column %s: %s outside %s%s", p, c.Name, count(q.OutOfRange, "value", "values"), rangeText(c), use())
		}
		if c.Required && q.Missing > 0 {
			need(tycho.GradeGold, "%s: column %s is required but %s missing%s", p, c.Name, count(q.Missing, "value is", "values are"), use())
		}
		if c.Type == tycho.ColumnNumber && c.Unit == "" {
			noUnit = append(noUnit, c.Name)
		}
		if !c.Declared {
			undeclared = append(undeclared, c.Name)
		}
	}
	if t.DuplicateRows > 0 {
		need(tycho.GradeGold, "%s: %s", p, count(t.DuplicateRows, "row duplicates an earlier row", "rows duplicate earlier rows"))
	}
	if len(undeclared) > 0 {
		need(tycho.GradeGold, "%s: columns not declared in a schema (--schema): %s", p, list(undeclared))
	}
	if len(noUnit) > 0 {
		need(tycho.GradeGold, "%s: number columns without a unit (declare it in the schema, or in the header as \"name [unit]\"): %s", p, list(noUnit))
	}
}

// list joins names, eliding all but the first few.
func list(names []string) string {
	const show = 8
	if len(names) <= show {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:show], ", "), len(names)-show)
}

// count writes n with the singular or plural words that follow it.
func count(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
