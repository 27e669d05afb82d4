package tycho

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Spec describes an optimization campaign: what may be varied, what is
// measured, where experiments run and when to stop. It is what a campaign
// file holds; the spec package reads it from YAML.
type Spec struct {
	Name        string      `json:"name" yaml:"name"`
	Description string      `json:"description,omitempty" yaml:"description,omitempty"`
	Parameters  []Parameter `json:"parameters" yaml:"parameters"`
	Objectives  []Objective `json:"objectives" yaml:"objectives"`
	// Outcomes are measured but not optimized; constraints may name them.
	Outcomes []Outcome `json:"outcomes,omitempty" yaml:"outcomes,omitempty"`
	// Constraints restrict the parameters every proposal may take (when
	// they name parameters) or the results that count as feasible (when
	// they name an objective or outcome).
	Constraints []Constraint `json:"constraints,omitempty" yaml:"constraints,omitempty"`
	// PriorData is a CSV file of earlier results, relative to the campaign
	// file, imported when the campaign is created.
	PriorData string `json:"prior_data,omitempty" yaml:"prior_data,omitempty"`
	// PriorDataset names prior data kept as a dataset version instead:
	// NAME@VERSION, or NAME@VERSION:PATH for one CSV file of a version with
	// several. Creating the campaign pins VERSION to a number and checks
	// the project's minimum quality grade for prior data.
	PriorDataset  string    `json:"prior_dataset,omitempty" yaml:"prior_dataset,omitempty"`
	Budget        Budget    `json:"budget" yaml:"budget"`
	BatchSize     int       `json:"batch_size,omitempty" yaml:"batch_size,omitempty"`
	InitialDesign int       `json:"initial_design,omitempty" yaml:"initial_design,omitempty"`
	Strategy      string    `json:"strategy,omitempty" yaml:"strategy,omitempty"`
	Stop          StopRules `json:"stop,omitempty" yaml:"stop,omitempty"`
	Seed          uint64    `json:"seed" yaml:"seed"`
	Lab           LabSpec   `json:"lab" yaml:"lab"`
}

// ParameterKind says how a parameter may vary.
type ParameterKind string

// Parameter kinds.
const (
	Continuous  ParameterKind = "continuous"
	Integer     ParameterKind = "integer"
	Categorical ParameterKind = "categorical"
	Fixed       ParameterKind = "fixed"
)

// Parameter is one dimension of a campaign's search space. Bounds apply to
// continuous and integer parameters, Choices to categorical ones and Value
// to fixed ones.
type Parameter struct {
	Name    string        `json:"name" yaml:"name"`
	Kind    ParameterKind `json:"kind" yaml:"kind"`
	Bounds  []float64     `json:"bounds,omitempty" yaml:"bounds,omitempty"`
	Log     bool          `json:"log,omitempty" yaml:"log,omitempty"`
	Choices []string      `json:"choices,omitempty" yaml:"choices,omitempty"`
	Value   any           `json:"value,omitempty" yaml:"value,omitempty"`
	Unit    string        `json:"unit,omitempty" yaml:"unit,omitempty"`
	// Descriptors, for a categorical parameter, describe each choice by
	// numbers; the optimizer then encodes a choice by its descriptors
	// rather than one-hot, so that what it learns about one ligand informs
	// it about similar ones.
	Descriptors *Descriptors `json:"descriptors,omitempty" yaml:"descriptors,omitempty"`
}

// Descriptors are numeric features of the choices of a categorical
// parameter, read from a CSV file with one row per choice.
type Descriptors struct {
	// File is the CSV file, relative to the campaign file.
	File string `json:"file" yaml:"file"`
	// Key is the column that holds the choice; the first column if empty.
	Key string `json:"key,omitempty" yaml:"key,omitempty"`
	// Columns are the descriptor columns; if empty, every other column
	// whose values are all numbers.
	Columns []string `json:"columns,omitempty" yaml:"columns,omitempty"`
	// Reduce is the number of principal components the standardized
	// descriptors are reduced to: 0 keeps those that explain 99 % of the
	// variance, -1 keeps all descriptors as they are.
	Reduce int `json:"reduce,omitempty" yaml:"reduce,omitempty"`
	// Names and Values are filled in by the reader: the descriptor
	// columns used and their values, one row per choice in the order of
	// the parameter's Choices. A stored spec carries them, so a campaign
	// no longer needs the file once created.
	Names  []string    `json:"names,omitempty" yaml:"-"`
	Values [][]float64 `json:"values,omitempty" yaml:"-"`
}

