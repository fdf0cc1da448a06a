package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

// testWriters runs two ledgers on one store, as two server processes sharing
// a database would: each must see what the other committed (the store's head
// lock serialises their batches; nothing either keeps in memory may outlive
// the other's writes).
func testWriters(t *testing.T, open opener) {
	t.Run("SeesTheOthersCommits", func(t *testing.T) {
		f := newFixture(t, open)
		other := ledger.New(f.store, ledger.Options{Now: f.clock.Now})
		t.Cleanup(func() { other.Close() })
		w, alice, bob := f.world(money.CNY), f.wallet("alice", money.CNY), f.wallet("bob", money.CNY)
		f.move("fund", w.ID, alice.ID, 1000)
		if res, err := other.Transfer(f.ctx, ledger.Move("a", "p2p", alice.ID, bob.ID, 600)); err != nil || res.Transfer.Seq != 2 {
			t.Fatalf("other ledger: seq %d, %v; want seq 2", res.Transfer.Seq, err)
		}
		// The first ledger last saw alice at 1000; she has 400.
		f.refuse(ledger.Move("b", "p2p", alice.ID, bob.ID, 600), ledger.CodeInsufficientFunds)
		if tr := f.move("c", bob.ID, alice.ID, 100); tr.Seq != 3 {
			t.Errorf("seq %d, want 3", tr.Seq)
		}
		_, err := other.Transfer(f.ctx, ledger.Move("d", "p2p", bob.ID, alice.ID, 501))
		wantCode(t, err, ledger.CodeInsufficientFunds)
		f.balance(alice.ID, 500, 0)
		f.balance(bob.ID, 500, 0)
		// A hold placed through one ledger is posted through the other.
		if _, err := other.Transfer(f.ctx, ledger.Transfer{ID: "h", Type: ledger.Hold, Postings: []ledger.Posting{leg(alice, -500), leg(bob, 500)}}); err != nil {
			t.Fatal(err)
		}
		f.refuse(ledger.Move("e", "p2p", alice.ID, bob.ID, 1), ledger.CodeInsufficientFunds)
		f.transfer(post("p", "h", leg(alice, -200), leg(bob, 200)))
		f.balance(alice.ID, 300, 0)
		f.balance(bob.ID, 700, 0)
		f.verify()
	})

	t.Run("Concurrent", func(t *testing.T) {
		f := newFixture(t, open)
		other := ledger.New(f.store, ledger.Options{Now: f.clock.Now})
		t.Cleanup(func() { other.Close() })
		w := f.world(money.CNY)
		users := []ledger.Account{f.wallet("a", money.CNY), f.wallet("b", money.CNY), f.wallet("c", money.CNY)}
		for i, u := range users {
			f.move(fmt.Sprint("fund-", i), w.ID, u.ID, 500)
		}
		const callers, each = 8, 40
		var (
			mu      sync.Mutex
			seqs    []int64
			tracked = map[ledger.AccountID]int64{}
			refused int
		)
		var wg sync.WaitGroup
		for i, l := range []*ledger.Ledger{f.l, other} {
			for c := range callers {
				wg.Go(func() {
					for k := range each {
						from, to := users[(c+k)%3], users[(c+k+1+k%2)%3]
						amount := int64(50 + 37*((c+k)%7))
						res, err := l.Transfer(f.ctx, ledger.Move(fmt.Sprintf("l%d-c%d-%d", i, c, k), "p2p", from.ID, to.ID, amount))
						mu.Lock()
						switch {
						case err == nil:
							seqs = append(seqs, res.Transfer.Seq)
							tracked[from.ID] -= amount
							tracked[to.ID] += amount
						case ledger.ErrorCode(err) == ledger.CodeInsufficientFunds:
							refused++
						default:
							t.Errorf("ledger %d: %v", i, err)
						}
						mu.Unlock()
					}
				})
			}
		}
		wg.Wait()
		slices.Sort(seqs)
		for i, s := range seqs {
			if s != int64(len(users)+i+1) {
				t.Fatalf("commit sequence numbers: position %d holds %d, want %d", i, s, len(users)+i+1)
			}
		}
		for _, u := range users {
			f.balance(u.ID, 500+tracked[u.ID], 0)
		}
		t.Logf("%d commits, %d refused", len(seqs), refused)
		r := f.verify()
		if r.TransfersChecked != int64(len(users)+len(seqs)) {
			t.Errorf("verify checked %d transfers, want %d", r.TransfersChecked, len(users)+len(seqs))
		}
	})
}
