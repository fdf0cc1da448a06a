package vault_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ewallet/ewallet/vault"
)

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "master.key")
	key, err := vault.LoadOrCreateKeyFile(path)
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
		b, _ := os.ReadFile(path)
		if string(b) != hex.EncodeToString(key)+"\n" || len(key) != 32 {
			t.Fatalf("file holds %d bytes; want the key in hex and a newline", len(b))
		}
		left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*"))
		if len(left) != 0 {
			t.Fatalf("temporary files left behind: %v", left)
		}
	})
	t.Run("Reloaded", func(t *testing.T) {
		again, err := vault.LoadOrCreateKeyFile(path)
		if err != nil || !bytes.Equal(again, key) {
			t.Fatalf("reload = %x, %v; want the same key", again, err)
		}
	})
	t.Run("Fresh", func(t *testing.T) {
		other, err := vault.LoadOrCreateKeyFile(filepath.Join(t.TempDir(), "master.key"))
		if err != nil || bytes.Equal(other, key) {
			t.Fatalf("second key file = %v; want a different key", err)
		}
	})
}

func TestLoadKeyFileRefused(t *testing.T) {
	good := strings.Repeat("ab", 32) + "\n"
	for _, tt := range []struct {
		name, content string
		mode          os.FileMode
		ok            bool
	}{
		{"Good", good, 0o600, true},
		{"ReadOnly", good, 0o400, true},
		{"NoNewline", strings.TrimSpace(good), 0o600, true},
		{"WorldReadable", good, 0o644, false},
		{"GroupReadable", good, 0o640, false},
		{"WorldWritable", good, 0o602, false},
		{"Short", strings.Repeat("ab", 31) + "\n", 0o600, false},
		{"Long", strings.Repeat("ab", 33) + "\n", 0o600, false},
		{"NotHex", strings.Repeat("zz", 32) + "\n", 0o600, false},
		{"TwoNewlines", good + "\n", 0o600, false},
		{"Empty", "", 0o600, false},
		{"Base64", base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n", 0o600, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "master.key")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			key, err := vault.LoadOrCreateKeyFile(path)
			if tt.ok != (err == nil) {
				t.Fatalf("LoadOrCreateKeyFile = %v; want ok=%v", err, tt.ok)
			}
			if err != nil && len(tt.content) > 8 && strings.Contains(err.Error(), strings.TrimSpace(tt.content)[:8]) {
				t.Fatalf("error %q quotes the key file", err)
			}
			if !tt.ok {
				if b, _ := os.ReadFile(path); string(b) != tt.content {
					t.Fatal("a refused key file was overwritten")
				}
				return
			}
			if !bytes.Equal(key, bytes.Repeat([]byte{0xab}, 32)) {
				t.Fatalf("key = %x", key)
			}
		})
	}
	t.Run("Directory", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if _, err := vault.LoadOrCreateKeyFile(dir); err == nil {
			t.Fatal("a directory was accepted as key file")
		}
	})
}

func TestParseMasterKey(t *testing.T) {
	key := bytes.Repeat([]byte{0xfb, 0xff, 0x3e}, 11)[:32]
	for _, tt := range []struct {
		name, in string
		ok       bool
	}{
		{"Hex", hex.EncodeToString(key), true},
		{"HexUpper", strings.ToUpper(hex.EncodeToString(key)), true},
		{"HexNewline", hex.EncodeToString(key) + "\n", true},
		{"Base64", base64.StdEncoding.EncodeToString(key), true},
		{"Base64Raw", base64.RawStdEncoding.EncodeToString(key), true},
		{"Base64URL", base64.URLEncoding.EncodeToString(key), true},
		{"Base64RawURL", base64.RawURLEncoding.EncodeToString(key), true},
		{"HexShort", hex.EncodeToString(key[:31]), false},
		{"Base64Short", base64.StdEncoding.EncodeToString(key[:31]), false},
		{"Base64Long", base64.StdEncoding.EncodeToString(append(key, 0)), false},
		{"Empty", "", false},
		{"Garbage", "not a key at all", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := vault.ParseMasterKey(tt.in)
			if !tt.ok {
				if err == nil {
					t.Fatalf("ParseMasterKey accepted %q", tt.in)
				}
				if tt.in != "" && strings.Contains(err.Error(), tt.in) {
					t.Fatalf("error %q quotes the key", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, key) {
				t.Fatalf("ParseMasterKey = %x, %v; want %x", got, err, key)
			}
		})
	}
}

func FuzzParseMasterKey(f *testing.F) {
	f.Add(strings.Repeat("ab", 32))
	f.Add(base64.StdEncoding.EncodeToString(make([]byte, 32)))
	f.Add(base64.RawURLEncoding.EncodeToString(make([]byte, 32)))
	f.Add(" \n")
	f.Fuzz(func(t *testing.T, s string) {
		key, err := vault.ParseMasterKey(s)
		if err == nil && len(key) != 32 {
			t.Fatalf("ParseMasterKey(%q) = %d bytes; want 32", s, len(key))
		}
		if err == nil {
			if _, err := vault.New(key); err != nil {
				t.Fatalf("New(ParseMasterKey(%q)): %v", s, err)
			}
		}
	})
}
