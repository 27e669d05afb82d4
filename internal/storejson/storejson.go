// Package storejson is how the stores keep domain values as JSON, so that
// SQLite and PostgreSQL store the same bytes and agree on what counts as
// the same result.
//
// Objective values, noise and acquisition values keep NaN and ±Inf, as the
// strings "NaN", "+Inf" and "-Inf", which plain JSON lacks. In the
// free-form maps (a generation's model, a result's metadata) a non-finite
// number is stored as that string too, so a diagnostic value never blocks
// a proposal or a result; non-finite parameter values are refused with
// EINVALID.
package storejson

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"tycho"
)

// Number is a float64 that JSON carries exactly, NaN and ±Inf included
// (as the strings "NaN", "+Inf" and "-Inf", which plain JSON lacks).
type Number float64

// MarshalJSON implements json.Marshaler.
func (n Number) MarshalJSON() ([]byte, error) {
	v := float64(n)
	if s, ok := nonFinite(v); ok {
		return strconv.AppendQuote(nil, s), nil
	}
	return json.Marshal(v)
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Number) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		switch s {
		case "NaN":
			*n = Number(math.NaN())
		case "+Inf":
			*n = Number(math.Inf(1))
		case "-Inf":
			*n = Number(math.Inf(-1))
		default:
			return fmt.Errorf("not a number: %q", s)
		}
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*n = Number(v)
	return nil
}

// nonFinite returns the text that stands for v if v is NaN or infinite.
func nonFinite(v float64) (string, bool) {
	switch {
	case math.IsNaN(v):
		return "NaN", true
	case math.IsInf(v, 1):
		return "+Inf", true
	case math.IsInf(v, -1):
		return "-Inf", true
	}
	return "", false
}

// Numbers converts a map of floats to Numbers, nil to nil.
func Numbers(m map[string]float64) map[string]Number {
	if m == nil {
		return nil
	}
	out := make(map[string]Number, len(m))
	for k, v := range m {
		out[k] = Number(v)
	}
	return out
}

// Floats converts a map of Numbers back to floats, nil to nil.
func Floats(m map[string]Number) map[string]float64 {
	if m == nil {
		return nil
	}
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = float64(v)
	}
	return out
}

// result is how a tycho.Result is stored.
type result struct {
	Objectives map[string]Number `json:"objectives"`
	Noise      map[string]Number `json:"noise,omitempty"`
	Metadata   map[string]any    `json:"metadata,omitempty"`
}

// EncodeResult returns the stored form of r. It is canonical (map keys in
// order), so two results are the same exactly when their encodings are.
func EncodeResult(r *tycho.Result) ([]byte, error) {
	meta, _ := finiteJSON(r.Metadata).(map[string]any)
	b, err := json.Marshal(result{Objectives: Numbers(r.Objectives), Noise: Numbers(r.Noise), Metadata: meta})
	if err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "result cannot be stored: %v", err)
	}
	return b, nil
}

// DecodeResult is the inverse of EncodeResult.
func DecodeResult(b []byte) (*tycho.Result, error) {
	var r result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &tycho.Result{Objectives: Floats(r.Objectives), Noise: Floats(r.Noise), Metadata: r.Metadata}, nil
}

// CanonicalResult returns the stored form of r, in which results that
// compare equal after a round trip are byte for byte the same.
func CanonicalResult(r *tycho.Result) ([]byte, error) {
	if r == nil {
		return nil, tycho.Errorf(tycho.EINVALID, "no result")
	}
	b, err := EncodeResult(r)
	if err != nil {
		return nil, err
	}
	d, err := DecodeResult(b)
	if err != nil {
		return nil, err
	}
	return EncodeResult(d)
}

// ResultBody returns the canonical stored form of the result given for
// experiment id, or EINVALID naming the experiment if there is none or it
// cannot be stored.
func ResultBody(id string, r *tycho.Result) ([]byte, error) {
	if r == nil {
		return nil, tycho.Errorf(tycho.EINVALID, "experiment %s: no result given", id)
	}
	body, err := CanonicalResult(r)
	if err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "experiment %s: %s", id, tycho.ErrorMessage(err))
	}
	return body, nil
}

