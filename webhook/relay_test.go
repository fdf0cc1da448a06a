package webhook_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ewallet/ewallet/wallet"
	"github.com/ewallet/ewallet/webhook"
)

// wantSigned fails the test unless req is a proper delivery of e: the
// body exactly as the contract shows it, the Standard Webhooks headers
// with a signature that Verify accepts under the merchant's secret, and
// the content type and user agent.
func wantSigned(t *testing.T, req request, e webhook.Event) {
	t.Helper()
	want := `{"id":"` + e.ID + `","type":"` + e.Type + `","created_at":"` + e.CreatedAt.UTC().Format(time.RFC3339Nano) + `","data":` + string(e.Data) + `}`
	if string(req.body) != want {
		t.Errorf("body:\n got  %s\n want %s", req.body, want)
	}
	if err := webhook.Verify(secrets[e.MerchantID], req.header, req.body, 5*time.Minute, req.at); err != nil {
		t.Errorf("Verify: %v (headers %v)", err, req.header)
	}
	if id := req.header.Get("webhook-id"); id != e.ID {
		t.Errorf("webhook-id %q, want the event's id %q", id, e.ID)
	}
	if ts := req.header.Get("webhook-timestamp"); ts != strconv.FormatInt(req.at.Unix(), 10) {
		t.Errorf("webhook-timestamp %q, want %d", ts, req.at.Unix())
	}
	if ct := req.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if ua := req.header.Get("User-Agent"); !strings.Contains(ua, "ewallet") {
		t.Errorf("User-Agent %q does not name ewallet", ua)
	}
}

func TestBody(t *testing.T) {
	e := webhook.Event{ID: "evt_1", Type: webhook.RefundSucceeded, CreatedAt: time.Date(2026, 3, 14, 17, 26, 53, 0, time.FixedZone("CST", 8*3600)),
		Data: json.RawMessage(`{ "id": "ref_1",  "amount": "1.00" }`)}
	got, err := webhook.Body(e)
	want := `{"id":"evt_1","type":"refund.succeeded","created_at":"2026-03-14T09:26:53Z","data":{"id":"ref_1","amount":"1.00"}}`
	if err != nil || string(got) != want {
		t.Errorf("Body: %s, %v; want %s", got, err, want)
	}
}

func TestEventID(t *testing.T) {
	a := webhook.EventID(webhook.PaymentSucceeded, "pay_1")
	if a != webhook.EventID(webhook.PaymentSucceeded, "pay_1") || !strings.HasPrefix(a, "evt_") || len(a) != 4+24 {
		t.Errorf("EventID: %q, want evt_ and 24 characters, the same every time", a)
	}
	for _, other := range []string{
		webhook.EventID(webhook.PaymentSucceeded, "pay_2"),
		webhook.EventID(webhook.PaymentCanceled, "pay_1"),
		webhook.EventID("payment.succeededp", "ay_1"),
	} {
		if other == a {
			t.Errorf("EventID collides: %q", a)
		}
	}
}

