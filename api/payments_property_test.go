package api

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/ewallet/ewallet/merchant"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/webhook"
)

// The property test of issue 4: random sequences of create, pay, capture,
// cancel, refund, expiry, the hold sweeper and the journal follower, sent
// through the real HTTP handlers, never break the ledger's invariants nor
// refund more than was captured, and every answer is the one a small model
// of the contract (shared/API.md, "Merchants and payments") predicts.
//
// After every step the model is compared with the server: each payment as
// its merchant and its payer see it (status, amount_captured, fee + net =
// amount_captured, amount_refunded ≤ amount_captured), the payer's and the
// merchant's balances, the fee account; every few steps and at the end of
// a sequence, GET /v1/admin/ledger/verify. At the end of a sequence every
// deadline is passed, the sweepers and the follower run, and each payment's
// webhook events must be exactly the ones its history calls for.
//
// One server serves every sequence (its users cost argon2 hashes), so a
// sequence measures balances from where the one before left them. The
// ledger's and the merchants' clock is a testClock that only the test
// moves: expiry is exact and costs no sleep.
//
// By default 40 sequences of about 20 steps (a few seconds; 10 sequences
// with -short or -race); more with -rapid.checks=N -rapid.steps=N. A
// failure prints the shrunk sequence, every request sent with its answer,
// and the -rapid.seed that replays it (rapid also writes a fail file under
// testdata/rapid/, which is not to be committed).

// propCaptureWithin is how long an authorization lasts in this test (the
// default 7 days would make every expiry a long jump of the clock).
const propCaptureWithin = 10 * time.Minute

// propTTLs are the payments' expires_in_seconds (0: left out, the default
// 900 s).
var propTTLs = []int64{0, 60, 300, 1800}

// propMaxPayments bounds the payments of one sequence, so that the steps
// act on few payments, often.
const propMaxPayments = 6

func TestPaymentsProperty(t *testing.T) {
	clock := &testClock{}
	cfg := merchant.DefaultConfig()
	cfg.CaptureWithin = propCaptureWithin
	s := newTestServer(t, withClock(clock.Now), withMerchantConfig(cfg))
	// From here the test moves the clock. Frozen after the setup's
	// transfers: the ledger's time never runs backwards.
	clock.freeze()
	// The setup's own payment would expire under the sweepers' feet.
	s.mustCall("POST", "/v1/payments/"+s.paymentID+"/cancel", s.merchantKey, "", nil, http.StatusOK)

	checks := "40"
	if testing.Short() || raceEnabled() {
		checks = "10" // the race detector makes each step ten times slower
	}
	setDefaultFlag(t, "rapid.checks", "RAPID_CHECKS", checks)
	setDefaultFlag(t, "rapid.steps", "RAPID_STEPS", "20")
	env := &propEnv{s: s, clock: clock, feeBP: cfg.FeeBP, outcomes: map[string]int{}}
	rapid.Check(t, func(rt *rapid.T) {
		m := env.newModel(rt)
		rt.Repeat(m.actions())
		m.finish(rt)
	})
	cases := make([]string, 0, len(env.outcomes))
	for what, n := range env.outcomes {
		cases = append(cases, fmt.Sprintf("%s: %d", what, n))
	}
	sort.Strings(cases)
	t.Logf("cases the model met:\n\t%s", strings.Join(cases, "\n\t"))
}

// TestPaymentCaptureAfterDeadline: an authorization whose deadline passed,
// captured before the hold sweeper released it (409 payment_expired, not
// a 200 that moved nothing), and after, with another amount than the
// first, refused capture, whose refusal the ledger keeps under the
// capture's ID (409 again, not "captured by another process").
func TestPaymentCaptureAfterDeadline(t *testing.T) {
	clock := &testClock{}
	cfg := merchant.DefaultConfig()
	cfg.CaptureWithin = propCaptureWithin
	s := newTestServer(t, withClock(clock.Now), withMerchantConfig(cfg))
	clock.freeze()
	authorize := func(ref string) string {
		p := s.mustCall("POST", "/v1/payments", s.merchantKey, "", map[string]any{"amount": "5.00", "currency": "CNY",
			"reference": ref, "capture": "manual"}, http.StatusCreated)
		id := p["id"].(string)
		s.mustCall("POST", "/v1/payments/"+id+"/pay", s.payer.token, ref+"-pay", map[string]any{"pin": testPIN}, http.StatusOK)
		return id
	}
	capture := func(id, key, body string) testResp {
		return s.do("POST", "/v1/payments/"+id+"/capture", s.merchantKey, key, []byte(body))
	}

	t.Run("BeforeTheSweep", func(t *testing.T) {
		id := authorize("lapsed")
		clock.advance(propCaptureWithin)
		if r := capture(id, "lapsed-capture", `{}`); r.status != http.StatusConflict || r.errorCode() != "payment_expired" {
			t.Fatalf("capture at the deadline, before the sweep: %d %s, want 409 payment_expired", r.status, r.body)
		}
	})

	t.Run("AfterTheSweepAnotherAmount", func(t *testing.T) {
		id := authorize("swept")
		clock.advance(propCaptureWithin)
		capture(id, "swept-capture-1", `{}`) // refused by the ledger: "capture:<id>" keeps the refusal
		if _, err := s.merchants.Ledger.ExpireHolds(t.Context(), 100); err != nil {
			t.Fatal(err)
		}
		if r := capture(id, "swept-capture-2", `{"amount":"1.00"}`); r.status != http.StatusConflict || r.errorCode() != "payment_expired" {
			t.Fatalf("capture 1.00 of a released authorization: %d %s, want 409 payment_expired", r.status, r.body)
		}
	})
}

