package vault_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"testing"

	"github.com/ewallet/ewallet/vault"
)

func MustNewVault(tb testing.TB, seed byte) *vault.Vault {
	tb.Helper()
	v, err := vault.New(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func MustSeal(tb testing.TB, v *vault.Vault, number string) vault.Sealed {
	tb.Helper()
	s, err := v.Seal(number)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestNewKeyLength(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := vault.New(make([]byte, n)); err == nil {
			t.Errorf("New accepted a %d-byte key", n)
		}
	}
}

func TestSealOpen(t *testing.T) {
	v := MustNewVault(t, 1)
	for _, tt := range []struct{ name, in, number, brand, last4 string }{
		{"Visa", "4242424242424242", "4242424242424242", "visa", "4242"},
		{"Spaced", "4242 4242 4242 4242", "4242424242424242", "visa", "4242"},
		{"Amex", "378282246310005", "378282246310005", "amex", "0005"},
		{"UnionPay", "6200000000000005", "6200000000000005", "unionpay", "0005"},
		{"Mastercard", "5555555555554444", "5555555555554444", "mastercard", "4444"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := MustSeal(t, v, tt.in)
			if s.Brand != tt.brand || s.Last4 != tt.last4 {
				t.Fatalf("Brand, Last4 = %q, %q; want %q, %q", s.Brand, s.Last4, tt.brand, tt.last4)
			}
			sum := sha256.Sum256(bytes.Repeat([]byte{1}, 32))
			if want := hex.EncodeToString(sum[:4]); s.KeyID != want || v.KeyID() != want {
				t.Fatalf("KeyID = %q; want %q", s.KeyID, want)
			}
			if bytes.Contains(s.Ciphertext, []byte(tt.number)) || bytes.Contains(s.WrappedKey, []byte(tt.number)) {
				t.Fatal("the number shows in the sealed bytes")
			}
			got, err := v.Open(s)
			if err != nil || got != tt.number {
				t.Fatalf("Open = %q, %v; want the number", got, err)
			}
		})
	}
	t.Run("InvalidNumber", func(t *testing.T) {
		if _, err := v.Seal("4242424242424241"); !errors.Is(err, vault.ErrInvalidNumber) {
			t.Fatalf("Seal(bad Luhn) = %v; want ErrInvalidNumber", err)
		}
	})
}

func TestSealIsRandomized(t *testing.T) {
	v := MustNewVault(t, 1)
	a, b := MustSeal(t, v, "4242424242424242"), MustSeal(t, v, "4242 4242 4242 4242")
	if bytes.Equal(a.Ciphertext, b.Ciphertext) || bytes.Equal(a.WrappedKey, b.WrappedKey) {
		t.Fatal("two seals of one number share ciphertext or wrapped key")
	}
	if !bytes.Equal(a.Fingerprint, b.Fingerprint) || !bytes.Equal(a.Fingerprint, v.Fingerprint("4242424242424242")) {
		t.Fatal("two seals of one number have different fingerprints")
	}
	if c := MustSeal(t, v, "5555555555554444"); bytes.Equal(a.Fingerprint, c.Fingerprint) {
		t.Fatal("two numbers share a fingerprint")
	}
	if other := MustNewVault(t, 2); bytes.Equal(other.Fingerprint("4242424242424242"), a.Fingerprint) {
		t.Fatal("fingerprint does not depend on the master key")
	}
}

func TestOpenTampered(t *testing.T) {
	v := MustNewVault(t, 1)
	orig := MustSeal(t, v, "4242424242424242")
	other := MustSeal(t, v, "5555555555554444")
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 0x01; return c }

	cases := map[string]func(s *vault.Sealed){
		"KeyID":              func(s *vault.Sealed) { s.KeyID = "00000000" },
		"Brand":              func(s *vault.Sealed) { s.Brand = "mastercard" },
		"Last4":              func(s *vault.Sealed) { s.Last4 = "4243" },
		"FingerprintEmpty":   func(s *vault.Sealed) { s.Fingerprint = nil },
		"CiphertextEmpty":    func(s *vault.Sealed) { s.Ciphertext = nil },
		"CiphertextTrimmed":  func(s *vault.Sealed) { s.Ciphertext = s.Ciphertext[:len(s.Ciphertext)-1] },
		"WrappedKeyEmpty":    func(s *vault.Sealed) { s.WrappedKey = nil },
		"WrappedKeyOfOther":  func(s *vault.Sealed) { s.WrappedKey = other.WrappedKey },
		"CiphertextOfOther":  func(s *vault.Sealed) { s.Ciphertext = other.Ciphertext },
		"FingerprintOfOther": func(s *vault.Sealed) { s.Fingerprint = other.Fingerprint },
		"KeyAsCiphertext":    func(s *vault.Sealed) { s.Ciphertext = s.WrappedKey },
	}
	for i := range orig.Ciphertext {
		cases["CiphertextByte"+strconv.Itoa(i)] = func(s *vault.Sealed) { s.Ciphertext = flip(s.Ciphertext, i) }
	}
	for i := range orig.WrappedKey {
		cases["WrappedKeyByte"+strconv.Itoa(i)] = func(s *vault.Sealed) { s.WrappedKey = flip(s.WrappedKey, i) }
	}
	for i := range orig.Fingerprint {
		cases["FingerprintByte"+strconv.Itoa(i)] = func(s *vault.Sealed) { s.Fingerprint = flip(s.Fingerprint, i) }
	}
	for name, tamper := range cases {
		t.Run(name, func(t *testing.T) {
			s := orig
			tamper(&s)
			if got, err := v.Open(s); err == nil {
				t.Fatalf("Open(tampered) = %q; want an error", got)
			}
		})
	}
	t.Run("OtherMasterKey", func(t *testing.T) {
		if _, err := MustNewVault(t, 2).Open(orig); !errors.Is(err, vault.ErrUnknownKey) {
			t.Fatalf("Open under another key = %v; want ErrUnknownKey", err)
		}
	})
	t.Run("OtherKeySameID", func(t *testing.T) {
		s := orig
		s.KeyID = MustNewVault(t, 2).KeyID()
		if _, err := MustNewVault(t, 2).Open(s); !errors.Is(err, vault.ErrCorrupt) {
			t.Fatalf("Open = %v; want ErrCorrupt", err)
		}
	})
	if got, err := v.Open(orig); err != nil || got != "4242424242424242" {
		t.Fatalf("original no longer opens: %q, %v", got, err)
	}
}
