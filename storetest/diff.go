package storetest

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"
)

// precision is how close a stored time must come back: a store may keep
// times to the microsecond (PostgreSQL) rather than the nanosecond.
const precision = time.Millisecond

var timeType = reflect.TypeFor[time.Time]()

// diff returns "" if got is what a store should return for want, and
// otherwise the path to the first difference with both values. Unlike
// reflect.DeepEqual it lets times differ in location and by less than
// precision, takes an empty map or slice for a nil one, and compares floats
// bit for bit, so that -0 differs from 0 and NaN matches NaN.
func diff(path string, got, want any) string {
	return diffValue(path, reflect.ValueOf(got), reflect.ValueOf(want))
}

func diffValue(path string, g, w reflect.Value) string {
	if !g.IsValid() || !w.IsValid() {
		if g.IsValid() == w.IsValid() {
			return ""
		}
		return mismatch(path, g, w)
	}
	if g.Type() != w.Type() {
		return fmt.Sprintf("%s: got %s of type %s, want %s of type %s", path, show(g), g.Type(), show(w), w.Type())
	}
	if g.Type() == timeType {
		gt, wt := g.Interface().(time.Time), w.Interface().(time.Time)
		if gt.IsZero() != wt.IsZero() || gt.Sub(wt).Abs() >= precision {
			return fmt.Sprintf("%s: got %s, want %s", path, gt.Format(time.RFC3339Nano), wt.Format(time.RFC3339Nano))
		}
		return ""
	}
	switch g.Kind() {
	case reflect.Float32, reflect.Float64:
		a, b := g.Float(), w.Float()
		if (math.IsNaN(a) && math.IsNaN(b)) || (a == b && math.Signbit(a) == math.Signbit(b)) {
			return ""
		}
		return mismatch(path, g, w)
	case reflect.Pointer, reflect.Interface:
		if g.IsNil() || w.IsNil() {
			if g.IsNil() == w.IsNil() {
				return ""
			}
			return mismatch(path, g, w)
		}
		return diffValue(path, g.Elem(), w.Elem())
	case reflect.Struct:
		for i := range g.NumField() {
			f := g.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if d := diffValue(path+"."+f.Name, g.Field(i), w.Field(i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice, reflect.Array:
		if g.Type().Elem().Kind() == reflect.Uint8 && g.Kind() == reflect.Slice {
			if !bytes.Equal(g.Bytes(), w.Bytes()) {
				return fmt.Sprintf("%s: got %q, want %q", path, g.Bytes(), w.Bytes())
			}
			return ""
		}
		if g.Len() != w.Len() {
			return fmt.Sprintf("%s: got %d elements %s, want %d %s", path, g.Len(), show(g), w.Len(), show(w))
		}
		for i := range g.Len() {
			if d := diffValue(fmt.Sprintf("%s[%d]", path, i), g.Index(i), w.Index(i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Map:
		for _, k := range sortedKeys(w) {
			p := fmt.Sprintf("%s[%v]", path, show(k))
			gv := g.MapIndex(k)
			if !gv.IsValid() {
				return fmt.Sprintf("%s: missing, want %s", p, show(w.MapIndex(k)))
			}
			if d := diffValue(p, gv, w.MapIndex(k)); d != "" {
				return d
			}
		}
		for _, k := range sortedKeys(g) {
			if !w.MapIndex(k).IsValid() {
				return fmt.Sprintf("%s[%v]: got %s, want no such key", path, show(k), show(g.MapIndex(k)))
			}
		}
		return ""
	}
	if !g.Equal(w) {
		return mismatch(path, g, w)
	}
	return ""
}

func mismatch(path string, g, w reflect.Value) string {
	return fmt.Sprintf("%s: got %s, want %s", path, show(g), show(w))
}

// show formats v readably, following pointers and quoting text.
func show(v reflect.Value) string {
	if !v.IsValid() {
		return "nil"
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "nil"
		}
		if v.Kind() == reflect.Pointer {
			return "&" + show(v.Elem())
		}
		return show(v.Elem())
	case reflect.String:
		return fmt.Sprintf("%q", v.String())
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if f == 0 && math.Signbit(f) {
			return "-0"
		}
		return fmt.Sprintf("%v", f)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return "nil"
		}
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = show(v.Index(i))
		}
		return "[" + strings.Join(parts, " ") + "]"
	case reflect.Map:
		if v.IsNil() {
			return "nil"
		}
		var parts []string
		for _, k := range sortedKeys(v) {
			parts = append(parts, show(k)+":"+show(v.MapIndex(k)))
		}
		return "map[" + strings.Join(parts, " ") + "]"
	}
	if v.CanInterface() {
		return fmt.Sprintf("%+v", v.Interface())
	}
	return v.String()
}

func sortedKeys(m reflect.Value) []reflect.Value {
	keys := m.MapKeys()
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	return keys
}
