package campaign

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"unicode"
)

// NewID returns a random identifier with a readable prefix, such as
// "branin-3f9a2c1d5e6f". Its 48 random bits keep collisions unlikely up to
// millions of objects, and the store rejects the rare one.
func NewID(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // never fails (crypto/rand documents it)
	return slug(prefix) + "-" + hex.EncodeToString(b)
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
		if b.Len() >= 24 {
			break
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		return "c"
	}
	return out
}
