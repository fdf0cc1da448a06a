package postgres_test

import (
	"testing"

	"github.com/ewallet/ewallet/store/postgres/pgtest"
	"github.com/ewallet/ewallet/store/storetest"
	"github.com/ewallet/ewallet/wallet"
)

// TestWallet runs the wallet store's conformance suite, each case in a
// fresh schema.
func TestWallet(t *testing.T) {
	storetest.RunWallet(t, func(t *testing.T) wallet.Store {
		return MustOpenDB(t, pgtest.URL(t)).WalletStore()
	})
}
