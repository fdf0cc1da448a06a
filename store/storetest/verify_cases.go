package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

// verifyFixture commits:
//
//	seq 1  world → alice 1000
//	seq 2  world → bob 500
//	seq 3  alice → bob 100
//	seq 4  hold "hp" alice → carol 50 (stays pending)
//	seq 5  hold "hv" bob → carol 30
//	seq 6  void of "hv"
//	seq 7  bob → carol 20
//	seq 8  worldUSD → dave 100
type verifyFixture struct {
	*fixture
	w, alice, bob, carol, wUSD, dave ledger.Account
}

func newVerifyFixture(t *testing.T, open opener) *verifyFixture {
	t.Helper()
	f := newFixture(t, open)
	v := &verifyFixture{fixture: f, w: f.world(money.CNY), alice: f.wallet("alice", money.CNY), bob: f.wallet("bob", money.CNY),
		carol: f.wallet("carol", money.CNY), wUSD: f.world(money.USD), dave: f.wallet("dave", money.USD)}
	for _, tr := range []ledger.Transfer{
		ledger.Move("1", "topup", v.w.ID, v.alice.ID, 1000),
		ledger.Move("2", "topup", v.w.ID, v.bob.ID, 500),
		ledger.Move("3", "p2p", v.alice.ID, v.bob.ID, 100),
		{ID: "hp", Type: ledger.Hold, Postings: []ledger.Posting{leg(v.alice, -50), leg(v.carol, 50)}},
		{ID: "hv", Type: ledger.Hold, Postings: []ledger.Posting{leg(v.bob, -30), leg(v.carol, 30)}},
		void("6", "hv"),
		ledger.Move("7", "p2p", v.bob.ID, v.carol.ID, 20),
		ledger.Move("8", "topup", v.wUSD.ID, v.dave.ID, 100),
	} {
		f.clock.Advance(time.Second)
		f.transfer(tr)
	}
	return v
}