// Outcome is a measured quantity that is recorded but not optimized.
type Outcome struct {
	Name string `json:"name" yaml:"name"`
	Unit string `json:"unit,omitempty" yaml:"unit,omitempty"`
}

// Lower returns the lower bound of a continuous or integer parameter.
func (p *Parameter) Lower() float64 { return p.Bounds[0] }

// Upper returns the upper bound of a continuous or integer parameter.
func (p *Parameter) Upper() float64 { return p.Bounds[1] }

// Direction says whether an objective is to be made small or large.
type Direction string

// Objective directions.
const (
	Minimize Direction = "minimize"
	Maximize Direction = "maximize"
)

// Objective is one measured outcome. Goal, when set, is the value at which
// the campaign may stop (see StopRules.GoalReached).
type Objective struct {
	Name      string    `json:"name" yaml:"name"`
	Direction Direction `json:"direction" yaml:"direction"`
	Goal      *float64  `json:"goal,omitempty" yaml:"goal,omitempty"`
	Unit      string    `json:"unit,omitempty" yaml:"unit,omitempty"`
	// Noisy declares the measurements noisy: the model infers a noise
	// level, proposals use noisy expected improvement and the reported
	// best is the point the model rates best, not the luckiest sample.
	Noisy bool `json:"noisy,omitempty" yaml:"noisy,omitempty"`
	// Reference, for a campaign with several objectives, is the worst
	// value still of interest: the reference point of the hypervolume.
	// If unset it is inferred from the results.
	Reference *float64 `json:"reference,omitempty" yaml:"reference,omitempty"`
}

// Better reports whether objective value a is strictly better than b.
func (o *Objective) Better(a, b float64) bool {
	if o.Direction == Maximize {
		return a > b
	}
	return a < b
}

// Reached reports whether value v meets the objective's goal.
func (o *Objective) Reached(v float64) bool {
	if o.Goal == nil {
		return false
	}
	if o.Direction == Maximize {
		return v >= *o.Goal
	}
	return v <= *o.Goal
}

// Budget bounds a campaign. MaxExperiments counts completed and failed
// experiments; MaxWallTime counts the time the campaign has been running,
// summed over resumes.
type Budget struct {
	MaxExperiments int      `json:"max_experiments" yaml:"max_experiments"`
	MaxWallTime    Duration `json:"max_wall_time,omitempty" yaml:"max_wall_time,omitempty"`
}

// StopRules end a campaign before its budget is spent.
type StopRules struct {
	// GoalReached stops the campaign once an objective's goal is met. It
	// defaults to true when any objective has a goal.
	GoalReached *bool `json:"goal_reached,omitempty" yaml:"goal_reached,omitempty"`
	// NoImprovement stops the campaign when the best value has improved by
	// no more than Epsilon over the last Experiments experiments.
	NoImprovement *NoImprovement `json:"no_improvement,omitempty" yaml:"no_improvement,omitempty"`
}

// NoImprovement is the stall rule of StopRules.
type NoImprovement struct {
	Epsilon     float64 `json:"epsilon" yaml:"epsilon"`
	Experiments int     `json:"experiments" yaml:"experiments"`
}

// LabSpec names where a campaign's experiments run. Kind is one of
// LabKinds; Name selects the lab of that kind (for a twin, the function).
type LabSpec struct {
	Kind  string  `json:"kind" yaml:"kind"`
	Name  string  `json:"name,omitempty" yaml:"name,omitempty"`
	Noise float64 `json:"noise,omitempty" yaml:"noise,omitempty"`
	// File, for a table lab, is the CSV of measured results it answers
	// from, relative to the campaign file.
	File string `json:"file,omitempty" yaml:"file,omitempty"`
	// Columns, for a table lab, maps a parameter, objective or outcome to
	// the column that holds it when the names differ.
	Columns map[string]string `json:"columns,omitempty" yaml:"columns,omitempty"`
	// Approval, for an agent lab, holds every proposal until a person
	// approves it, for costly or hazardous experiments.
	Approval bool `json:"approval,omitempty" yaml:"approval,omitempty"`
}