// TestPaymentPayAfterInsufficientFunds: a payer short of a cent tops up
// and pays again; the first refusal must not make the payment unpayable.
func TestPaymentPayAfterInsufficientFunds(t *testing.T) {
	s := newTestServer(t)
	p := s.mustCall("POST", "/v1/payments", s.merchantKey, "", map[string]any{"amount": "1000000.01", "currency": "CNY",
		"reference": "short", "capture": "automatic"}, http.StatusCreated)
	id := p["id"].(string)
	r := s.do("POST", "/v1/payments/"+id+"/pay", s.payer.token, "short-pay-1", mustJSON(map[string]any{"pin": testPIN}))
	if r.status != http.StatusUnprocessableEntity || r.errorCode() != "insufficient_funds" {
		t.Fatalf("pay a cent beyond the balance: %d %s", r.status, r.body)
	}
	s.mustCall("POST", "/v1/topups", s.payer.token, "short-topup",
		map[string]any{"card_id": s.payer.card, "amount": "0.01", "currency": "CNY", "pin": testPIN}, http.StatusCreated)
	r = s.do("POST", "/v1/payments/"+id+"/pay", s.payer.token, "short-pay-2", mustJSON(map[string]any{"pin": testPIN}))
	if r.status != http.StatusOK || r.json()["status"] != "succeeded" {
		t.Fatalf("pay again after topping up: %d %s, want 200 succeeded", r.status, r.body)
	}
}

// testClock is the time as the test says: the real time until frozen,
// then a time that moves only when advanced.
type testClock struct {
	mu     sync.Mutex
	frozen bool
	t      time.Time
}

// Now is the clock.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.frozen {
		return time.Now()
	}
	return c.t
}

// freeze stops the clock a little ahead of the real time, on a whole
// second, so that deadlines are exact at the stored precision.
func (c *testClock) freeze() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t, c.frozen = time.Now().Truncate(time.Second).Add(time.Second), true
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// setDefaultFlag gives a flag of rapid another default for this test,
// unless the command line or the environment set it.
func setDefaultFlag(t *testing.T, name, env, value string) {
	if _, ok := os.LookupEnv(env); ok {
		return
	}
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	if set {
		return
	}
	f := flag.Lookup(name)
	if f == nil {
		return
	}
	old := f.Value.String()
	if err := f.Value.Set(value); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Value.Set(old) })
}

// raceEnabled reports whether the test runs under the race detector.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// propEnv is what outlives one sequence: the server and its clock, and
// what the server remembers across sequences.
type propEnv struct {
	s           *testServer
	clock       *testClock
	feeBP       int64
	keys        int            // Idempotency-Keys used so far: each request gets a new one
	pinFailures int            // wrong PINs in a row (five lock the PIN: we stay below)
	outcomes    map[string]int // how often each case of the model came up
}

// propPayment is the model of one payment.
type propPayment struct {
	id        string
	cur       money.Currency
	amount    int64
	manual    bool
	expiresAt time.Time
	// status is what the payments table says. requires_payment past its
	// time is expired to anyone who reads it: see touch.
	status string
	// hold is the ledger's hold of a paid manual payment: pending, posted,
	// voided or expired. The payments table follows an expired hold only
	// when the follower runs, or a capture or cancel finds it so.
	hold      string
	captureBy time.Time
	paid      bool // the payer can read it
	captured  int64
	fee       int64
	refunded  int64
	refundFee int64 // fee given back to the merchant with the refunds
	// events are the webhook events its history calls for, by ID.
	events map[string]string
}

// propBalance is a balance in minor units.
type propBalance struct{ available, pending, total int64 }

// propModel is one sequence's model.
type propModel struct {
	*propEnv
	ctx  context.Context
	pays []*propPayment
	step int

	// Where the sequence started, and how far the model says each
	// balance moved since.
	payer0, merchant0 map[money.Currency]propBalance
	fees0             map[money.Currency]int64
	payerTotal        map[money.Currency]int64 // captured, less refunded
	payerHeld         map[money.Currency]int64 // authorizations still held
	merchantTotal     map[money.Currency]int64 // nets, less refunds net of returned fees
	feesTotal         map[money.Currency]int64 // fees, less fees returned

	last *propRequest // the last request whose answer its key keeps
}

// propRequest is a request sent with an Idempotency-Key, and its answer.
type propRequest struct {
	method, target, token, key string
	body, other                []byte // other: another body for the same route
	status                     int
	answer                     []byte
}

var propCurrencies = []money.Currency{money.CNY, money.JPY}

