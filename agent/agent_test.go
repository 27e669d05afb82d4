package agent

import (
	"strings"
	"testing"
)

func TestParseResult(t *testing.T) {
	r, err := ParseResult([]byte(" {\"objectives\": {\"y\": 1.5}, \"noise\": {\"y\": 0.1}, \"metadata\": {\"run\": \"a\"}}\n"))
	if err != nil || r.Objectives["y"] != 1.5 || r.Noise["y"] != 0.1 || r.Metadata["run"] != "a" {
		t.Fatalf("got %+v, %v", r, err)
	}
	for _, tc := range []struct{ out, want string }{
		{"", "wrote no result"},
		{"y=1", "not a result"},
		{`{"objectives": {}}`, "has no objectives"},
		{`{"objective": {"y": 1}}`, "not a result"},
		{`{"objectives": {"y": "high"}}`, "not a result"},
		{`{"objectives": {"y": 1}} {"objectives": {"y": 2}}`, "not a result"},
	} {
		if _, err := ParseResult([]byte(tc.out)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one saying %q", tc.out, err, tc.want)
		}
	}
}

func FuzzParseResult(f *testing.F) {
	for _, s := range []string{`{"objectives": {"y": 1}}`, `{"objectives": {"y": 1e400}}`, `{"objectives": null}`, `[]`, "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		r, err := ParseResult(out)
		if err == nil && len(r.Objectives) == 0 {
			t.Fatalf("accepted a result without objectives: %q", out)
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
	})
}
