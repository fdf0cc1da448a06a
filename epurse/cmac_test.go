package epurse_test

import (
	"encoding/hex"
	"testing"

	"github.com/ewallet/ewallet/epurse"
)

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func mustKey(tb testing.TB, s string) epurse.Key {
	tb.Helper()
	var k epurse.Key
	b := mustHex(tb, s)
	if len(b) != len(k) {
		tb.Fatalf("key %q: %d bytes", s, len(b))
	}
	copy(k[:], b)
	return k
}

// TestCMAC checks the four AES-128 examples of RFC 4493 section 4.
func TestCMAC(t *testing.T) {
	key := mustKey(t, "2b7e151628aed2a6abf7158809cf4f3c")
	const msg64 = "6bc1bee22e409f96e93d7e117393172a" +
		"ae2d8a571e03ac9c9eb76fac45af8e51" +
		"30c81c46a35ce411e5fbc1191a0a52ef" +
		"f69f2445df4f9b17ad2b417be66c3710"
	tests := []struct {
		name, msg, want string
	}{
		{"Empty", "", "bb1d6929e95937287fa37d129b756746"},
		{"Len16", msg64[:32], "070a16b46b4d4144f79bdd9dd04a287c"},
		{"Len40", msg64[:80], "dfa66747de9ae63030ca32611497c827"},
		{"Len64", msg64, "51f0bebf7e3b9d92fc49741779363cfe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := epurse.CMAC(key, mustHex(t, tt.msg))
			if hex.EncodeToString(got[:]) != tt.want {
				t.Fatalf("CMAC = %x, want %s", got, tt.want)
			}
		})
	}
}
