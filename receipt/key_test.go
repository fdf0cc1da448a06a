package receipt_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ewallet/ewallet/receipt"
)

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "receipt-signing.key")
	key, err := receipt.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Created", func(t *testing.T) {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("mode %04o; want 0600", fi.Mode().Perm())
		}
		if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
			t.Fatalf("directory mode %04o; want 0700", di.Mode().Perm())
		}
		b, _ := os.ReadFile(path)
		if len(key) != ed25519.PrivateKeySize || string(b) != hex.EncodeToString(key.Seed())+"\n" {
			t.Fatal("file does not hold the key's seed in hex and a newline")
		}
	})
	t.Run("Reloaded", func(t *testing.T) {
		again, err := receipt.LoadOrCreateKey(path)
		if err != nil || !bytes.Equal(again, key) {
			t.Fatalf("reload = %v; want the same key", err)
		}
	})
	t.Run("Signs", func(t *testing.T) {
		s, err := receipt.NewSigner(key)
		if err != nil {
			t.Fatal(err)
		}
		v := MustVerifier(t, s)
		if _, err := v.Verify(MustJSON(t, MustSign(t, s, NewPayment()))); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Fresh", func(t *testing.T) {
		other, err := receipt.LoadOrCreateKey(filepath.Join(t.TempDir(), "receipt-signing.key"))
		if err != nil || bytes.Equal(other, key) {
			t.Fatalf("second key file = %v; want a different key", err)
		}
	})
}

func TestLoadKeyRefused(t *testing.T) {
	good := strings.Repeat("ab", 32) + "\n"
	for _, tt := range []struct {
		name, content string
		mode          os.FileMode
	}{
		{"WorldReadable", good, 0o644},
		{"GroupReadable", good, 0o640},
		{"Short", strings.Repeat("ab", 31) + "\n", 0o600},
		{"NotHex", strings.Repeat("zz", 32) + "\n", 0o600},
		{"Empty", "", 0o600},
		{"PEM", "-----BEGIN PRIVATE KEY-----\n", 0o600},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "receipt-signing.key")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, err := receipt.LoadOrCreateKey(path)
			if err == nil {
				t.Fatal("LoadOrCreateKey accepted the file")
			}
			if len(tt.content) > 8 && strings.Contains(err.Error(), tt.content[:8]) {
				t.Fatalf("error %q quotes the key file", err)
			}
			if b, _ := os.ReadFile(path); string(b) != tt.content {
				t.Fatal("a refused key file was overwritten")
			}
		})
	}
}
