// Package spec reads campaign files: YAML in, a validated tycho.Spec out,
// or an error naming the file, line and field of every problem.
package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"tycho"
)

// Parse decodes and validates a campaign file; name is the file's path as
// messages should show it. labs, if non-nil, is asked whether the lab the
// spec names exists, and its error is reported on the field lab.name.
// Every error is a *tycho.Error with code EINVALID whose message has one
// line per problem, "FILE:LINE: FIELD: message", in file order.
func Parse(name string, data []byte, labs func(*tycho.Spec) error) (*tycho.Spec, error) {
	p := &parser{file: name}
	s, err := p.parse(data, labs)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ReadFile reads and parses the campaign file at path.
func ReadFile(path string, labs func(*tycho.Spec) error) (*tycho.Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "read campaign file: %v", err)
	}
	return Parse(path, data, labs)
}

type problem struct {
	line    int
	field   string
	message string
}

type parser struct {
	file     string
	problems []problem
	// lines maps a field path ("parameters[0].bounds") to the line of
	// its key (or of the item, for sequence items).
	lines map[string]int
	// byLine maps a line to the deepest field path that starts on it.
	byLine map[int]string
	// byValue maps a scalar's text to the first field holding it, to place
	// decoder errors that carry no line (such as a bad duration).
	byValue map[string]string
}

func (p *parser) add(line int, field, format string, args ...any) {
	p.problems = append(p.problems, problem{line, field, fmt.Sprintf(format, args...)})
}

func (p *parser) err() error {
	sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].line < p.problems[j].line })
	var b strings.Builder
	for i, q := range p.problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s:%d: ", p.file, q.line)
		if q.field != "" {
			fmt.Fprintf(&b, "%s: ", q.field)
		}
		b.WriteString(q.message)
	}
	return &tycho.Error{Code: tycho.EINVALID, Message: b.String()}
}

func (p *parser) parse(data []byte, labs func(*tycho.Spec) error) (*tycho.Spec, error) {
	// The document as a tree, for line numbers and the one-document rule.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		p.add(1, "", "the campaign file is empty")
		return nil, p.err()
	} else if err != nil {
		p.yamlError(err)
		return nil, p.err()
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.add(extra.Line, "", "a campaign file holds one YAML document; a second one starts here")
		return nil, p.err()
	} else if !errors.Is(err, io.EOF) {
		p.yamlError(err)
		return nil, p.err()
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		p.add(root.Line, "", "a campaign file is a mapping of fields (name, parameters, objectives, …)")
		return nil, p.err()
	}
	p.lines, p.byLine, p.byValue = map[string]int{"": root.Line}, map[int]string{}, map[string]string{}
	p.index(root, "")

	// Strict decoding reports unknown fields and type errors by line.
	var s tycho.Spec
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(&s); err != nil {
		p.yamlError(err)
		return nil, p.err()
	}
	normalize(&s)
	s.SetDefaults()
	for _, fe := range s.Validate() {
		p.add(p.lineOf(fe.Field), fe.Field, "%s", fe.Message)
	}
	if len(p.problems) == 0 && labs != nil {
		if err := labs(&s); err != nil {
			msg := err.Error()
			if e := (*tycho.Error)(nil); errors.As(err, &e) {
				msg = e.Message
			}
			p.add(p.lineOf("lab.name"), "lab.name", "%s", msg)
		}
	}
	if len(p.problems) > 0 {
		return nil, p.err()
	}
	return &s, nil
}

// index records the line of every field path under n.
func (p *parser) index(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			child := k.Value
			if path != "" {
				child = path + "." + k.Value
			}
			if _, seen := p.lines[child]; !seen {
				p.lines[child] = k.Line
			}
			p.byLine[k.Line] = child
			if _, ok := p.byValue[v.Value]; !ok && v.Kind == yaml.ScalarNode {
				p.byValue[v.Value] = child
			}
			p.index(v, child)
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			child := fmt.Sprintf("%s[%d]", path, i)
			p.lines[child] = v.Line
			if _, ok := p.byLine[v.Line]; !ok || v.Kind == yaml.ScalarNode {
				p.byLine[v.Line] = child
			}
			p.index(v, child)
		}
	}
}

