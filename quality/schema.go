package quality

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"go.yaml.in/yaml/v3"

	"tycho"
)

// MaxSchemaSize is the largest schema file ReadSchema accepts.
const MaxSchemaSize = 4 << 20

// maxProblems bounds how many problems one schema error lists.
const maxProblems = 20

// A Schema declares the columns of a dataset's tables, by file. It is
// read from YAML or JSON (docs/data-quality.md):
//
//	tables:
//	  - path: yields.csv        # a path in the dataset, or a glob
//	    columns:
//	      - {name: yield, type: number, unit: "%", min: 0, max: 100, required: true}
type Schema struct {
	Tables []TableSchema
}

// A TableSchema declares the columns of the files that Path matches.
type TableSchema struct {
	// Path is a file path in the dataset or a glob in path.Match syntax.
	// A pattern without a slash is matched against a file's base name
	// too, so "*.csv" covers every CSV file at any depth.
	Path string
	// Columns are declared, never inferred: Declared is set on each.
	Columns []tycho.Column
}

// For returns the columns declared for the dataset file p: those of the
// first table whose path matches it, or nil.
func (s *Schema) For(p string) []tycho.Column {
	if s == nil {
		return nil
	}
	for _, t := range s.Tables {
		if matches(t.Path, p) {
			return t.Columns
		}
	}
	return nil
}

func matches(pattern, p string) bool {
	if ok, _ := path.Match(pattern, p); ok {
		return true
	}
	if !strings.Contains(pattern, "/") {
		ok, _ := path.Match(pattern, path.Base(p))
		return ok
	}
	return false
}

// ReadSchema reads a schema file: JSON if its name ends in .json (in any
// case) or its first non-blank byte is '{', else YAML. Returns EINVALID,
// naming the file, line and field of each problem, if it cannot be read
// or is not a valid schema.
func ReadSchema(name string) (*Schema, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "schema: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSchemaSize+1))
	if err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "schema %s: %v", name, err)
	}
	if len(data) > MaxSchemaSize {
		return nil, tycho.Errorf(tycho.EINVALID, "schema %s: larger than %d bytes", name, MaxSchemaSize)
	}
	return ParseSchema(name, data)
}

// ParseSchema parses a schema; name is the file's name as messages show it
// and decides, with the first byte, whether it is JSON (see ReadSchema).
// Parsing is strict: unknown fields, fields given twice, values of the
// wrong type, unknown column types, ranges on non-numeric columns, min
// above max, and columns or paths given twice are all errors.
func ParseSchema(name string, data []byte) (*Schema, error) {
	p := &schemaParser{file: name}
	var raw []rawTable
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if strings.HasSuffix(strings.ToLower(name), ".json") || bytes.HasPrefix(trimmed, []byte("{")) {
		raw = p.json(data)
	} else {
		raw = p.yaml(data)
	}
	s := p.check(raw)
	if len(p.problems) > 0 {
		msg := p.problems
		if len(msg) > maxProblems {
			msg = append(msg[:maxProblems:maxProblems], fmt.Sprintf("… and %d more problems", len(p.problems)-maxProblems))
		}
		return nil, &tycho.Error{Code: tycho.EINVALID, Message: strings.Join(msg, "\n")}
	}
	return s, nil
}

// rawTable and rawColumn are a schema as written, before checking; at
// names a field of the item for messages.
type rawTable struct {
	at      func(field string) string
	path    *string
	columns []rawColumn
}

type rawColumn struct {
	at              func(field string) string
	name, typ, unit *string
	min, max        *float64
	required        *bool
}

type schemaParser struct {
	file     string
	problems []string
}

func (p *schemaParser) add(at, format string, args ...any) {
	msg := strings.Join(strings.Fields(fmt.Sprintf(format, args...)), " ")
	p.problems = append(p.problems, at+": "+msg)
}

