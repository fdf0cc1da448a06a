package receipt

import (
	"crypto/ed25519"
	"fmt"

	"github.com/ewallet/ewallet/vault"
)

// LoadOrCreateKey returns the receipt signing key kept in path, creating
// the file with a fresh key on first start. The file is the vault's key
// file (vault.LoadOrCreateKeyFile): the 32-byte Ed25519 seed as 64 hex
// characters and a newline, mode 0600, created atomically with any missing
// directories (0700); a file that group or others may access, or that holds
// anything else, is refused and left alone. So the receipt key is backed
// up, copied between servers and checked like the other server keys. Every
// server that issues receipts needs the same key, or its own key in every
// Verifier.
func LoadOrCreateKey(path string) (ed25519.PrivateKey, error) {
	seed, err := vault.LoadOrCreateKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("receipt signing key: %w", err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}
