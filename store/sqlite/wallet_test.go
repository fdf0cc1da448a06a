package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
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

// TestWalletBesideLedger runs wallet writes and ledger transfers at once:
// they share the one writer connection, and neither may starve or block the
// other for good.
func TestWalletBesideLedger(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	db := MustOpenDB(t, filepath.Join(t.TempDir(), "wallet.db"))
	ws := db.WalletStore()
	l := ledger.New(db, ledger.Options{})
	t.Cleanup(func() { l.Close() })
	accts, err := l.CreateAccounts(ctx, []ledger.AccountSpec{
		{Name: "bank", Currency: money.CNY, Flags: ledger.NoPositive},
		{Name: "alice", Currency: money.CNY, Flags: ledger.NoNegative},
	})
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := l.Transfer(ctx, ledger.Move(fmt.Sprintf("t%d", i), "topup", accts[0].ID, accts[1].ID, 100)); err != nil {
				t.Errorf("transfer %d: %v", i, err)
			}
		})
		wg.Go(func() {
			if _, err := ws.Hit(ctx, "k", time.Hour, time.Now()); err != nil {
				t.Errorf("hit %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	c, err := ws.Counter(ctx, "k")
	if err != nil || c.Count != n {
		t.Errorf("counter: %+v, %v; want count %d", c, err, n)
	}
	a, err := l.Account(ctx, accts[1].ID)
	if err != nil || a.Posted != n*100 {
		t.Errorf("alice: %+v, %v; want posted %d", a, err, n*100)
	}
}
