// Package storetest is the conformance suite that every ledger.Store backend
// runs (store/sqlite, store/postgres): the ledger's rules, idempotency, holds,
// history, Verify's reports on a tampered database, and a concurrent bank
// test, all through the public ledger API on a fresh store per case.
//
// The tampering cases change rows with plain SQL that SQLite and PostgreSQL
// both accept (literal values, no placeholders), so every backend keeps the
// shared schema's names: accounts(id, currency), transfers(seq, kind,
// postings, metadata, hash), entries(account_id, seq, amount, held_delta,
// balance, held_after), holds(id, status) and ledger_head(seq). Cases that
// alter accounts(posted, held) are skipped where a backend derives an
// account's balances from its entries instead of keeping those columns.
package storetest

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

// Backend is a store under test with a way to tamper with its rows.
type Backend interface {
	ledger.Store
	// Exec runs one SQL statement outside the ledger, to alter its rows.
	Exec(ctx context.Context, query string, args ...any) error
}

// opener is Run's open: a fresh, empty store whose cleanup is registered.
type opener = func(t testing.TB) Backend

// Run runs every conformance case; open returns a fresh, empty store per
// subtest (and registers its cleanup).
func Run(t *testing.T, open func(t testing.TB) Backend) {
	t.Run("Accounts", func(t *testing.T) { testAccounts(t, open) })
	t.Run("Transfers", func(t *testing.T) { testTransfers(t, open) })
	t.Run("Submit", func(t *testing.T) { testSubmit(t, open) })
	t.Run("Holds", func(t *testing.T) { testHolds(t, open) })
	t.Run("Idempotency", func(t *testing.T) { testIdempotency(t, open) })
	t.Run("History", func(t *testing.T) { testHistory(t, open) })
	t.Run("Lookups", func(t *testing.T) { testHistoryLookups(t, open) })
	t.Run("Verify", func(t *testing.T) { testVerify(t, open) })
	t.Run("Writers", func(t *testing.T) { testWriters(t, open) })
	t.Run("Bank", func(t *testing.T) { testBank(t, open) })
}

// epoch is where every fixture's clock starts; it has microsecond precision,
// the ledger's, so times read back equal it exactly.
var epoch = time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC)

// clock is the ledger's controllable time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// fixture is one case's ledger on a fresh store with its own clock.
type fixture struct {
	tb    testing.TB
	ctx   context.Context
	store Backend
	l     *ledger.Ledger
	clock *clock
}

func newFixture(tb testing.TB, open opener) *fixture {
	tb.Helper()
	s := open(tb)
	c := &clock{now: epoch}
	l := ledger.New(s, ledger.Options{Now: c.Now})
	tb.Cleanup(func() { l.Close() }) // runs before the store's own cleanup
	return &fixture{tb: tb, ctx: context.Background(), store: s, l: l, clock: c}
}

// account creates an account and checks what comes back.
func (f *fixture) account(name string, cur money.Currency, flags ledger.AccountFlags) ledger.Account {
	f.tb.Helper()
	a, err := f.l.CreateAccount(f.ctx, ledger.AccountSpec{Name: name, Currency: cur, Flags: flags})
	if err != nil {
		f.tb.Fatalf("create account %q: %v", name, err)
	}
	if a.ID == 0 || a.Name != name || a.Currency != cur || a.Flags != flags {
		f.tb.Fatalf("create account %q: got %+v", name, a)
	}
	return a
}

// world is the bank's settlement account in cur: it only pays out.
func (f *fixture) world(cur money.Currency) ledger.Account {
	f.tb.Helper()
	return f.account("sys:bank:"+string(cur), cur, ledger.NoPositive)
}

// wallet is a holder's account: it may not go below zero.
func (f *fixture) wallet(name string, cur money.Currency) ledger.Account {
	f.tb.Helper()
	return f.account(name, cur, ledger.NoNegative)
}

// transfer submits t and fails the test unless it commits as new.
func (f *fixture) transfer(t ledger.Transfer) ledger.Transfer {
	f.tb.Helper()
	res, err := f.l.Transfer(f.ctx, t)
	if err != nil {
		f.tb.Fatalf("transfer %q: %v", t.ID, err)
	}
	if res.Replayed {
		f.tb.Fatalf("transfer %q: replayed, want a new commit", t.ID)
	}
	return res.Transfer
}

// move commits a two-posting transfer.
func (f *fixture) move(id string, from, to ledger.AccountID, amount int64) ledger.Transfer {
	f.tb.Helper()
	return f.transfer(ledger.Move(id, "test", from, to, amount))
}

// refuse submits t and fails the test unless it is refused with code.
func (f *fixture) refuse(t ledger.Transfer, code ledger.Code) {
	f.tb.Helper()
	res, err := f.l.Transfer(f.ctx, t)
	if err == nil {
		f.tb.Fatalf("transfer %q committed at seq %d, want %s", t.ID, res.Transfer.Seq, code)
	}
	wantCode(f.tb, err, code)
}

// wantCode fails the test unless err carries the ledger code.
func wantCode(tb testing.TB, err error, code ledger.Code) {
	tb.Helper()
	if got := ledger.ErrorCode(err); got != code {
		tb.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

// balance asserts an account's posted and held balances.
func (f *fixture) balance(id ledger.AccountID, posted, held int64) {
	f.tb.Helper()
	a, err := f.l.Account(f.ctx, id)
	if err != nil {
		f.tb.Fatalf("account %d: %v", id, err)
	}
	if a.Posted != posted || a.Held != held {
		f.tb.Errorf("account %d (%s): posted %d held %d, want posted %d held %d", id, a.Name, a.Posted, a.Held, posted, held)
	}
}

// lastSeq asserts the journal sequence of an account's last entry.
func (f *fixture) lastSeq(id ledger.AccountID, seq int64) {
	f.tb.Helper()
	a, err := f.l.Account(f.ctx, id)
	if err != nil {
		f.tb.Fatalf("account %d: %v", id, err)
	}
	if a.LastSeq != seq {
		f.tb.Errorf("account %d (%s): last seq %d, want %d", id, a.Name, a.LastSeq, seq)
	}
}

// verify runs Verify and fails the test unless the ledger is sound.
func (f *fixture) verify() ledger.Report {
	f.tb.Helper()
	r, err := f.l.Verify(f.ctx)
	if err != nil {
		f.tb.Fatalf("verify: %v", err)
	}
	if !r.OK || r.Problem != nil || r.Chain != "intact" {
		f.tb.Fatalf("verify: OK %v chain %s problem %v", r.OK, r.Chain, r.Problem)
	}
	for cur, sum := range r.Sums {
		if sum != 0 {
			f.tb.Errorf("verify: %s sums to %d", cur, sum)
		}
	}
	return r
}

// sameTransfer fails the test unless got and want are the same transfer
// (times compared as instants, nil and empty metadata alike).
func sameTransfer(tb testing.TB, got, want ledger.Transfer) {
	tb.Helper()
	if got.ID != want.ID || got.Type != want.Type || got.Kind != want.Kind || got.HoldID != want.HoldID ||
		!got.ExpiresAt.Equal(want.ExpiresAt) || !slices.Equal(got.Postings, want.Postings) ||
		!maps.Equal(got.Metadata, want.Metadata) || got.Seq != want.Seq || !got.Time.Equal(want.Time) || got.Hash != want.Hash {
		tb.Errorf("transfer %q:\n got  %+v\n want %+v", want.ID, got, want)
	}
}

// leg is one posting of amount to account a.
func leg(a ledger.Account, amount int64) ledger.Posting {
	return ledger.Posting{Account: a.ID, Amount: amount}
}
