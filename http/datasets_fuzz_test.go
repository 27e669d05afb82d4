package http

import (
	"errors"
	"strings"
	"testing"

	"tycho"
)

// FuzzDecodeManifest feeds arbitrary bodies to what the server does with
// a version manifest before it stores anything: strict decoding, the
// conversion to a domain version and both checks. Nothing may panic;
// every refusal is EINVALID with a message, and names its member by JSON
// Pointer when it names one; a manifest both checks pass survives the
// trip back to the wire and in again unchanged.
func FuzzDecodeManifest(f *testing.F) {
	h := strings.Repeat("ab", 32)
	for _, seed := range []string{
		`{"files": [{"path": "a.csv", "size": 3, "sha256": "` + h + `", "chunks": [{"hash": "` + h + `", "size": 3}]}], "metadata": {"title": "T"}}`,
		`{"files": [{"path": "../a", "size": 0, "sha256": "` + h + `", "chunks": []}]}`,
		`{"files": [{"path": "a", "size": 1, "sha256": "` + h + `", "chunks": [{"hash": "` + h + `", "size": 1}]}, {"path": "a/b", "size": 0, "sha256": "` + h + `", "chunks": null}]}`,
		`{"files": [], "metadata": {"creators": [{"name": "A", "orcid": "0000-0002-1825-0097"}], "temporal": {"start": "2020-01-01T00:00:00Z", "end": "2019-01-01T00:00:00Z"}}}`,
		`{"files": [{"path": "a", "size": -1, "sha256": "` + h + `", "chunks": [{"hash": "` + h + `", "size": -1}]}], "quality": {"grade": "gold", "tables": [{"path": "a", "rows": 1}]}}`,
		`{"hashes": ["` + h + `", "x"]}`, `{"files": [{"path": "\u0000"}]}`, `{"files": {}}`, `[`, "\xff",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var miss missingRequest
		if err := decodeJSON(body, &miss); err != nil {
			checkRefusal(t, err)
		}
		var req addVersionRequest
		if err := decodeJSON(body, &req); err != nil {
			checkRefusal(t, err)
			return
		}
		v := &tycho.DatasetVersion{Project: "p", Dataset: "d", Files: filesIn(req.Files), Metadata: req.Metadata.domain(), Quality: req.Quality}
		if err := checkManifest(v); err != nil {
			checkRefusal(t, err)
			return
		}
		if err := tycho.CheckVersion(v); err != nil {
			checkRefusal(t, err)
			return
		}
		again := versionOut(v).domain()
		if tycho.ManifestDigest(again.Files) != tycho.ManifestDigest(v.Files) || len(again.Files) != len(v.Files) {
			t.Fatalf("the manifest changed on the way out and in")
		}
		for i := range v.Files {
			if len(again.Files[i].Chunks) != len(v.Files[i].Chunks) || again.Files[i].Size != v.Files[i].Size {
				t.Fatalf("file %d changed on the way out and in", i)
			}
		}
	})
}

// checkRefusal fails unless err is an EINVALID with a message, and a
// JSON Pointer if it names a member.
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	var fe *fieldError
	if errors.As(err, &fe) {
		if fe.code != tycho.EINVALID || fe.msg == "" || (fe.pointer != "" && !strings.HasPrefix(fe.pointer, "/")) {
			t.Fatalf("refusal %+v", fe)
		}
		return
	}
	if tycho.ErrorCode(err) != tycho.EINVALID || tycho.ErrorMessage(err) == "" {
		t.Fatalf("refusal %v is not EINVALID with a message", err)
	}
}
