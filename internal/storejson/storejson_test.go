package storejson_test

import (
	"math"
	"strings"
	"testing"

	"tycho"
	"tycho/internal/storejson"
)

func TestResultRoundTrip(t *testing.T) {
	r := &tycho.Result{
		Objectives: map[string]float64{"y": math.Inf(1), "z": math.Inf(-1), "w": math.NaN(), "v": math.Copysign(0, -1), "u": 5e-324},
		Noise:      map[string]float64{"y": 0.01},
		Metadata:   map[string]any{"lml": math.Inf(-1), "runs": 3, "tags": []any{"a", math.NaN()}},
	}
	b, err := storejson.CanonicalResult(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := storejson.DecodeResult(b)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range r.Objectives {
		if g := got.Objectives[k]; math.Float64bits(g) != math.Float64bits(want) && !(math.IsNaN(g) && math.IsNaN(want)) {
			t.Errorf("objective %s: got %v, want %v", k, g, want)
		}
	}
	if got.Metadata["lml"] != "-Inf" || got.Metadata["runs"] != 3.0 {
		t.Errorf("metadata: got %v, want lml -Inf as text and runs 3.0", got.Metadata)
	}
	// The canonical form is a fixed point: results that compare equal
	// after a round trip are stored as the same bytes.
	again, err := storejson.CanonicalResult(got)
	if err != nil || string(again) != string(b) {
		t.Errorf("canonical form changed on a round trip:\n%s\n%s (%v)", b, again, err)
	}
}

func TestParamsRefuseNonFinite(t *testing.T) {
	_, err := storejson.EncodeParams(tycho.Params{"x": math.NaN()})
	if got := tycho.ErrorCode(err); got != tycho.EINVALID {
		t.Errorf("encode a NaN parameter: code %q (%v), want %q", got, err, tycho.EINVALID)
	}
	b, err := storejson.EncodeParams(tycho.Params{"x": math.Copysign(0, -1), "s": "a\x00b", "ok": true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := storejson.DecodeParams(b)
	if err != nil {
		t.Fatal(err)
	}
	if x, _ := p["x"].(float64); !math.Signbit(x) || p["s"] != "a\x00b" || p["ok"] != true {
		t.Errorf("params came back as %#v from %s", p, b)
	}
}

func TestNilStaysNil(t *testing.T) {
	if b, err := storejson.EncodeNumbers(nil); b != nil || err != nil {
		t.Errorf("EncodeNumbers(nil) = %q, %v; want nil", b, err)
	}
	if b, err := storejson.EncodeModel(nil); b != nil || err != nil {
		t.Errorf("EncodeModel(nil) = %q, %v; want nil", b, err)
	}
	if v, err := storejson.DecodeNumbers(nil); v != nil || err != nil {
		t.Errorf("DecodeNumbers(nil) = %v, %v; want nil", v, err)
	}
	if m, err := storejson.DecodeModel(nil); m != nil || err != nil {
		t.Errorf("DecodeModel(nil) = %v, %v; want nil", m, err)
	}
	b, err := storejson.EncodeNumbers([]float64{1, math.NaN(), math.Inf(-1)})
	if err != nil || string(b) != `[1,"NaN","-Inf"]` {
		t.Errorf("EncodeNumbers = %s, %v", b, err)
	}
}

// FuzzDecodeResult decodes stored results: whatever decodes encodes
// again, and its canonical form is a fixed point.
func FuzzDecodeResult(f *testing.F) {
	for _, s := range []string{
		`{"objectives":{"y":1}}`,
		`{"objectives":{"y":"NaN","z":"-Inf"},"noise":{"y":0.1},"metadata":{"a":[1,"x",null]}}`,
		`{"objectives":{"y":"inf"}}`,
		`{"objectives":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := storejson.DecodeResult(b)
		if err != nil {
			return
		}
		c, err := storejson.CanonicalResult(r)
		if err != nil {
			t.Fatalf("decoded %s but cannot encode it: %v", b, err)
		}
		r2, err := storejson.DecodeResult(c)
		if err != nil {
			t.Fatalf("cannot decode canonical %s: %v", c, err)
		}
		c2, err := storejson.CanonicalResult(r2)
		if err != nil || string(c2) != string(c) {
			t.Fatalf("canonical form not a fixed point: %s then %s (%v)", c, c2, err)
		}
	})
}

func FuzzDecodeChunks(f *testing.F) {
	good, _ := storejson.EncodeChunks([]tycho.Chunk{{Hash: strings.Repeat("ab", 32), Size: 7}})
	f.Add(good)
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		chunks, err := storejson.DecodeChunks(b)
		if err != nil {
			return
		}
		again, err := storejson.EncodeChunks(chunks)
		if err != nil || string(again) != string(b) {
			t.Fatalf("decoded %d chunks that encode differently (%v)", len(chunks), err)
		}
	})
}

func FuzzDecodeMetadata(f *testing.F) {
	f.Add([]byte(`{"title":"x","creator":[{"name":"A","orcid":"0000-0002-1825-0097"}],"temporal_start":"2017-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"temporal_end":"yesterday"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := storejson.DecodeMetadata(b)
		if err != nil {
			return
		}
		enc, err := storejson.EncodeMetadata(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := storejson.DecodeMetadata(enc); err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
	})
}