func TestPublish(t *testing.T) {
	f := newFixture(t)
	ep := f.endpoint("mch_1", "https://hooks.example.com/a", webhook.PaymentSucceeded)
	f.endpoint("mch_1", "https://hooks.example.com/refunds", webhook.RefundSucceeded)
	e := f.publish("mch_1", "pay_1")
	if err := f.svc.Publish(f.ctx, e); err != nil { // again: a retry after a crash
		t.Fatalf("publish again: %v", err)
	}
	ds, err := f.svc.Deliveries(f.ctx, "mch_1", webhook.Filter{EventID: e.ID})
	if err != nil || len(ds) != 1 || ds[0].EndpointID != ep.ID || ds[0].State != webhook.Pending {
		t.Errorf("deliveries: %+v, %v; want one, pending, to the payments endpoint", ds, err)
	}

	// A zero time is now.
	f.clock.Set(t0.Add(time.Hour))
	if err := f.svc.Publish(f.ctx, webhook.Event{ID: "evt_now", MerchantID: "mch_1", Type: webhook.PayoutPaid, Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Event(f.ctx, "mch_1", "evt_now")
	if err != nil || !got.CreatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("event: %+v, %v; want created at %v", got, err, t0.Add(time.Hour))
	}
	_, err = f.svc.Event(f.ctx, "mch_2", "evt_now")
	wantCode(t, "another merchant's event", err, wallet.CodeNotFound)

	for _, bad := range []webhook.Event{
		{ID: "pay_1", MerchantID: "mch_1", Type: webhook.PaymentSucceeded, Data: []byte(`{}`)},
		{ID: "evt_" + strings.Repeat("x", 61), MerchantID: "mch_1", Type: webhook.PaymentSucceeded, Data: []byte(`{}`)},
		{ID: "evt_1", Type: webhook.PaymentSucceeded, Data: []byte(`{}`)},
		{ID: "evt_1", MerchantID: "mch_1", Type: "payment.done", Data: []byte(`{}`)},
		{ID: "evt_1", MerchantID: "mch_1", Type: webhook.PaymentSucceeded},
		{ID: "evt_1", MerchantID: "mch_1", Type: webhook.PaymentSucceeded, Data: []byte(`null`)},
		{ID: "evt_1", MerchantID: "mch_1", Type: webhook.PaymentSucceeded, Data: []byte(`[1]`)},
		{ID: "evt_1", MerchantID: "mch_1", Type: webhook.PaymentSucceeded, Data: []byte(`{"a":`)},
	} {
		wantCode(t, "publish "+bad.ID+" "+string(bad.Data), f.svc.Publish(f.ctx, bad), wallet.CodeInvalidRequest)
	}
}

func TestListEvents(t *testing.T) {
	f := newFixture(t)
	var ids []string
	for i := range 5 {
		f.clock.Set(t0.Add(time.Duration(i) * time.Minute))
		ids = append(ids, f.publish("mch_1", "pay_"+strconv.Itoa(i)).ID)
	}
	f.publish("mch_2", "pay_x")
	page, more, err := f.svc.ListEvents(f.ctx, "mch_1", webhook.Page{Limit: 3})
	if err != nil || !more || len(page) != 3 || page[0].ID != ids[4] || page[2].ID != ids[2] {
		t.Fatalf("first page: %d events, more %v, %v", len(page), more, err)
	}
	page, more, err = f.svc.ListEvents(f.ctx, "mch_1", webhook.Page{StartingAfter: page[2].ID, Limit: 3})
	if err != nil || more || len(page) != 2 || page[0].ID != ids[1] || page[1].ID != ids[0] {
		t.Fatalf("second page: %d events, more %v, %v", len(page), more, err)
	}
	_, _, err = f.svc.ListEvents(f.ctx, "mch_1", webhook.Page{Limit: 101})
	wantCode(t, "limit 101", err, wallet.CodeInvalidRequest)
}

// TestRetriesUntilSuccess: a receiver that fails its first three requests
// gets the event once successfully, and the log shows the three failures
// on the schedule.
func TestRetriesUntilSuccess(t *testing.T) {
	f := newFixture(t)
	r := f.receiver(func(n int) int {
		if n <= 3 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	ep := f.endpoint("mch_1", r.srv.URL+"/hooks", webhook.PaymentSucceeded)
	e := f.publish("mch_1", "pay_1")

	for range 10 {
		f.relay()
		d := f.delivery("mch_1", e.ID, ep.ID)
		if d.State != webhook.Pending {
			break
		}
		f.clock.Set(d.NextAt)
	}
	f.clock.Set(t0.Add(webhook.MaxAge)) // nothing more comes, ever
	if n := f.relay(); n != 0 {
		t.Errorf("relay after success sent %d", n)
	}

	reqs := r.requests()
	if len(reqs) != 4 {
		t.Fatalf("receiver got %d requests, want 4", len(reqs))
	}
	for _, req := range reqs {
		wantSigned(t, req, e)
	}
	d := f.delivery("mch_1", e.ID, ep.ID)
	if d.State != webhook.Succeeded || d.Attempts != 4 || d.Failures != 3 || !d.NextAt.IsZero() || !d.LeaseUntil.IsZero() {
		t.Errorf("delivery: %+v, want succeeded at the 4th attempt", d)
	}
	log := f.attempts("mch_1", e.ID)
	if len(log) != 4 {
		t.Fatalf("attempt log: %+v, want 4 rows", log)
	}
	for i, a := range log {
		if a.Attempt != i+1 || a.EndpointID != ep.ID || !a.At.Equal(reqs[i].at) || a.Error != "" || a.Duration <= 0 {
			t.Errorf("attempt %d: %+v", i+1, a)
		}
		if i < 3 {
			// Failed: retried after 5 s, 30 s and 2 min, give or take 10%.
			delay := webhook.Backoff(i + 1)
			if a.Status != 500 || a.State != webhook.Pending || !a.NextAt.Equal(log[i+1].At) ||
				a.NextAt.Sub(a.At) < delay-delay/10 || a.NextAt.Sub(a.At) > delay+delay/10 {
				t.Errorf("failed attempt %d: %+v, want 500 and a retry after about %v", i+1, a, delay)
			}
		} else if a.Status != 204 || a.State != webhook.Succeeded || !a.NextAt.IsZero() {
			t.Errorf("last attempt: %+v, want 204 and succeeded", a)
		}
	}
}

// TestReceiverDownForAnHour: a receiver whose server is down (connections
// refused) for an hour gets the event once it is back, and the log shows
// the attempts it missed.
func TestReceiverDownForAnHour(t *testing.T) {
	f := newFixture(t)
	var got atomic.Int32
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) })
	down := httptest.NewServer(handler)
	addr := down.Listener.Addr().String()
	ep := f.endpoint("mch_1", down.URL, webhook.AllTypes)
	down.Close()

	e := f.publish("mch_1", "pay_1")
	for f.clock.Now().Before(t0.Add(time.Hour)) {
		f.relay()
		d := f.delivery("mch_1", e.ID, ep.ID)
		if d.State != webhook.Pending {
			t.Fatalf("delivery while the receiver is down: %+v", d)
		}
		f.clock.Set(d.NextAt)
	}

	// Back, on the same address.
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	up := httptest.NewUnstartedServer(handler)
	up.Listener.Close()
	up.Listener = l
	up.Start()
	defer up.Close()
	if n := f.relay(); n != 1 || got.Load() != 1 {
		t.Fatalf("relay once the receiver is back: sent %d, received %d", n, got.Load())
	}
	if d := f.delivery("mch_1", e.ID, ep.ID); d.State != webhook.Succeeded {
		t.Errorf("delivery: %+v, want succeeded", d)
	}
	log := f.attempts("mch_1", e.ID)
	if len(log) != 7 {
		t.Fatalf("attempt log: %d rows, want 6 refused in the hour and 1 success", len(log))
	}
	for _, a := range log[:6] {
		if a.Status != 0 || !strings.Contains(a.Error, "refused") || a.State != webhook.Pending {
			t.Errorf("attempt while down: %+v, want no status and a refused connection", a)
		}
	}
	if last := log[6]; last.Status != 200 || last.Error != "" || last.At.Sub(t0) < time.Hour {
		t.Errorf("attempt once back: %+v", last)
	}
}

