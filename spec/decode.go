package spec

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"tycho"
)

// maxValues bounds the nodes one file may decode to, counting each use of
// an alias anew, so that aliases cannot make a small file expand without
// limit. Real campaign files have a few hundred.
const maxValues = 1 << 16

// decoder fills a tycho.Spec from a YAML tree, recording a problem with
// line and field path for everything it cannot use.
type decoder struct {
	p *parser
	// lines maps each field path present in the file, such as
	// "parameters[0].bounds", to the line of its key (or of the item, for
	// list items).
	lines map[string]int
	// failed holds the paths whose values could not be decoded, and
	// around the paths that hold them, so that validation does not
	// report them a second time.
	failed, around map[string]bool
	// merging holds the mappings being merged with "<<", against cycles.
	merging  map[*yaml.Node]bool
	count    int
	overflow bool
}

func newDecoder(p *parser) *decoder {
	return &decoder{
		p:       p,
		lines:   map[string]int{},
		failed:  map[string]bool{},
		around:  map[string]bool{},
		merging: map[*yaml.Node]bool{},
	}
}

// decode decodes the root mapping into s.
func (d *decoder) decode(root *yaml.Node, s *tycho.Spec) {
	d.lines[""] = root.Line
	d.value(root, reflect.ValueOf(s).Elem(), "", false)
}

// fail records that the value at path cannot be used.
func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.p.add(n.Line, path, format, args...)
	d.failed[path] = true
	for p := path; p != ""; {
		p = parent(p)
		d.around[p] = true
	}
}

// explained reports whether a validation problem with field is already
// covered by a decoding problem on the same field, one inside it or one
// around it, such as bounds [1, "x"] that validation finds too short.
func (d *decoder) explained(field string) bool {
	if d.around[field] {
		return true
	}
	for p := field; ; p = parent(p) {
		if d.failed[p] {
			return true
		}
		if p == "" {
			return false
		}
	}
}

// parent returns the path of the field or list holding path: "a.b" for
// "a.b[0]" and "a" for "a.b".
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// lineOf returns the line of a field path, or of its nearest ancestor
// present in the file.
func (d *decoder) lineOf(field string) int {
	for f := field; ; f = parent(f) {
		if l, ok := d.lines[f]; ok {
			return l
		}
	}
}

var (
	durationType   = reflect.TypeFor[tycho.Duration]()
	constraintType = reflect.TypeFor[tycho.Constraint]()
)

// value decodes n into v. inList is set for list items, where an empty
// value is an error rather than an absent field.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string, inList bool) {
	if !d.spend(n, path) {
		return
	}
	// An alias stands for its anchored node, which is never an alias.
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			d.fail(n, path, "alias *%s refers to nothing", n.Value)
			return
		}
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" && v.Kind() != reflect.Interface {
		if inList {
			d.fail(n, path, "want %s, got nothing", want(v.Type()))
		}
		return
	}

	t := v.Type()
	switch {
	case t == durationType || t == constraintType:
		d.text(n, v, path)
	case t.Kind() == reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.value(n, v.Elem(), path, inList)
	case t.Kind() == reflect.Struct:
		d.mapping(n, v, path)
	case t.Kind() == reflect.Slice:
		d.list(n, v, path)
	case t.Kind() == reflect.Map:
		d.dict(n, v, path)
	case t.Kind() == reflect.Interface:
		d.anyValue(n, v, path)
	default:
		d.scalar(n, v, path)
	}
}

// spend counts one more node decoded, and reports false once the file has
// expanded to more than maxValues.
func (d *decoder) spend(n *yaml.Node, path string) bool {
	if d.overflow {
		return false
	}
	if d.count++; d.count > maxValues {
		d.overflow = true
		d.p.add(n.Line, path, "the file expands to more than %d values; are aliases nested too deep?", maxValues)
		return false
	}
	return true
}

// field is one key and value of a mapping, after merges.
type field struct {
	key, value *yaml.Node
}

