package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ewallet/ewallet/money"
)

// W4 "mixed" at the HTTP level: a day in the life of the wallet. Each
// caller picks its next operation by BENCH.md's weights:
//
//   - 60% a merchant payment: one of the merchants creates a payment
//     (POST /v1/payments, automatic capture) and a random user pays it
//     (POST /v1/payments/{id}/pay with the PIN). The pay is the one
//     transfer; the latency is that of both requests together, and each
//     request's own latency is reported too (payment_create, payment_pay);
//   - 25% a P2P transfer as in W1;
//   - 5% a top-up from the user's bound sandbox card, 0.01–100.00;
//   - 10% a read, GET /v1/me/balances and GET /v1/me/transactions?limit=20
//     in turn (reported on their own too: read_balances, read_history).
//
// Every money movement carries its own Idempotency-Key and is retried with
// it when the answer is lost (httpServer.send). Afterwards the run checks
// the ledger and the money exactly: the fee of each payment goes to a
// system account that no API shows, so it is added up from the payments'
// answers, and
//
//	users' balances + merchants' balances + fees = funding + top-ups.

// mixMerchants is how many merchants a W4 run creates; their owners are the
// first users.
const mixMerchants = 8

// mixFeeBP is the default merchant discount rate (0.60%) the server charges
// each payment; the run checks every payment's fee against it.
const mixFeeBP = 60

// mixOp is one kind of W4 operation.
type mixOp int

const (
	opPayment mixOp = iota
	opP2P
	opTopup
	opRead
	nMixOps
)

var mixOpNames = [nMixOps]string{"payment", "p2p", "topup", "read"}

// pickMixOp maps n, uniform in [0, 100), to an operation by BENCH.md's
// weights: 60 payment, 25 p2p, 5 top-up, 10 read.
func pickMixOp(n int) mixOp {
	switch {
	case n < 60:
		return opPayment
	case n < 85:
		return opP2P
	case n < 90:
		return opTopup
	}
	return opRead
}

// mixFee is the fee on a payment of amount minor units: amount × 0.60%
// rounded half up to the minor unit, per payment.
func mixFee(amount int64) int64 { return (amount*mixFeeBP + 5_000) / 10_000 }

// benchMerchant is a merchant of the W4 run and its secret key.
type benchMerchant struct{ id, sk string }

// mixMoney is W4's money in minor units of CNY.
type mixMoney struct {
	funded   int64 // the setup's top-ups
	toppedUp int64 // the run's succeeded top-ups
	paid     int64 // the amounts of succeeded payments
	fees     int64 // their fees, as their answers showed them
	// Balances read after the run (total: available + pending).
	users, merchants int64
}

// MixMoney is W4's money check as the result shows it, in CNY. Exactly:
// Users + Merchants + Fees = Funded + ToppedUp; and on each side,
// Merchants = Paid − Fees, Users = Funded + ToppedUp − Paid.
type MixMoney struct {
	Funded    string `json:"funded"`    // the setup's top-ups
	ToppedUp  string `json:"topped_up"` // the run's succeeded top-ups
	Paid      string `json:"paid"`      // succeeded payments' amounts
	Fees      string `json:"fees"`      // their fees, added up from the payments' answers
	Users     string `json:"users"`     // all users' balances after the run
	Merchants string `json:"merchants"` // all merchants' balances after the run
}

func (m mixMoney) view() *MixMoney {
	f := func(n int64) string { return money.Format(n, money.CNY) }
	return &MixMoney{Funded: f(m.funded), ToppedUp: f(m.toppedUp), Paid: f(m.paid), Fees: f(m.fees), Users: f(m.users), Merchants: f(m.merchants)}
}

// check reports the first broken money identity: first the whole (all the
// money that came in is somewhere), then the merchants' side (which, with
// the whole, implies the users' side: Users = Funded + ToppedUp − Paid).
func (m mixMoney) check() error {
	f := func(n int64) string { return money.Format(n, money.CNY) }
	if held, in := m.users+m.merchants+m.fees, m.funded+m.toppedUp; held != in {
		return fmt.Errorf("users %s + merchants %s + fees %s = %s CNY, but top-ups brought in %s (%s + %s)",
			f(m.users), f(m.merchants), f(m.fees), f(held), f(in), f(m.funded), f(m.toppedUp))
	}
	if want := m.paid - m.fees; m.merchants != want {
		return fmt.Errorf("merchants hold %s CNY, payments minus fees are %s", f(m.merchants), f(want))
	}
	return nil
}

// pendingTopup is a top-up that answered "pending": its outcome is read
// after the run.
type pendingTopup struct {
	id, token string
	amount    int64
}

