package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

// Bank test parameters: 64 callers send at least 20,000 transfers among 100
// wallets that may not go below zero.
const (
	bankUsers   = 100
	bankWorkers = 64
	bankTotal   = 20_000
)

// bank is the shared state of the bank test: what every acknowledged result
// says the balances must be, and every sequence number handed out.
type bank struct {
	tb      testing.TB
	ctx     context.Context
	l       *ledger.Ledger
	users   []ledger.Account
	tracked map[ledger.AccountID]*atomic.Int64 // posted balance by acknowledged results; read-only map

	submitted atomic.Int64 // new transfers sent by the workers (retries aside)
	refused   atomic.Int64 // refused for insufficient funds
	failed    atomic.Int64 // any other error, or a wrong answer

	mu   sync.Mutex
	seqs []int64 // of every new commit
}

// testBank is a Jepsen-style bank test: concurrent random transfers, single
// and in Submit batches, and holds posted or voided, with retries of
// acknowledged transfers; afterwards money is conserved, no wallet is
// negative, every balance equals its entries and what the callers were told,
// the journal has every sequence exactly once, and Verify is OK (also while
// the transfers run).
func testBank(t *testing.T, open opener) {
	f := newFixture(t, open)
	world := f.world(money.CNY)
	specs := make([]ledger.AccountSpec, bankUsers)
	for i := range specs {
		specs[i] = ledger.AccountSpec{Name: fmt.Sprintf("wal_%03d:CNY", i), Currency: money.CNY, Flags: ledger.NoNegative}
	}
	users, err := f.l.CreateAccounts(f.ctx, specs)
	if err != nil {
		t.Fatal(err)
	}
	b := &bank{tb: t, ctx: f.ctx, l: f.l, users: users, tracked: map[ledger.AccountID]*atomic.Int64{world.ID: {}}}
	for _, u := range users {
		b.tracked[u.ID] = &atomic.Int64{}
	}

	// Fund unevenly: wallet i gets (i mod 10) × 3,000, so a tenth start
	// empty and transfers of up to 8,000 often find too little.
	var fund []ledger.Transfer
	for i, u := range users {
		if amount := int64(i%10) * 3000; amount > 0 {
			fund = append(fund, ledger.Move(fmt.Sprint("fund-", i), "topup", world.ID, u.ID, amount))
		}
	}
	for _, o := range f.l.Submit(f.ctx, fund) {
		b.record(o.Result, o.Err, false)
	}

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	start := time.Now()
	var workers, checkers sync.WaitGroup
	done := make(chan struct{})
	checkers.Go(func() { b.verifyWhileRunning(done) })
	for w := range bankWorkers {
		workers.Go(func() { b.work(rand.New(rand.NewPCG(seed, uint64(w))), w, (bankTotal+bankWorkers-1)/bankWorkers) })
	}
	workers.Wait()
	close(done)
	checkers.Wait()
	t.Logf("%d transfers in %s: %d commits, %d refused for insufficient funds", b.submitted.Load(), time.Since(start).Round(time.Millisecond), len(b.seqs), b.refused.Load())

	if b.submitted.Load() < bankTotal {
		t.Errorf("%d transfers submitted, want at least %d", b.submitted.Load(), bankTotal)
	}
	if b.refused.Load() == 0 {
		t.Error("no transfer was refused for insufficient funds: the test does not reach the rule")
	}
	if n := b.failed.Load(); n > 0 {
		t.Fatalf("%d transfers failed otherwise", n)
	}
	b.checkSeqs()
	b.checkAccounts(append([]ledger.Account{world}, users...))
	r := f.verify()
	if r.TransfersChecked != int64(len(b.seqs)) || r.AccountsChecked != bankUsers+1 || len(r.Sums) != 1 || r.Sums[money.CNY] != 0 {
		t.Errorf("verify: %d transfers, %d accounts, sums %v; want %d, %d, CNY 0", r.TransfersChecked, r.AccountsChecked, r.Sums, len(b.seqs), bankUsers+1)
	}
}

