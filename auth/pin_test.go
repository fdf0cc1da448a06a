package auth_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/ewallet/ewallet/auth"
)

func TestValidatePIN(t *testing.T) {
	weak := []string{
		"000000", "111111", "555555", "999999",
		"123456", "234567", "345678", "456789", "567890", "012345", "890123",
		"654321", "543210", "987654", "098765", "210987",
		"121212", "909090", "123123", "520520", "112233", "778899", "111222", "999000",
		"520131", "147258", "159753", "147369", "789456", "123321", "666888", "888888",
	}
	ok := []string{"284751", "907316", "130582", "462019", "771940"}
	invalid := []string{"", "12345", "1234567", "12345a", " 12345", "１２３４５６", "12 456", "+12345", "-12345"}
	for _, pin := range weak {
		t.Run("Weak/"+pin, func(t *testing.T) {
			if err := auth.ValidatePIN(pin); !errors.Is(err, auth.ErrWeakPIN) {
				t.Fatalf("ValidatePIN = %v; want ErrWeakPIN", err)
			}
		})
	}
	for _, pin := range ok {
		t.Run("OK/"+pin, func(t *testing.T) {
			if err := auth.ValidatePIN(pin); err != nil {
				t.Fatalf("ValidatePIN = %v; want nil", err)
			}
		})
	}
	for _, pin := range invalid {
		t.Run("Invalid/"+pin, func(t *testing.T) {
			err := auth.ValidatePIN(pin)
			if !errors.Is(err, auth.ErrInvalidPIN) {
				t.Fatalf("ValidatePIN = %v; want ErrInvalidPIN", err)
			}
			if pin != "" && strings.Contains(err.Error(), pin) {
				t.Fatalf("error %q reveals the PIN", err)
			}
		})
	}
}

func TestValidatePINLeavesMostPINs(t *testing.T) {
	// The weak rules must refuse the guessable few, not a real share of
	// the space, or users end up writing their PIN down.
	weak := 0
	for i := range 1_000_000 {
		b := []byte("000000")
		for j, n := 5, i; j >= 0; j, n = j-1, n/10 {
			b[j] = byte('0' + n%10)
		}
		if auth.ValidatePIN(string(b)) != nil {
			weak++
		}
	}
	if weak > 3000 {
		t.Fatalf("%d of 10^6 PINs refused; want at most 3000 (0.3%%)", weak)
	}
}

func FuzzValidatePIN(f *testing.F) {
	for _, s := range []string{"123456", "284751", "12345", "١٢٣٤٥٦"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pin string) {
		err := auth.ValidatePIN(pin)
		if err == nil || errors.Is(err, auth.ErrWeakPIN) {
			if len(pin) != 6 || strings.Trim(pin, "0123456789") != "" {
				t.Fatalf("ValidatePIN(%q) = %v but it is not 6 digits", pin, err)
			}
		}
	})
}

func mustPINHasher(tb testing.TB, pepper string) *auth.PINHasher {
	tb.Helper()
	h, err := auth.NewPINHasher([]byte(pepper))
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func TestPINHasher(t *testing.T) {
	const pepper = "0123456789abcdef0123456789abcdef"
	h := mustPINHasher(t, pepper)
	t.Run("ShortPepper", func(t *testing.T) {
		if _, err := auth.NewPINHasher([]byte(pepper[:31])); err == nil {
			t.Fatal("31-byte pepper accepted")
		}
	})
	t.Run("Check", func(t *testing.T) {
		stored := h.Hash("usr_a", "284751")
		if len(stored) != 32 {
			t.Fatalf("hash has %d bytes; want 32", len(stored))
		}
		if !h.Check("usr_a", "284751", stored) {
			t.Fatal("right PIN refused")
		}
		for _, tt := range []struct{ name, user, pin string }{
			{"WrongPIN", "usr_a", "284752"},
			{"OtherUser", "usr_b", "284751"},
			{"ShiftedSeparator", "usr_a\x002", "84751"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if h.Check(tt.user, tt.pin, stored) {
					t.Fatal("accepted")
				}
			})
		}
		if h.Check("usr_a", "284751", nil) {
			t.Fatal("nil stored hash accepted")
		}
	})
	t.Run("BoundToUser", func(t *testing.T) {
		if bytes.Equal(h.Hash("usr_a", "284751"), h.Hash("usr_b", "284751")) {
			t.Fatal("same PIN hashes the same for two users")
		}
	})
	t.Run("BoundToPepper", func(t *testing.T) {
		other := mustPINHasher(t, strings.ToUpper(pepper))
		if other.Check("usr_a", "284751", h.Hash("usr_a", "284751")) {
			t.Fatal("hash checks under another pepper")
		}
	})
	t.Run("PepperCopied", func(t *testing.T) {
		p := []byte(pepper)
		h2, _ := auth.NewPINHasher(p)
		want := h2.Hash("usr_a", "284751")
		p[0] ^= 1
		if !bytes.Equal(h2.Hash("usr_a", "284751"), want) {
			t.Fatal("changing the caller's slice changed the hasher")
		}
	})
	t.Run("Redact", func(t *testing.T) {
		r := h.Redact("usr_a", "284751")
		if _, err := hex.DecodeString(r); err != nil || len(r) != 64 {
			t.Fatalf("Redact = %q; want 64 hex chars", r)
		}
		if r != h.Redact("usr_a", "284751") {
			t.Fatal("Redact is not deterministic")
		}
		if r == h.Redact("usr_a", "284752") || r == h.Redact("usr_b", "284751") {
			t.Fatal("Redact collides across PINs or users")
		}
		if r == hex.EncodeToString(h.Hash("usr_a", "284751")) {
			t.Fatal("Redact equals the stored PIN hash")
		}
		if strings.Contains(r, "284751") {
			t.Fatal("Redact shows the PIN")
		}
	})
}