// Lab kinds.
const (
	// LabTwin is a built-in simulator, run in process.
	LabTwin = "twin"
	// LabTable answers from a CSV of measured results.
	LabTable = "table"
	// LabAgent is an instrument behind `tycho agent`, which leases the
	// experiments proposed for the lab Name from a server.
	LabAgent = "agent"
	// LabExternal runs nowhere Tycho knows of: a notebook or an external
	// optimizer asks for experiments and tells their results (ask/tell).
	LabExternal = "external"
)

// LabKinds lists the kinds of lab a spec may name.
var LabKinds = []string{LabTwin, LabTable, LabAgent, LabExternal}

// Asynchronous reports whether the spec's experiments run outside the
// process that proposes them, their results arriving through the store.
func (l LabSpec) Asynchronous() bool { return l.Kind == LabAgent || l.Kind == LabExternal }

// MaxObjectives is the most objectives a campaign may optimize together.
const MaxObjectives = 3

// Strategies lists the proposal strategies a spec may name. "gp" is
// Bayesian optimization with a Gaussian process; "random" and "sobol" are
// baselines that ignore results.
var Strategies = []string{"gp", "random", "sobol"}

// Duration is a time.Duration written as "90s", "2h30m" in specs and JSON.
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q (want e.g. 90s, 30m, 2h)", b)
	}
	*d = Duration(v)
	return nil
}

// FieldError is one problem with one field of a spec. Field is a path such
// as "parameters[1].bounds" that the spec reader turns into a line number.
type FieldError struct {
	Field   string
	Message string
}

// SetDefaults fills in the values a spec may leave out.
func (s *Spec) SetDefaults() {
	if s.BatchSize == 0 {
		s.BatchSize = 1
	}
	if s.Strategy == "" {
		s.Strategy = "gp"
	}
	if s.InitialDesign == 0 {
		s.InitialDesign = 2*s.Dims() + 2
	}
	if s.Lab.Kind == "" {
		s.Lab.Kind = LabTwin
	}
	if s.Stop.GoalReached == nil {
		for _, o := range s.Objectives {
			if o.Goal != nil {
				t := true
				s.Stop.GoalReached = &t
				break
			}
		}
	}
}

// Dims returns the number of parameters the optimizer varies.
func (s *Spec) Dims() int {
	n := 0
	for _, p := range s.Parameters {
		if p.Kind != Fixed {
			n++
		}
	}
	return n
}

