// Package spec reads campaign files: YAML in, a validated tycho.Spec out,
// or an error naming the file, line and field of every problem.
//
// The reader walks the YAML tree itself rather than decoding straight into
// the struct, so that every problem, from an unknown key in a flow mapping
// to a bad duration, is placed on its own line and field, and so that a
// file's decoding problems and its validation problems are reported
// together.
package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"tycho"
)

// Parse decodes and validates a campaign file; name is the file's path as
// messages should show it. labs, if non-nil, is asked whether the lab the
// spec names exists once the spec is otherwise valid; its error is
// reported on the field lab.name. Defaults are filled in (see
// tycho.Spec.SetDefaults). Every error is a *tycho.Error with code
// EINVALID whose message has one line per problem, in file order:
//
//	FILE:LINE: FIELD: message
func Parse(name string, data []byte, labs func(*tycho.Spec) error) (*tycho.Spec, error) {
	p := &parser{file: name, data: data}
	s := p.parse(labs)
	if len(p.problems) > 0 {
		return nil, p.err()
	}
	return s, nil
}

// ReadFile reads and parses the campaign file at path. Returns EINVALID if
// the file cannot be read or is not a valid campaign file.
func ReadFile(path string, labs func(*tycho.Spec) error) (*tycho.Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "read campaign file: %v", err)
	}
	return Parse(path, data, labs)
}

// A problem is one line of a Parse error.
type problem struct {
	line    int
	field   string
	message string
}

// parser holds the state of one Parse call.
type parser struct {
	file     string
	data     []byte
	problems []problem
}

func (p *parser) add(line int, field, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	// One problem, one line: a message may not break the format.
	msg = strings.Join(strings.Fields(msg), " ")
	p.problems = append(p.problems, problem{line, field, msg})
}

// err returns the problems as one EINVALID error, in file order.
func (p *parser) err() error {
	sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].line < p.problems[j].line })
	var b strings.Builder
	seen := map[problem]bool{}
	for _, q := range p.problems {
		if seen[q] {
			continue // the same node, reached again through an alias
		}
		if len(seen) > 0 {
			b.WriteByte('\n')
		}
		seen[q] = true
		fmt.Fprintf(&b, "%s:%d: ", p.file, q.line)
		if q.field != "" {
			fmt.Fprintf(&b, "%s: ", q.field)
		}
		b.WriteString(q.message)
	}
	return &tycho.Error{Code: tycho.EINVALID, Message: b.String()}
}

func (p *parser) parse(labs func(*tycho.Spec) error) *tycho.Spec {
	root := p.document()
	if root == nil {
		return nil
	}
	d := newDecoder(p)
	var s tycho.Spec
	d.decode(root, &s)
	if d.overflow {
		return nil
	}
	d.checkKinds(&s)
	normalize(&s)
	p.loadDescriptors(d, &s)

	s.SetDefaults()
	for _, fe := range s.Validate() {
		if !d.explained(fe.Field) {
			p.add(d.lineOf(fe.Field), fe.Field, "%s", fe.Message)
		}
	}
	if len(p.problems) == 0 && labs != nil {
		if err := labs(&s); err != nil {
			field := "lab.name"
			if s.Lab.Kind == tycho.LabTable {
				field = "lab.file"
			}
			p.add(d.lineOf(field), field, "%s", message(err))
		}
	}
	return &s
}

// document returns the root node of the file's one YAML document, or nil
// after recording why there is none.
func (p *parser) document() *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(p.data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		p.add(1, "", "the campaign file is empty")
		return nil
	} else if err != nil {
		p.syntaxError(err)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.add(extra.Line, "", "a campaign file holds one YAML document; a second one starts here")
		return nil
	} else if !errors.Is(err, io.EOF) {
		p.syntaxError(err)
		return nil
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	switch {
	case root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null":
		p.add(root.Line, "", "the campaign file is empty")
		return nil
	case root.Kind != yaml.MappingNode:
		p.add(root.Line, "", "a campaign file is a mapping of fields (name, parameters, objectives, …), not %s", describe(root))
		return nil
	}
	return root
}

var (
	syntaxLine    = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownAnchor = regexp.MustCompile(`unknown anchor '(.*)' referenced`)
)

// syntaxError records an error of the YAML parser. The parser names a line
// for most errors but not for those on the first line, nor for bad bytes
// and unknown anchors; those are found here.
func (p *parser) syntaxError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if sub := syntaxLine.FindStringSubmatch(err.Error()); sub != nil {
		line, _ := strconv.Atoi(sub[1])
		p.add(max(line, 1), "", "%s", sub[2])
		return
	}
	line := 1
	switch {
	case strings.Contains(msg, "UTF-8") || strings.Contains(msg, "control characters"):
		line = p.badByteLine()
	case unknownAnchor.MatchString(msg):
		name := unknownAnchor.FindStringSubmatch(msg)[1]
		if i := bytes.Index(p.data, []byte("*"+name)); i >= 0 {
			line = lineAt(p.data, i)
		}
	case strings.Contains(msg, "end of stream"):
		line = lineAt(p.data, len(p.data))
	}
	p.add(line, "", "%s", msg)
}

// badByteLine returns the line of the first byte the YAML reader refuses:
// invalid UTF-8 or a control character other than tab and line breaks.
func (p *parser) badByteLine() int {
	for i := 0; i < len(p.data); {
		r, n := utf8.DecodeRune(p.data[i:])
		bad := r == utf8.RuneError && n <= 1
		bad = bad || (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r < 0xa0 && r != 0x85)
		if bad {
			return lineAt(p.data, i)
		}
		i += n
	}
	return 1
}

// lineAt returns the 1-based line of byte offset i.
func lineAt(data []byte, i int) int {
	return 1 + bytes.Count(data[:min(i, len(data))], []byte("\n"))
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
