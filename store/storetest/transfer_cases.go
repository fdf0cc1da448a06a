package storetest

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

func testTransfers(t *testing.T, open opener) {
	t.Run("Move", func(t *testing.T) {
		f := newFixture(t, open)
		w, alice, bob := f.world(money.CNY), f.wallet("alice", money.CNY), f.wallet("bob", money.CNY)
		fund := f.move("fund", w.ID, alice.ID, 1000)
		if fund.Seq != 1 {
			t.Errorf("first transfer: seq %d, want 1", fund.Seq)
		}
		tr := f.move("pay", alice.ID, bob.ID, 300)
		if tr.Seq != 2 || tr.Hash == ([32]byte{}) || tr.Hash == fund.Hash || !tr.Time.Equal(epoch) {
			t.Errorf("second transfer: seq %d hash %x time %s, want seq 2, a new hash, time %s", tr.Seq, tr.Hash, tr.Time, epoch)
		}
		f.balance(w.ID, -1000, 0)
		f.balance(alice.ID, 700, 0)
		f.balance(bob.ID, 300, 0)
		f.lastSeq(w.ID, 1)
		f.lastSeq(alice.ID, 2)
		f.lastSeq(bob.ID, 2)
	})

	t.Run("SpendToZero", func(t *testing.T) {
		f := newFixture(t, open)
		w, alice, bob := f.world(money.CNY), f.wallet("alice", money.CNY), f.wallet("bob", money.CNY)
		f.move("fund", w.ID, alice.ID, 1000)
		f.move("all", alice.ID, bob.ID, 1000)
		f.balance(alice.ID, 0, 0)
		f.balance(bob.ID, 1000, 0)
	})

	t.Run("MultiPosting", func(t *testing.T) {
		f := newFixture(t, open)
		w, alice := f.world(money.CNY), f.wallet("alice", money.CNY)
		shop, fees, tax := f.wallet("shop", money.CNY), f.account("sys:fees:CNY", money.CNY, 0), f.account("sys:tax:CNY", money.CNY, 0)
		f.move("fund", w.ID, alice.ID, 1000)
		tr := f.transfer(ledger.Transfer{ID: "pay", Type: ledger.Posted, Kind: "payment",
			Postings: []ledger.Posting{leg(alice, -500), leg(shop, 470), leg(fees, 20), leg(tax, 10)}})
		if tr.Seq != 2 {
			t.Errorf("seq %d, want 2", tr.Seq)
		}
		f.balance(alice.ID, 500, 0)
		f.balance(shop.ID, 470, 0)
		f.balance(fees.ID, 20, 0)
		f.balance(tax.ID, 10, 0)
		f.balance(w.ID, -1000, 0)
	})

	t.Run("MultiCurrency", func(t *testing.T) {
		f := newFixture(t, open)
		wCNY := f.world(money.CNY)
		aliceCNY, aliceUSD := f.wallet("alice:CNY", money.CNY), f.wallet("alice:USD", money.USD)
		fxCNY, fxUSD := f.account("sys:fx:CNY", money.CNY, 0), f.account("sys:fx:USD", money.USD, 0)
		f.move("fund", wCNY.ID, aliceCNY.ID, 1000)
		f.transfer(ledger.Transfer{ID: "fx", Type: ledger.Posted, Kind: "fx",
			Postings: []ledger.Posting{leg(aliceCNY, -720), leg(fxCNY, 720), leg(fxUSD, -100), leg(aliceUSD, 100)}})
		f.balance(aliceCNY.ID, 280, 0)
		f.balance(fxCNY.ID, 720, 0)
		f.balance(fxUSD.ID, -100, 0)
		f.balance(aliceUSD.ID, 100, 0)
		r := f.verify()
		if len(r.Sums) != 2 || r.Sums[money.CNY] != 0 || r.Sums[money.USD] != 0 {
			t.Errorf("sums %v, want CNY and USD at zero", r.Sums)
		}
	})

	t.Run("Unbalanced", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			postings func(a, b, usd ledger.Account) []ledger.Posting
		}{
			{"OneCurrency", func(a, b, _ ledger.Account) []ledger.Posting { return []ledger.Posting{leg(a, -100), leg(b, 99)} }},
			{"AllCredits", func(a, b, _ ledger.Account) []ledger.Posting { return []ledger.Posting{leg(a, 100), leg(b, 100)} }},
			// Zero in sum, but not per currency.
			{"AcrossCurrencies", func(a, _, usd ledger.Account) []ledger.Posting {
				return []ledger.Posting{leg(a, -100), leg(usd, 100)}
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := newFixture(t, open)
				w, alice, bob := f.world(money.CNY), f.wallet("alice", money.CNY), f.wallet("bob", money.CNY)
				usd := f.wallet("alice:USD", money.USD)
				f.move("fund", w.ID, alice.ID, 1000)
				f.refuse(ledger.Transfer{ID: "bad", Type: ledger.Posted, Postings: tc.postings(alice, bob, usd)}, ledger.CodeUnbalanced)
				f.balance(alice.ID, 1000, 0)
				f.balance(bob.ID, 0, 0)
				f.balance(usd.ID, 0, 0)
				if tr := f.move("next", alice.ID, bob.ID, 1); tr.Seq != 2 {
					t.Errorf("next transfer: seq %d, want 2 (a refusal takes no seq)", tr.Seq)
				}
			})
		}
	})

	t.Run("UnknownAccount", func(t *testing.T) {
		f := newFixture(t, open)
		w, alice := f.world(money.CNY), f.wallet("alice", money.CNY)
		f.move("fund", w.ID, alice.ID, 1000)
		f.refuse(ledger.Move("ghost", "test", alice.ID, alice.ID+1000, 10), ledger.CodeAccountNotFound)
		f.refuse(ledger.Move("ghost-debit", "test", alice.ID+1000, alice.ID, 10), ledger.CodeAccountNotFound)
		f.balance(alice.ID, 1000, 0)
		f.lastSeq(alice.ID, 1)
	})

	t.Run("Invalid", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			make func(a, b ledger.Account) ledger.Transfer
		}{
			{"ZeroAmount", func(a, b ledger.Account) ledger.Transfer { return ledger.Move("x", "t", a.ID, b.ID, 0) }},
			{"ZeroLeg", func(a, b ledger.Account) ledger.Transfer {
				return ledger.Transfer{ID: "x", Type: ledger.Posted, Postings: []ledger.Posting{leg(a, -5), leg(b, 5), {Account: b.ID + 1, Amount: 0}}}
			}},
			{"DuplicateAccount", func(a, b ledger.Account) ledger.Transfer {
				return ledger.Transfer{ID: "x", Type: ledger.Posted, Postings: []ledger.Posting{leg(a, -10), leg(b, 5), leg(a, 5)}}
			}},
			{"SinglePosting", func(a, _ ledger.Account) ledger.Transfer {
				return ledger.Transfer{ID: "x", Type: ledger.Posted, Postings: []ledger.Posting{leg(a, 5)}}
			}},
			{"NoPostings", func(_, _ ledger.Account) ledger.Transfer { return ledger.Transfer{ID: "x", Type: ledger.Posted} }},
			{"TypeZero", func(a, b ledger.Account) ledger.Transfer {
				tr := ledger.Move("x", "t", a.ID, b.ID, 5)
				tr.Type = 0
				return tr
			}},
			{"TypeUnknown", func(a, b ledger.Account) ledger.Transfer {
				tr := ledger.Move("x", "t", a.ID, b.ID, 5)
				tr.Type = 42
				return tr
			}},
			{"EmptyID", func(a, b ledger.Account) ledger.Transfer { return ledger.Move("", "t", a.ID, b.ID, 5) }},
			{"LongID", func(a, b ledger.Account) ledger.Transfer {
				return ledger.Move(strings.Repeat("i", ledger.MaxIDLen+1), "t", a.ID, b.ID, 5)
			}},
			{"LongKind", func(a, b ledger.Account) ledger.Transfer {
				return ledger.Move("x", strings.Repeat("k", 65), a.ID, b.ID, 5)
			}},
			{"TooManyPostings", func(a, b ledger.Account) ledger.Transfer {
				tr := ledger.Transfer{ID: "x", Type: ledger.Posted}
				for i := range ledger.MaxPostings + 1 {
					tr.Postings = append(tr.Postings, ledger.Posting{Account: a.ID + ledger.AccountID(i), Amount: 1})
				}
				return tr
			}},
			{"PostedNamesHold", func(a, b ledger.Account) ledger.Transfer {
				tr := ledger.Move("x", "t", a.ID, b.ID, 5)
				tr.HoldID = "h"
				return tr
			}},
			{"PostedExpires", func(a, b ledger.Account) ledger.Transfer {
				tr := ledger.Move("x", "t", a.ID, b.ID, 5)
				tr.ExpiresAt = epoch.Add(time.Hour)
				return tr
			}},
			{"PostWithoutHold", func(a, b ledger.Account) ledger.Transfer { return ledger.Transfer{ID: "x", Type: ledger.Post} }},
			{"PostOnePosting", func(a, _ ledger.Account) ledger.Transfer {
				return ledger.Transfer{ID: "x", Type: ledger.Post, HoldID: "h", Postings: []ledger.Posting{leg(a, -5)}}
			}},
			{"VoidWithPostings", func(a, b ledger.Account) ledger.Transfer {
				return ledger.Transfer{ID: "x", Type: ledger.Void, HoldID: "h", Postings: []ledger.Posting{leg(a, -5), leg(b, 5)}}
			}},
			{"VoidWithoutHold", func(_, _ ledger.Account) ledger.Transfer { return ledger.Transfer{ID: "x", Type: ledger.Void} }},
			{"PostExpires", func(_, _ ledger.Account) ledger.Transfer {
				return ledger.Transfer{ID: "x", Type: ledger.Post, HoldID: "h", ExpiresAt: epoch.Add(time.Hour)}
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := newFixture(t, open)
				w, alice, bob := f.world(money.CNY), f.wallet("alice", money.CNY), f.wallet("bob", money.CNY)
				f.move("fund", w.ID, alice.ID, 1000)
				f.refuse(tc.make(alice, bob), ledger.CodeInvalid)
				f.balance(alice.ID, 1000, 0)
				f.balance(bob.ID, 0, 0)
				// Validation errors are not remembered: the ID is still free.
				if tr := f.move("x", alice.ID, bob.ID, 1); tr.Seq != 2 {
					t.Errorf("next transfer: seq %d, want 2", tr.Seq)
				}
			})
		}
	})

	t.Run("InsufficientFunds", func(t *testing.T) {
		f := newFixture(t, open)
		w, alice, bob := f.world(money.CNY), f.wallet("alice", money.CNY), f.wallet("bob", money.CNY)
		f.move("fund", w.ID, alice.ID, 1000)
		f.refuse(ledger.Move("over", "p2p", alice.ID, bob.ID, 1001), ledger.CodeInsufficientFunds)
		// A multi-leg transfer whose other legs are fine is refused whole.
		fees := f.account("fees", money.CNY, 0)
		f.refuse(ledger.Transfer{ID: "over-fee", Type: ledger.Posted,
			Postings: []ledger.Posting{leg(alice, -1001), leg(bob, 1000), leg(fees, 2), leg(w, -1)}}, ledger.CodeInsufficientFunds)
		f.refuse(ledger.Move("empty", "p2p", bob.ID, alice.ID, 1), ledger.CodeInsufficientFunds)
		f.balance(alice.ID, 1000, 0)
		f.balance(bob.ID, 0, 0)
		f.balance(fees.ID, 0, 0)
		f.balance(w.ID, -1000, 0)
		f.lastSeq(alice.ID, 1)
		f.lastSeq(bob.ID, 0)
	})

	t.Run("CreditLimit", func(t *testing.T) {
		f := newFixture(t, open)
		w, x := f.world(money.CNY), f.account("x", money.CNY, 0)
		f.move("fund", w.ID, x.ID, 100)
		f.refuse(ledger.Move("over", "refund", x.ID, w.ID, 101), ledger.CodeCreditLimit)
		f.balance(w.ID, -100, 0)
		f.balance(x.ID, 100, 0)
		f.move("back", x.ID, w.ID, 100) // exactly back to zero is allowed
		f.balance(w.ID, 0, 0)
		f.refuse(ledger.Move("above", "refund", x.ID, w.ID, 1), ledger.CodeCreditLimit)
		f.balance(w.ID, 0, 0)
		f.balance(x.ID, 0, 0)
	})

	t.Run("Overflow", func(t *testing.T) {
		// Postings are at most ledger.MaxPostingAmount (M) in size; nine of
		// them fit in a balance, the tenth leaves int64.
		const m = ledger.MaxPostingAmount
		f := newFixture(t, open)
		a, b, c := f.account("a", money.CNY, 0), f.account("b", money.CNY, 0), f.account("c", money.CNY, 0)
		for i := range 9 {
			f.move(idf("max-%d", i), a.ID, b.ID, m)
		}
		f.refuse(ledger.Move("credit", "t", c.ID, b.ID, m), ledger.CodeOverflow)
		f.refuse(ledger.Move("debit", "t", a.ID, c.ID, m), ledger.CodeOverflow)
		// The postings' own sum: ten credits of M before the debits.
		legs := make([]ledger.Posting, 0, 20)
		for i := range 10 {
			legs = append(legs, leg(f.account(idf("credit-%d", i), money.CNY, 0), m))
		}
		for i := range 10 {
			legs = append(legs, leg(f.account(idf("debit-%d", i), money.CNY, 0), -m))
		}
		f.refuse(ledger.Transfer{ID: "sum", Type: ledger.Posted, Postings: legs}, ledger.CodeOverflow)
		f.balance(a.ID, -9*m, 0)
		f.balance(b.ID, 9*m, 0)
		f.balance(c.ID, 0, 0)
		f.move("near-max", c.ID, b.ID, math.MaxInt64-9*m) // b reaches math.MaxInt64 exactly
		f.balance(b.ID, math.MaxInt64, 0)
		f.verify()
	})

	t.Run("SeqIncreasesByOne", func(t *testing.T) {
		f := newFixture(t, open)
		w, alice, bob := f.world(money.CNY), f.wallet("alice", money.CNY), f.wallet("bob", money.CNY)
		want := int64(0)
		for i := range 10 {
			want++
			if tr := f.move(idf("fund-%d", i), w.ID, alice.ID, 10); tr.Seq != want {
				t.Fatalf("transfer %d: seq %d, want %d", i, tr.Seq, want)
			}
			// Refusals in between take no sequence number.
			f.refuse(ledger.Move(idf("over-%d", i), "p2p", bob.ID, alice.ID, 1_000_000), ledger.CodeInsufficientFunds)
			want++
			if tr := f.move(idf("p2p-%d", i), alice.ID, bob.ID, 5); tr.Seq != want {
				t.Fatalf("transfer p2p-%d: seq %d, want %d", i, tr.Seq, want)
			}
		}
		f.lastSeq(w.ID, 19)
		f.lastSeq(alice.ID, 20)
		f.lastSeq(bob.ID, 20)
		f.balance(alice.ID, 50, 0)
		f.balance(bob.ID, 50, 0)
	})

	t.Run("TimeNonDecreasing", func(t *testing.T) {
		f := newFixture(t, open)
		w, alice := f.world(money.CNY), f.wallet("alice", money.CNY)
		f.clock.Set(epoch.Add(123456789 * time.Nanosecond)) // sub-microsecond digits are dropped
		t1 := epoch.Add(123456 * time.Microsecond)
		if tr := f.move("1", w.ID, alice.ID, 1); !tr.Time.Equal(t1) {
			t.Errorf("transfer 1 at %s, want %s", tr.Time, t1)
		}
		f.clock.Set(epoch.Add(-time.Hour)) // the clock steps back
		if tr := f.move("2", w.ID, alice.ID, 1); !tr.Time.Equal(t1) {
			t.Errorf("transfer 2 at %s after the clock stepped back, want %s (the previous time)", tr.Time, t1)
		}
		t3 := f.clock.Advance(2 * time.Hour)
		if tr := f.move("3", w.ID, alice.ID, 1); !tr.Time.Equal(t3) {
			t.Errorf("transfer 3 at %s, want %s", tr.Time, t3)
		}
		got, err := f.l.GetTransfer(f.ctx, "2")
		if err != nil {
			t.Fatal(err)
		}
		if !got.Time.Equal(t1) {
			t.Errorf("stored transfer 2 at %s, want %s", got.Time, t1)
		}
		f.verify()
	})

	t.Run("GetTransfer", func(t *testing.T) {
		f := newFixture(t, open)
		w, alice, bob := f.world(money.CNY), f.wallet("alice", money.CNY), f.wallet("bob", money.CNY)
		f.move("fund", w.ID, alice.ID, 1000)
		for _, tc := range []struct {
			name string
			tr   ledger.Transfer
		}{
			{"Metadata", ledger.Transfer{ID: "pay-1", Type: ledger.Posted, Kind: "payment", Postings: []ledger.Posting{leg(alice, -250), leg(bob, 250)},
				Metadata: map[string]string{"order": "A-17", "note": "café ☕, \"quoted\"\n", "empty": ""}}},
			{"NoMetadata", ledger.Transfer{ID: "pay-2", Type: ledger.Posted, Kind: "p2p", Postings: []ledger.Posting{leg(alice, -1), leg(bob, 1)}}},
			{"Hold", ledger.Transfer{ID: "hold-1", Type: ledger.Hold, Kind: "auth", Postings: []ledger.Posting{leg(alice, -100), leg(bob, 100)},
				ExpiresAt: epoch.Add(time.Hour), Metadata: map[string]string{"k": "v"}}},
			{"Void", ledger.Transfer{ID: "void-1", Type: ledger.Void, Kind: "cancel", HoldID: "hold-1"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				committed := f.transfer(tc.tr)
				want := tc.tr
				want.Seq, want.Time, want.Hash = committed.Seq, epoch, committed.Hash
				sameTransfer(t, committed, want)
				got, err := f.l.GetTransfer(f.ctx, tc.tr.ID)
				if err != nil {
					t.Fatal(err)
				}
				sameTransfer(t, got, want)
			})
		}
		f.balance(alice.ID, 749, 0)
		f.balance(bob.ID, 251, 0)
	})

	t.Run("ExpiresAtPrecision", func(t *testing.T) {
		f := newFixture(t, open)
		w, alice, bob := f.world(money.CNY), f.wallet("alice", money.CNY), f.wallet("bob", money.CNY)
		f.move("fund", w.ID, alice.ID, 1000)
		local := time.FixedZone("UTC+8", 8*3600)
		exp := time.Date(2026, 3, 14, 18, 0, 0, 123456789, local)
		tr := f.transfer(ledger.Transfer{ID: "h", Type: ledger.Hold, Postings: []ledger.Posting{leg(alice, -1), leg(bob, 1)}, ExpiresAt: exp})
		want := time.Date(2026, 3, 14, 10, 0, 0, 123456000, time.UTC)
		got, err := f.l.GetTransfer(f.ctx, "h")
		if err != nil {
			t.Fatal(err)
		}
		if !tr.ExpiresAt.Equal(want) || !got.ExpiresAt.Equal(want) {
			t.Errorf("expires at %s (stored %s), want %s", tr.ExpiresAt, got.ExpiresAt, want)
		}
		f.verify()
	})
}

// idf formats a transfer ID.
func idf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
