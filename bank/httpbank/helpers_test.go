package httpbank_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ewallet/ewallet/bank/bankwire"
	"github.com/ewallet/ewallet/bank/httpbank"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/store/sqlite"
	"github.com/ewallet/ewallet/wallet"
)

// Test parameters: short enough that a hanging bank costs little, and a
// backoff whose steps the fake clock walks through without sleeping.
const (
	testTimeout    = 150 * time.Millisecond
	testBackoffMin = time.Second
	testBackoffMax = 4 * time.Second
	testCard       = "4111111111111111"
)

var testSecret = []byte("test-bank-secret")

// clock is a settable time source shared by the connector and the fake bank.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// call is one request the fake bank received.
type call struct {
	Method, Path, IdemKey string
	Payment               bankwire.PaymentRequest // POSTs only
}

// answerFunc plays the bank for one request; body is the request body.
type answerFunc func(w http.ResponseWriter, r *http.Request, body []byte)

// fakeBank is an httptest.Server playing the bank: it checks every
// request's signature and answers with whatever answer the test set.
type fakeBank struct {
	t     testing.TB
	clock *clock
	srv   *httptest.Server
	stop  chan struct{} // closed at cleanup: releases hanging handlers

	mu     sync.Mutex
	answer answerFunc
	calls  []call
}

func newFakeBank(tb testing.TB, clk *clock) *fakeBank {
	tb.Helper()
	b := &fakeBank{t: tb, clock: clk, stop: make(chan struct{})}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	tb.Cleanup(func() {
		close(b.stop)
		b.srv.Close()
	})
	return b
}