// work sends at least quota transfers.
func (b *bank) work(rng *rand.Rand, w, quota int) {
	type acked struct {
		t   ledger.Transfer
		seq int64
	}
	var history []acked
	send := func(t ledger.Transfer) (ledger.Result, error) {
		b.submitted.Add(1)
		return b.l.Transfer(b.ctx, t)
	}
	for i, n := 0, 0; n < quota; i++ {
		id := fmt.Sprintf("w%02d-%d", w, i)
		switch r := rng.IntN(100); {
		case r < 50:
			t := b.randomTransfer(rng, id)
			res, err := send(t)
			n++
			if b.record(res, err, true) {
				history = append(history, acked{t, res.Transfer.Seq})
			}
		case r < 80:
			ts := make([]ledger.Transfer, 2+rng.IntN(7))
			for j := range ts {
				ts[j] = b.randomTransfer(rng, fmt.Sprintf("%s-%d", id, j))
			}
			b.submitted.Add(int64(len(ts)))
			n += len(ts)
			for j, o := range b.l.Submit(b.ctx, ts) {
				if b.record(o.Result, o.Err, true) {
					history = append(history, acked{ts[j], o.Result.Transfer.Seq})
				}
			}
		case r < 94:
			from, to := b.pair(rng)
			amount := 1 + rng.Int64N(8000)
			hold := ledger.Transfer{ID: id, Type: ledger.Hold, Kind: "auth", Postings: []ledger.Posting{leg(from, -amount), leg(to, amount)}}
			res, err := send(hold)
			n++
			if !b.record(res, err, true) {
				continue
			}
			var settle ledger.Transfer
			switch rng.IntN(3) {
			case 0:
				settle = post(id+"-post", id)
			case 1:
				part := 1 + rng.Int64N(amount)
				settle = post(id+"-part", id, leg(from, -part), leg(to, part))
			default:
				settle = void(id+"-void", id)
			}
			res, err = send(settle)
			n++
			b.record(res, err, false) // a pending hold always settles
		default:
			if len(history) == 0 {
				continue
			}
			// A retry of an acknowledged transfer: not a new one, so it
			// does not count towards the quota.
			a := history[rng.IntN(len(history))]
			res, err := b.l.Transfer(b.ctx, a.t)
			if err != nil || !res.Replayed || res.Transfer.Seq != a.seq {
				b.fail("retry of %q: seq %d replayed %v error %v; want the first answer, seq %d", a.t.ID, res.Transfer.Seq, res.Replayed, err, a.seq)
			}
		}
	}
}

// pair picks two different wallets.
func (b *bank) pair(rng *rand.Rand) (from, to ledger.Account) {
	i, j := rng.IntN(len(b.users)), rng.IntN(len(b.users)-1)
	if j >= i {
		j++
	}
	return b.users[i], b.users[j]
}

// randomTransfer is a move between two wallets or, one time in five, a
// payment split between two payees.
func (b *bank) randomTransfer(rng *rand.Rand, id string) ledger.Transfer {
	from, to := b.pair(rng)
	amount := 1 + rng.Int64N(8000)
	if rng.IntN(5) > 0 {
		return ledger.Move(id, "p2p", from.ID, to.ID, amount)
	}
	third := from
	for third.ID == from.ID || third.ID == to.ID {
		third = b.users[rng.IntN(len(b.users))]
	}
	fee := 1 + amount/10
	return ledger.Transfer{ID: id, Type: ledger.Posted, Kind: "payment",
		Postings: []ledger.Posting{leg(from, -amount-fee), leg(to, amount), leg(third, fee)}}
}

// record accounts for one answer and reports whether it was a new commit.
// A refusal for insufficient funds is expected only where mayRefuse.
func (b *bank) record(res ledger.Result, err error, mayRefuse bool) bool {
	switch {
	case err == nil && res.Replayed:
		b.fail("transfer %q: replayed on its first submission", res.Transfer.ID)
	case err == nil:
		b.mu.Lock()
		b.seqs = append(b.seqs, res.Transfer.Seq)
		b.mu.Unlock()
		if res.Transfer.Type == ledger.Posted || res.Transfer.Type == ledger.Post {
			for _, p := range res.Transfer.Postings {
				b.tracked[p.Account].Add(p.Amount)
			}
		}
		return true
	case mayRefuse && ledger.ErrorCode(err) == ledger.CodeInsufficientFunds:
		b.refused.Add(1)
	default:
		b.fail("transfer: %v", err)
	}
	return false
}

