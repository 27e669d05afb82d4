package storejson_test

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"tycho"
	"tycho/internal/storejson"
)

func report() *tycho.QualityReport {
	lo, hi := 0.0, 100.0
	return &tycho.QualityReport{
		Tables: []tycho.TableReport{{
			Path: "yields.csv", Format: "csv", Rows: 3,
			Columns: []tycho.Column{{Name: "yield", Type: tycho.ColumnNumber, Unit: "%", Min: &lo, Max: &hi, Required: true, Declared: true},
				{Name: "é", Type: tycho.ColumnString}},
			Quality:       []tycho.ColumnQuality{{Name: "yield", Missing: 1, OutOfRange: 1, Example: `row 2 (line 3): 104 is outside [0, 100]`}, {Name: "é"}},
			DuplicateRows: 1, DuplicatesPartial: true, HeaderProblem: "x", AbsentColumns: []string{"solvent"},
		}, {Path: "b.parquet", Format: "parquet", Error: "not a readable Parquet file"}},
		HasLicense: true,
		Grade:      tycho.GradeBronze,
		Reasons:    []string{"silver: no title"},
		CheckedAt:  time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("CET", 3600)),
	}
}

func TestQualityRoundTrip(t *testing.T) {
	q := report()
	b, err := storejson.EncodeQuality(q)
	if err != nil {
		t.Fatal(err)
	}
	got, err := storejson.DecodeQuality(b)
	if err != nil {
		t.Fatal(err)
	}
	want := *q
	want.CheckedAt = q.CheckedAt.UTC()
	if !reflect.DeepEqual(got, &want) {
		t.Errorf("round trip:\ngot  %+v\nwant %+v", got, &want)
	}
	if b, err := storejson.EncodeQuality(nil); b != nil || err != nil {
		t.Errorf("nil report stored as %q, %v", b, err)
	}
	if q, err := storejson.DecodeQuality(nil); q != nil || err != nil {
		t.Errorf("no report read as %+v, %v", q, err)
	}
	if _, err := storejson.DecodeQuality([]byte(`{"grade":"platinum"}`)); err == nil {
		t.Error("an unknown grade was read")
	}
	nan := report()
	bad := 0.0
	bad /= bad
	nan.Tables[0].Columns[0].Min = &bad
	if _, err := storejson.EncodeQuality(nan); tycho.ErrorCode(err) != tycho.EINVALID {
		t.Errorf("a NaN bound: %v", err)
	}
}

func TestSameQuality(t *testing.T) {
	a, b := report(), report()
	b.CheckedAt = b.CheckedAt.Add(time.Hour)
	if !storejson.SameQuality(a, b) {
		t.Error("reports differing only in time differ")
	}
	b.Tables[0].Columns[0].Unit = "K"
	if storejson.SameQuality(a, b) {
		t.Error("reports with different units are the same")
	}
	if storejson.SameQuality(a, nil) || !storejson.SameQuality(nil, nil) {
		t.Error("nil reports")
	}
	if a.CheckedAt.Equal(b.CheckedAt) {
		t.Error("SameQuality changed its arguments")
	}
}

func FuzzDecodeQuality(f *testing.F) {
	good, _ := storejson.EncodeQuality(report())
	f.Add(good)
	f.Add([]byte(`{"grade":"gold","checked_at":"2026-01-01T00:00:00+05:00","tables":[{"columns":[{"min":1e308}]}]}`))
	f.Add([]byte(`{"grade":"tin"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"checked_at":"9999-12-31T23:59:59-05:00"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := storejson.DecodeQuality(b)
		if err != nil || q == nil {
			return
		}
		enc, err := storejson.EncodeQuality(q)
		if err != nil {
			t.Fatal(err)
		}
		again, err := storejson.DecodeQuality(enc)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		enc2, err := storejson.EncodeQuality(again)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encodings differ (%v):\n%s\n%s", err, enc, enc2)
		}
		if !storejson.SameQuality(q, again) {
			t.Fatal("a report and its round trip differ")
		}
	})
}
