package tycho

import (
	"context"
	"time"
)

// Grade is a dataset version's quality grade under the minimum standards of
// docs/data-quality.md. Grades are ordered: GradeNone < bronze < silver <
// gold.
type Grade string

// Quality grades, lowest first.
const (
	GradeNone   Grade = ""
	GradeBronze Grade = "bronze"
	GradeSilver Grade = "silver"
	GradeGold   Grade = "gold"
)

// Grades lists the grades that may be required, lowest first.
var Grades = []Grade{GradeBronze, GradeSilver, GradeGold}

// Rank orders grades: 0 for none, then 1, 2, 3. An unknown grade ranks -1.
func (g Grade) Rank() int {
	switch g {
	case GradeNone:
		return 0
	case GradeBronze:
		return 1
	case GradeSilver:
		return 2
	case GradeGold:
		return 3
	}
	return -1
}

// AtLeast reports whether g meets the minimum min.
func (g Grade) AtLeast(min Grade) bool { return g.Rank() >= min.Rank() }

// ParseGrade reads a grade by name; "" and "none" are GradeNone.
func ParseGrade(s string) (Grade, error) {
	if s == "none" {
		return GradeNone, nil
	}
	if g := Grade(s); g.Rank() >= 0 {
		return g, nil
	}
	return "", Errorf(EINVALID, "grade %q: use none, bronze, silver or gold", s)
}

// ColumnType is the type of a column of tabular data.
type ColumnType string

// Column types. A column's declared or inferred type decides which values
// are type violations.
const (
	ColumnInteger ColumnType = "integer"
	ColumnNumber  ColumnType = "number"
	ColumnBoolean ColumnType = "boolean"
	ColumnTime    ColumnType = "datetime"
	ColumnString  ColumnType = "string"
)

// A Column of a table: its type, unit and declared range, as declared in a
// schema given at ingest or else as inferred from the data.
type Column struct {
	Name string     `json:"name"`
	Type ColumnType `json:"type"`
	// Unit is a UCUM or free-text unit, where declared.
	Unit string `json:"unit,omitempty"`
	// Min and Max bound the values, where declared.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Required columns may not have missing values.
	Required bool `json:"required,omitempty"`
	// Declared says the type came from a schema rather than the data.
	Declared bool `json:"declared,omitempty"`
}

// ColumnQuality counts what is wrong with one column.
type ColumnQuality struct {
	Name           string `json:"name"`
	Missing        int64  `json:"missing"`
	TypeViolations int64  `json:"type_violations"`
	OutOfRange     int64  `json:"out_of_range"`
	// Example is the first offending value with its row, for the report.
	Example string `json:"example,omitempty"`
}

// A TableReport is the schema and quality of one tabular file of a
// version. Columns and Quality run in the file's column order.
type TableReport struct {
	Path    string          `json:"path"`
	Format  string          `json:"format"` // "csv", "tsv" or "parquet"
	Rows    int64           `json:"rows"`
	Columns []Column        `json:"columns"`
	Quality []ColumnQuality `json:"quality"`
	// DuplicateRows counts rows identical to an earlier row.
	DuplicateRows int64 `json:"duplicate_rows"`
	// DuplicatesPartial says the file had more distinct rows than the
	// duplicate check remembers, so DuplicateRows is a lower bound.
	DuplicatesPartial bool `json:"duplicates_partial,omitempty"`
	// HeaderProblem says why the first row is not a usable header (a
	// column without a name, a name given twice, only numbers), if it is
	// not.
	HeaderProblem string `json:"header_problem,omitempty"`
	// AbsentColumns are columns the declared schema names that the file
	// lacks.
	AbsentColumns []string `json:"absent_columns,omitempty"`
	// Error says why the file could not be read as a table, or why
	// reading stopped part-way (what was read is still counted); such a
	// file grades the version down.
	Error string `json:"error,omitempty"`
}

// A QualityReport is what ingest found in a dataset version: its tables'
// schemas and problems, whether the metadata a reuser needs is there, and
// the grade that follows.
type QualityReport struct {
	Tables         []TableReport `json:"tables"`
	HasLicense     bool          `json:"has_license"`
	HasDescription bool          `json:"has_description"`
	Grade          Grade         `json:"grade"`
	// Reasons say why the grade is not higher, one line each.
	Reasons   []string  `json:"reasons,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
}

// A Project is the tenant boundary: datasets, campaigns and (with the
// security issue) members and keys belong to one. Until then it holds the
// project's data policy.
type Project struct {
	Name string
	// MinPriorGrade is the lowest quality grade a dataset version must have
	// to serve as a campaign's prior data; GradeNone admits any.
	MinPriorGrade Grade
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// ProjectService stores projects.
type ProjectService interface {
	// FindProject returns a project. A project that was never configured
	// is returned with its defaults, not ENOTFOUND: a name is a project.
	FindProject(ctx context.Context, name string) (*Project, error)
	// PutProject creates or updates a project's settings. Returns EINVALID
	// for a bad name or grade.
	PutProject(ctx context.Context, p *Project) (*Project, error)
}

// CheckPriorGrade returns EFORBIDDEN unless version v meets project p's
// minimum grade for prior data.
func CheckPriorGrade(p *Project, v *DatasetVersion) error {
	got := GradeNone
	if v.Quality != nil {
		got = v.Quality.Grade
	}
	if got.AtLeast(p.MinPriorGrade) {
		return nil
	}
	shown := string(got)
	if shown == "" {
		shown = "no grade"
	}
	return Errorf(EFORBIDDEN, "dataset %s has %s, but project %s requires %s or better for prior data (docs/data-quality.md)",
		v.Ref(), shown, p.Name, p.MinPriorGrade)
}
