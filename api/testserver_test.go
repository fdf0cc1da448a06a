package api

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ewallet/ewallet/auth"
	"github.com/ewallet/ewallet/bank"
	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/merchant"
	"github.com/ewallet/ewallet/notify"
	"github.com/ewallet/ewallet/purse"
	"github.com/ewallet/ewallet/receipt"
	"github.com/ewallet/ewallet/store/sqlite"
	"github.com/ewallet/ewallet/vault"
	"github.com/ewallet/ewallet/wallet"
	"github.com/ewallet/ewallet/webhook"
)

// The test server is the real API (New) over a real wallet.Service on
// SQLite in a temporary directory, wired like `ewallet serve --dev` in
// cmd/ewallet/serve.go: sandbox bank, sandbox SMS outbox, the per-IP
// limit of --dev, an admin token. Requests go straight to the handler,
// without a network. The reflection helpers at the end serve both the
// fuzz and the OpenAPI tests.

const (
	testAdminToken = "admin-token-for-tests"
	testPassword   = "correct horse battery"
	testPIN        = "730194"
	testTopup      = "1000000.00" // CNY the payer starts with (and as many JPY)
)

// Phones of the prepared users. Fuzz seeds use them too.
const (
	payerPhone  = "+8613800000001"
	payeePhone  = "+8613800000002"
	keeperPhone = "+8613800000003"
)

// testUser is a user made through the API.
type testUser struct {
	id, walletID, phone, token, card string
}

// testServer is one in-process server with its prepared users. Making the
// users costs a few argon2 hashes (~60 ms each), so a test or fuzz target
// makes one server and reuses it for every input.
type testServer struct {
	tb    testing.TB
	h     http.Handler
	svc   *wallet.Service
	log   *syncBuffer   // errors the server logged; see takeLog
	calls atomic.Uint32 // requests sent; each comes from its own address

	// payer is verified, has PIN testPIN and a bound approving card, is
	// on KYC tier 3 with no outflow limits, and holds testTopup CNY and
	// JPY. The card, money-movement and history routes act as the payer.
	payer testUser
	// payee is verified but never logs in: it receives transfers and is
	// the target of the operator's KYC route.
	payee testUser
	// keeper is verified and logged in; the PIN, freeze and unfreeze
	// routes act on it, so whatever they do leaves the payer alone.
	keeper testUser
	// merchantKey is the secret key of a shop the payer owns; paymentID
	// is a 10.00 CNY manual-capture payment of that shop, open for a day
	// when the server starts. The merchant routes act on them.
	merchantKey, merchantID, paymentID string
	staticQR                           string // the shop's static CNY code
	// epurseCard is a stored-value card of the payer's; terminal one of
	// the shop's terminals. The e-purse routes act on them.
	epurseCard, terminal string

	merchants *merchant.Service
	hooks     *webhook.Service
	purses    *purse.Service
}

// testOption changes how newTestServer builds its server.
type testOption func(*testOptions)

type testOptions struct {
	now      func() time.Time // the ledger's, the merchants' and the e-purse's clock; nil: time.Now
	merchant merchant.Config
	purse    purse.Config
}

// withPurseConfig replaces the e-purse defaults.
func withPurseConfig(cfg purse.Config) testOption {
	return func(o *testOptions) { o.purse = cfg }
}

// withClock makes the ledger and the merchant service (hold and payment
// deadlines) read the time from now, so that a test can move it. The
// wallet, the webhooks and the sessions keep the real clock.
func withClock(now func() time.Time) testOption {
	return func(o *testOptions) { o.now = now }
}

// withMerchantConfig replaces merchant.DefaultConfig().
func withMerchantConfig(cfg merchant.Config) testOption {
	return func(o *testOptions) { o.merchant = cfg }
}

