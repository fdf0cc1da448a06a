package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/store/postgres"
	"github.com/ewallet/ewallet/store/postgres/pgtest"
)

// MustOpenDB opens a store on url and closes it when the test ends.
func MustOpenDB(tb testing.TB, url string) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// MustNewLedger starts a ledger on db and stops it when the test ends
// (before db closes: cleanups run last-registered first).
func MustNewLedger(tb testing.TB, db *postgres.DB, opts ledger.Options) *ledger.Ledger {
	tb.Helper()
	l := ledger.New(db, opts)
	tb.Cleanup(func() { l.Close() })
	return l
}

// MustCreateAccounts creates accounts through l.
func MustCreateAccounts(tb testing.TB, l *ledger.Ledger, specs ...ledger.AccountSpec) []ledger.Account {
	tb.Helper()
	as, err := l.CreateAccounts(context.Background(), specs)
	if err != nil {
		tb.Fatal(err)
	}
	return as
}

// MustVerify fails the test unless the ledger verifies.
func MustVerify(tb testing.TB, l *ledger.Ledger) ledger.Report {
	tb.Helper()
	r, err := l.Verify(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	if !r.OK {
		tb.Fatalf("verify: %v", r.Problem)
	}
	return r
}

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	db := MustOpenDB(t, url)
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.FixedZone("X", 3600))
	l := MustNewLedger(t, db, ledger.Options{Now: func() time.Time { return now }})
	accts := MustCreateAccounts(t, l,
		ledger.AccountSpec{Name: "bank", Currency: money.CNY, Flags: ledger.NoPositive},
		ledger.AccountSpec{Name: "alice", Currency: money.CNY, Flags: ledger.NoNegative},
		ledger.AccountSpec{Name: "shop", Currency: money.CNY, Flags: ledger.NoNegative})
	bank, alice, shop := accts[0], accts[1], accts[2]

	t.Run("AccountsIdempotent", func(t *testing.T) {
		again := MustCreateAccounts(t, l, ledger.AccountSpec{Name: "alice", Currency: money.CNY, Flags: ledger.NoNegative})
		if again[0].ID != alice.ID {
			t.Fatalf("alice again: id %d, want %d", again[0].ID, alice.ID)
		}
		_, err := l.CreateAccount(ctx, ledger.AccountSpec{Name: "alice", Currency: money.USD, Flags: ledger.NoNegative})
		if ledger.ErrorCode(err) != ledger.CodeAccountExists {
			t.Fatalf("alice in USD: %v, want %s", err, ledger.CodeAccountExists)
		}
		if _, err := l.Account(ctx, 999999); ledger.ErrorCode(err) != ledger.CodeNotFound {
			t.Fatalf("missing account: %v", err)
		}
	})

	top, err := l.Transfer(ctx, ledger.Move("top-1", "topup", bank.ID, alice.ID, 10_000))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Transfer(ctx, ledger.Move("big", "p2p", alice.ID, shop.ID, 1_000_000)); ledger.ErrorCode(err) != ledger.CodeInsufficientFunds {
		t.Fatalf("overdraft: %v, want %s", err, ledger.CodeInsufficientFunds)
	}
	// The refusal is remembered under its ID, even after the funds arrive.
	if _, err := l.Transfer(ctx, ledger.Move("big", "p2p", alice.ID, shop.ID, 1_000_000)); ledger.ErrorCode(err) != ledger.CodeInsufficientFunds {
		t.Fatalf("overdraft replay: %v", err)
	}
	expires := now.Add(time.Hour).Truncate(ledger.TimePrecision)
	hold := ledger.Transfer{ID: "hold-1", Type: ledger.Hold, Kind: "payment", ExpiresAt: expires,
		Postings: []ledger.Posting{{Account: alice.ID, Amount: -3000}, {Account: shop.ID, Amount: 3000}}, Metadata: map[string]string{"order": "42"}}
	if _, err := l.Transfer(ctx, hold); err != nil {
		t.Fatal(err)
	}
	if a, _ := l.Account(ctx, alice.ID); a.Posted != 10_000 || a.Held != 3000 {
		t.Fatalf("alice during hold: %+v", a)
	}
	post, err := l.Transfer(ctx, ledger.Transfer{ID: "post-1", Type: ledger.Post, Kind: "capture", HoldID: "hold-1",
		Postings: []ledger.Posting{{Account: alice.ID, Amount: -2500}, {Account: shop.ID, Amount: 2500}}})
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := l.Account(ctx, alice.ID); a.Posted != 7500 || a.Held != 0 {
		t.Fatalf("alice after post: %+v", a)
	}
	if _, err := l.Transfer(ctx, ledger.Transfer{ID: "void-1", Type: ledger.Void, HoldID: "hold-1"}); ledger.ErrorCode(err) != ledger.CodeHoldNotPending {
		t.Fatalf("void after post: %v", err)
	}

	t.Run("ReadBack", func(t *testing.T) {
		got, err := l.GetTransfer(ctx, "hold-1")
		if err != nil {
			t.Fatal(err)
		}
		if got.ExpiresAt != expires.UTC() || got.Time.Location() != time.UTC || got.Metadata["order"] != "42" {
			t.Errorf("hold read back: expires %v (want %v), time %v", got.ExpiresAt, expires.UTC(), got.Time)
		}
		got, err = l.GetTransfer(ctx, "top-1")
		if err != nil {
			t.Fatal(err)
		}
		if !got.ExpiresAt.IsZero() || got.Time != top.Transfer.Time || got.Hash != top.Transfer.Hash || got.Time.Location() != time.UTC {
			t.Errorf("top-1 read back %+v, committed %+v", got, top.Transfer)
		}
		if _, err := l.GetTransfer(ctx, "nope"); ledger.ErrorCode(err) != ledger.CodeNotFound {
			t.Errorf("missing transfer: %v", err)
		}
		h, err := l.History(ctx, alice.ID, 0, 10)
		if err != nil || len(h) != 3 || h[0].Seq != post.Transfer.Seq || h[0].Balance != 7500 {
			t.Errorf("history %+v, %v", h, err)
		}
		posted, held, err := l.BalanceAt(ctx, alice.ID, now)
		if err != nil || posted != 7500 || held != 0 {
			t.Errorf("balance at now: %d %d %v", posted, held, err)
		}
		if seq, err := db.SeqAt(ctx, now.Add(-time.Second)); err != nil || seq != 0 {
			t.Errorf("seq before the journal: %d %v", seq, err)
		}
	})

	t.Run("ExpireHolds", func(t *testing.T) {
		if _, err := l.Transfer(ctx, ledger.Transfer{ID: "hold-2", Type: ledger.Hold, ExpiresAt: expires,
			Postings: []ledger.Posting{{Account: alice.ID, Amount: -100}, {Account: shop.ID, Amount: 100}}}); err != nil {
			t.Fatal(err)
		}
		if ids, err := db.ExpiredHolds(ctx, expires.Add(-time.Microsecond), 10); err != nil || len(ids) != 0 {
			t.Fatalf("expired before the deadline: %v %v", ids, err)
		}
		ids, err := db.ExpiredHolds(ctx, expires, 10)
		if err != nil || len(ids) != 1 || ids[0] != "hold-2" {
			t.Fatalf("expired at the deadline: %v %v", ids, err)
		}
	})

	MustVerify(t, l)

	t.Run("Reopen", func(t *testing.T) {
		db2 := MustOpenDB(t, url) // migrations already applied: nothing to do
		if a, err := db2.AccountByName(ctx, "alice"); err != nil || a.ID != alice.ID {
			t.Fatalf("alice through a second store: %+v %v", a, err)
		}
	})

	t.Run("TamperDetected", func(t *testing.T) {
		if err := db.Exec(ctx, `UPDATE transfers SET kind = 'x' WHERE id = $1`, "top-1"); err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second scan runs on the pool after the first stopped early
			r, err := l.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK || r.Chain != "broken" {
				t.Fatalf("tampered journal verifies: %+v", r)
			}
		}
	})
}