// mapping decodes a mapping node into the struct v, field by field.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want %s, got %s", want(v.Type()), describe(n))
		return
	}
	for _, f := range d.fields(n, path) {
		name := f.key.Value
		child := join(path, name)
		i, ok := fieldIndex(v.Type(), name)
		if !ok {
			d.p.add(f.key.Line, child, "unknown field (known: %s)", strings.Join(yamlNames(v.Type()), ", "))
			continue
		}
		d.lines[child] = f.key.Line
		d.value(f.value, v.Field(i), child, false)
	}
}

// fields returns the keys and values of mapping n in file order, with the
// fields of mappings merged in with "<<" after them, unless n sets them
// itself. A key given twice is a problem.
func (d *decoder) fields(n *yaml.Node, path string) []field {
	var out, merged []field
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if !d.spend(k, path) {
			return nil
		}
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		switch {
		case k.Kind != yaml.ScalarNode:
			d.p.add(k.Line, path, "a field name must be text, not %s", describe(k))
		case k.ShortTag() == "!!merge":
			merged = append(merged, d.merge(k, val, path)...)
		case seen[k.Value] != 0:
			d.fail(k, join(path, k.Value), "field given twice (first at line %d)", seen[k.Value])
		default:
			seen[k.Value] = k.Line
			out = append(out, field{k, val})
		}
	}
	for _, f := range merged {
		if seen[f.key.Value] == 0 {
			seen[f.key.Value] = f.key.Line
			out = append(out, f)
		}
	}
	return out
}

// merge returns the fields that "<<: val" brings into a mapping: those of
// one mapping or of a list of mappings, earlier ones first.
func (d *decoder) merge(key, val *yaml.Node, path string) []field {
	if val.Kind == yaml.AliasNode && val.Alias != nil {
		val = val.Alias
	}
	var sources []*yaml.Node
	switch val.Kind {
	case yaml.MappingNode:
		sources = []*yaml.Node{val}
	case yaml.SequenceNode:
		for _, s := range val.Content {
			if s.Kind == yaml.AliasNode && s.Alias != nil {
				s = s.Alias
			}
			sources = append(sources, s)
		}
	default:
		d.p.add(key.Line, path, "<< merges a mapping or a list of mappings, not %s", describe(val))
		return nil
	}
	var out []field
	seen := map[string]bool{}
	for _, s := range sources {
		if s.Kind != yaml.MappingNode {
			d.p.add(key.Line, path, "<< merges a mapping or a list of mappings, not %s", describe(s))
			continue
		}
		if d.merging[s] {
			d.p.add(key.Line, path, "<< merges a mapping into itself")
			continue
		}
		d.merging[s] = true
		for _, f := range d.fields(s, path) {
			if !seen[f.key.Value] {
				seen[f.key.Value] = true
				out = append(out, f)
			}
		}
		delete(d.merging, s)
	}
	return out
}

// list decodes a sequence node into the slice v.
func (d *decoder) list(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "want %s, got %s", want(v.Type()), describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		child := fmt.Sprintf("%s[%d]", path, i)
		d.lines[child] = item.Line
		d.value(item, s.Index(i), child, true)
	}
	v.Set(s)
}

// scalar decodes a scalar node into a string, number or boolean.
func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	bad := func() { d.fail(n, path, "want %s, got %s", want(v.Type()), describe(n)) }
	if n.Kind != yaml.ScalarNode {
		bad()
		return
	}
	tag := n.ShortTag()
	switch v.Kind() {
	case reflect.String:
		// Binary data is no text; it need not even be UTF-8.
		if tag == "!!binary" || n.Decode(v.Addr().Interface()) != nil {
			bad()
		}
	case reflect.Bool:
		if tag != "!!bool" || n.Decode(v.Addr().Interface()) != nil {
			bad()
		}
	case reflect.Float32, reflect.Float64:
		if (tag != "!!int" && tag != "!!float") || n.Decode(v.Addr().Interface()) != nil {
			bad()
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if !wholeNumber(n, v) {
			bad()
		}
	default:
		bad()
	}
}

