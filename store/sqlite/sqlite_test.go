package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/store/sqlite"
	"github.com/ewallet/ewallet/store/storetest"
)

// TestConformance runs the storage suite on both write paths: the journal
// (Open, the default) and SQLite commits (OpenShared).
func TestConformance(t *testing.T) {
	t.Run("journal", func(t *testing.T) {
		storetest.Run(t, func(tb testing.TB) storetest.Backend {
			return MustOpenDB(tb, filepath.Join(tb.TempDir(), "ledger.db"))
		})
	})
	t.Run("shared", func(t *testing.T) {
		storetest.Run(t, func(tb testing.TB) storetest.Backend {
			return mustOpen(tb, filepath.Join(tb.TempDir(), "ledger.db"), sqlite.OpenShared)
		})
	})
}

// MustOpenDB opens the database at path and closes it when the test ends.
func MustOpenDB(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	return mustOpen(tb, path, sqlite.Open)
}

func mustOpen(tb testing.TB, path string, open func(context.Context, string) (*sqlite.DB, error)) *sqlite.DB {
	tb.Helper()
	db, err := open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close %s: %v", path, err)
		}
	})
	return db
}

// rawQuery runs one query on its own connection to the file, outside the store.
func rawQuery(tb testing.TB, path, query string, dest ...any) {
	tb.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatal(err)
	}
	defer raw.Close()
	if err := raw.QueryRow(query).Scan(dest...); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")

	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	l := ledger.New(db, ledger.Options{})
	world, err := l.CreateAccount(ctx, ledger.AccountSpec{Name: "world", Currency: money.CNY, Flags: ledger.NoPositive})
	if err != nil {
		t.Fatal(err)
	}
	alice, err := l.CreateAccount(ctx, ledger.AccountSpec{Name: "alice", Currency: money.CNY, Flags: ledger.NoNegative})
	if err != nil {
		t.Fatal(err)
	}
	fund := ledger.Move("fund", "topup", world.ID, alice.ID, 1234)
	first, err := l.Transfer(ctx, fund)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	var migrations int
	var appliedAt int64
	rawQuery(t, path, `SELECT count(*), max(applied_at) FROM schema_migrations`, &migrations, &appliedAt)
	if migrations == 0 {
		t.Fatal("no migration recorded")
	}

	for i := range 3 {
		t.Run(fmt.Sprint("Open", i+2), func(t *testing.T) {
			db := MustOpenDB(t, path)
			l := ledger.New(db, ledger.Options{})
			defer l.Close()
			var n int
			var at int64
			rawQuery(t, path, `SELECT count(*), max(applied_at) FROM schema_migrations`, &n, &at)
			if n != migrations || at != appliedAt {
				t.Errorf("after reopening: %d migrations applied at %d, want %d at %d (applied once)", n, at, migrations, appliedAt)
			}
			a, err := l.AccountByName(ctx, "alice")
			if err != nil || a.ID != alice.ID || a.Posted != 1234+int64(i) {
				t.Fatalf("alice after reopening: %+v, %v; want ID %d posted %d", a, err, alice.ID, 1234+i)
			}
			res, err := l.Transfer(ctx, fund)
			if err != nil || !res.Replayed || res.Transfer.Seq != first.Transfer.Seq || res.Transfer.Hash != first.Transfer.Hash {
				t.Errorf("replay after reopening: %+v, %v; want the first commit", res, err)
			}
			// The journal goes on from the stored head.
			next, err := l.Transfer(ctx, ledger.Move(fmt.Sprint("more-", i), "topup", world.ID, alice.ID, 1))
			if err != nil || next.Transfer.Seq != int64(i+2) {
				t.Fatalf("transfer after reopening: seq %d, %v; want %d", next.Transfer.Seq, err, i+2)
			}
			r, err := l.Verify(ctx)
			if err != nil || !r.OK || r.TransfersChecked != int64(i+2) {
				t.Fatalf("verify after reopening: %+v, %v", r, err)
			}
		})
	}
}

func TestWALMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	MustOpenDB(t, path)
	var mode string
	rawQuery(t, path, `PRAGMA journal_mode`, &mode)
	if mode != "wal" {
		t.Errorf("journal mode %q, want wal", mode)
	}
}

// TestTwoProcesses opens the same file twice with OpenShared, as two
// server processes would, and runs a ledger on each: BEGIN IMMEDIATE must
// serialise their batches so that the journal stays one sound chain.
func TestTwoProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	dbs := []*sqlite.DB{mustOpen(t, path, sqlite.OpenShared), mustOpen(t, path, sqlite.OpenShared)}
	ledgers := make([]*ledger.Ledger, len(dbs))
	for i, db := range dbs {
		ledgers[i] = ledger.New(db, ledger.Options{})
		defer ledgers[i].Close()
	}
	world, err := ledgers[0].CreateAccount(ctx, ledger.AccountSpec{Name: "world", Currency: money.CNY, Flags: ledger.NoPositive})
	if err != nil {
		t.Fatal(err)
	}
	alice, err := ledgers[1].CreateAccount(ctx, ledger.AccountSpec{Name: "alice", Currency: money.CNY, Flags: ledger.NoNegative})
	if err != nil {
		t.Fatal(err)
	}
	const perLedger, callers = 200, 8
	var wg sync.WaitGroup
	seqs := make(chan int64, len(ledgers)*perLedger)
	for i, l := range ledgers {
		for c := range callers {
			wg.Go(func() {
				for k := c; k < perLedger; k += callers {
					res, err := l.Transfer(ctx, ledger.Move(fmt.Sprintf("l%d-%d", i, k), "topup", world.ID, alice.ID, 1))
					if err != nil {
						t.Errorf("ledger %d transfer %d: %v", i, k, err)
						return
					}
					seqs <- res.Transfer.Seq
				}
			})
		}
	}
	wg.Wait()
	close(seqs)
	seen := map[int64]bool{}
	for s := range seqs {
		if seen[s] || s < 1 || s > 2*perLedger {
			t.Fatalf("seq %d handed out twice or out of range", s)
		}
		seen[s] = true
	}
	a, err := ledgers[0].Account(ctx, alice.ID)
	if err != nil || a.Posted != 2*perLedger {
		t.Fatalf("alice: %+v, %v; want posted %d", a, err, 2*perLedger)
	}
	r, err := ledgers[1].Verify(ctx)
	if err != nil || !r.OK || r.TransfersChecked != 2*perLedger {
		t.Fatalf("verify: %+v, %v", r, err)
	}
}
