package tycho_test

import (
	"path"
	"strings"
	"testing"

	"tycho"
)

func TestValidFilePath(t *testing.T) {
	for _, p := range []string{"a.csv", "raw/b.bin", "ünï code/ä.txt", "a..b", ".hidden"} {
		if err := tycho.ValidFilePath(p); err != nil {
			t.Errorf("%q: %v", p, err)
		}
	}
	for _, p := range []string{"", "/etc/passwd", "../x", "..", "a/../b", "a//b", "a/", "./a", `a\b`, "a\x00b", "a\nb", "\xff"} {
		if tycho.ValidFilePath(p) == nil {
			t.Errorf("%q: accepted", p)
		}
	}
}

// FuzzValidFilePath checks that an accepted path can never leave the
// directory it is written to.
func FuzzValidFilePath(f *testing.F) {
	for _, p := range []string{"a.csv", "../x", "a/b/../../..", `..\x`, "/a"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if tycho.ValidFilePath(p) != nil {
			return
		}
		joined := path.Join("/root/dir", p)
		if !strings.HasPrefix(joined, "/root/dir/") || strings.Contains(p, `\`) {
			t.Fatalf("accepted %q, which joins to %q", p, joined)
		}
	})
}

func TestValidORCID(t *testing.T) {
	for _, id := range []string{"0000-0002-1825-0097", "0000-0001-5109-3700", "0000-0002-1694-233X"} {
		if !tycho.ValidORCID(id) {
			t.Errorf("%s: refused", id)
		}
	}
	for _, id := range []string{"0000-0002-1825-0098", "0000000218250097", "0000-0002-1825-009", "abcd-0002-1825-0097"} {
		if tycho.ValidORCID(id) {
			t.Errorf("%s: accepted", id)
		}
	}
}

func TestManifest(t *testing.T) {
	files := []tycho.File{{Path: "b.csv", SHA256: strings.Repeat("b", 64)}, {Path: "a/x.csv", SHA256: strings.Repeat("a", 64)}}
	want := strings.Repeat("a", 64) + "  data/a/x.csv\n" + strings.Repeat("b", 64) + "  data/b.csv\n"
	if got := string(tycho.Manifest(files)); got != want {
		t.Errorf("manifest:\n%s\nwant:\n%s", got, want)
	}
	if tycho.ManifestDigest(files) != tycho.ManifestDigest([]tycho.File{files[1], files[0]}) {
		t.Error("the digest depends on the order files are given in")
	}
}