// wholeNumber decodes an integer, or a float with no fraction such as 1e3,
// into v; the YAML decoder alone would truncate 1.5 to 1.
func wholeNumber(n *yaml.Node, v reflect.Value) bool {
	switch n.ShortTag() {
	case "!!int":
		return n.Decode(v.Addr().Interface()) == nil
	case "!!float":
		var f float64
		if n.Decode(&f) != nil || f != math.Trunc(f) || math.IsInf(f, 0) {
			return false
		}
		if v.CanInt() {
			if f < -(1<<63) || f >= 1<<63 || v.OverflowInt(int64(f)) {
				return false
			}
			v.SetInt(int64(f))
			return true
		}
		if f < 0 || f >= 1<<64 || v.OverflowUint(uint64(f)) {
			return false
		}
		v.SetUint(uint64(f))
		return true
	}
	return false
}

// text decodes a value written as text, such as the duration "90s" or the
// constraint "x1 + x2 <= 1".
func (d *decoder) text(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "want %s, got %s", want(v.Type()), describe(n))
		return
	}
	if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
		d.fail(n, path, "%s", message(err))
	}
}

// dict decodes a mapping of text keys into a map.
func (d *decoder) dict(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want %s, got %s", want(v.Type()), describe(n))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for _, f := range d.fields(n, path) {
		child := join(path, f.key.Value)
		d.lines[child] = f.key.Line
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(f.value, elem, child, true)
		v.SetMapIndex(reflect.ValueOf(f.key.Value), elem)
	}
}

// anyValue decodes the value of a fixed parameter: a number, text or a
// boolean.
func (d *decoder) anyValue(n *yaml.Node, v reflect.Value, path string) {
	bad := func() { d.fail(n, path, "want %s, got %s", want(v.Type()), describe(n)) }
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!binary" {
		bad()
		return
	}
	if n.ShortTag() == "!!timestamp" {
		// A date is recorded as written, as text.
		v.Set(reflect.ValueOf(n.Value))
		return
	}
	var x any
	if n.Decode(&x) != nil {
		bad()
		return
	}
	switch x.(type) {
	case nil:
	case string, bool, int, int64, uint64, float64:
		v.Set(reflect.ValueOf(x))
	default:
		bad()
	}
}

// checkKinds reports fields that do not apply to a parameter's kind, such
// as bounds on a categorical parameter: the JSON Schema rejects them too.
func (d *decoder) checkKinds(s *tycho.Spec) {
	applies := map[tycho.ParameterKind][]string{
		tycho.Continuous:  {"bounds"},
		tycho.Integer:     {"bounds"},
		tycho.Categorical: {"choices"},
		tycho.Fixed:       {"value"},
	}
	for i, p := range s.Parameters {
		own, ok := applies[p.Kind]
		if !ok {
			continue
		}
		for _, f := range []string{"bounds", "choices", "value"} {
			path := fmt.Sprintf("parameters[%d].%s", i, f)
			if line, set := d.lines[path]; set && !contains(own, f) {
				d.p.add(line, path, "does not apply to a %s parameter", p.Kind)
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

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// fieldIndex returns the index of the field of struct type t whose YAML
// name is name.
func fieldIndex(t reflect.Type, name string) (int, bool) {
	for i := range t.NumField() {
		if yamlName(t.Field(i)) == name {
			return i, true
		}
	}
	return 0, false
}

// yamlNames lists the YAML names of the fields of struct type t.
func yamlNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			out = append(out, name)
		}
	}
	return out
}

func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// want describes the values a Go type accepts, for messages.
func want(t reflect.Type) string {
	switch t {
	case durationType:
		return "a duration such as 90s, 30m or 2h"
	case constraintType:
		return "a constraint such as \"x1 + x2 <= 1\""
	}
	switch t.Kind() {
	case reflect.Pointer:
		return want(t.Elem())
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true or false"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative whole number"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "a mapping"
	case reflect.Interface:
		return "a number, text or a boolean"
	}
	return t.String()
}

// describe names a node's value for messages: text "abc", 12, a list.
func describe(n *yaml.Node) string {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
	default:
		return "nothing"
	}
	s := n.Value
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing"
	case "!!str":
		return fmt.Sprintf("text %q", s)
	case "!!int", "!!float", "!!bool":
		return s
	}
	return fmt.Sprintf("%s %q", n.ShortTag(), s)
}