func (e *propEnv) newModel(t *rapid.T) *propModel {
	m := &propModel{propEnv: e, ctx: context.Background(),
		payerTotal: map[money.Currency]int64{}, payerHeld: map[money.Currency]int64{},
		merchantTotal: map[money.Currency]int64{}, feesTotal: map[money.Currency]int64{}}
	// A sequence that failed half-way (rapid replays while it shrinks)
	// may have left deadlines pending: let them all pass first.
	m.settleServer(t)
	m.payer0 = m.balances(t, "/v1/me/balances", m.s.payer.token)
	m.merchant0 = m.balances(t, "/v1/merchant/balances", m.s.merchantKey)
	m.fees0 = map[money.Currency]int64{}
	for _, c := range propCurrencies {
		m.fees0[c] = m.feeAccount(t, c)
	}
	return m
}

// settleServer passes every deadline the server may hold and runs the
// hold sweeper, the journal follower and the unpaid-payment sweeper.
func (m *propModel) settleServer(t *rapid.T) {
	m.clock.advance(propCaptureWithin + time.Hour)
	if _, err := m.s.merchants.Ledger.ExpireHolds(m.ctx, 10_000); err != nil {
		t.Fatalf("ExpireHolds: %v", err)
	}
	if _, err := m.s.merchants.FollowJournal(m.ctx); err != nil {
		t.Fatalf("FollowJournal: %v", err)
	}
	if _, err := m.s.merchants.ExpireDue(m.ctx, 10_000); err != nil {
		t.Fatalf("ExpireDue: %v", err)
	}
}

// --- the actions ---

// actions are the steps for rapid's Repeat. Repeat draws an action's name
// from the sorted names, favouring the first few (rapid's draws lean to
// small values): the names are numbered so that pay, capture, refund and
// create come first, and the more frequent ones are listed twice or
// thrice.
func (m *propModel) actions() map[string]func(*rapid.T) {
	order := []struct {
		name string
		f    func(*rapid.T)
	}{
		{"pay", m.pay}, {"capture", m.capture}, {"refund", m.refund}, {"create", m.create},
		{"advance", m.advance}, {"pay", m.pay}, {"capture", m.capture}, {"refund", m.refund},
		{"create", m.create}, {"cancel", m.cancel}, {"sweep", m.sweep}, {"follow", m.follow},
		{"pay", m.pay}, {"capture", m.capture}, {"replay", m.replay}, {"reuseKey", m.reuseKey},
	}
	out := map[string]func(*rapid.T){"": m.check}
	for i, a := range order {
		out[fmt.Sprintf("%02d-%s", i, a.name)] = a.f
	}
	return out
}

func (m *propModel) create(t *rapid.T) {
	if len(m.pays) >= propMaxPayments {
		t.Skip("enough payments")
	}
	cur := propCurrencies[rapid.IntRange(0, 4).Draw(t, "jpy")/4] // JPY now and then
	var amount int64
	if rapid.IntRange(0, 14).Draw(t, "beyondFunds") == 14 {
		amount = m.payerAvailable(cur) + rapid.Int64Range(1, 100).Draw(t, "over")
	} else if cur == money.JPY {
		amount = rapid.OneOf(rapid.SampledFrom([]int64{1, 83, 84, 166, 3333}), rapid.Int64Range(1, 50_000)).Draw(t, "amount")
	} else {
		// 0.01, 0.83 and 0.84 (fee 0 and 0.01), 33.33, 83.33 (fee 0.49998 →
		// 0.50) and 166.67 (fee 1.00002 → 1.00), or any up to 5000.00.
		amount = rapid.OneOf(rapid.SampledFrom([]int64{1, 83, 84, 100, 3333, 8333, 16667}), rapid.Int64Range(1, 500_000)).Draw(t, "amount")
	}
	manual := rapid.Bool().Draw(t, "manual")
	ttl := rapid.SampledFrom(propTTLs).Draw(t, "ttl")
	body := map[string]any{"amount": money.Format(amount, cur), "currency": string(cur), "reference": fmt.Sprintf("prop-%d", m.step),
		"capture": map[bool]string{false: "automatic", true: "manual"}[manual]}
	if ttl > 0 {
		body["expires_in_seconds"] = ttl
	} else {
		ttl = 900
	}
	r := m.send(t, "POST", "/v1/payments", m.s.merchantKey, "", mustJSON(body))
	m.expect(t, "create", r, http.StatusCreated, "")
	got := r.json()
	p := &propPayment{id: str(got["id"]), cur: cur, amount: amount, manual: manual, status: "requires_payment",
		expiresAt: m.clock.Now().Add(time.Duration(ttl) * time.Second), events: map[string]string{}}
	if !strings.HasPrefix(p.id, "pay_") {
		t.Fatalf("create: id %q: %s", p.id, r.body)
	}
	if exp, err := time.Parse(time.RFC3339Nano, str(got["expires_at"])); err != nil || !exp.Equal(p.expiresAt) {
		t.Fatalf("create: expires_at %v, want %v: %s", got["expires_at"], p.expiresAt, r.body)
	}
	m.checkView(t, "create", got, p)
	m.pays = append(m.pays, p)
}

