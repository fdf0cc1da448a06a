package storetest

import (
	"testing"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

// holdFixture is a funded wallet (alice, 1000), a second wallet (bob, 500),
// a shop and a fee account, and a pending hold "h" of 300 from alice to the
// shop, committed at seq 3.
type holdFixture struct {
	*fixture
	w, alice, bob, shop, fees ledger.Account
}

func newHoldFixture(t *testing.T, open opener, expires time.Time) *holdFixture {
	t.Helper()
	f := newFixture(t, open)
	h := &holdFixture{fixture: f, w: f.world(money.CNY), alice: f.wallet("alice", money.CNY), bob: f.wallet("bob", money.CNY),
		shop: f.wallet("shop", money.CNY), fees: f.account("sys:fees:CNY", money.CNY, 0)}
	f.move("fund-alice", h.w.ID, h.alice.ID, 1000)
	f.move("fund-bob", h.w.ID, h.bob.ID, 500)
	tr := f.transfer(h.hold("h", 300, expires))
	if tr.Seq != 3 {
		t.Fatalf("hold at seq %d, want 3", tr.Seq)
	}
	return h
}

func (h *holdFixture) hold(id string, amount int64, expires time.Time) ledger.Transfer {
	return ledger.Transfer{ID: id, Type: ledger.Hold, Kind: "auth", Postings: []ledger.Posting{leg(h.alice, -amount), leg(h.shop, amount)}, ExpiresAt: expires}
}

func post(id, hold string, ps ...ledger.Posting) ledger.Transfer {
	return ledger.Transfer{ID: id, Type: ledger.Post, Kind: "capture", HoldID: hold, Postings: ps}
}

func void(id, hold string) ledger.Transfer {
	return ledger.Transfer{ID: id, Type: ledger.Void, Kind: "cancel", HoldID: hold}
}

func testHolds(t *testing.T, open opener) {
	t.Run("ReducesAvailable", func(t *testing.T) {
		h := newHoldFixture(t, open, time.Time{})
		h.balance(h.alice.ID, 1000, 300)
		h.balance(h.shop.ID, 0, 0) // a hold's credits do not show until it is posted
		a, err := h.l.Account(h.ctx, h.alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Available() != 700 || a.LastSeq != 3 {
			t.Errorf("available %d last seq %d, want 700 and 3", a.Available(), a.LastSeq)
		}
		h.lastSeq(h.shop.ID, 0)
		h.verify()
	})

	t.Run("BeyondAvailable", func(t *testing.T) {
		h := newHoldFixture(t, open, time.Time{})
		h.refuse(h.hold("h2", 701, time.Time{}), ledger.CodeInsufficientFunds)
		h.refuse(ledger.Move("spend", "p2p", h.alice.ID, h.bob.ID, 701), ledger.CodeInsufficientFunds)
		h.balance(h.alice.ID, 1000, 300)
		h.transfer(h.hold("h3", 700, time.Time{})) // exactly what is available
		h.balance(h.alice.ID, 1000, 1000)
		h.refuse(ledger.Move("spend-1", "p2p", h.alice.ID, h.bob.ID, 1), ledger.CodeInsufficientFunds)
		h.balance(h.bob.ID, 500, 0)
	})

	t.Run("PostInFull", func(t *testing.T) {
		h := newHoldFixture(t, open, time.Time{})
		tr := h.transfer(post("p", "h"))
		if tr.Seq != 4 || len(tr.Postings) != 2 || tr.Postings[0] != leg(h.alice, -300) || tr.Postings[1] != leg(h.shop, 300) {
			t.Errorf("post: seq %d postings %v, want seq 4 moving the held 300", tr.Seq, tr.Postings)
		}
		h.balance(h.alice.ID, 700, 0)
		h.balance(h.shop.ID, 300, 0)
		h.lastSeq(h.shop.ID, 4)
		got, err := h.l.GetTransfer(h.ctx, "p")
		if err != nil {
			t.Fatal(err)
		}
		sameTransfer(t, got, tr)
		h.verify()
	})

	t.Run("PostPartial", func(t *testing.T) {
		h := newHoldFixture(t, open, time.Time{})
		h.transfer(post("p", "h", leg(h.alice, -200), leg(h.shop, 200)))
		h.balance(h.alice.ID, 800, 0) // the other 100 is released
		h.balance(h.shop.ID, 200, 0)
		h.verify()
	})

	t.Run("PostWithFee", func(t *testing.T) {
		h := newHoldFixture(t, open, time.Time{})
		h.transfer(post("p", "h", leg(h.alice, -300), leg(h.shop, 291), leg(h.fees, 9)))
		h.balance(h.alice.ID, 700, 0)
		h.balance(h.shop.ID, 291, 0)
		h.balance(h.fees.ID, 9, 0)
		h.verify()
	})

	t.Run("PostExceedsHold", func(t *testing.T) {
		h := newHoldFixture(t, open, time.Time{})
		h.refuse(post("p1", "h", leg(h.alice, -301), leg(h.shop, 301)), ledger.CodeExceedsHold)
		h.refuse(post("p2", "h", leg(h.bob, -10), leg(h.shop, 10)), ledger.CodeExceedsHold)                     // bob's money was not held
		h.refuse(post("p3", "h", leg(h.alice, -300), leg(h.bob, -1), leg(h.shop, 301)), ledger.CodeExceedsHold) // nor is a top-up from bob
		h.balance(h.alice.ID, 1000, 300)
		h.balance(h.bob.ID, 500, 0)
		h.balance(h.shop.ID, 0, 0)
		h.transfer(post("p4", "h")) // still pending
		h.balance(h.alice.ID, 700, 0)
		h.balance(h.shop.ID, 300, 0)
	})

	t.Run("PostUnbalanced", func(t *testing.T) {
		h := newHoldFixture(t, open, time.Time{})
		h.refuse(post("p", "h", leg(h.alice, -300), leg(h.shop, 200)), ledger.CodeUnbalanced)
		h.balance(h.alice.ID, 1000, 300)
	})

	t.Run("Void", func(t *testing.T) {
		h := newHoldFixture(t, open, time.Time{})
		tr := h.transfer(void("v", "h"))
		if tr.Seq != 4 || len(tr.Postings) != 0 {
			t.Errorf("void: seq %d postings %v, want seq 4 and none", tr.Seq, tr.Postings)
		}
		h.balance(h.alice.ID, 1000, 0)
		h.balance(h.shop.ID, 0, 0)
		h.lastSeq(h.alice.ID, 4)
		h.refuse(post("p", "h"), ledger.CodeHoldNotPending)
		h.refuse(void("v2", "h"), ledger.CodeHoldNotPending)
		h.balance(h.alice.ID, 1000, 0)
		h.verify()
	})

	t.Run("VoidAfterPost", func(t *testing.T) {
		h := newHoldFixture(t, open, time.Time{})
		h.transfer(post("p", "h"))
		h.refuse(void("v", "h"), ledger.CodeHoldNotPending)
		h.refuse(post("p2", "h"), ledger.CodeHoldNotPending)
		h.balance(h.alice.ID, 700, 0)
		h.balance(h.shop.ID, 300, 0)
	})

	t.Run("UnknownHold", func(t *testing.T) {
		h := newHoldFixture(t, open, time.Time{})
		h.refuse(post("p", "nope"), ledger.CodeHoldNotFound)
		h.refuse(void("v", "nope"), ledger.CodeHoldNotFound)
		h.refuse(post("p2", "fund-alice"), ledger.CodeHoldNotFound) // a transfer, not a hold
		h.balance(h.alice.ID, 1000, 300)
	})

	t.Run("HoldAndPostInOneSubmit", func(t *testing.T) {
		h := newHoldFixture(t, open, time.Time{})
		out := h.l.Submit(h.ctx, []ledger.Transfer{h.hold("h2", 100, time.Time{}), post("p2", "h2", leg(h.alice, -60), leg(h.shop, 60)), void("v", "h")})
		for i, o := range out {
			if o.Err != nil || o.Result.Transfer.Seq != int64(4+i) {
				t.Errorf("transfer %d: seq %d error %v, want seq %d", i, o.Result.Transfer.Seq, o.Err, 4+i)
			}
		}
		h.balance(h.alice.ID, 940, 0)
		h.balance(h.shop.ID, 60, 0)
		h.verify()
	})

	t.Run("Expiry", func(t *testing.T) {
		deadline := epoch.Add(time.Minute)
		h := newHoldFixture(t, open, deadline)
		if n, err := h.l.ExpireHolds(h.ctx, 100); err != nil || n != 0 {
			t.Fatalf("ExpireHolds before the deadline = %d, %v; want 0", n, err)
		}
		// Only the sweeper expires holds; callers may not, early or late.
		h.refuse(ledger.Transfer{ID: "early", Type: ledger.Expire, HoldID: "h"}, ledger.CodeInvalid)
		h.clock.Set(deadline.Add(time.Second))
		h.refuse(post("p", "h"), ledger.CodeHoldExpired)
		h.balance(h.alice.ID, 1000, 300) // expired but not yet swept: still held
		n, err := h.l.ExpireHolds(h.ctx, 100)
		if err != nil || n != 1 {
			t.Fatalf("ExpireHolds = %d, %v; want 1", n, err)
		}
		h.balance(h.alice.ID, 1000, 0)
		h.balance(h.shop.ID, 0, 0)
		h.lastSeq(h.alice.ID, 4)
		if n, err := h.l.ExpireHolds(h.ctx, 100); err != nil || n != 0 {
			t.Fatalf("second ExpireHolds = %d, %v; want 0", n, err)
		}
		h.refuse(void("v", "h"), ledger.CodeHoldNotPending)
		h.refuse(post("p2", "h"), ledger.CodeHoldNotPending)
		h.balance(h.alice.ID, 1000, 0)
		h.verify()
	})

	t.Run("ExpiredAtDeadline", func(t *testing.T) {
		deadline := epoch.Add(time.Minute)
		h := newHoldFixture(t, open, deadline)
		h.clock.Set(deadline)
		h.refuse(post("p", "h"), ledger.CodeHoldExpired)
		if n, err := h.l.ExpireHolds(h.ctx, 100); err != nil || n != 1 {
			t.Fatalf("ExpireHolds at the deadline = %d, %v; want 1", n, err)
		}
		h.balance(h.alice.ID, 1000, 0)
	})

	t.Run("PostJustBeforeDeadline", func(t *testing.T) {
		deadline := epoch.Add(time.Minute)
		h := newHoldFixture(t, open, deadline)
		h.clock.Set(deadline.Add(-time.Microsecond))
		h.transfer(post("p", "h"))
		h.balance(h.alice.ID, 700, 0)
		h.clock.Set(deadline.Add(time.Hour))
		if n, err := h.l.ExpireHolds(h.ctx, 100); err != nil || n != 0 {
			t.Fatalf("ExpireHolds after a post = %d, %v; want 0", n, err)
		}
		h.verify()
	})

	t.Run("VoidExpiredUnswept", func(t *testing.T) {
		deadline := epoch.Add(time.Minute)
		h := newHoldFixture(t, open, deadline)
		h.clock.Set(deadline.Add(time.Second))
		h.transfer(void("v", "h"))
		h.balance(h.alice.ID, 1000, 0)
		if n, err := h.l.ExpireHolds(h.ctx, 100); err != nil || n != 0 {
			t.Fatalf("ExpireHolds after the void = %d, %v; want 0", n, err)
		}
		h.verify()
	})

	t.Run("ExpireHoldsLimit", func(t *testing.T) {
		deadline := epoch.Add(time.Minute)
		h := newHoldFixture(t, open, deadline)
		h.transfer(h.hold("h2", 100, deadline.Add(time.Second)))
		h.transfer(h.hold("h3", 100, deadline.Add(time.Hour))) // not due
		h.transfer(h.hold("h4", 100, time.Time{}))             // never due
		h.balance(h.alice.ID, 1000, 600)
		h.clock.Set(deadline.Add(time.Minute))
		if n, err := h.l.ExpireHolds(h.ctx, 1); err != nil || n != 1 {
			t.Fatalf("ExpireHolds(1) = %d, %v; want 1", n, err)
		}
		if n, err := h.l.ExpireHolds(h.ctx, 100); err != nil || n != 1 {
			t.Fatalf("ExpireHolds(100) = %d, %v; want 1", n, err)
		}
		h.balance(h.alice.ID, 1000, 200)
		h.transfer(post("p3", "h3"))
		h.balance(h.alice.ID, 900, 100)
		h.balance(h.shop.ID, 100, 0)
		h.verify()
	})
}