// fail counts a wrong answer and reports the first few.
func (b *bank) fail(format string, args ...any) {
	if b.failed.Add(1) <= 10 {
		b.tb.Errorf(format, args...)
	}
}

// verifyWhileRunning runs Verify at a third and at two thirds of the way:
// it must see a consistent snapshot while the writer goes on.
func (b *bank) verifyWhileRunning(done <-chan struct{}) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for _, at := range []int64{bankTotal / 3, 2 * bankTotal / 3} {
		for b.submitted.Load() < at {
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
		r, err := b.l.Verify(b.ctx)
		if err != nil || !r.OK || r.TransfersChecked == 0 {
			b.fail("verify while running: OK %v, %d transfers, problem %v, error %v", r.OK, r.TransfersChecked, r.Problem, err)
		}
	}
}

// checkSeqs checks that the commits got the sequence numbers 1..n, each once.
func (b *bank) checkSeqs() {
	b.tb.Helper()
	slices.Sort(b.seqs)
	for i, s := range b.seqs {
		if s != int64(i+1) {
			b.tb.Fatalf("commit sequence numbers: position %d holds %d, want %d (a gap or a duplicate)", i, s, i+1)
		}
	}
}

// checkAccounts checks each account against the callers' tally, its own
// entries and the rules, and that the currency sums to zero.
func (b *bank) checkAccounts(accounts []ledger.Account) {
	b.tb.Helper()
	var sum int64
	for _, a := range accounts {
		got, err := b.l.Account(b.ctx, a.ID)
		if err != nil {
			b.tb.Fatal(err)
		}
		sum += got.Posted
		if want := b.tracked[a.ID].Load(); got.Posted != want || got.Held != 0 {
			b.tb.Errorf("account %d: posted %d held %d, the acknowledged transfers give %d held 0", a.ID, got.Posted, got.Held, want)
		}
		if a.Flags&ledger.NoNegative != 0 && got.Posted < 0 {
			b.tb.Errorf("account %d is negative: %d", a.ID, got.Posted)
		}
		var entries []ledger.Entry
		for before := int64(0); ; {
			page, err := b.l.History(b.ctx, a.ID, before, 1000)
			if err != nil {
				b.tb.Fatal(err)
			}
			entries = append(entries, page...)
			if len(page) < 1000 {
				break
			}
			before = page[len(page)-1].Seq
		}
		var total, held int64
		for i, e := range entries { // newest first
			total += e.Amount
			held += e.HeldDelta
			prevBalance, prevHeld := int64(0), int64(0)
			if i+1 < len(entries) {
				prevBalance, prevHeld = entries[i+1].Balance, entries[i+1].HeldAfter
				if entries[i+1].Seq >= e.Seq {
					b.tb.Errorf("account %d: history out of order at seq %d", a.ID, e.Seq)
				}
			}
			if e.Balance != prevBalance+e.Amount || e.HeldAfter != prevHeld+e.HeldDelta {
				b.tb.Errorf("account %d: entry %+v does not follow from balance %d held %d", a.ID, e, prevBalance, prevHeld)
			}
		}
		if total != got.Posted || held != 0 {
			b.tb.Errorf("account %d: entries sum to %d (held %d), posted is %d", a.ID, total, held, got.Posted)
		}
		if len(entries) > 0 && (entries[0].Seq != got.LastSeq || entries[0].Balance != got.Posted) {
			b.tb.Errorf("account %d: newest entry %+v, account last seq %d posted %d", a.ID, entries[0], got.LastSeq, got.Posted)
		}
	}
	if sum != 0 {
		b.tb.Errorf("CNY sums to %d over all accounts, want 0", sum)
	}
}