// mixTally is what one W4 caller saw.
type mixTally struct {
	stats // committed money movements, latency of every operation, errors by code
	ops   [nMixOps]opTally
	// A payment's two requests, and the two reads, on their own.
	create, pay opTally
	reads       [2]opTally // balances, history
	nextHistory bool       // the next read is the history rather than the balances

	paid, fees, topped int64 // minor units: succeeded payments, their fees, succeeded top-ups
	pending            []pendingTopup
	badFees            int64  // payments whose fee or net is not 0.60% rounded half up
	badFee             string // the first of them
}

// opTally counts one kind of request.
type opTally struct {
	calls, ok int64
	lat       Histogram
}

func (o *opTally) record(d time.Duration, ok bool) {
	o.calls++
	o.lat.Record(d)
	if ok {
		o.ok++
	}
}

func (o *opTally) merge(p *opTally) {
	o.calls += p.calls
	o.ok += p.ok
	o.lat.Merge(&p.lat)
}

func (o *opTally) stats() OpStats {
	return OpStats{Calls: o.calls, OK: o.ok, P50ms: ms(o.lat.Percentile(50)), P95ms: ms(o.lat.Percentile(95)), P99ms: ms(o.lat.Percentile(99))}
}

func (t *mixTally) done(op mixOp, d time.Duration, ok bool, code string) {
	t.ops[op].record(d, ok)
	t.lat.Record(d)
	switch {
	case ok && op != opRead:
		t.ok++
	case !ok && code != "":
		t.errs[code]++
	}
}

// mixCaller is one W4 caller.
type mixCaller struct {
	s     *httpServer
	users []benchUser
	shops []benchMerchant
	r     *rand.Rand
	seq   *atomic.Int64
	keys  string // the run's key prefix
	t     *mixTally
}

func (m *mixCaller) key(kind string) string {
	return m.keys + kind + "-" + strconv.FormatInt(m.seq.Add(1), 36)
}

// step makes one operation; an error (no answer after the retries) ends
// the run.
func (m *mixCaller) step(ctx context.Context) error {
	switch op := pickMixOp(m.r.IntN(100)); op {
	case opPayment:
		return m.payment(ctx)
	case opP2P:
		return m.p2p(ctx)
	case opTopup:
		return m.topup(ctx)
	default:
		return m.read(ctx)
	}
}

func (m *mixCaller) payment(ctx context.Context) error {
	shop := m.shops[m.r.IntN(len(m.shops))]
	payer := m.users[m.r.IntN(len(m.users))]
	amount := 1 + m.r.Int64N(maxAmount)
	key := m.key("pay")
	t0 := time.Now()
	var p struct{ ID, Status string }
	body := map[string]any{"amount": money.Format(amount, money.CNY), "currency": "CNY", "reference": "bench " + key[len(m.keys):], "capture": "automatic"}
	status, code, err := m.s.send(ctx, "POST", "/v1/payments", shop.sk, key+"-create", body, &p)
	if err != nil {
		return fmt.Errorf("create payment: %w", err)
	}
	t1 := time.Now()
	m.t.create.record(t1.Sub(t0), status == 201 && p.ID != "")
	if status != 201 || p.ID == "" {
		m.t.done(opPayment, t1.Sub(t0), false, "create_"+code)
		return nil
	}
	var paid struct{ Status, Amount, Fee, Net string }
	status, code, err = m.s.send(ctx, "POST", "/v1/payments/"+p.ID+"/pay", payer.token, key, map[string]string{"pin": benchPIN}, &paid)
	if err != nil {
		return fmt.Errorf("pay %s: %w", p.ID, err)
	}
	t2 := time.Now()
	m.t.pay.record(t2.Sub(t1), status == 200 && paid.Status == "succeeded")
	if status != 200 {
		m.t.done(opPayment, t2.Sub(t0), false, code)
		return nil
	}
	if paid.Status != "succeeded" {
		// An automatic capture that answered 200 without succeeding: the
		// money check will tell whether it moved anything.
		m.t.done(opPayment, t2.Sub(t0), false, "payment_"+paid.Status)
		return nil
	}
	fee, ferr := money.Parse(paid.Fee, money.CNY)
	net, nerr := money.Parse(paid.Net, money.CNY)
	if err := errors.Join(ferr, nerr); err != nil {
		return fmt.Errorf("pay %s: fee %q net %q: %w", p.ID, paid.Fee, paid.Net, err)
	}
	if fee != mixFee(amount) || fee+net != amount || paid.Amount != money.Format(amount, money.CNY) {
		if m.t.badFees == 0 {
			m.t.badFee = fmt.Sprintf("payment %s of %s: fee %s, net %s; want fee %s", p.ID, paid.Amount, paid.Fee, paid.Net, money.Format(mixFee(amount), money.CNY))
		}
		m.t.badFees++
	}
	m.t.paid += amount
	m.t.fees += fee
	m.t.done(opPayment, t2.Sub(t0), true, "")
	return nil
}

