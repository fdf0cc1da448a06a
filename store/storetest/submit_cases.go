package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

func testSubmit(t *testing.T, open opener) {
	t.Run("CommitHooks", func(t *testing.T) {
		var mu sync.Mutex
		var kinds []string
		committed := 0
		s := open(t)
		l := ledger.New(s, ledger.Options{
			OnCommit: func(size int, _ time.Duration) { mu.Lock(); committed += size; mu.Unlock() },
			OnTransfer: func(tr ledger.Transfer) {
				mu.Lock()
				kinds = append(kinds, tr.Kind+":"+tr.ID)
				mu.Unlock()
			},
		})
		t.Cleanup(func() { l.Close() })
		f := &fixture{tb: t, ctx: context.Background(), store: s, l: l, clock: &clock{now: epoch}}
		w, alice, bob := f.world(money.CNY), f.wallet("alice", money.CNY), f.wallet("bob", money.CNY)
		f.move("fund", w.ID, alice.ID, 100)
		out := l.Submit(f.ctx, []ledger.Transfer{
			ledger.Move("fund", "test", w.ID, alice.ID, 100), // a replay
			ledger.Move("a", "p2p", alice.ID, bob.ID, 60),
			ledger.Move("b", "p2p", alice.ID, bob.ID, 60), // 40 left: refused
		})
		if !out[0].Result.Replayed || out[1].Err != nil || ledger.ErrorCode(out[2].Err) != ledger.CodeInsufficientFunds {
			t.Fatalf("outcomes %+v", out)
		}
		// The hooks run on the writer after it has answered the callers, so
		// they may lag Submit's return a little.
		want := []string{"test:fund", "p2p:a"}
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			done := committed == 4 && slices.Equal(kinds, want)
			got, gotKinds := committed, slices.Clone(kinds)
			mu.Unlock()
			if done {
				break
			}
			if time.Now().After(deadline) {
				// Only new commits are counted by kind; every decided transfer is in a batch.
				t.Fatalf("OnCommit counted %d transfers (want 4); OnTransfer saw %v (want %v)", got, gotKinds, want)
			}
			time.Sleep(time.Millisecond)
		}
	})

	t.Run("FailureFailsAlone", func(t *testing.T) {
		f := newFixture(t, open)
		w, alice, bob, carol := f.world(money.CNY), f.wallet("alice", money.CNY), f.wallet("bob", money.CNY), f.wallet("carol", money.CNY)
		f.move("fund", w.ID, alice.ID, 1000)
		out := f.l.Submit(f.ctx, []ledger.Transfer{
			ledger.Move("a", "p2p", alice.ID, bob.ID, 100),
			ledger.Move("b", "p2p", carol.ID, bob.ID, 1),     // carol has nothing
			ledger.Move("c", "p2p", alice.ID, carol.ID, 200), // carol is paid after her refusal
			ledger.Move("d", "p2p", alice.ID, bob.ID, 0),     // invalid
			ledger.Move("e", "p2p", alice.ID, bob.ID, 701),   // 700 left
			ledger.Move("f", "p2p", bob.ID, carol.ID, 50),
		})
		want := []struct {
			code ledger.Code
			seq  int64
		}{{"", 2}, {ledger.CodeInsufficientFunds, 0}, {"", 3}, {ledger.CodeInvalid, 0}, {ledger.CodeInsufficientFunds, 0}, {"", 4}}
		if len(out) != len(want) {
			t.Fatalf("%d outcomes for %d transfers", len(out), len(want))
		}
		for i, w := range want {
			if got := ledger.ErrorCode(out[i].Err); got != w.code || (w.code == "" && out[i].Err != nil) {
				t.Errorf("transfer %d: error %v, want code %q", i, out[i].Err, w.code)
			}
			if out[i].Result.Transfer.Seq != w.seq || out[i].Result.Replayed {
				t.Errorf("transfer %d: seq %d replayed %v, want seq %d", i, out[i].Result.Transfer.Seq, out[i].Result.Replayed, w.seq)
			}
		}
		f.balance(alice.ID, 700, 0)
		f.balance(bob.ID, 50, 0)
		f.balance(carol.ID, 250, 0)
		f.balance(w.ID, -1000, 0)
		f.verify()
	})

	t.Run("DecidedInOrder", func(t *testing.T) {
		f := newFixture(t, open)
		w, alice, bob := f.world(money.CNY), f.wallet("alice", money.CNY), f.wallet("bob", money.CNY)
		out := f.l.Submit(f.ctx, []ledger.Transfer{
			ledger.Move("early", "p2p", alice.ID, bob.ID, 100), // before alice is funded
			ledger.Move("fund", "topup", w.ID, alice.ID, 100),
			ledger.Move("late", "p2p", alice.ID, bob.ID, 100), // after
		})
		wantCode(t, out[0].Err, ledger.CodeInsufficientFunds)
		if out[1].Err != nil || out[2].Err != nil {
			t.Fatalf("fund: %v, late: %v", out[1].Err, out[2].Err)
		}
		if out[1].Result.Transfer.Seq != 1 || out[2].Result.Transfer.Seq != 2 {
			t.Errorf("seqs %d and %d, want 1 and 2", out[1].Result.Transfer.Seq, out[2].Result.Transfer.Seq)
		}
		f.balance(alice.ID, 0, 0)
		f.balance(bob.ID, 100, 0)
	})

	t.Run("Empty", func(t *testing.T) {
		f := newFixture(t, open)
		if out := f.l.Submit(f.ctx, nil); len(out) != 0 {
			t.Fatalf("Submit(nil) = %v", out)
		}
	})

	t.Run("CallerKeepsPostings", func(t *testing.T) {
		f := newFixture(t, open)
		w, alice := f.world(money.CNY), f.wallet("alice", money.CNY)
		tr := ledger.Move("fund", "topup", w.ID, alice.ID, 100)
		ps := tr.Postings
		f.transfer(tr)
		ps[1].Amount = 1 // changing the caller's slice afterwards changes nothing stored
		got, err := f.l.GetTransfer(f.ctx, "fund")
		if err != nil {
			t.Fatal(err)
		}
		if got.Postings[1].Amount != 100 {
			t.Errorf("stored postings %v", got.Postings)
		}
		f.balance(alice.ID, 100, 0)
	})
}