// check turns the raw tables into a schema, recording what is wrong.
func (p *schemaParser) check(raw []rawTable) *Schema {
	s := &Schema{}
	paths := map[string]bool{}
	for _, rt := range raw {
		t := TableSchema{}
		switch {
		case rt.path == nil:
			p.add(rt.at(""), "no path: give the file's path in the dataset, or a glob")
		case *rt.path == "":
			p.add(rt.at("path"), "is empty")
		default:
			t.Path = *rt.path
			if err := checkPattern(t.Path); err != "" {
				p.add(rt.at("path"), "%s", err)
			} else if paths[t.Path] {
				p.add(rt.at("path"), "%q is given twice", t.Path)
			}
			paths[t.Path] = true
		}
		if len(rt.columns) == 0 {
			p.add(rt.at("columns"), "no columns declared")
		}
		names := map[string]bool{}
		for _, rc := range rt.columns {
			c, ok := p.column(rc)
			if !ok {
				continue
			}
			if names[c.Name] {
				p.add(rc.at("name"), "column %q is declared twice", c.Name)
				continue
			}
			names[c.Name] = true
			t.Columns = append(t.Columns, c)
		}
		s.Tables = append(s.Tables, t)
	}
	if len(raw) == 0 && len(p.problems) == 0 {
		p.add(p.file, "no tables: a schema lists tables, each with a path and columns")
	}
	return s
}

// column checks one declared column.
func (p *schemaParser) column(rc rawColumn) (tycho.Column, bool) {
	n := len(p.problems)
	c := tycho.Column{Declared: true}
	switch {
	case rc.name == nil:
		p.add(rc.at(""), "no name")
	case strings.TrimSpace(*rc.name) == "":
		p.add(rc.at("name"), "is empty")
	default:
		c.Name = strings.TrimSpace(*rc.name)
	}
	if rc.typ == nil {
		p.add(rc.at(""), "no type: use integer, number, boolean, datetime or string")
	} else {
		switch t := tycho.ColumnType(*rc.typ); t {
		case tycho.ColumnInteger, tycho.ColumnNumber, tycho.ColumnBoolean, tycho.ColumnTime, tycho.ColumnString:
			c.Type = t
		default:
			p.add(rc.at("type"), "unknown type %q: use integer, number, boolean, datetime or string", *rc.typ)
		}
	}
	if rc.unit != nil {
		c.Unit = strings.TrimSpace(*rc.unit)
	}
	numeric := c.Type == tycho.ColumnInteger || c.Type == tycho.ColumnNumber
	for _, b := range []struct {
		field string
		v     *float64
	}{{"min", rc.min}, {"max", rc.max}} {
		if b.v == nil {
			continue
		}
		if math.IsNaN(*b.v) || math.IsInf(*b.v, 0) {
			p.add(rc.at(b.field), "want a finite number, got %v", *b.v)
		} else if c.Type != "" && !numeric {
			p.add(rc.at(b.field), "a range applies to integer and number columns only, not %s", c.Type)
		}
	}
	c.Min, c.Max = rc.min, rc.max
	if c.Min != nil && c.Max != nil && *c.Min > *c.Max {
		p.add(rc.at("max"), "max %v is below min %v", *c.Max, *c.Min)
	}
	if rc.required != nil {
		c.Required = *rc.required
	}
	return c, len(p.problems) == n
}