// newTestServer builds a server and prepares its users.
func newTestServer(tb testing.TB, opts ...testOption) *testServer {
	tb.Helper()
	o := testOptions{merchant: merchant.DefaultConfig()}
	for _, opt := range opts {
		opt(&o)
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "ewallet.db"))
	if err != nil {
		tb.Fatal(err)
	}
	l := ledger.New(db, ledger.Options{Now: o.now})
	v, err := vault.New(randomKey())
	if err != nil {
		tb.Fatal(err)
	}
	pins, err := auth.NewPINHasher(randomKey())
	if err != nil {
		tb.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelError}))
	sms := &notify.SandboxSMS{}
	svc, err := wallet.New(wallet.Deps{Store: db.WalletStore(), Ledger: l, Bank: &bank.Sandbox{}, SMS: sms, Vault: v,
		Passwords: auth.NewHasher(4), PINs: pins, CodeSecret: randomKey(), Log: log}, wallet.DefaultConfig())
	if err != nil {
		tb.Fatal(err)
	}
	// The recovery worker settles withdrawals, as in serve.
	workCtx, stopWork := context.WithCancel(ctx)
	var workers sync.WaitGroup
	workers.Go(func() { svc.RunRecovery(workCtx, time.Second) })
	tb.Cleanup(func() {
		stopWork()
		workers.Wait()
		l.Close()
		if err := db.Close(); err != nil {
			tb.Errorf("close database: %v", err)
		}
	})

	ms, ok := db.WalletStore().(merchant.Store)
	if !ok {
		tb.Fatal("the SQLite wallet store keeps no merchants")
	}
	var merchants *merchant.Service
	hooks := webhook.New(webhook.Deps{Store: db.WalletStore().(webhook.Store), Log: log, Dev: true,
		Secret: func(ctx context.Context, id string) (string, error) { return merchants.WebhookSecret(ctx, id) }})
	signer, err := receipt.NewSigner(ed25519.NewKeyFromSeed(randomKey()))
	if err != nil {
		tb.Fatal(err)
	}
	receiptKeys, err := receipt.NewVerifier(signer.PublicKey())
	if err != nil {
		tb.Fatal(err)
	}
	merchants = merchant.New(merchant.Deps{Store: ms, Ledger: l, Wallet: svc, Vault: v, Events: hooks, Receipts: signer, Log: log, Now: o.now}, o.merchant)
	purses, err := purse.New(purse.Deps{Store: db.WalletStore().(purse.Store), Ledger: l, Wallet: svc, Seed: randomKey(), Log: log, Now: o.now}, o.purse)
	if err != nil {
		tb.Fatal(err)
	}
	s := &testServer{tb: tb, svc: svc, log: logs, merchants: merchants, hooks: hooks, purses: purses,
		h: New(Deps{Wallet: svc, Ledger: l, DB: db, AdminToken: testAdminToken, Dev: true, Outbox: sms, Log: log, Metrics: NewMetrics(),
			IPLimit: DevRateLimit, Merchants: merchants, Webhooks: hooks, ReceiptKeys: receiptKeys, Purse: purses})}
	s.payer = s.mustUser(payerPhone, "Fuzz Payer", true)
	s.payee = s.mustUser(payeePhone, "Fuzz Payee", false)
	s.keeper = s.mustUser(keeperPhone, "Fuzz Keeper", true)

	s.mustCall("PUT", "/v1/me/pin", s.payer.token, "", map[string]any{"password": testPassword, "pin": testPIN}, http.StatusNoContent)
	card := s.mustCall("POST", "/v1/me/cards", s.payer.token, "",
		map[string]any{"number": bank.CardApproves, "exp_month": 12, "exp_year": 2099, "holder": "FUZZ PAYER"}, http.StatusCreated)
	s.payer.card, _ = card["id"].(string)
	s.mustCall("POST", "/v1/admin/users/"+s.payer.id+"/kyc", testAdminToken, "",
		map[string]any{"tier": 3, "limits": map[string]string{"per_transaction": "unlimited", "daily": "unlimited", "yearly": "unlimited"}}, http.StatusOK)
	shop := s.mustCall("POST", "/v1/merchants", s.payer.token, "", map[string]any{"name": "Fuzz Shop", "category": "5812"}, http.StatusCreated)
	s.merchantKey, _ = shop["secret_key"].(string)
	s.merchantID, _ = shop["id"].(string)
	qr := s.mustCall("GET", "/v1/merchant/qr", s.merchantKey, "", nil, http.StatusOK)
	s.staticQR, _ = qr["qr_payload"].(string)
	pay := s.mustCall("POST", "/v1/payments", s.merchantKey, "setup-payment",
		map[string]any{"amount": "10.00", "currency": "CNY", "reference": "fuzz-1", "capture": "manual", "expires_in_seconds": 86400}, http.StatusCreated)
	s.paymentID, _ = pay["id"].(string)
	ep := s.mustCall("POST", "/v1/epurse/cards", s.payer.token, "", nil, http.StatusCreated)
	s.epurseCard, _ = ep["id"].(string)
	trm := s.mustCall("POST", "/v1/epurse/terminals", s.merchantKey, "", map[string]any{"name": "Fuzz Gate"}, http.StatusCreated)
	s.terminal, _ = trm["id"].(string)
	for _, m := range []struct{ amount, currency string }{{testTopup, "CNY"}, {"1000000", "JPY"}} {
		top := s.mustCall("POST", "/v1/topups", s.payer.token, "setup-topup-"+m.currency,
			map[string]any{"card_id": s.payer.card, "amount": m.amount, "currency": m.currency, "pin": testPIN}, http.StatusCreated)
		if top["status"] != "succeeded" {
			tb.Fatalf("setup top-up: %v", top)
		}
	}
	return s
}

func randomKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// testResp is a recorded answer.
type testResp struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body as an object; nil when it is not one.
func (r testResp) json() map[string]any {
	var m map[string]any
	if json.Unmarshal(r.body, &m) != nil {
		return nil
	}
	return m
}

// errorCode is the body's error.code, "" when there is none.
func (r testResp) errorCode() string {
	e, _ := r.json()["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// do sends one request to the handler. An empty token sends no
// Authorization header, an empty key no Idempotency-Key.
func (s *testServer) do(method, target, token, key string, body []byte) testResp {
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	// Every request comes from its own client address, so that the
	// per-IP rate limit (tested in ratelimit_test.go) never throttles a
	// fuzzer that sends thousands of requests a second.
	n := s.calls.Add(1)
	req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:40000", n>>16&255, n>>8&255, n&255)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return testResp{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// mustCall sends body as JSON and fails the test unless the answer has
// status want; it returns the decoded body.
func (s *testServer) mustCall(method, target, token, key string, body any, want int) map[string]any {
	s.tb.Helper()
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			s.tb.Fatal(err)
		}
	}
	r := s.do(method, target, token, key, b)
	if r.status != want {
		s.tb.Fatalf("%s %s: status %d, want %d: %s%s", method, target, r.status, want, r.body, s.takeLog())
	}
	return r.json()
}

// mustUser registers and verifies a user, and logs it in when login.
func (s *testServer) mustUser(phone, name string, login bool) testUser {
	s.tb.Helper()
	u := testUser{phone: phone}
	created := s.mustCall("POST", "/v1/users", "", "", map[string]any{"phone": phone, "password": testPassword, "name": name}, http.StatusCreated)
	u.id, _ = created["id"].(string)
	u.walletID, _ = created["wallet_id"].(string)
	s.mustCall("POST", "/v1/users/verify", "", "", map[string]any{"phone": phone, "code": s.smsCode(phone)}, http.StatusOK)
	if login {
		sess := s.mustCall("POST", "/v1/sessions", "", "", map[string]any{"phone": phone, "password": testPassword}, http.StatusCreated)
		u.token, _ = sess["token"].(string)
	}
	return u
}

var smsCodeRE = regexp.MustCompile(`\b(\d{6})\b`)

// smsCode reads the newest code texted to phone from the dev outbox.
func (s *testServer) smsCode(phone string) string {
	s.tb.Helper()
	out := s.mustCall("GET", "/v1/dev/sms?phone="+url.QueryEscape(phone), "", "", nil, http.StatusOK)
	data, _ := out["data"].([]any)
	if len(data) == 0 {
		s.tb.Fatalf("no SMS to %s", phone)
	}
	text, _ := data[0].(map[string]any)["text"].(string)
	m := smsCodeRE.FindStringSubmatch(text)
	if m == nil {
		s.tb.Fatalf("no code in SMS %q", text)
	}
	return m[1]
}

// takeLog returns (and forgets) what the server logged at error level,
// formatted to follow a failure message.
func (s *testServer) takeLog() string {
	if l := s.log.take(); l != "" {
		return "\nserver log:\n" + l
	}
	return ""
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	b.buf.Reset()
	return s
}

// unmarshalerType is implemented by the types that decode themselves
// (Amount): to the tests they are leaves, not structs.
var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// jsonFields maps the JSON names of a struct's fields to their types, as
// encoding/json names them (tags, embedded structs flattened).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