// TestGivesUpAfterMaxAge: a receiver that never succeeds is tried until
// MaxAge after the event, the last time at that moment, then never again.
func TestGivesUpAfterMaxAge(t *testing.T) {
	f := newFixture(t)
	r := f.receiver(func(int) int { return http.StatusServiceUnavailable })
	ep := f.endpoint("mch_1", r.srv.URL, webhook.PaymentSucceeded)
	e := f.publish("mch_1", "pay_1")
	for range 30 {
		f.relay()
		d := f.delivery("mch_1", e.ID, ep.ID)
		if d.State != webhook.Pending {
			break
		}
		f.clock.Set(d.NextAt)
	}
	d := f.delivery("mch_1", e.ID, ep.ID)
	log := f.attempts("mch_1", e.ID)
	last := log[len(log)-1]
	if d.State != webhook.Failed || len(log) < 15 || len(log) > 20 || !last.At.Equal(t0.Add(webhook.MaxAge)) || last.State != webhook.Failed {
		t.Errorf("after %d attempts: delivery %+v, last attempt %+v; want failed, the last attempt at %v", len(log), d, last, t0.Add(webhook.MaxAge))
	}
	f.clock.Set(t0.Add(30 * 24 * time.Hour))
	if n := f.relay(); n != 0 || len(r.requests()) != len(log) {
		t.Errorf("relay after giving up: sent %d", n)
	}
}

