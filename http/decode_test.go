package http

import (
	"errors"
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary bodies to the strict decoder for every
// request type: it must never panic, and every refusal must be a
// fieldError with a message and, when it names a member, a JSON Pointer.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"n": 1}`, `{"n": 1, "n": 2}`, `{"n": "x"}`, `{"token": "t", "objectives": {"y": 1.5, "z": "NaN"}}`,
		`{"holder": "a", "max": 3, "ttl_seconds": 30, "wait_seconds": 1}`, `{"source": "name: x\n"}`,
		`{"spec": {"name": "x", "parameters": [{"name": "x", "kind": "continuous", "bounds": [0, 1]}]}}`,
		`{"params": {"x": 1}, "result": {"objectives": {"y": 2}}}`, `[1, 2]`, `{"a": {"b": [`, `nul`, "\xff",
		`{"generation": {"index": 1, "seed": "18446744073709551615"}, "experiments": [null]}`,
	} {
		f.Add([]byte(seed))
	}
	targets := []func() any{
		func() any { return new(createCampaignRequest) },
		func() any { return new(updateCampaignRequest) },
		func() any { return new(addGenerationRequest) },
		func() any { return new(suggestRequest) },
		func() any { return new(attachRequest) },
		func() any { return new(completeRequest) },
		func() any { return new(resultRequest) },
		func() any { return new(failRequest) },
		func() any { return new(heartbeatRequest) },
		func() any { return new(leaseRequest) },
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, target := range targets {
			err := decodeJSON(body, target())
			if err == nil {
				continue
			}
			var fe *fieldError
			if !errors.As(err, &fe) {
				t.Fatalf("%T: error %v is not a fieldError", target(), err)
			}
			if fe.msg == "" || fe.code == "" {
				t.Fatalf("%T: empty message or code: %+v", target(), fe)
			}
			if fe.pointer != "" && !strings.HasPrefix(fe.pointer, "/") {
				t.Fatalf("%T: field %q is not a JSON Pointer", target(), fe.pointer)
			}
		}
	})
}

func TestDecodeNamesTheMember(t *testing.T) {
	for _, tc := range []struct{ body, field, msg string }{
		{`{"n": 1, "n": 2}`, "/n", "duplicate"},
		{`{"n": true}`, "/n", "/n: want a number, got JSON boolean"},
		{`{"holder": 3}`, "/holder", "want a string"},
		{`{"x": 1}`, "/x", "/x: unknown field"},
	} {
		var v struct {
			N      int    `json:"n"`
			Holder string `json:"holder"`
		}
		err := decodeJSON([]byte(tc.body), &v)
		var fe *fieldError
		if !errors.As(err, &fe) || fe.pointer != tc.field || !strings.Contains(fe.msg, tc.msg) {
			t.Errorf("%s: got %+v, want field %s and a message with %q", tc.body, err, tc.field, tc.msg)
		}
	}
}
