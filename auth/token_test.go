package auth_test

import (
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/ewallet/ewallet/auth"
)

func TestNewToken(t *testing.T) {
	tok, hash := auth.NewToken("ewt_")
	t.Run("Shape", func(t *testing.T) {
		body, ok := strings.CutPrefix(tok, "ewt_")
		if !ok {
			t.Fatalf("token %q lacks its prefix", tok)
		}
		raw, err := base64.RawURLEncoding.DecodeString(body)
		if err != nil || len(raw) != 32 {
			t.Fatalf("token body %q: %d bytes, %v; want 32 bytes of base64url", body, len(raw), err)
		}
	})
	t.Run("Hash", func(t *testing.T) {
		if hash != sha256.Sum256([]byte(tok)) || hash != auth.HashToken(tok) {
			t.Fatal("hash is not SHA-256 of the token")
		}
	})
	t.Run("Fresh", func(t *testing.T) {
		if tok2, _ := auth.NewToken("ewt_"); tok2 == tok {
			t.Fatal("two tokens are equal")
		}
	})
}

func TestNewID(t *testing.T) {
	re := regexp.MustCompile(`^usr_[a-z2-7]{20}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := auth.NewID("usr_")
		if !re.MatchString(id) {
			t.Fatalf("NewID = %q; want usr_ and 20 base32 chars", id)
		}
		if seen[id] {
			t.Fatalf("NewID repeated %q", id)
		}
		seen[id] = true
	}
	if id := auth.NewID(""); len(id) != 20 {
		t.Fatalf("NewID(\"\") = %q; want 20 chars", id)
	}
}