// Validate checks a spec after SetDefaults and returns every problem found,
// in the order of the fields in the spec.
func (s *Spec) Validate() []FieldError {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(s.Name) == "" {
		add("name", "is required")
	}
	if s.PriorDataset != "" {
		if s.PriorData != "" {
			add("prior_dataset", "give prior_data or prior_dataset, not both")
		} else if _, _, _, err := ParsePriorDataset(s.PriorDataset); err != nil {
			add("prior_dataset", "%s", strings.TrimPrefix(ErrorMessage(err), fmt.Sprintf("prior_dataset %q: ", s.PriorDataset)))
		}
	}
	if len(s.Parameters) == 0 {
		add("parameters", "at least one parameter is required")
	}
	names := map[string]string{}
	for i, p := range s.Parameters {
		f := fmt.Sprintf("parameters[%d]", i)
		if p.Name == "" {
			add(f+".name", "is required")
		} else if prev, ok := names[p.Name]; ok {
			add(f+".name", "parameter %q is already declared at %s", p.Name, prev)
		} else {
			names[p.Name] = f
		}
		switch p.Kind {
		case Continuous, Integer:
			if len(p.Bounds) != 2 {
				add(f+".bounds", "want [lower, upper], got %d values", len(p.Bounds))
				continue
			}
			lo, hi := p.Bounds[0], p.Bounds[1]
			switch {
			case math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0):
				add(f+".bounds", "bounds must be finite")
			case lo >= hi:
				add(f+".bounds", "lower bound %g is not below upper bound %g", lo, hi)
			case p.Log && lo <= 0:
				add(f+".bounds", "log scale needs a positive lower bound, got %g", lo)
			case p.Kind == Integer && (lo != math.Trunc(lo) || hi != math.Trunc(hi)):
				add(f+".bounds", "integer bounds must be whole numbers, got [%g, %g]", lo, hi)
			}
		case Categorical:
			if len(p.Choices) == 0 {
				add(f+".choices", "a categorical parameter needs at least one choice")
			}
			if d := p.Descriptors; d != nil {
				validateDescriptors(add, f+".descriptors", d, len(p.Choices))
			}
			seen := map[string]bool{}
			for j, c := range p.Choices {
				if seen[c] {
					add(fmt.Sprintf("%s.choices[%d]", f, j), "choice %q is listed twice", c)
				}
				seen[c] = true
			}
		case Fixed:
			switch p.Value.(type) {
			case nil:
				add(f+".value", "a fixed parameter needs a value")
			case float64:
				if v := p.Value.(float64); math.IsNaN(v) || math.IsInf(v, 0) {
					add(f+".value", "a fixed value must be finite")
				}
			case string, bool:
			default:
				add(f+".value", "a fixed value must be a number, text or a boolean")
			}
		case "":
			add(f+".kind", "is required (continuous, integer, categorical or fixed)")
		default:
			add(f+".kind", "unknown kind %q (want continuous, integer, categorical or fixed)", p.Kind)
		}
		if p.Log && p.Kind != Continuous {
			add(f+".log", "log scale applies to continuous parameters only")
		}
		if p.Descriptors != nil && p.Kind != Categorical {
			add(f+".descriptors", "descriptors apply to categorical parameters only")
		}
	}
	if len(s.Objectives) == 0 {
		add("objectives", "at least one objective is required")
	}
	onames := map[string]string{}
	for i, o := range s.Objectives {
		f := fmt.Sprintf("objectives[%d]", i)
		if o.Name == "" {
			add(f+".name", "is required")
		} else if prev, ok := onames[o.Name]; ok {
			add(f+".name", "objective %q is already declared at %s", o.Name, prev)
		} else if _, ok := names[o.Name]; ok {
			add(f+".name", "objective %q has the name of a parameter", o.Name)
		} else {
			onames[o.Name] = f
		}
		if o.Direction != Minimize && o.Direction != Maximize {
			add(f+".direction", "want minimize or maximize, got %q", o.Direction)
		}
		if o.Goal != nil && (math.IsNaN(*o.Goal) || math.IsInf(*o.Goal, 0)) {
			add(f+".goal", "goal must be finite")
		}
		if o.Reference != nil && (math.IsNaN(*o.Reference) || math.IsInf(*o.Reference, 0)) {
			add(f+".reference", "reference must be finite")
		}
	}
	if len(s.Objectives) > MaxObjectives {
		add("objectives", "at most %d objectives can be optimized together, got %d", MaxObjectives, len(s.Objectives))
	}
	for i, o := range s.Outcomes {
		f := fmt.Sprintf("outcomes[%d]", i)
		if o.Name == "" {
			add(f+".name", "is required")
		} else if prev, ok := onames[o.Name]; ok {
			add(f+".name", "%q is already declared at %s", o.Name, prev)
		} else if _, ok := names[o.Name]; ok {
			add(f+".name", "outcome %q has the name of a parameter", o.Name)
		} else {
			onames[o.Name] = f
		}
	}
	for i, c := range s.Constraints {
		s.validateConstraint(add, fmt.Sprintf("constraints[%d]", i), c, onames)
	}
	if s.Stop.NoImprovement != nil && len(s.Objectives) > 1 {
		add("stop.no_improvement", "applies to campaigns with one objective")
	}
	if s.Budget.MaxExperiments <= 0 {
		add("budget.max_experiments", "must be positive, got %d", s.Budget.MaxExperiments)
	}
	if s.Budget.MaxWallTime < 0 {
		add("budget.max_wall_time", "must not be negative")
	}
	if s.BatchSize < 1 {
		add("batch_size", "must be positive, got %d", s.BatchSize)
	}
	if s.InitialDesign < 1 {
		add("initial_design", "must be positive, got %d", s.InitialDesign)
	}
	if !contains(Strategies, s.Strategy) {
		add("strategy", "unknown strategy %q (want one of %s)", s.Strategy, strings.Join(Strategies, ", "))
	}
	if n := s.Stop.NoImprovement; n != nil {
		if n.Experiments < 1 {
			add("stop.no_improvement.experiments", "must be positive, got %d", n.Experiments)
		}
		if math.IsNaN(n.Epsilon) || math.IsInf(n.Epsilon, 0) {
			add("stop.no_improvement.epsilon", "must be finite")
		} else if n.Epsilon < 0 {
			add("stop.no_improvement.epsilon", "must not be negative")
		}
	}
	if !contains(LabKinds, s.Lab.Kind) {
		add("lab.kind", "unknown lab kind %q (want one of %s)", s.Lab.Kind, strings.Join(LabKinds, ", "))
	}
	switch s.Lab.Kind {
	case LabTwin, LabAgent:
		if s.Lab.Name == "" {
			add("lab.name", "is required")
		}
	case LabTable:
		if s.Lab.File == "" {
			add("lab.file", "a table lab needs the CSV file of results it answers from")
		}
	}
	if s.Lab.File != "" && s.Lab.Kind != LabTable {
		add("lab.file", "applies to a table lab only")
	}
	if s.Lab.Noise != 0 && s.Lab.Kind != LabTwin {
		add("lab.noise", "applies to a twin only")
	}
	if s.Lab.Approval && s.Lab.Kind != LabAgent {
		add("lab.approval", "applies to an agent lab only")
	}
	if s.Lab.Kind == LabAgent && !validLabName(s.Lab.Name) {
		add("lab.name", "%q is not a lab name: use letters, digits, '.', '_' and '-', at most 64", s.Lab.Name)
	}
	for k := range s.Lab.Columns {
		if _, ok := names[k]; !ok {
			if _, ok := onames[k]; !ok {
				add("lab.columns", "%q is not a parameter, objective or outcome", k)
			}
		}
	}
	if math.IsNaN(s.Lab.Noise) || math.IsInf(s.Lab.Noise, 0) {
		add("lab.noise", "must be finite")
	} else if s.Lab.Noise < 0 {
		add("lab.noise", "must not be negative")
	}
	return errs
}