// lineOf returns the line of a field path, or of its nearest ancestor
// present in the file.
func (p *parser) lineOf(field string) int {
	for f := field; ; {
		if l, ok := p.lines[f]; ok {
			return l
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			return p.lines[""]
		}
		f = f[:i]
	}
}

var (
	yamlLine      = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownField  = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
	cannotDecode  = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (\\S+)$")
	quoted        = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	alreadyDefine = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
)

// yamlError turns the errors of the YAML decoder into problems with lines
// and field paths.
func (p *parser) yamlError(err error) {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	for _, m := range msgs {
		sub := yamlLine.FindStringSubmatch(m)
		if sub == nil {
			// No line: place it at the scalar it quotes, if any.
			field := ""
			if q := quoted.FindStringSubmatch(m); q != nil {
				if v, err := strconv.Unquote(q[0]); err == nil {
					field = p.byValue[v]
				}
			}
			p.add(p.lineOf(field), field, "%s", strings.TrimPrefix(m, "yaml: "))
			continue
		}
		line, _ := strconv.Atoi(sub[1])
		msg := sub[2]
		field := p.byLine[line]
		switch {
		case unknownField.MatchString(msg):
			name := unknownField.FindStringSubmatch(msg)[1]
			parent := parentOf(field, name)
			known := knownFields(parent)
			field = name
			if parent != "" {
				field = parent + "." + name
			}
			msg = "unknown field"
			if len(known) > 0 {
				msg += " (known: " + strings.Join(known, ", ") + ")"
			}
		case cannotDecode.MatchString(msg):
			sub := cannotDecode.FindStringSubmatch(msg)
			msg = fmt.Sprintf("cannot use %s %q here: want %s", yamlKind(sub[1]), sub[2], goKind(sub[3]))
		case alreadyDefine.MatchString(msg):
			sub := alreadyDefine.FindStringSubmatch(msg)
			msg = fmt.Sprintf("key %q appears twice (first at line %s)", sub[1], sub[2])
		}
		p.add(line, field, "%s", msg)
	}
}

// parentOf returns the path of the mapping that holds key name, given the
// path recorded for the key's line.
func parentOf(field, name string) string {
	if field == name {
		return ""
	}
	return strings.TrimSuffix(field, "."+name)
}

// knownFields lists the YAML field names of the struct at a field path.
func knownFields(path string) []string {
	t := reflect.TypeOf(tycho.Spec{})
	for _, seg := range splitPath(path) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return nil
		}
		f, ok := fieldByTag(t, seg)
		if !ok {
			return nil
		}
		t = f.Type
	}
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		if name := tagName(t.Field(i)); name != "" {
			out = append(out, name)
		}
	}
	return out
}

func splitPath(path string) []string {
	if path == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(path, ".") {
		if i := strings.IndexByte(s, '['); i >= 0 {
			s = s[:i]
		}
		out = append(out, s)
	}
	return out
}

func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if tagName(t.Field(i)) == name {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

func tagName(f reflect.StructField) string {
	tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if tag == "-" {
		return ""
	}
	return tag
}

func yamlKind(tag string) string {
	switch tag {
	case "str":
		return "text"
	case "int", "float":
		return "number"
	case "seq":
		return "a list"
	case "map":
		return "a mapping"
	case "bool":
		return "boolean"
	}
	return tag
}

func goKind(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case strings.HasPrefix(t, "uint"):
		return "a non-negative whole number"
	case strings.HasPrefix(t, "int"):
		return "a whole number"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "text"
	case strings.HasPrefix(t, "map"):
		return "a mapping"
	case t == "tycho.Duration":
		return "a duration such as 90s, 30m or 2h"
	}
	return "a mapping"
}

// normalize makes decoded values take the types the rest of Tycho uses:
// whole numbers in fixed values become float64, as they would after a
// round trip through JSON.
func normalize(s *tycho.Spec) {
	for i := range s.Parameters {
		switch v := s.Parameters[i].Value.(type) {
		case int:
			s.Parameters[i].Value = float64(v)
		case int64:
			s.Parameters[i].Value = float64(v)
		case uint64:
			s.Parameters[i].Value = float64(v)
		}
	}
}