func (m *mixCaller) p2p(ctx context.Context) error {
	from := m.r.IntN(len(m.users))
	to := m.r.IntN(len(m.users) - 1)
	if to >= from {
		to++
	}
	body := map[string]any{"to": map[string]string{"wallet_id": m.users[to].wallet}, "amount": money.Format(1+m.r.Int64N(maxAmount), money.CNY), "currency": "CNY", "pin": benchPIN}
	t0 := time.Now()
	status, code, err := m.s.send(ctx, "POST", "/v1/transfers", m.users[from].token, m.key("p2p"), body, nil)
	if err != nil {
		return fmt.Errorf("transfer: %w", err)
	}
	m.t.done(opP2P, time.Since(t0), status == 201, code)
	return nil
}

func (m *mixCaller) topup(ctx context.Context) error {
	u := m.users[m.r.IntN(len(m.users))]
	amount := 1 + m.r.Int64N(maxAmount)
	body := map[string]string{"card_id": u.card, "amount": money.Format(amount, money.CNY), "currency": "CNY", "pin": benchPIN}
	var top struct {
		ID, Status  string
		FailureCode string `json:"failure_code"`
	}
	t0 := time.Now()
	status, code, err := m.s.send(ctx, "POST", "/v1/topups", u.token, m.key("top"), body, &top)
	if err != nil {
		return fmt.Errorf("top-up: %w", err)
	}
	d := time.Since(t0)
	switch {
	case status != 201:
		m.t.done(opTopup, d, false, code)
	case top.Status == "succeeded":
		m.t.topped += amount
		m.t.done(opTopup, d, true, "")
	case top.Status == "pending":
		m.t.pending = append(m.t.pending, pendingTopup{id: top.ID, token: u.token, amount: amount})
		m.t.done(opTopup, d, false, "topup_pending")
	default:
		m.t.done(opTopup, d, false, "topup_"+top.Status+"_"+top.FailureCode)
	}
	return nil
}

func (m *mixCaller) read(ctx context.Context) error {
	u := m.users[m.r.IntN(len(m.users))]
	path, which := "/v1/me/balances", 0
	if m.t.nextHistory {
		path, which = "/v1/me/transactions?limit=20", 1
	}
	m.t.nextHistory = !m.t.nextHistory
	t0 := time.Now()
	status, code, err := m.s.send(ctx, "GET", path, u.token, "", nil, nil)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	d := time.Since(t0)
	m.t.reads[which].record(d, status == 200)
	m.t.done(opRead, d, status == 200, code)
	return nil
}

// setupMixed registers and funds the users as W1 does, then has the first
// of them open mixMerchants merchants.
func setupMixed(ctx context.Context, s *httpServer, n int) ([]benchUser, []benchMerchant, error) {
	users, _, err := setupHTTP(ctx, s, W4, n)
	if err != nil {
		return nil, nil, err
	}
	shops := make([]benchMerchant, mixMerchants)
	for i := range shops {
		var m struct {
			ID        string `json:"id"`
			SecretKey string `json:"secret_key"`
		}
		body := map[string]string{"name": fmt.Sprintf("Bench shop %d", i+1), "category": "5812"}
		if err := s.must(ctx, 201, "POST", "/v1/merchants", users[i%len(users)].token, "", body, &m); err != nil {
			return nil, nil, err
		}
		shops[i] = benchMerchant{id: m.ID, sk: m.SecretKey}
	}
	return users, shops, nil
}

// driveMixed runs c.Callers W4 callers for c.Duration and returns their
// tallies merged and the time from the start to the last answer.
func driveMixed(ctx context.Context, s *httpServer, users []benchUser, shops []benchMerchant, c Config) (*mixTally, time.Duration, error) {
	tallies := make([]*mixTally, c.Callers)
	var seq atomic.Int64
	keys := "w4-" + randomHex(4) + "-"
	var fatal atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(c.Duration)
	for i := range c.Callers {
		t := &mixTally{stats: stats{errs: map[string]int64{}}}
		tallies[i] = t
		m := &mixCaller{s: s, users: users, shops: shops, seq: &seq, keys: keys, t: t,
			r: rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))}
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if err := m.step(ctx); err != nil {
					fatal.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := &mixTally{stats: stats{errs: map[string]int64{}}}
	for _, t := range tallies {
		all.merge(&t.stats)
		for op := range all.ops {
			all.ops[op].merge(&t.ops[op])
		}
		for i := range all.reads {
			all.reads[i].merge(&t.reads[i])
		}
		all.create.merge(&t.create)
		all.pay.merge(&t.pay)
		all.paid += t.paid
		all.fees += t.fees
		all.topped += t.topped
		all.pending = append(all.pending, t.pending...)
		if all.badFees == 0 {
			all.badFee = t.badFee
		}
		all.badFees += t.badFees
	}
	if err, _ := fatal.Load().(error); err != nil {
		return all, elapsed, err
	}
	return all, elapsed, ctx.Err()
}

