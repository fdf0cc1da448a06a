package vault

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// errMalformedKey never quotes the input: it is a secret.
var errMalformedKey = errors.New("master key must be 64 hex characters or base64 of 32 bytes")

// ParseMasterKey decodes a master key given in configuration: 64 hex
// characters, or standard or URL-safe base64 (padded or not) of 32 bytes.
// Surrounding white space is ignored.
func ParseMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 64 {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.Strict().DecodeString(s); err == nil && len(k) == 32 {
			return k, nil
		}
	}
	return nil, errMalformedKey
}

// LoadOrCreateKeyFile returns the 32-byte master key kept in path as 64 hex
// characters and a newline. If path does not exist it creates it, and any
// missing parent directories, with a fresh random key and mode 0600. It
// refuses a key file that group or others may access, or that holds
// anything else.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	key, err := readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	return createKeyFile(path)
}

func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("vault: key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("vault: key file %s has mode %04o; it must not be readable by group or others (chmod 600)", path, perm)
	}
	b, err := io.ReadAll(io.LimitReader(f, 256))
	if err != nil {
		return nil, fmt.Errorf("vault: read key file: %w", err)
	}
	s, _ := strings.CutSuffix(string(b), "\n")
	key, err := hex.DecodeString(s)
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("vault: key file %s is malformed: want 64 hex characters and a newline", path)
	}
	return key, nil
}

// createKeyFile writes the new key to a temporary file and links it into
// place, so a crash never leaves a half-written key file behind and a
// second process starting at the same moment cannot replace a key that
// may already have sealed cards: the loser of the race loads the winner's.
func createKeyFile(path string) (key []byte, err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("vault: create key directory: %w", err)
	}
	key = make([]byte, 32)
	rand.Read(key)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("vault: create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("vault: write key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readKeyFile(path)
		}
		// Some file systems have no hard links; rename is still atomic,
		// only without the guard against a concurrent creator.
		if err := os.Rename(tmp.Name(), path); err != nil {
			return nil, fmt.Errorf("vault: install key file: %w", err)
		}
	}
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("vault: sync key directory: %w", err)
	}
	return key, nil
}

// syncDir makes the new directory entry durable: without it a power loss
// can lose the key file after cards were sealed with the key.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