// TestRetryable checks that serialisation failures and deadlocks reach the
// ledger's writer as retryable, and that it reruns the batch: a trigger on
// the head makes the first two batches fail with 40001.
func TestRetryable(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t, pgtest.URL(t))
	for _, code := range []string{"40001", "40P01"} {
		err := db.Exec(ctx, `DO $$ BEGIN RAISE EXCEPTION 'boom' USING ERRCODE = '`+code+`'; END $$`)
		var r ledger.Retryable
		if !errors.As(err, &r) || !r.Retryable() {
			t.Errorf("SQLSTATE %s: %v is not retryable", code, err)
		}
	}
	if err := db.Exec(ctx, `SELECT 1/0`); err == nil || errors.As(err, new(ledger.Retryable)) {
		t.Errorf("division by zero: %v, want a plain error", err)
	}
	for _, stmt := range []string{
		`CREATE SEQUENCE failures`,
		`CREATE FUNCTION fail_twice() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF nextval('failures') <= 2 THEN -- a sequence: its count survives the rollback
				RAISE EXCEPTION 'injected conflict' USING ERRCODE = '40001';
			END IF;
			RETURN NEW;
		END $$`,
		`CREATE TRIGGER fail_twice BEFORE UPDATE ON ledger_head FOR EACH ROW EXECUTE FUNCTION fail_twice()`,
	} {
		if err := db.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	l := MustNewLedger(t, db, ledger.Options{})
	as := MustCreateAccounts(t, l, ledger.AccountSpec{Name: "a", Currency: money.EUR}, ledger.AccountSpec{Name: "b", Currency: money.EUR})
	if _, err := l.Transfer(ctx, ledger.Move("t1", "p2p", as[0].ID, as[1].ID, 5)); err != nil {
		t.Fatalf("transfer after two injected conflicts: %v", err)
	}
	if r := MustVerify(t, l); r.TransfersChecked != 1 {
		t.Fatalf("%d transfers, want 1", r.TransfersChecked)
	}
}