// settlePending waits for top-ups that answered "pending" to end (the
// sandbox settles them within 30 seconds) and returns what they credited.
func settlePending(ctx context.Context, s *httpServer, ps []pendingTopup) (int64, error) {
	var credited int64
	deadline := time.Now().Add(45 * time.Second)
	for _, p := range ps {
		for {
			var top struct{ Status string }
			if err := s.must(ctx, 200, "GET", "/v1/topups/"+p.id, p.token, "", nil, &top); err != nil {
				return 0, err
			}
			if top.Status == "succeeded" {
				credited += p.amount
			}
			if top.Status != "pending" {
				break
			}
			if time.Now().After(deadline) {
				return 0, fmt.Errorf("top-up %s still pending after the run", p.id)
			}
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	return credited, nil
}

// runMixed is W4 at the HTTP level, against the server s.
func runMixed(ctx context.Context, c Config, s *httpServer, fsyncs float64, logf func(string, ...any)) (Result, error) {
	start := time.Now()
	users, shops, err := setupMixed(ctx, s, c.Users)
	if err != nil {
		return Result{}, fmt.Errorf("setup: %w", err)
	}
	logf("%d users registered and funded and %d merchants opened over HTTP in %.1fs; %d callers for %s",
		c.Users, len(shops), time.Since(start).Seconds(), c.Callers, c.Duration)
	t, elapsed, err := driveMixed(ctx, s, users, shops, c)
	if err != nil {
		return Result{}, err
	}
	r := Result{Workload: c.Workload, Level: c.Level, Backend: c.Backend, Callers: c.Callers, Seconds: round(elapsed.Seconds(), 2),
		Transfers: t.ok, TPS: round(float64(t.ok)/elapsed.Seconds(), 1), P50ms: ms(t.lat.Percentile(50)), P95ms: ms(t.lat.Percentile(95)),
		P99ms: ms(t.lat.Percentile(99)), Errors: t.errs, RSSMB: serverRSS(s.pid), FsyncsPerS: math.Round(fsyncs), Verify: "ok",
		Ops: map[string]OpStats{}}
	names := append(mixOpNames[:], "payment_create", "payment_pay", "read_balances", "read_history")
	for i, o := range []*opTally{&t.ops[opPayment], &t.ops[opP2P], &t.ops[opTopup], &t.ops[opRead], &t.create, &t.pay, &t.reads[0], &t.reads[1]} {
		st := o.stats()
		r.Ops[names[i]] = st
		logf("%-14s %6d calls %6d ok  p50 %7.2f  p95 %7.2f  p99 %7.2f ms", names[i], st.Calls, st.OK, st.P50ms, st.P95ms, st.P99ms)
	}
	logf("%d money movements committed; verifying the ledger and the money", t.ok)

	late, err := settlePending(ctx, s, t.pending)
	if err != nil {
		return r, err
	}
	m := mixMoney{funded: int64(len(users)) * httpFundEach(c.Users), toppedUp: t.topped + late, paid: t.paid, fees: t.fees}
	for _, u := range users {
		n, err := s.balanceCNY(ctx, "/v1/me/balances", u.token)
		if err != nil {
			return r, err
		}
		m.users += n
	}
	for _, shop := range shops {
		n, err := s.balanceCNY(ctx, "/v1/merchant/balances", shop.sk)
		if err != nil {
			return r, err
		}
		m.merchants += n
	}
	r.Money = m.view()
	logf("users %s + merchants %s + fees %s CNY; top-ups %s + %s", r.Money.Users, r.Money.Merchants, r.Money.Fees, r.Money.Funded, r.Money.ToppedUp)

	problem, err := s.verifyLedger(ctx)
	if err != nil {
		return r, err
	}
	if problem != "" {
		r.Verify, r.Problem = "failed", problem
		return r, errors.New("ledger verification failed: " + problem)
	}
	if err := m.check(); err != nil {
		r.Verify, r.Problem = "failed", err.Error()
		return r, err
	}
	if t.badFees > 0 {
		r.Verify, r.Problem = "failed", fmt.Sprintf("%d payments with a fee other than 0.60%% rounded half up, the first: %s", t.badFees, t.badFee)
		return r, errors.New(r.Problem)
	}
	return r, nil
}