func (m *propModel) pay(t *rapid.T) {
	p, id := m.pick(t, "requires_payment")
	pin := testPIN
	wrong := m.pinFailures < 3 && rapid.IntRange(0, 5).Draw(t, "wrongPIN") == 5
	if wrong {
		pin = "000000"
	}
	req := m.keyed("POST", "/v1/payments/"+id+"/pay", m.s.payer.token,
		mustJSON(map[string]any{"pin": pin}), mustJSON(map[string]any{"pin": "111111"}))
	r := m.sendKeyed(t, req)
	// The server counts wrong PINs whatever the model thinks: follow it.
	switch {
	case r.errorCode() == "invalid_pin":
		m.pinFailures++
	case r.status == http.StatusOK || r.errorCode() == "insufficient_funds":
		m.pinFailures = 0
	}
	if p == nil {
		m.expect(t, "pay an unknown payment", r, http.StatusNotFound, "not_found")
		return
	}
	m.touch(p)
	switch {
	case p.status == "expired":
		m.expect(t, "pay an expired payment", r, http.StatusConflict, "payment_expired")
	case p.status != "requires_payment":
		m.expect(t, "pay a "+p.status+" payment", r, http.StatusConflict, "payment_not_payable")
	case wrong:
		m.expect(t, "pay with a wrong PIN", r, http.StatusForbidden, "invalid_pin")
	case p.amount > m.payerAvailable(p.cur):
		m.expect(t, "pay beyond the payer's funds", r, http.StatusUnprocessableEntity, "insufficient_funds")
	default:
		p.paid = true
		if p.manual {
			p.status, p.hold, p.captureBy = "authorized", "pending", m.clock.Now().Add(propCaptureWithin)
			m.payerHeld[p.cur] += p.amount
			p.events[webhook.EventID("payment.authorized", "pay:"+p.id)] = "payment.authorized"
		} else {
			p.status = "succeeded"
			m.take(p, p.amount)
			p.events[webhook.EventID("payment.succeeded", "pay:"+p.id)] = "payment.succeeded"
		}
		m.expect(t, "pay", r, http.StatusOK, "")
		m.checkView(t, "pay", r.json(), p)
	}
	m.remember(req, r)
}

func (m *propModel) capture(t *rapid.T) {
	p, id := m.pick(t, "authorized")
	var amount int64 // 0: none given, all of it
	if p != nil {
		switch rapid.SampledFrom([]string{"none", "all", "part", "over", "tiny"}).Draw(t, "captureMode") {
		case "all":
			amount = p.amount
		case "part":
			amount = rapid.Int64Range(1, p.amount).Draw(t, "captureAmount")
		case "over":
			amount = p.amount + rapid.Int64Range(1, 100).Draw(t, "captureOver")
		case "tiny":
			amount = 1
		}
	}
	body, other := []byte(`{}`), []byte(`{"amount":"1"}`)
	if amount > 0 {
		body = mustJSON(map[string]any{"amount": money.Format(amount, p.cur)})
		other = mustJSON(map[string]any{"amount": money.Format(amount+1, p.cur)})
	}
	req := m.keyed("POST", "/v1/payments/"+id+"/capture", m.s.merchantKey, body, other)
	r := m.sendKeyed(t, req)
	if p == nil {
		m.expect(t, "capture an unknown payment", r, http.StatusNotFound, "not_found")
		return
	}
	m.touch(p)
	take := amount
	if take == 0 {
		take = p.amount
	}
	switch {
	case p.status != "authorized":
		m.expect(t, "capture a "+p.status+" payment", r, http.StatusConflict, "payment_not_payable")
	case take > p.amount:
		m.expect(t, "capture more than authorized", r, http.StatusUnprocessableEntity, "amount_exceeds_authorized")
	case p.hold == "expired":
		p.status = "expired"
		m.expect(t, "capture a released authorization", r, http.StatusConflict, "payment_expired")
	case !m.clock.Now().Before(p.captureBy):
		m.expect(t, "capture after the deadline", r, http.StatusConflict, "payment_expired")
	default:
		p.status, p.hold = "succeeded", "posted"
		m.payerHeld[p.cur] -= p.amount
		m.take(p, take)
		p.events[webhook.EventID("payment.succeeded", "capture:"+p.id)] = "payment.succeeded"
		m.expect(t, "capture", r, http.StatusOK, "")
		m.checkView(t, "capture", r.json(), p)
	}
	m.remember(req, r)
}