// SameResult reports whether a stored result is the one whose canonical
// form is body: a retry rather than a conflict.
func SameResult(stored *tycho.Result, body []byte) bool {
	b, err := CanonicalResult(stored)
	return err == nil && string(b) == string(body)
}

// EncodeParams returns the stored form of p. Parameter values are numbers,
// text or booleans; a non-finite number is refused.
func EncodeParams(p tycho.Params) ([]byte, error) {
	for name, v := range p {
		if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return nil, tycho.Errorf(tycho.EINVALID, "parameter %s is %g; parameter values must be finite", name, f)
		}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "parameters cannot be stored: %v", err)
	}
	return b, nil
}

// DecodeParams decodes numbers to float64 and text to string.
func DecodeParams(b []byte) (tycho.Params, error) {
	var p tycho.Params
	err := json.Unmarshal(b, &p)
	return p, err
}

// EncodeNumbers returns the stored form of a list of numbers, such as a
// generation's acquisition values; nil stays nil, to be stored as NULL.
func EncodeNumbers(v []float64) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	out := make([]Number, len(v))
	for i := range v {
		out[i] = Number(v[i])
	}
	return json.Marshal(out)
}

// DecodeNumbers is the inverse of EncodeNumbers.
func DecodeNumbers(b []byte) ([]float64, error) {
	if b == nil {
		return nil, nil
	}
	var ns []Number
	if err := json.Unmarshal(b, &ns); err != nil {
		return nil, err
	}
	out := make([]float64, len(ns))
	for i, n := range ns {
		out[i] = float64(n)
	}
	return out, nil
}

// EncodeModel returns the stored form of a generation's model record; nil
// stays nil, to be stored as NULL.
func EncodeModel(m map[string]any) ([]byte, error) { return encodeMap("model record", m) }

// EncodeAttributes returns the stored form of a provenance node's
// attributes, as EncodeModel does; DecodeModel reads it.
func EncodeAttributes(m map[string]any) ([]byte, error) {
	return encodeMap("provenance attributes", m)
}

func encodeMap(what string, m map[string]any) ([]byte, error) {
	if m == nil {
		return nil, nil
	}
	b, err := json.Marshal(finiteJSON(m))
	if err != nil {
		return nil, tycho.Errorf(tycho.EINVALID, "%s cannot be stored: %v", what, err)
	}
	return b, nil
}

// DecodeModel is the inverse of EncodeModel, except that non-finite
// numbers come back as their text.
func DecodeModel(b []byte) (map[string]any, error) {
	if b == nil {
		return nil, nil
	}
	var m map[string]any
	err := json.Unmarshal(b, &m)
	return m, err
}

// Finite returns v with every non-finite number in it replaced by its
// text ("NaN", "+Inf", "-Inf"), as the stores keep free-form maps, so that
// v can be written as JSON.
func Finite(v any) any { return finiteJSON(v) }

// finiteJSON returns v with every non-finite Number in it, in the
// containers JSON decoding produces and in float slices and maps, replaced
// by its text ("NaN", "+Inf", "-Inf"), copying what it changes.
func finiteJSON(v any) any {
	switch v := v.(type) {
	case float64:
		if s, ok := nonFinite(v); ok {
			return s
		}
	case float32:
		if s, ok := nonFinite(float64(v)); ok {
			return s
		}
	case map[string]any:
		if v == nil {
			return v
		}
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = finiteJSON(x)
		}
		return out
	case []any:
		if v == nil {
			return v
		}
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = finiteJSON(x)
		}
		return out
	case map[string]float64:
		if v == nil {
			return v
		}
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = finiteJSON(x)
		}
		return out
	case []float64:
		if v == nil {
			return v
		}
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = finiteJSON(x)
		}
		return out
	}
	return v
}