func testVerify(t *testing.T, open opener) {
	t.Run("EmptyLedger", func(t *testing.T) {
		f := newFixture(t, open)
		r := f.verify()
		if r.TransfersChecked != 0 || r.AccountsChecked != 0 || len(r.Sums) != 0 {
			t.Errorf("report %+v, want nothing checked", r)
		}
	})

	t.Run("Healthy", func(t *testing.T) {
		v := newVerifyFixture(t, open)
		r := v.verify()
		if r.TransfersChecked != 8 || r.AccountsChecked != 6 || len(r.Sums) != 2 || r.Sums[money.CNY] != 0 || r.Sums[money.USD] != 0 {
			t.Errorf("report %+v, want 8 transfers, 6 accounts, CNY and USD summing to zero", r)
		}
		v.balance(v.alice.ID, 900, 50)
		v.balance(v.bob.ID, 580, 0)
		v.balance(v.carol.ID, 20, 0)
		v.balance(v.dave.ID, 100, 0)
	})

	t.Run("Tampered", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			sql  func(v *verifyFixture) []string
			want func(v *verifyFixture) ledger.Violation // Message is not compared
			// chain is the report's Chain: whether the journal's hashes still recompute
			chain string
			// optional names what a backend may derive instead of storing;
			// where the tamper statement fails, the case does not apply
			optional string
		}{
			{
				name: "EntryAmount",
				sql: func(v *verifyFixture) []string {
					return []string{fmt.Sprintf(`UPDATE entries SET amount = amount + 1 WHERE account_id = %d AND seq = 3`, v.bob.ID)}
				},
				want: func(v *verifyFixture) ledger.Violation {
					return violation("entries", "entries", "account %d seq 3", v.bob.ID)
				},
				chain: "intact",
			},
			{
				// A change that keeps the running balance consistent is
				// still found, and located, against the journal.
				name: "EntryAmountAndBalance",
				sql: func(v *verifyFixture) []string {
					return []string{fmt.Sprintf(`UPDATE entries SET amount = amount + 5, balance = balance + 5 WHERE account_id = %d AND seq = 7`, v.bob.ID)}
				},
				want: func(v *verifyFixture) ledger.Violation {
					return violation("entries", "entries", "account %d seq 7", v.bob.ID)
				},
				chain: "intact",
			},
			{
				name: "EntryHeld",
				sql: func(v *verifyFixture) []string {
					return []string{fmt.Sprintf(`UPDATE entries SET held_delta = 40, held_after = 40 WHERE account_id = %d AND seq = 5`, v.bob.ID)}
				},
				want: func(v *verifyFixture) ledger.Violation {
					return violation("entries", "entries", "account %d seq 5", v.bob.ID)
				},
				chain: "intact",
			},
			{
				// Still balanced and within alice's funds: only the hash tells.
				name: "TransferPostings",
				sql: func(v *verifyFixture) []string {
					return []string{fmt.Sprintf(`UPDATE transfers SET postings = '%d:-101,%d:101' WHERE seq = 3`, v.alice.ID, v.bob.ID)}
				},
				want:  func(v *verifyFixture) ledger.Violation { return violation("chain", "transfers", "seq 3") },
				chain: "broken",
			},
			{
				// The rules would refuse it too, but it is named as altered.
				name: "TransferPostingsUnbalanced",
				sql: func(v *verifyFixture) []string {
					return []string{fmt.Sprintf(`UPDATE transfers SET postings = '%d:-100,%d:99' WHERE seq = 3`, v.alice.ID, v.bob.ID)}
				},
				want:  func(v *verifyFixture) ledger.Violation { return violation("chain", "transfers", "seq 3") },
				chain: "broken",
			},
			{
				name: "TransferPostingsOverdraw",
				sql: func(v *verifyFixture) []string {
					return []string{fmt.Sprintf(`UPDATE transfers SET postings = '%d:-5000,%d:5000' WHERE seq = 3`, v.alice.ID, v.bob.ID)}
				},
				want:  func(v *verifyFixture) ledger.Violation { return violation("chain", "transfers", "seq 3") },
				chain: "broken",
			},
			{
				name: "TransferMetadata",
				sql: func(v *verifyFixture) []string {
					return []string{`UPDATE transfers SET metadata = '{"note":"x"}' WHERE seq = 7`}
				},
				want:  func(v *verifyFixture) ledger.Violation { return violation("chain", "transfers", "seq 7") },
				chain: "broken",
			},
			{
				name:  "TransferKind",
				sql:   func(v *verifyFixture) []string { return []string{`UPDATE transfers SET kind = 'refund' WHERE seq = 3`} },
				want:  func(v *verifyFixture) ledger.Violation { return violation("chain", "transfers", "seq 3") },
				chain: "broken",
			},
			{
				// The request fingerprint decides replays, so it is chained.
				name: "TransferRequestFingerprint",
				sql: func(v *verifyFixture) []string {
					return []string{`UPDATE transfers SET fp = (SELECT fp FROM transfers WHERE seq = 1) WHERE seq = 3`}
				},
				want:  func(v *verifyFixture) ledger.Violation { return violation("chain", "transfers", "seq 3") },
				chain: "broken",
			},
			{
				name: "TransferHash",
				sql: func(v *verifyFixture) []string {
					return []string{`UPDATE transfers SET hash = (SELECT hash FROM transfers WHERE seq = 1) WHERE seq = 5`}
				},
				want:  func(v *verifyFixture) ledger.Violation { return violation("chain", "transfers", "seq 5") },
				chain: "broken",
			},
			{
				// An account's balance is its newest entry's; altering the
				// change and the balance together keeps the entries
				// consistent with each other but not with the journal.
				name: "AccountBalance",
				sql: func(v *verifyFixture) []string {
					return []string{fmt.Sprintf(`UPDATE entries SET amount = amount + 1, balance = balance + 1 WHERE account_id = %d AND seq = 7`, v.bob.ID)}
				},
				want: func(v *verifyFixture) ledger.Violation {
					return violation("entries", "entries", "account %d seq 7", v.bob.ID)
				},
				chain: "intact",
			},
			{
				name: "AccountHeld",
				sql: func(v *verifyFixture) []string {
					return []string{fmt.Sprintf(`UPDATE entries SET held_delta = 0, held_after = 0 WHERE account_id = %d AND seq = 4`, v.alice.ID)}
				},
				want: func(v *verifyFixture) ledger.Violation {
					return violation("entries", "entries", "account %d seq 4", v.alice.ID)
				},
				chain: "intact",
			},
			{
				// Where accounts keep their balances in columns of their own.
				name: "AccountPostedColumn",
				sql: func(v *verifyFixture) []string {
					return []string{fmt.Sprintf(`UPDATE accounts SET posted = posted + 1 WHERE id = %d`, v.bob.ID)}
				},
				want: func(v *verifyFixture) ledger.Violation {
					return violation("account_balance", "accounts", "account %d", v.bob.ID)
				},
				chain:    "intact",
				optional: "balance columns in accounts",
			},
			{
				name: "AccountHeldColumn",
				sql: func(v *verifyFixture) []string {
					return []string{fmt.Sprintf(`UPDATE accounts SET held = 0 WHERE id = %d`, v.alice.ID)}
				},
				want: func(v *verifyFixture) ledger.Violation {
					return violation("account_balance", "accounts", "account %d", v.alice.ID)
				},
				chain:    "intact",
				optional: "balance columns in accounts",
			},
			{
				// The currency of every posting is in the hash.
				name: "AccountCurrency",
				sql: func(v *verifyFixture) []string {
					return []string{fmt.Sprintf(`UPDATE accounts SET currency = 'HKD' WHERE id = %d`, v.dave.ID)}
				},
				want:  func(v *verifyFixture) ledger.Violation { return violation("chain", "transfers", "seq 8") },
				chain: "broken",
			},
			{
				// The row and its entries go, as a careful forger would do.
				name: "TransferDeleted",
				sql: func(v *verifyFixture) []string {
					return []string{`DELETE FROM entries WHERE seq = 3`, `DELETE FROM transfers WHERE seq = 3`}
				},
				want:  func(v *verifyFixture) ledger.Violation { return violation("sequence", "transfers", "seq 4") },
				chain: "broken",
			},
			{
				name: "HoldStatus",
				sql: func(v *verifyFixture) []string {
					return []string{`UPDATE holds SET status = (SELECT status FROM holds WHERE id = 'hv') WHERE id = 'hp'`}
				},
				want:  func(v *verifyFixture) ledger.Violation { return violation("holds", "holds", "hp") },
				chain: "intact",
			},
			{
				name:  "HoldDeleted",
				sql:   func(v *verifyFixture) []string { return []string{`DELETE FROM holds WHERE id = 'hv'`} },
				want:  func(v *verifyFixture) ledger.Violation { return violation("holds", "holds", "hv") },
				chain: "intact",
			},
			{
				name:  "Head",
				sql:   func(v *verifyFixture) []string { return []string{`UPDATE ledger_head SET seq = 7`} },
				want:  func(v *verifyFixture) ledger.Violation { return violation("head", "ledger_head", "1") },
				chain: "intact",
			},
		} {
			t.Run(tc.name, func(t *testing.T) {
				v := newVerifyFixture(t, open)
				v.verify()
				for _, q := range tc.sql(v) {
					if err := v.store.Exec(v.ctx, q); err != nil {
						if tc.optional != "" {
							t.Skipf("the store keeps no %s (tamper %q: %v)", tc.optional, q, err)
						}
						t.Fatalf("tamper %q: %v", q, err)
					}
				}
				r, err := v.l.Verify(v.ctx)
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				if r.OK || r.Problem == nil {
					t.Fatalf("verify after tampering: OK %v problem %v, want a violation", r.OK, r.Problem)
				}
				want := tc.want(v)
				if got := *r.Problem; got.Invariant != want.Invariant || got.Table != want.Table || got.Row != want.Row {
					t.Errorf("violation %s\nwant %s violated at %s %s", &got, want.Invariant, want.Table, want.Row)
				}
				if r.Problem.Message == "" {
					t.Error("violation without a message")
				}
				if r.Chain != tc.chain {
					t.Errorf("chain %q, want %q", r.Chain, tc.chain)
				}
			})
		}
	})
}

func violation(invariant, table, row string, args ...any) ledger.Violation {
	return ledger.Violation{Invariant: invariant, Table: table, Row: fmt.Sprintf(row, args...)}
}