func (m *propModel) cancel(t *rapid.T) {
	p, id := m.pick(t, "requires_payment", "authorized")
	r := m.send(t, "POST", "/v1/payments/"+id+"/cancel", m.s.merchantKey, "", nil)
	if p == nil {
		m.expect(t, "cancel an unknown payment", r, http.StatusNotFound, "not_found")
		return
	}
	m.touch(p)
	switch {
	case p.status == "canceled":
		m.expect(t, "cancel again", r, http.StatusOK, "")
	case p.status == "requires_payment":
		p.status = "canceled"
		p.events[webhook.EventID("payment.canceled", "unpaid:"+p.id)] = "payment.canceled"
		m.expect(t, "cancel an unpaid payment", r, http.StatusOK, "")
	case p.status == "authorized" && p.hold == "expired":
		p.status = "expired"
		m.expect(t, "cancel a released authorization", r, http.StatusConflict, "payment_expired")
	case p.status == "authorized":
		// A hold past its deadline that the sweeper has not released yet
		// can still be voided: the money goes back to the payer either way.
		p.status, p.hold = "canceled", "voided"
		m.payerHeld[p.cur] -= p.amount
		p.events[webhook.EventID("payment.canceled", "cancel:"+p.id)] = "payment.canceled"
		m.expect(t, "cancel an authorization", r, http.StatusOK, "")
	default:
		m.expect(t, "cancel a "+p.status+" payment", r, http.StatusConflict, "payment_not_payable")
	}
	if r.status == http.StatusOK {
		m.checkView(t, "cancel", r.json(), p)
	}
}

func (m *propModel) refund(t *rapid.T) {
	p, id := m.pick(t, "refundable")
	var amount int64
	cur := money.CNY
	if p != nil {
		cur = p.cur
		rest := p.captured - p.refunded
		switch rapid.SampledFrom([]string{"rest", "part", "over", "tiny"}).Draw(t, "refundMode") {
		case "rest":
			amount = rest
			if rest == 0 {
				amount = p.amount
			}
		case "part":
			amount = rapid.Int64Range(1, max(1, rest)).Draw(t, "refundAmount")
		case "over":
			amount = rest + rapid.Int64Range(1, 100).Draw(t, "refundOver")
		case "tiny":
			amount = 1
		}
		if rapid.IntRange(0, 19).Draw(t, "zero") == 19 {
			amount = 0
		}
	} else {
		amount = 100
	}
	req := m.keyed("POST", "/v1/refunds", m.s.merchantKey,
		mustJSON(map[string]any{"payment_id": id, "amount": money.Format(amount, cur)}),
		mustJSON(map[string]any{"payment_id": id, "amount": money.Format(amount+1, cur)}))
	r := m.sendKeyed(t, req)
	if p == nil {
		m.expect(t, "refund an unknown payment", r, http.StatusNotFound, "not_found")
		return
	}
	m.touch(p)
	switch rest := p.captured - p.refunded; {
	case amount == 0:
		m.expect(t, "refund nothing", r, http.StatusBadRequest, "invalid_amount")
		return // not kept for the key
	case p.status != "succeeded":
		m.expect(t, "refund a "+p.status+" payment", r, http.StatusConflict, "payment_not_payable")
	case amount > rest:
		m.expect(t, "refund more than the rest", r, http.StatusUnprocessableEntity, "refund_exceeds_payment")
	default:
		m.expect(t, "refund", r, http.StatusCreated, "")
		got := r.json()
		if !strings.HasPrefix(str(got["id"]), "ref_") || got["status"] != "succeeded" || got["payment_id"] != p.id ||
			got["amount"] != money.Format(amount, p.cur) || got["currency"] != string(p.cur) {
			t.Fatalf("refund %s of %s: %s", money.Format(amount, p.cur), p.id, r.body)
		}
		fee := mulDivRound(p.fee, p.refunded+amount, p.captured) - mulDivRound(p.fee, p.refunded, p.captured)
		p.refunded += amount
		p.refundFee += fee
		p.events[webhook.EventID("refund.succeeded", "ref:"+str(got["id"]))] = "refund.succeeded"
		m.payerTotal[p.cur] += amount
		m.merchantTotal[p.cur] -= amount - fee
		m.feesTotal[p.cur] -= fee
	}
	m.remember(req, r)
}

// advance moves the clock: by a step, or to a deadline exactly; then,
// sometimes, the unpaid-payment sweeper runs before anyone reads, and the
// hold sweeper.
func (m *propModel) advance(t *rapid.T) {
	now := m.clock.Now()
	var deadlines []time.Time
	for _, p := range m.pays {
		for _, d := range []time.Time{p.expiresAt, p.captureBy} {
			if d.After(now) {
				deadlines = append(deadlines, d)
			}
		}
	}
	sort.Slice(deadlines, func(i, j int) bool { return deadlines[i].Before(deadlines[j]) })
	if len(deadlines) > 0 && rapid.IntRange(0, 3).Draw(t, "toDeadline") == 3 {
		d := deadlines[rapid.IntRange(0, len(deadlines)-1).Draw(t, "deadline")]
		m.clock.advance(d.Sub(now) + rapid.SampledFrom([]time.Duration{-time.Second, 0, 0}).Draw(t, "offset"))
	} else {
		m.clock.advance(rapid.SampledFrom([]time.Duration{time.Second, 30 * time.Second, 61 * time.Second, 5 * time.Minute,
			15 * time.Minute, 31 * time.Minute, 61 * time.Minute}).Draw(t, "by"))
	}
	if rapid.Bool().Draw(t, "expireDue") {
		want := 0
		for _, p := range m.pays {
			if p.status == "requires_payment" && !m.clock.Now().Before(p.expiresAt) {
				want++
			}
		}
		n, err := m.s.merchants.ExpireDue(m.ctx, 500)
		if err != nil || n != want {
			t.Fatalf("ExpireDue = %d, %v; want %d%s", n, err, want, m.s.takeLog())
		}
		m.outcomes["advance: unpaid payments expired by ExpireDue"] += n
		for _, p := range m.pays {
			m.touch(p)
		}
	}
	if rapid.IntRange(0, 2).Draw(t, "sweepHolds") == 2 {
		m.sweep(t)
	}
}

