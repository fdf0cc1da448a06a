package vault

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealSecret(t *testing.T) {
	v, err := New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("whsec_c2VjcmV0IHNlY3JldCBzZWNyZXQ=")
	blob, err := v.SealSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, secret) {
		t.Fatal("the sealed blob holds the secret in clear")
	}
	got, err := v.OpenSecret(blob)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("open: %q, %v", got, err)
	}
	for i := range blob {
		bad := bytes.Clone(blob)
		bad[i] ^= 1
		if _, err := v.OpenSecret(bad); err == nil {
			t.Fatalf("a changed byte %d opened", i)
		}
	}
	if _, err := v.OpenSecret(blob[:12]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated: %v", err)
	}
	other, _ := New(bytes.Repeat([]byte{8}, 32))
	if _, err := other.OpenSecret(blob); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("another master key: %v", err)
	}
}
