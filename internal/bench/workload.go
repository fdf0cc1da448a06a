package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

const (
	fundAmount = 1_000_000 // 10,000.00 CNY per user, in minor units
	maxAmount  = 10_000    // transfers are 0.01–100.00 CNY
	setupBatch = 1000      // accounts created and funded per call
	batchSize  = 100       // W3's transfers per Submit
)

// accounts are the ones a run creates.
type accounts struct {
	funding  ledger.AccountID // the outside world: starts every user's money, may go negative
	merchant ledger.AccountID // W2's destination; 0 otherwise
	users    []ledger.AccountID
}

// setup creates the funding account, n users (and for W2 the merchant) and
// funds every user with 10,000.00 CNY, in batches of setupBatch.
func setup(ctx context.Context, l *ledger.Ledger, w Workload, n int) (accounts, error) {
	var a accounts
	sys := []ledger.AccountSpec{{Name: "sys:funding:CNY", Currency: money.CNY}}
	if w == W2 {
		sys = append(sys, ledger.AccountSpec{Name: "merchant:CNY", Currency: money.CNY, Flags: ledger.NoNegative})
	}
	created, err := l.CreateAccounts(ctx, sys)
	if err != nil {
		return a, fmt.Errorf("create system accounts: %w", err)
	}
	a.funding = created[0].ID
	if w == W2 {
		a.merchant = created[1].ID
	}
	specs := make([]ledger.AccountSpec, n)
	for i := range specs {
		specs[i] = ledger.AccountSpec{Name: "user:" + strconv.Itoa(i) + ":CNY", Currency: money.CNY, Flags: ledger.NoNegative}
	}
	for chunk := range slices.Chunk(specs, setupBatch) {
		created, err := l.CreateAccounts(ctx, chunk)
		if err != nil {
			return a, fmt.Errorf("create users: %w", err)
		}
		for _, acct := range created {
			a.users = append(a.users, acct.ID)
		}
	}
	for start := 0; start < n; start += setupBatch {
		ts := make([]ledger.Transfer, 0, setupBatch)
		for i := start; i < min(n, start+setupBatch); i++ {
			ts = append(ts, ledger.Move("fund-"+strconv.Itoa(i), "topup", a.funding, a.users[i], fundAmount))
		}
		for _, o := range l.Submit(ctx, ts) {
			if o.Err != nil {
				return a, fmt.Errorf("fund users: %w", o.Err)
			}
		}
	}
	return a, nil
}

// stats is what the callers observed.
type stats struct {
	lat  Histogram
	ok   int64
	errs map[string]int64
}

func (s *stats) merge(o *stats) {
	s.lat.Merge(&o.lat)
	s.ok += o.ok
	for code, n := range o.errs {
		s.errs[code] += n
	}
}

// count tallies one transfer's outcome.
func (s *stats) count(err error) {
	if err == nil {
		s.ok++
		return
	}
	code := string(ledger.ErrorCode(err))
	if code == "" {
		code = "other"
	}
	s.errs[code]++
}

// drive runs c.Callers callers until c.Duration has passed, each calling
// the ledger again as soon as its previous call returned, and returns their
// merged stats and the time from the start to the last answer.
func drive(ctx context.Context, l *ledger.Ledger, a accounts, c Config) (*stats, time.Duration, error) {
	all := &stats{errs: map[string]int64{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	seed := rand.Uint64()
	start := time.Now()
	end := start.Add(c.Duration)
	for i := range c.Callers {
		wg.Go(func() {
			g := newGen(c.Workload, a, seed, i)
			st := &stats{errs: map[string]int64{}}
			for time.Now().Before(end) && ctx.Err() == nil {
				g.call(ctx, l, st)
			}
			mu.Lock()
			all.merge(st)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	return all, elapsed, nil
}

// gen makes one caller's transfers: uniformly random amounts between
// distinct uniformly random users (W2: to the merchant), with IDs unique in
// the run.
type gen struct {
	w     Workload
	rng   *rand.Rand
	a     accounts
	kind  string
	id    []byte // "W1-<caller>-" followed by the call's number
	base  int
	n     uint64
	batch []ledger.Transfer
}

func newGen(w Workload, a accounts, seed uint64, caller int) *gen {
	g := &gen{w: w, rng: rand.New(rand.NewPCG(seed, uint64(caller))), a: a, kind: "p2p"}
	if w == W2 {
		g.kind = "payment"
	}
	g.id = fmt.Appendf(nil, "%s-%d-", w, caller)
	g.base = len(g.id)
	return g
}

func (g *gen) next() ledger.Transfer {
	users := g.a.users
	from := users[g.rng.IntN(len(users))]
	to := g.a.merchant
	for to == 0 || to == from {
		to = users[g.rng.IntN(len(users))]
	}
	g.n++
	g.id = strconv.AppendUint(g.id[:g.base], g.n, 36)
	return ledger.Move(string(g.id), g.kind, from, to, 1+g.rng.Int64N(maxAmount))
}

// call makes one timed call: one transfer, or for W3 one batch.
func (g *gen) call(ctx context.Context, l *ledger.Ledger, st *stats) {
	if g.w != W3 {
		t := g.next()
		t0 := time.Now()
		_, err := l.Transfer(ctx, t)
		st.lat.Record(time.Since(t0))
		st.count(err)
		return
	}
	g.batch = g.batch[:0]
	for range batchSize {
		g.batch = append(g.batch, g.next())
	}
	t0 := time.Now()
	out := l.Submit(ctx, g.batch)
	st.lat.Record(time.Since(t0))
	for _, o := range out {
		st.count(o.Err)
	}
}