// sweep runs the ledger's hold sweeper: authorizations past their
// deadline go back to the payer; the payments table hears of it from the
// follower.
func (m *propModel) sweep(t *rapid.T) {
	want := 0
	for _, p := range m.pays {
		if p.hold == "pending" && !m.clock.Now().Before(p.captureBy) {
			p.hold = "expired"
			m.payerHeld[p.cur] -= p.amount
			p.events[webhook.EventID("payment.expired", "expire:pay:"+p.id)] = "payment.expired"
			want++
		}
	}
	n, err := m.s.merchants.Ledger.ExpireHolds(m.ctx, 500)
	if err != nil || n != want {
		t.Fatalf("ExpireHolds = %d, %v; want %d%s", n, err, want, m.s.takeLog())
	}
	m.outcomes["sweep: holds released"] += n
}

// follow runs the journal follower, twice: the second pass finds nothing.
func (m *propModel) follow(t *rapid.T) {
	if _, err := m.s.merchants.FollowJournal(m.ctx); err != nil {
		t.Fatalf("FollowJournal: %v%s", err, m.s.takeLog())
	}
	if n, err := m.s.merchants.FollowJournal(m.ctx); err != nil || n != 0 {
		t.Fatalf("FollowJournal again = %d, %v; want 0%s", n, err, m.s.takeLog())
	}
	for _, p := range m.pays {
		if p.status == "authorized" && p.hold == "expired" {
			p.status = "expired"
			m.outcomes["follow: released authorizations recorded"]++
		}
	}
	m.checkEvents(t, false)
}

// replay sends the last keyed request again, as a client that lost the
// answer would: the same answer, byte for byte, and nothing moves.
func (m *propModel) replay(t *rapid.T) {
	q := m.last
	if q == nil {
		t.Skip("nothing to replay")
	}
	r := m.s.do(q.method, q.target, q.token, q.key, q.body)
	if r.status != q.status || !bytes.Equal(r.body, q.answer) || r.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay %s %s: %d %s (replayed %q), want %d %s%s", q.method, q.target, r.status, r.body,
			r.header.Get("Idempotent-Replayed"), q.status, q.answer, m.s.takeLog())
	}
	m.outcomes[fmt.Sprintf("replay: %d", r.status)]++
}

// reuseKey sends another body under the last request's key.
func (m *propModel) reuseKey(t *rapid.T) {
	q := m.last
	if q == nil {
		t.Skip("no key to reuse")
	}
	r := m.s.do(q.method, q.target, q.token, q.key, q.other)
	m.expect(t, "reuse a key", r, http.StatusConflict, "idempotency_key_reused")
}

// --- the model's bookkeeping ---

// pick chooses a payment of the sequence: mostly one whose status is
// among prefer ("refundable": succeeded with something left to refund),
// else any; or, rarely, one that does not exist.
func (m *propModel) pick(t *rapid.T, prefer ...string) (*propPayment, string) {
	if len(m.pays) == 0 {
		t.Skip("no payment yet") // before any draw: rapid picks another action
	}
	if rapid.IntRange(0, 19).Draw(t, "unknown") == 19 {
		return nil, "pay_doesnotexistdoesnotexist"
	}
	from := m.pays
	if rapid.IntRange(0, 3).Draw(t, "anyStatus") < 3 {
		var good []*propPayment
		for _, p := range m.pays {
			m.touch(p) // a payment's status as the server will see it
			for _, st := range prefer {
				if p.status == st || st == "refundable" && p.status == "succeeded" && p.refunded < p.captured {
					good = append(good, p)
					break
				}
			}
		}
		if len(good) > 0 {
			from = good
		}
	}
	p := from[rapid.IntRange(0, len(from)-1).Draw(t, "payment")]
	return p, p.id
}

// touch is what reading a payment does: one still waiting for its payer
// after its time expires then.
func (m *propModel) touch(p *propPayment) {
	if p.status == "requires_payment" && !m.clock.Now().Before(p.expiresAt) {
		p.status = "expired"
		p.events[webhook.EventID("payment.expired", "unpaid:"+p.id)] = "payment.expired"
	}
}

// take records a capture of n: the payer pays n, the merchant gets it less
// the fee, rounded half up.
func (m *propModel) take(p *propPayment, n int64) {
	p.captured, p.fee = n, mulDivRound(n, m.feeBP, 10_000)
	m.payerTotal[p.cur] -= n
	m.merchantTotal[p.cur] += n - p.fee
	m.feesTotal[p.cur] += p.fee
}

