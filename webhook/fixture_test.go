package webhook_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ewallet/ewallet/store/sqlite"
	"github.com/ewallet/ewallet/wallet"
	"github.com/ewallet/ewallet/webhook"
)

// t0 is where every fixture's clock starts.
var t0 = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// secrets are the merchants' webhook secrets.
var secrets = map[string]string{
	"mch_1": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	"mch_2": "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
}

// clock is the service's controllable time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// fakeResolver answers from a table, so that URL checks need no DNS.
type fakeResolver map[string][]string

func (r fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	addrs, ok := r[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, a := range addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

// fixture is a Service with Dev on (so that it may call httptest servers on
// loopback) over the SQLite store in a temporary directory, with its own
// clock.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	svc   *webhook.Service
	store webhook.Store
	clock *clock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "wallet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store := db.WalletStore().(webhook.Store)
	c := &clock{now: t0}
	svc := webhook.New(webhook.Deps{
		Store: store,
		Secret: func(_ context.Context, merchantID string) (string, error) {
			if s, ok := secrets[merchantID]; ok {
				return s, nil
			}
			return "", errors.New("no such merchant")
		},
		Resolver: fakeResolver{"hooks.example.com": {"93.184.215.14"}},
		Now:      c.Now,
		Dev:      true,
	})
	return &fixture{t: t, ctx: t.Context(), svc: svc, store: store, clock: c}
}

// endpoint registers url for merchant's events.
func (f *fixture) endpoint(merchant, url string, events ...string) webhook.Endpoint {
	f.t.Helper()
	e, err := f.svc.CreateEndpoint(f.ctx, merchant, url, events)
	if err != nil {
		f.t.Fatalf("create endpoint %s: %v", url, err)
	}
	return e
}

// publish publishes a payment.succeeded event of merchant about payment,
// created now.
func (f *fixture) publish(merchant, payment string) webhook.Event {
	f.t.Helper()
	e := webhook.Event{ID: webhook.EventID(webhook.PaymentSucceeded, payment), MerchantID: merchant, Type: webhook.PaymentSucceeded,
		CreatedAt: f.clock.Now(), Data: []byte(`{"id":"` + payment + `","status":"succeeded","amount":"12.34","currency":"CNY"}`)}
	if err := f.svc.Publish(f.ctx, e); err != nil {
		f.t.Fatalf("publish %s: %v", e.ID, err)
	}
	return e
}

// relay runs one relay pass and returns how many it sent.
func (f *fixture) relay() int {
	f.t.Helper()
	n, err := f.svc.RelayOnce(f.ctx)
	if err != nil {
		f.t.Fatalf("relay: %v", err)
	}
	return n
}

// delivery is the event's delivery to the endpoint.
func (f *fixture) delivery(merchant, eventID, endpointID string) webhook.Delivery {
	f.t.Helper()
	ds, err := f.svc.Deliveries(f.ctx, merchant, webhook.Filter{EventID: eventID, EndpointID: endpointID})
	if err != nil || len(ds) != 1 {
		f.t.Fatalf("delivery of %s to %s: %+v, %v", eventID, endpointID, ds, err)
	}
	return ds[0]
}

// attempts is the attempt log of an event, oldest first.
func (f *fixture) attempts(merchant, eventID string) []webhook.Attempt {
	f.t.Helper()
	as, err := f.svc.Attempts(f.ctx, merchant, webhook.Filter{EventID: eventID, Limit: 100})
	if err != nil {
		f.t.Fatalf("attempts of %s: %v", eventID, err)
	}
	for i, j := 0, len(as)-1; i < j; i, j = i+1, j-1 {
		as[i], as[j] = as[j], as[i]
	}
	return as
}

// request is one delivery a receiver got, and the fixture's time then.
type request struct {
	header http.Header
	body   []byte
	at     time.Time
}

// receiver is an HTTP server that answers with status(n) to its n-th
// request (1-based) and keeps every request.
type receiver struct {
	mu     sync.Mutex
	got    []request
	status func(n int) int
	clock  *clock
	srv    *httptest.Server
}

func (f *fixture) receiver(status func(n int) int) *receiver {
	r := &receiver{status: status, clock: f.clock}
	r.srv = httptest.NewServer(r)
	f.t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, request{header: req.Header.Clone(), body: body, at: r.clock.Now()})
	n := len(r.got)
	r.mu.Unlock()
	w.WriteHeader(r.status(n))
}

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.got...)
}

// wantCode fails the test unless err carries the wallet code.
func wantCode(t *testing.T, what string, err error, code wallet.Code) {
	t.Helper()
	if got := wallet.ErrorCode(err); got != code {
		t.Errorf("%s: error %v (code %q), want %q", what, err, got, code)
	}
}
