package migration

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	ms, err := Load(fstest.MapFS{
		"m/002_b.sql": {Data: []byte("B")},
		"m/001_a.sql": {Data: []byte("A")},
	}, "m/*.sql")
	if err != nil || len(ms) != 2 || ms[0].Name != "001_a.sql" || ms[1].SQL != "B" || ms[1].Version != 2 {
		t.Fatalf("got %+v, %v", ms, err)
	}
	for files, want := range map[string]string{
		"m/001_a.sql,m/003_c.sql": "want version 2",
		"m/one.sql":               "not NNN_name.sql",
	} {
		fsys := fstest.MapFS{}
		for _, f := range strings.Split(files, ",") {
			fsys[f] = &fstest.MapFile{}
		}
		if _, err := Load(fsys, "m/*.sql"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", files, err, want)
		}
	}
}