// mulDivRound is a×b/c rounded half up (the contract's fee rounding),
// computed apart from the merchant package's own.
func mulDivRound(a, b, c int64) int64 {
	if c == 0 {
		return 0
	}
	return (2*a*b + c) / (2 * c)
}

func (m *propModel) payerAvailable(cur money.Currency) int64 {
	b := m.payer0[cur]
	return b.total + m.payerTotal[cur] - (b.pending + m.payerHeld[cur])
}

// keyed prepares a request under a new Idempotency-Key; other is another
// body, for reuseKey.
func (m *propModel) keyed(method, target, token string, body, other []byte) *propRequest {
	m.keys++
	return &propRequest{method: method, target: target, token: token, key: fmt.Sprintf("prop-%d", m.keys), body: body, other: other}
}

func (m *propModel) sendKeyed(t *rapid.T, q *propRequest) testResp {
	r := m.send(t, q.method, q.target, q.token, q.key, q.body)
	q.status, q.answer = r.status, r.body
	return r
}

// remember keeps q for replay and reuseKey when its key keeps its answer:
// a success, or a refusal of the money rules (403, 409, 422, 423).
func (m *propModel) remember(q *propRequest, r testResp) {
	switch r.status {
	case http.StatusOK, http.StatusCreated, http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusLocked:
		m.last = q
	}
}

func (m *propModel) send(t *rapid.T, method, target, token, key string, body []byte) testResp {
	r := m.s.do(method, target, token, key, body)
	if method != "GET" {
		// The failing sequence's story, printed by rapid after it shrank.
		t.Logf("%s %s %s → %d %s", method, target, bytes.TrimSpace(body), r.status, bytes.TrimSpace(r.body))
	}
	if r.status >= 500 {
		t.Fatalf("%s %s: %d %s%s", method, target, r.status, r.body, m.s.takeLog())
	}
	return r
}

// expect fails unless r has the status and error code the model predicts.
func (m *propModel) expect(t *rapid.T, what string, r testResp, status int, code string) {
	t.Helper()
	if !strings.HasPrefix(what, "the ") && !strings.HasPrefix(what, "GET ") {
		m.outcomes[what]++
	}
	if r.status != status || r.errorCode() != code {
		t.Fatalf("%s: %d %q, the model expects %d %q: %s%s", what, r.status, r.errorCode(), status, code, r.body, m.s.takeLog())
	}
}

// --- the checks ---

// check compares the server with the model after every step.
func (m *propModel) check(t *rapid.T) {
	m.step++
	for _, p := range m.pays {
		m.touch(p)
		r := m.send(t, "GET", "/v1/payments/"+p.id, m.s.merchantKey, "", nil)
		m.expect(t, "the merchant reads "+p.id, r, http.StatusOK, "")
		m.checkView(t, "the merchant reads", r.json(), p)
		r = m.send(t, "GET", "/v1/payments/"+p.id, m.s.payer.token, "", nil)
		if p.paid {
			m.expect(t, "the payer reads "+p.id, r, http.StatusOK, "")
			m.checkView(t, "the payer reads", r.json(), p)
		} else {
			m.expect(t, "the payer reads an unpaid "+p.id, r, http.StatusNotFound, "not_found")
		}
	}
	m.checkBalances(t)
	if m.step%5 == 0 {
		m.verify(t)
	}
}

// checkView compares a payment as the API shows it with the model, and
// checks its own arithmetic: fee + net = amount_captured, and
// amount_refunded ≤ amount_captured.
func (m *propModel) checkView(t *rapid.T, what string, v map[string]any, p *propPayment) {
	t.Helper()
	capture := map[bool]string{false: "automatic", true: "manual"}[p.manual]
	f := func(n int64) string { return money.Format(n, p.cur) }
	bad := v["id"] != p.id || v["status"] != p.status || v["amount"] != f(p.amount) || v["currency"] != string(p.cur) || v["capture"] != capture
	if p.status == "succeeded" {
		bad = bad || v["amount_captured"] != f(p.captured) || v["fee"] != f(p.fee) || v["net"] != f(p.captured-p.fee) ||
			v["amount_refunded"] != f(p.refunded)
		captured, fee, net, refunded := m.amount(t, v["amount_captured"], p.cur), m.amount(t, v["fee"], p.cur),
			m.amount(t, v["net"], p.cur), m.amount(t, v["amount_refunded"], p.cur)
		if fee+net != captured || refunded > captured || captured > m.amount(t, v["amount"], p.cur) {
			t.Fatalf("%s %s: fee %s + net %s must be amount_captured %s, and amount_refunded %s at most that: %v",
				what, p.id, v["fee"], v["net"], v["amount_captured"], v["amount_refunded"], v)
		}
	} else {
		for _, k := range []string{"amount_captured", "fee", "net", "amount_refunded"} {
			bad = bad || v[k] != nil
		}
	}
	if bad {
		t.Fatalf("%s %s: the server shows %v\nthe model: %+v", what, p.id, v, *p)
	}
}