func TestRedeliver(t *testing.T) {
	f := newFixture(t)
	r := f.receiver(func(int) int { return http.StatusOK })
	a := f.endpoint("mch_1", r.srv.URL+"/a", webhook.PaymentSucceeded)
	e := f.publish("mch_1", "pay_1")
	if n := f.relay(); n != 1 {
		t.Fatalf("relay: sent %d", n)
	}

	// A week later, the merchant asks again; an endpoint added since gets
	// it too.
	f.clock.Set(t0.Add(7 * 24 * time.Hour))
	b := f.endpoint("mch_1", r.srv.URL+"/b", webhook.AllTypes)
	_, err := f.svc.Redeliver(f.ctx, "mch_2", e.ID)
	wantCode(t, "redeliver another merchant's event", err, wallet.CodeNotFound)
	n, err := f.svc.Redeliver(f.ctx, "mch_1", e.ID)
	if err != nil || n != 2 {
		t.Fatalf("redeliver: %d, %v; want 2", n, err)
	}
	if n := f.relay(); n != 2 {
		t.Fatalf("relay after redelivery: sent %d, want 2", n)
	}
	reqs := r.requests()
	if len(reqs) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(reqs))
	}
	for _, req := range reqs {
		wantSigned(t, req, e) // the same event id each time: receivers deduplicate on it
	}
	if d := f.delivery("mch_1", e.ID, a.ID); d.State != webhook.Succeeded || d.Attempts != 2 {
		t.Errorf("delivery to a: %+v, want succeeded at attempt 2", d)
	}
	if d := f.delivery("mch_1", e.ID, b.ID); d.State != webhook.Succeeded || d.Attempts != 1 {
		t.Errorf("delivery to b: %+v, want succeeded at attempt 1", d)
	}
}

// TestDeletedEndpoint: deliveries pending for an endpoint deleted since
// fail without a request, and endpoints not subscribed get nothing.
func TestDeletedEndpoint(t *testing.T) {
	f := newFixture(t)
	r := f.receiver(func(int) int { return http.StatusOK })
	ep := f.endpoint("mch_1", r.srv.URL, webhook.PaymentSucceeded)
	f.endpoint("mch_1", r.srv.URL+"/refunds", webhook.RefundSucceeded)
	e := f.publish("mch_1", "pay_1")
	if err := f.svc.DeleteEndpoint(f.ctx, "mch_1", ep.ID); err != nil {
		t.Fatal(err)
	}
	f.relay()
	if n := len(r.requests()); n != 0 {
		t.Errorf("receiver got %d requests, want none", n)
	}
	d := f.delivery("mch_1", e.ID, ep.ID)
	log := f.attempts("mch_1", e.ID)
	if d.State != webhook.Failed || len(log) != 1 || log[0].Status != 0 || !strings.Contains(log[0].Error, "deleted") {
		t.Errorf("delivery %+v, log %+v; want failed, without sending, because the endpoint was deleted", d, log)
	}
}

// TestConcurrentSends: a pass sends several deliveries at once, but never
// more than its workers (8).
func TestConcurrentSends(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	inFlight, most := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		time.Sleep(30 * time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
	}))
	defer srv.Close()
	f.endpoint("mch_1", srv.URL, webhook.AllTypes)
	for i := range 30 {
		f.publish("mch_1", "pay_"+strconv.Itoa(i))
	}
	if n := f.relay(); n != 30 {
		t.Fatalf("relay sent %d, want 30", n)
	}
	if most < 2 || most > 8 {
		t.Errorf("at most %d requests in flight, want 2-8", most)
	}
}

// TestRun runs the relay loop on the real clock until its context ends.
func TestRun(t *testing.T) {
	f := newFixture(t)
	r := f.receiver(func(int) int { return http.StatusOK })
	f.endpoint("mch_1", r.srv.URL, webhook.PaymentSucceeded)
	svc := webhook.New(webhook.Deps{Store: f.store, Secret: func(context.Context, string) (string, error) { return secrets["mch_1"], nil }, Dev: true})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		svc.Run(ctx, 10*time.Millisecond)
		close(done)
	}()
	f.clock.Set(time.Now())
	e := f.publish("mch_1", "pay_1")
	deadline := time.Now().Add(10 * time.Second)
	for len(r.requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if reqs := r.requests(); len(reqs) != 1 || reqs[0].header.Get("webhook-id") != e.ID {
		t.Errorf("receiver got %d requests, want the event once", len(reqs))
	}
}

// TestDefaultClient: outside Dev the client refuses to connect to a
// non-public address whatever the URL said, and it never follows a
// redirect.
func TestDefaultClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data", http.StatusFound)
	}))
	defer srv.Close()
	if _, err := webhook.DefaultClient(false).Get(srv.URL); err == nil || !strings.Contains(err.Error(), "not a public address") {
		t.Errorf("outside Dev, a request to %s: %v; want refused", srv.URL, err)
	}
	resp, err := webhook.DefaultClient(true).Get(srv.URL)
	if err != nil {
		t.Fatalf("with Dev: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("with Dev: status %d, want the redirect itself (302), not followed", resp.StatusCode)
	}
}