// TestConcurrentOpen opens one fresh schema from several stores at once, as
// processes starting together would: the migrations apply exactly once.
func TestConcurrentOpen(t *testing.T) {
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			db, err := postgres.Open(context.Background(), url)
			if err == nil {
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestTwoProcesses runs two ledgers, each on its own store (its own pool, as
// two processes would have), against one schema: 16 callers each move money
// at random among 20 wallets. The head lock must serialise their batches.
func TestTwoProcesses(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	ledgers := []*ledger.Ledger{
		MustNewLedger(t, MustOpenDB(t, url), ledger.Options{}),
		MustNewLedger(t, MustOpenDB(t, url), ledger.Options{}),
	}
	const wallets, funds = 20, 1000
	specs := []ledger.AccountSpec{{Name: "bank", Currency: money.CNY, Flags: ledger.NoPositive}}
	for i := range wallets {
		specs = append(specs, ledger.AccountSpec{Name: fmt.Sprint("w", i), Currency: money.CNY, Flags: ledger.NoNegative})
	}
	accts := MustCreateAccounts(t, ledgers[0], specs...)
	bank, ws := accts[0], accts[1:]
	// The other process creating the same accounts gets the same ones.
	if again := MustCreateAccounts(t, ledgers[1], specs...); again[5].ID != accts[5].ID {
		t.Fatalf("second process: account %d, want %d", again[5].ID, accts[5].ID)
	}
	for i, w := range ws {
		if _, err := ledgers[i%2].Transfer(ctx, ledger.Move(fmt.Sprint("fund-", i), "topup", bank.ID, w.ID, funds)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	committed, refused := 0, 0
	for p, l := range ledgers {
		for g := range 16 {
			wg.Go(func() {
				for i := range 40 {
					from, to := ws[rand.IntN(wallets)], ws[rand.IntN(wallets)]
					if from.ID == to.ID {
						continue
					}
					_, err := l.Transfer(ctx, ledger.Move(fmt.Sprintf("p%d-g%d-%d", p, g, i), "p2p", from.ID, to.ID, 1+rand.Int64N(300)))
					mu.Lock()
					switch ledger.ErrorCode(err) {
					case "":
						committed++
					case ledger.CodeInsufficientFunds:
						refused++
					default:
						t.Errorf("transfer: %v", err)
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	t.Logf("%d committed, %d refused for lack of funds", committed, refused)
	r := MustVerify(t, ledgers[1])
	if r.TransfersChecked != int64(wallets+committed) {
		t.Errorf("journal holds %d transfers, want %d", r.TransfersChecked, wallets+committed)
	}
	var sum int64
	for _, w := range ws {
		a, err := ledgers[0].Account(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Posted < 0 {
			t.Errorf("wallet %s below zero: %d", a.Name, a.Posted)
		}
		sum += a.Posted
	}
	if sum != wallets*funds {
		t.Errorf("wallets hold %d, want %d", sum, wallets*funds)
	}
	if b, _ := ledgers[1].Account(ctx, bank.ID); b.Posted != -wallets*funds {
		t.Errorf("bank at %d, want %d", b.Posted, -wallets*funds)
	}
}

func TestOpenURL(t *testing.T) {
	url := pgtest.URL(t)
	db := MustOpenDB(t, url+"&pool_max_conns=1")
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The writer's connections end a transaction left idle, and plan every
	// statement for the tables as they are now (see Open).
	err := db.Exec(context.Background(), `DO $$ BEGIN
		IF current_setting('idle_in_transaction_session_timeout') <> '30s' THEN RAISE EXCEPTION 'timeout is %', current_setting('idle_in_transaction_session_timeout'); END IF;
		IF current_setting('plan_cache_mode') <> 'force_custom_plan' THEN RAISE EXCEPTION 'plan_cache_mode is %', current_setting('plan_cache_mode'); END IF;
	END $$`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Open(context.Background(), url+"&pool_max_conns=many"); err == nil {
		t.Fatal("pool_max_conns=many accepted")
	}
}
