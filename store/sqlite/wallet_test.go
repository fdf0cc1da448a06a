package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/ewallet/ewallet/store/storetest"
	"github.com/ewallet/ewallet/wallet"
)

// TestWallet runs the wallet store's conformance suite, each case on a
// fresh database file.
func TestWallet(t *testing.T) {
	storetest.RunWallet(t, func(t *testing.T) wallet.Store {
		return MustOpenDB(t, filepath.Join(t.TempDir(), "wallet.db")).WalletStore()
	})
}