// validateConstraint checks that c names either only continuous or
// integer parameters on a linear scale (a parameter constraint) or exactly
// one objective or outcome (an outcome constraint).
func (s *Spec) validateConstraint(add func(string, string, ...any), f string, c Constraint, outcomes map[string]string) {
	if len(c.Terms) == 0 || (c.Op != "<=" && c.Op != ">=") {
		add(f, "is not a constraint")
		return
	}
	if len(c.Terms) == 1 {
		if _, ok := outcomes[c.Terms[0].Name]; ok {
			return
		}
	}
	for _, t := range c.Terms {
		p := s.Parameter(t.Name)
		switch {
		case p == nil:
			if _, ok := outcomes[t.Name]; ok {
				add(f, "an outcome constraint names one objective or outcome alone, not with %s", strings.Join(c.Names(), ", "))
			} else {
				add(f, "%q is not a parameter, objective or outcome", t.Name)
			}
			return
		case p.Kind != Continuous && p.Kind != Integer:
			add(f, "parameter %q is %s; constraints take continuous and integer parameters", t.Name, p.Kind)
			return
		case p.Log:
			add(f, "parameter %q is on a log scale; a linear constraint needs a linear one", t.Name)
			return
		}
	}
}

// Parameter returns the parameter called name, or nil.
func (s *Spec) Parameter(name string) *Parameter {
	for i := range s.Parameters {
		if s.Parameters[i].Name == name {
			return &s.Parameters[i]
		}
	}
	return nil
}

// LinearConstraints returns the constraints on parameters.
func (s *Spec) LinearConstraints() []Constraint {
	var out []Constraint
	for _, c := range s.Constraints {
		if !s.IsOutcomeConstraint(c) {
			out = append(out, c)
		}
	}
	return out
}

// OutcomeConstraints returns the constraints on measured outcomes.
func (s *Spec) OutcomeConstraints() []Constraint {
	var out []Constraint
	for _, c := range s.Constraints {
		if s.IsOutcomeConstraint(c) {
			out = append(out, c)
		}
	}
	return out
}

// IsOutcomeConstraint reports whether c constrains a measured outcome
// rather than parameters.
func (s *Spec) IsOutcomeConstraint(c Constraint) bool {
	return len(c.Terms) == 1 && s.Parameter(c.Terms[0].Name) == nil
}