func (b *fakeBank) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		b.t.Errorf("bank: read body: %v", err)
		return
	}
	if err := bankwire.Verify(testSecret, r.Header, r.Method, r.URL.Path, body, b.clock.Now()); err != nil {
		b.t.Errorf("bank: %s %s: the connector's signature does not verify", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	c := call{Method: r.Method, Path: r.URL.Path, IdemKey: r.Header.Get(bankwire.HeaderIdemKey)}
	if r.Method == http.MethodPost {
		if err := json.Unmarshal(body, &c.Payment); err != nil {
			b.t.Errorf("bank: decode request: %v", err)
		}
	}
	b.mu.Lock()
	b.calls = append(b.calls, c)
	answer := b.answer
	b.mu.Unlock()
	if answer == nil {
		b.t.Errorf("bank: unexpected %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	answer(w, r, body)
}

// set makes a the bank's answer to every request from now on.
func (b *fakeBank) set(a answerFunc) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.answer = a
}

// count is how many requests with that method and path the bank received.
func (b *fakeBank) count(method, path string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, c := range b.calls {
		if c.Method == method && c.Path == path {
			n++
		}
	}
	return n
}

func (b *fakeBank) posts() []call {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []call
	for _, c := range b.calls {
		if c.Method == http.MethodPost {
			out = append(out, c)
		}
	}
	return out
}

// Answers the bank can give.

// reply answers with a Result about the request the connector asked about
// (its body's ID on a POST, the path's on a status query), changed by edit.
func reply(code int, status, failure string, seq int64, edit func(*bankwire.Result)) answerFunc {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		res := bankwire.Result{Status: status, FailureCode: failure, Seq: seq, Currency: "CNY", Amount: "12.34", Kind: bankwire.KindCharge}
		if r.Method == http.MethodPost {
			var p bankwire.PaymentRequest
			_ = json.Unmarshal(body, &p)
			res.ID, res.Amount, res.Currency = p.ID, p.Amount, p.Currency
			if r.URL.Path == "/v1/payouts" {
				res.Kind = bankwire.KindPayout
			}
		} else {
			res.ID = strings.TrimPrefix(r.URL.Path, "/v1/requests/")
		}
		if edit != nil {
			edit(&res)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(res)
	}
}

func succeeded(code int) answerFunc { return reply(code, bankwire.StatusSucceeded, "", 2, nil) }
func declined(code int) answerFunc {
	return reply(code, bankwire.StatusFailed, "card_declined", 2, nil)
}
func pending(code int) answerFunc { return reply(code, bankwire.StatusPending, "", 1, nil) }

// refuse answers a bankwire.Error with the status code.
func refuse(code int) answerFunc {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(bankwire.Error{Code: "nope", Message: http.StatusText(code)})
	}
}

// raw answers a fixed body.
func raw(code int, body string) answerFunc {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

// hang never answers: the connector gives up after its timeout.
func (b *fakeBank) hang() answerFunc {
	return func(_ http.ResponseWriter, r *http.Request, _ []byte) {
		select {
		case <-r.Context().Done():
		case <-b.stop:
		}
	}
}

// hangup closes the connection without a word.
func hangup(w http.ResponseWriter, _ *http.Request, _ []byte) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// hangupMidBody promises a body and cuts the connection halfway through it.
func hangupMidBody(w http.ResponseWriter, _ *http.Request, _ []byte) {
	w.Header().Set("Content-Length", "500")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, `{"id":"`)
	_ = http.NewResponseController(w).Flush()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// env is one connector over a real SQLite store, talking to a fake bank.
type env struct {
	ctx    context.Context
	clock  *clock
	bank   *fakeBank
	store  httpbank.Store
	client *httpbank.Client
}

// mustOpenStore opens a fresh SQLite wallet database under t.TempDir().
func mustOpenStore(tb testing.TB) httpbank.Store {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "wallet.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	s, ok := db.WalletStore().(httpbank.Store)
	if !ok {
		tb.Fatal("the SQLite wallet store keeps no bank requests")
	}
	return s
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	clk := newClock()
	bank := newFakeBank(tb, clk)
	store := mustOpenStore(tb)
	client := httpbank.New(store, httpbank.Options{BaseURL: bank.srv.URL, Secret: testSecret, Timeout: testTimeout,
		BackoffMin: testBackoffMin, BackoffMax: testBackoffMax, Now: clk.Now})
	return &env{ctx: context.Background(), clock: clk, bank: bank, store: store, client: client}
}

// charge is a 12.34 CNY charge under id.
func charge(id string) wallet.BankRequest {
	return wallet.BankRequest{ID: id, CardNumber: testCard, Amount: 1234, Currency: string(money.CNY)}
}

// mustRequest reads a stored request.
func (e *env) mustRequest(tb testing.TB, id string) httpbank.Request {
	tb.Helper()
	r, err := e.store.BankRequest(e.ctx, id)
	if err != nil {
		tb.Fatalf("read bank request %s: %v", id, err)
	}
	return r
}

// mustSend charges id with the bank answering a, and returns the stored
// request, which must be in state want.
func (e *env) mustSend(tb testing.TB, id string, a answerFunc, want httpbank.State) httpbank.Request {
	tb.Helper()
	e.bank.set(a)
	_, _ = e.client.Charge(e.ctx, charge(id))
	r := e.mustRequest(tb, id)
	if r.State != want {
		tb.Fatalf("after sending %s: state %s, want %s", id, r.State, want)
	}
	return r
}

// settler is a stand-in for wallet.SettleBankOp with its contract: the
// first final answer settles the operation, everything later changes
// nothing. It remembers every call so tests can count them.
type settler struct {
	mu      sync.Mutex
	final   map[string]wallet.BankResult
	applied map[string]int // final answers that moved an operation
	calls   map[string][]wallet.BankResult
}

func newSettler() *settler {
	return &settler{final: map[string]wallet.BankResult{}, applied: map[string]int{}, calls: map[string][]wallet.BankResult{}}
}

func (s *settler) SettleBankOp(_ context.Context, id string, res wallet.BankResult) (wallet.BankOp, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[id] = append(s.calls[id], res)
	if _, done := s.final[id]; !done && (res.Status == wallet.BankSucceeded || res.Status == wallet.BankFailed) {
		s.final[id] = res
		s.applied[id]++
	}
	return wallet.BankOp{ID: id}, nil
}

func (s *settler) snapshot(id string) (applied int, final wallet.BankResult, calls []wallet.BankResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied[id], s.final[id], append([]wallet.BankResult(nil), s.calls[id]...)
}