// checkPattern returns why a path or glob cannot match dataset paths, or
// "".
func checkPattern(pat string) string {
	if _, err := path.Match(pat, ""); err != nil {
		return fmt.Sprintf("%q is not a valid glob: %v", pat, err)
	}
	switch {
	case strings.HasPrefix(pat, "/"):
		return fmt.Sprintf("%q is absolute; paths in a dataset are relative", pat)
	case strings.Contains(pat, `\`):
		// path.Match reads a backslash as an escape; dataset paths never
		// hold one, so it can only be a Windows separator.
		return fmt.Sprintf("%q holds a backslash; use / between directories", pat)
	}
	return ""
}

// json reads a JSON schema strictly.
func (p *schemaParser) json(data []byte) []rawTable {
	type column struct {
		Name     *string  `json:"name"`
		Type     *string  `json:"type"`
		Unit     *string  `json:"unit"`
		Min      *float64 `json:"min"`
		Max      *float64 `json:"max"`
		Required *bool    `json:"required"`
	}
	type table struct {
		Path    *string  `json:"path"`
		Columns []column `json:"columns"`
	}
	var doc struct {
		Tables []table `json:"tables"`
	}
	err := jsonv2.Unmarshal(data, &doc, jsonv2.RejectUnknownMembers(true), jsontext.AllowDuplicateNames(false))
	if err != nil {
		p.problems = append(p.problems, p.file+": "+jsonProblem(err))
		return nil
	}
	at := func(ptr string) func(string) string {
		return func(field string) string {
			if field != "" {
				return p.file + ": " + ptr + "/" + field
			}
			return p.file + ": " + ptr
		}
	}
	var out []rawTable
	for i, t := range doc.Tables {
		ptr := fmt.Sprintf("/tables/%d", i)
		rt := rawTable{at: at(ptr), path: t.Path}
		for j, c := range t.Columns {
			rt.columns = append(rt.columns, rawColumn{at: at(fmt.Sprintf("%s/columns/%d", ptr, j)),
				name: c.Name, typ: c.Type, unit: c.Unit, min: c.Min, max: c.Max, required: c.Required})
		}
		out = append(out, rt)
	}
	return out
}

// jsonProblem describes a JSON decoding error by its JSON Pointer.
func jsonProblem(err error) string {
	var se *jsonv2.SemanticError
	var xe *jsontext.SyntacticError
	switch {
	case errors.As(err, &xe):
		msg := fmt.Sprintf("malformed JSON at byte %d", xe.ByteOffset)
		if xe.JSONPointer != "" {
			msg += " (in " + printable(string(xe.JSONPointer)) + ")"
		}
		if xe.Err != nil {
			msg += ": " + strings.TrimPrefix(xe.Err.Error(), "jsontext: ")
		}
		return msg
	case errors.As(err, &se):
		ptr := printable(string(se.JSONPointer))
		if ptr == "" {
			ptr = "/"
		}
		switch {
		case errors.Is(err, jsonv2.ErrUnknownName):
			return ptr + ": unknown field (known: tables; path, columns; name, type, unit, min, max, required)"
		case se.GoType != nil && se.JSONKind != 0:
			return fmt.Sprintf("%s: want %s, got %s", ptr, goKind(se.GoType.String()), jsonKind(se.JSONKind))
		}
		return ptr + ": " + strings.TrimPrefix(err.Error(), "json: ")
	}
	return "invalid JSON: " + err.Error()
}

func goKind(t string) string {
	t = strings.TrimLeft(t, "*")
	switch {
	case t == "float64":
		return "a number"
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	}
	return "an object"
}

func jsonKind(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return k.String()
}

// yaml reads a YAML schema strictly, walking the tree so that every
// problem is placed on its line. Anchors and aliases are refused: a glob
// shares columns between files without them, and refusing them rules out
// documents that expand without bound.
func (p *schemaParser) yaml(data []byte) []rawTable {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		p.add(p.file, "the schema is empty")
		return nil
	} else if err != nil {
		p.add(p.file, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.add(fmt.Sprintf("%s:%d", p.file, extra.Line), "a schema holds one YAML document; a second one starts here")
		return nil
	} else if !errors.Is(err, io.EOF) {
		p.add(p.file, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		return nil
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if !p.plain(root, "") {
		return nil
	}
	var out []rawTable
	for key, val := range p.mapping(root, "", "tables") {
		if key != "tables" {
			continue
		}
		for i, item := range p.sequence(val, "tables") {
			field := fmt.Sprintf("tables[%d]", i)
			rt := rawTable{at: p.yamlAt(item, field)}
			for key, val := range p.mapping(item, field, "path", "columns") {
				switch key {
				case "path":
					rt.path = p.str(val, field+".path")
				case "columns":
					for j, col := range p.sequence(val, field+".columns") {
						rt.columns = append(rt.columns, p.yamlColumn(col, fmt.Sprintf("%s.columns[%d]", field, j)))
					}
				}
			}
			out = append(out, rt)
		}
	}
	return out
}

func (p *schemaParser) yamlColumn(n *yaml.Node, field string) rawColumn {
	rc := rawColumn{at: p.yamlAt(n, field)}
	for key, val := range p.mapping(n, field, "name", "type", "unit", "min", "max", "required") {
		f := field + "." + key
		switch key {
		case "name":
			rc.name = p.str(val, f)
		case "type":
			rc.typ = p.str(val, f)
		case "unit":
			rc.unit = p.str(val, f)
		case "min":
			rc.min = p.num(val, f)
		case "max":
			rc.max = p.num(val, f)
		case "required":
			rc.required = p.boolean(val, f)
		}
	}
	return rc
}

// yamlAt places the fields of the item n: at the line of a field's key
// once it has been read, else at the item's own line.
func (p *schemaParser) yamlAt(n *yaml.Node, field string) func(string) string {
	lines := map[string]int{}
	for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
		lines[n.Content[i].Value] = n.Content[i].Line
	}
	return func(sub string) string {
		line, ok := lines[sub]
		if !ok {
			line = n.Line
		}
		f := field
		if sub != "" {
			f += "." + sub
		}
		return fmt.Sprintf("%s:%d: %s", p.file, line, f)
	}
}

func (p *schemaParser) at(n *yaml.Node, field string) string {
	if field == "" {
		return fmt.Sprintf("%s:%d", p.file, n.Line)
	}
	return fmt.Sprintf("%s:%d: %s", p.file, n.Line, field)
}

// plain reports whether n is free of anchors, aliases and merge keys,
// recording a problem if not.
func (p *schemaParser) plain(n *yaml.Node, field string) bool {
	switch {
	case n.Kind == yaml.AliasNode:
		p.add(p.at(n, field), "aliases (*%s) are not allowed in a schema; use a glob to share columns between files", n.Value)
		return false
	case n.Anchor != "":
		p.add(p.at(n, field), "anchors (&%s) are not allowed in a schema; use a glob to share columns between files", n.Anchor)
		return false
	}
	return true
}

// mapping returns the fields of mapping n in file order, recording unknown
// and repeated keys and a node that is not a mapping.
func (p *schemaParser) mapping(n *yaml.Node, field string, known ...string) func(func(string, *yaml.Node) bool) {
	return func(yield func(string, *yaml.Node) bool) {
		if !p.plain(n, field) {
			return
		}
		if n.Kind != yaml.MappingNode {
			p.add(p.at(n, field), "want a mapping with %s, got %s", strings.Join(known, ", "), describe(n))
			return
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if !p.plain(k, field) || !p.plain(v, join(field, printable(k.Value))) {
				continue
			}
			if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" || k.Value == "<<" {
				p.add(p.at(k, field), "want a field name, got %s", describe(k))
				continue
			}
			f := join(field, printable(k.Value))
			if !slices.Contains(known, k.Value) {
				p.add(p.at(k, f), "unknown field (known: %s)", strings.Join(known, ", "))
				continue
			}
			if seen[k.Value] {
				p.add(p.at(k, f), "given twice")
				continue
			}
			seen[k.Value] = true
			if !yield(k.Value, v) {
				return
			}
		}
	}
}

// sequence returns the items of sequence n, recording a node that is not
// one.
func (p *schemaParser) sequence(n *yaml.Node, field string) []*yaml.Node {
	if !p.plain(n, field) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.add(p.at(n, field), "want a list, got %s", describe(n))
		return nil
	}
	var out []*yaml.Node
	for _, item := range n.Content {
		if p.plain(item, field) {
			out = append(out, item)
		}
	}
	return out
}

func (p *schemaParser) str(n *yaml.Node, field string) *string {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		p.add(p.at(n, field), "want a string, got %s (quote it if it is text)", describe(n))
		return nil
	}
	return &n.Value
}

func (p *schemaParser) num(n *yaml.Node, field string) *float64 {
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		p.add(p.at(n, field), "want a number, got %s", describe(n))
		return nil
	}
	var f float64
	if err := n.Decode(&f); err != nil {
		p.add(p.at(n, field), "want a number, got %q", n.Value)
		return nil
	}
	return &f
}

func (p *schemaParser) boolean(n *yaml.Node, field string) *bool {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		p.add(p.at(n, field), "want true or false, got %s", describe(n))
		return nil
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		p.add(p.at(n, field), "want true or false, got %q", n.Value)
		return nil
	}
	return &b
}

// describe names what a node holds, for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing"
	case "!!str":
		return "the string " + strconv.Quote(clip(n.Value))
	case "!!int", "!!float":
		return "the number " + clip(n.Value)
	case "!!bool":
		return "the boolean " + n.Value
	}
	return fmt.Sprintf("%s %s", n.ShortTag(), strconv.Quote(clip(n.Value)))
}

// printable returns s, quoted if it holds anything but printable
// characters and spaces, so that a field name cannot break a message's
// one line.
func printable(s string) string {
	for _, r := range s {
		if !unicode.IsGraphic(r) || r != ' ' && unicode.IsSpace(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}