func validateDescriptors(add func(string, string, ...any), f string, d *Descriptors, choices int) {
	if d.File == "" && d.Values == nil {
		add(f+".file", "is required")
	}
	if d.Reduce < -1 {
		add(f+".reduce", "want a number of components, 0 for automatic or -1 for none, got %d", d.Reduce)
	}
	if d.Values == nil {
		return
	}
	if len(d.Values) != choices {
		add(f, "%d rows of descriptors for %d choices", len(d.Values), choices)
		return
	}
	for i, row := range d.Values {
		if len(row) != len(d.Names) {
			add(f, "row %d has %d descriptors, want %d", i, len(row), len(d.Names))
			return
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				add(f, "descriptor %s of choice %d is %g", d.Names[j], i, v)
				return
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// validLabName reports whether name can name an agent lab: it appears in
// URLs and metric labels, so it is kept to a safe alphabet.
func validLabName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// CheckParams checks that p gives every parameter of the spec a value in
// its domain, and names nothing else. Linear constraints are not checked:
// an experiment that was run is a fact, whether or not a proposal would
// have chosen it. Integers come as whole float64s, and
// a fixed parameter, if given, must have its declared value (it is filled
// in when absent). Errors name the parameter as params.NAME.
func (s *Spec) CheckParams(p Params) error {
	for name := range p {
		if s.Parameter(name) == nil {
			return Errorf(EINVALID, "params.%s: no such parameter", name)
		}
	}
	for i := range s.Parameters {
		par := &s.Parameters[i]
		v, ok := p[par.Name]
		if par.Kind == Fixed {
			if !ok {
				p[par.Name] = par.Value
			} else if fmt.Sprint(v) != fmt.Sprint(par.Value) {
				return Errorf(EINVALID, "params.%s: is fixed at %v, got %v", par.Name, par.Value, v)
			}
			continue
		}
		if !ok {
			return Errorf(EINVALID, "params.%s: is missing", par.Name)
		}
		if par.Kind == Categorical {
			c, isString := v.(string)
			if !isString || !contains(par.Choices, c) {
				return Errorf(EINVALID, "params.%s: %v is not one of %s", par.Name, v, strings.Join(par.Choices, ", "))
			}
			continue
		}
		x, isNumber := v.(float64)
		switch {
		case !isNumber:
			return Errorf(EINVALID, "params.%s: want a number, got %v", par.Name, v)
		case math.IsNaN(x) || x < par.Lower() || x > par.Upper():
			return Errorf(EINVALID, "params.%s: %g is outside the bounds [%g, %g]", par.Name, x, par.Lower(), par.Upper())
		case par.Kind == Integer && x != math.Trunc(x):
			return Errorf(EINVALID, "params.%s: %g is not a whole number", par.Name, x)
		}
	}
	return nil
}

// HasPrior reports whether the campaign starts from prior data, from a file
// or a dataset version.
func (s *Spec) HasPrior() bool { return s.PriorData != "" || s.PriorDataset != "" }

// ParsePriorDataset splits a prior_dataset reference into the dataset, the
// version reference and the file path (which may be empty).
func ParsePriorDataset(ref string) (name, version, file string, err error) {
	name, rest, ok := strings.Cut(ref, "@")
	if !ok {
		rest = "latest"
	}
	version, file, _ = strings.Cut(rest, ":")
	if err := ValidName("dataset", name); err != nil {
		return "", "", "", Errorf(EINVALID, "prior_dataset %q: %s", ref, err.(*Error).Message)
	}
	if version == "" {
		return "", "", "", Errorf(EINVALID, "prior_dataset %q: empty version after '@'", ref)
	}
	if file != "" {
		if err := ValidFilePath(file); err != nil {
			return "", "", "", Errorf(EINVALID, "prior_dataset %q: %s", ref, err.(*Error).Message)
		}
	}
	return name, version, file, nil
}

// PriorVersion returns the dataset version a campaign's prior data comes
// from, once creating the campaign has pinned its number.
func (s *Spec) PriorVersion() (project, name string, number int, ok bool) {
	if s.PriorDataset == "" {
		return "", "", 0, false
	}
	name, version, _, err := ParsePriorDataset(s.PriorDataset)
	if err != nil {
		return "", "", 0, false
	}
	n, err := strconv.Atoi(version)
	if err != nil || n < 1 {
		return "", "", 0, false
	}
	return DefaultProject, name, n, true
}