func (m *propModel) amount(t *rapid.T, v any, cur money.Currency) int64 {
	s, _ := v.(string)
	n, err := money.Parse(s, cur)
	if err != nil {
		t.Fatalf("amount %v: %v", v, err)
	}
	return n
}

// checkBalances compares the payer's and the merchant's balances, and the
// fee account, with where the model says they moved.
func (m *propModel) checkBalances(t *rapid.T) {
	payer := m.balances(t, "/v1/me/balances", m.s.payer.token)
	shop := m.balances(t, "/v1/merchant/balances", m.s.merchantKey)
	for _, c := range propCurrencies {
		p0, s0 := m.payer0[c], m.merchant0[c]
		wantPayer := propBalance{total: p0.total + m.payerTotal[c], pending: p0.pending + m.payerHeld[c]}
		wantPayer.available = wantPayer.total - wantPayer.pending
		wantShop := propBalance{total: s0.total + m.merchantTotal[c], pending: s0.pending}
		wantShop.available = wantShop.total - wantShop.pending
		if payer[c] != wantPayer || shop[c] != wantShop {
			t.Fatalf("%s balances: the payer has %+v, the model says %+v; the merchant has %+v, the model says %+v", c,
				payer[c], wantPayer, shop[c], wantShop)
		}
		if got, want := m.feeAccount(t, c), m.fees0[c]+m.feesTotal[c]; got != want {
			t.Fatalf("fees:%s holds %d, the model says %d", c, got, want)
		}
	}
}

// balances reads a balance list (/v1/me/balances, /v1/merchant/balances).
func (m *propModel) balances(t *rapid.T, target, token string) map[money.Currency]propBalance {
	r := m.send(t, "GET", target, token, "", nil)
	m.expect(t, "GET "+target, r, http.StatusOK, "")
	var list struct {
		Data []struct{ Currency, Available, Pending, Total string }
	}
	if err := json.Unmarshal(r.body, &list); err != nil {
		t.Fatalf("GET %s: %v: %s", target, err, r.body)
	}
	out := map[money.Currency]propBalance{}
	for _, b := range list.Data {
		c := money.Currency(b.Currency)
		out[c] = propBalance{available: m.amount(t, b.Available, c), pending: m.amount(t, b.Pending, c), total: m.amount(t, b.Total, c)}
	}
	return out
}

// feeAccount is the posted balance of the fee account in c.
func (m *propModel) feeAccount(t *rapid.T, c money.Currency) int64 {
	id, err := m.s.svc.SystemAccount(m.ctx, "fees:"+string(c), c)
	if err != nil {
		t.Fatalf("fee account: %v", err)
	}
	a, err := m.s.merchants.Ledger.Account(m.ctx, id)
	if err != nil {
		t.Fatalf("fee account: %v", err)
	}
	return a.Posted
}

func (m *propModel) verify(t *rapid.T) {
	r := m.send(t, "GET", "/v1/admin/ledger/verify", testAdminToken, "", nil)
	if r.status != http.StatusOK || r.json()["ok"] != true {
		t.Fatalf("ledger verify: %d %s", r.status, r.body)
	}
}

// finish ends a sequence: every deadline passes, the sweepers and the
// follower run, and then everything is checked once more, the webhook
// events too.
func (m *propModel) finish(t *rapid.T) {
	m.settleServer(t)
	for _, p := range m.pays {
		m.touch(p)
		if p.hold == "pending" {
			p.hold = "expired"
			m.payerHeld[p.cur] -= p.amount
			p.events[webhook.EventID("payment.expired", "expire:pay:"+p.id)] = "payment.expired"
		}
		if p.status == "authorized" {
			p.status = "expired"
		}
	}
	m.check(t)
	m.verify(t)
	m.checkEvents(t, true)
}

// checkEvents checks that each event the model expects was published, with
// its type; with all, also that no other event of these payments was.
func (m *propModel) checkEvents(t *rapid.T, all bool) {
	for _, p := range m.pays {
		for id, typ := range p.events {
			r := m.send(t, "GET", "/v1/events/"+id, m.s.merchantKey, "", nil)
			if r.status != http.StatusOK || r.json()["type"] != typ {
				t.Fatalf("event %s of %s (%s): %d %s\nthe model: %+v", typ, p.id, id, r.status, r.body, *p)
			}
		}
		if !all {
			continue
		}
		possible := map[string]string{}
		for _, e := range [][2]string{{"payment.succeeded", "pay:"}, {"payment.authorized", "pay:"}, {"payment.succeeded", "capture:"},
			{"payment.canceled", "cancel:"}, {"payment.canceled", "unpaid:"}, {"payment.expired", "unpaid:"}, {"payment.expired", "expire:pay:"}} {
			possible[webhook.EventID(e[0], e[1]+p.id)] = e[0] + " " + e[1] + p.id
		}
		for id, what := range possible {
			if _, ok := p.events[id]; ok {
				continue
			}
			if r := m.send(t, "GET", "/v1/events/"+id, m.s.merchantKey, "", nil); r.status != http.StatusNotFound {
				t.Fatalf("event %s was published: %d %s\nthe model: %+v", what, r.status, r.body, *p)
			}
		}
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
