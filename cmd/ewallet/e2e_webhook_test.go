package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ewallet/ewallet/webhook"
)

// receiver is a merchant's webhook endpoint on loopback: it checks each
// delivery's Standard Webhooks signature and keeps the events, or answers
// 503 while down.
type receiver struct {
	t      *testing.T
	secret string
	srv    *httptest.Server

	mu     sync.Mutex
	down   bool
	events map[string][]map[string]any // by type
	seen   map[string]int              // deliveries per webhook-id
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{t: t, secret: secret, events: map[string][]map[string]any{}, seen: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.down {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if err := webhook.Verify(r.secret, req.Header, body, 5*time.Minute, time.Now()); err != nil {
			t.Errorf("webhook signature: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var ev map[string]any
		if err := json.Unmarshal(body, &ev); err != nil || ev["id"] != req.Header.Get("webhook-id") {
			t.Errorf("webhook body %s (webhook-id %q): %v", body, req.Header.Get("webhook-id"), err)
		}
		typ, _ := ev["type"].(string)
		r.events[typ] = append(r.events[typ], ev)
		r.seen[req.Header.Get("webhook-id")]++
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// wait returns the data of the first event of typ whose object has id,
// waiting up to 10 s for it.
func (r *receiver) wait(typ, id string) map[string]any {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, ev := range r.events[typ] {
			if data, _ := ev["data"].(map[string]any); data["id"] == id {
				r.mu.Unlock()
				return data
			}
		}
		r.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("no %s event for %s within 10 s", typ, id)
	return nil
}

func TestAPIWebhooks(t *testing.T) {
	backends(t, func(t *testing.T, c *client) {
		owner, alice := c.mustUser("Owner"), c.mustUser("Alice")
		c.topup(alice, "500.00")
		s := c.mustMerchant(owner, "Tea House")
		rcv := newReceiver(t, s.whsec)

		r := c.do("POST", "/v1/webhook_endpoints", s.sk, "", map[string]any{"url": rcv.srv.URL + "/hooks",
			"events": []string{"payment.succeeded", "payment.authorized", "payment.canceled", "refund.succeeded"}})
		want(t, r, 201, "")
		if r.str("id")[:3] != "we_" || r.str("url") != rcv.srv.URL+"/hooks" {
			t.Fatalf("endpoint: %s", r.raw)
		}
		endpoint := r.str("id")

		t.Run("Refusals", func(t *testing.T) {
			c := c.at(t)
			want(t, c.do("POST", "/v1/webhook_endpoints", s.sk, "", map[string]any{"url": "ftp://example.com/x", "events": []string{"payment.succeeded"}}), 400, "invalid_request")
			want(t, c.do("POST", "/v1/webhook_endpoints", s.sk, "", map[string]any{"url": rcv.srv.URL, "events": []string{"payment.exploded"}}), 400, "invalid_request")
			want(t, c.do("POST", "/v1/webhook_endpoints", alice.token, "", map[string]any{"url": rcv.srv.URL, "events": []string{"payment.succeeded"}}), 401, "unauthenticated")
		})

		t.Run("PaymentAndRefund", func(t *testing.T) {
			c := c.at(t)
			id := c.newPayment(s, "80.00", "automatic")
			want(t, c.do("POST", "/v1/payments/"+id+"/pay", alice.token, c.key(), map[string]any{"pin": alice.pin}), 200, "")
			data := rcv.wait("payment.succeeded", id)
			if data["status"] != "succeeded" || data["amount"] != "80.00" || data["fee"] != "0.48" || data["net"] != "79.52" {
				t.Fatalf("payment.succeeded data: %v", data)
			}
			ref := c.do("POST", "/v1/refunds", s.sk, c.key(), map[string]any{"payment_id": id, "amount": "30.00"})
			want(t, ref, 201, "")
			if d := rcv.wait("refund.succeeded", ref.str("id")); d["amount"] != "30.00" || d["payment_id"] != id {
				t.Fatalf("refund.succeeded data: %v", d)
			}
		})

		t.Run("ManualCaptureAndCancel", func(t *testing.T) {
			c := c.at(t)
			id := c.newPayment(s, "12.00", "manual")
			want(t, c.do("POST", "/v1/payments/"+id+"/pay", alice.token, c.key(), map[string]any{"pin": alice.pin}), 200, "")
			rcv.wait("payment.authorized", id)
			want(t, c.do("POST", "/v1/payments/"+id+"/cancel", s.sk, "", nil), 200, "")
			if d := rcv.wait("payment.canceled", id); d["status"] != "canceled" {
				t.Fatalf("payment.canceled data: %v", d)
			}
			unpaid := c.newPayment(s, "3.00", "automatic")
			want(t, c.do("POST", "/v1/payments/"+unpaid+"/cancel", s.sk, "", nil), 200, "")
			rcv.wait("payment.canceled", unpaid)
		})

		t.Run("EventsAndRedelivery", func(t *testing.T) {
			c := c.at(t)
			evs := c.do("GET", "/v1/events?limit=200", s.sk, "", nil)
			want(t, evs, 200, "")
			list, _ := evs.body["data"].([]any)
			if len(list) < 5 {
				t.Fatalf("events: %s", evs.raw)
			}
			first, _ := list[0].(map[string]any)
			evID, _ := first["id"].(string)
			rcv.mu.Lock()
			before := rcv.seen[evID]
			rcv.mu.Unlock()
			if before != 1 {
				t.Fatalf("event %s delivered %d times before the redelivery, want 1", evID, before)
			}
			want(t, c.do("POST", "/v1/events/"+evID+"/redeliver", s.sk, "", nil), 200, "")
			deadline := time.Now().Add(10 * time.Second)
			for {
				rcv.mu.Lock()
				n := rcv.seen[evID]
				rcv.mu.Unlock()
				if n == 2 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("redelivered event %s seen %d times", evID, n)
				}
				time.Sleep(50 * time.Millisecond)
			}
			// The receiver sees the redelivery before the relay has
			// written its attempt down: wait for the log to show it.
			for {
				log := c.do("GET", "/v1/webhook_endpoints/"+endpoint+"/attempts", s.sk, "", nil)
				want(t, log, 200, "")
				if as, _ := log.body["data"].([]any); len(as) >= 6 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("attempts: %s", log.raw)
				}
				time.Sleep(50 * time.Millisecond)
			}
			want(t, c.do("GET", "/v1/events/evt_nope", s.sk, "", nil), 404, "not_found")
		})
	})
}
