package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ewallet/ewallet/wallet"
	"github.com/ewallet/ewallet/webhook"
)

// testWebhooks checks webhook.Store, which a wallet store implements too
// (the merchants' tables live beside the wallet's): endpoints, publishing
// once with its fan-out, the relay's claims and their fences, redelivery,
// paging and the attempt log.
func testWebhooks(t *testing.T, open walletOpener) {
	t.Run("Endpoints", func(t *testing.T) { testWebhookEndpoints(t, open) })
	t.Run("PublishOnce", func(t *testing.T) { testWebhookPublishOnce(t, open) })
	t.Run("FanOut", func(t *testing.T) { testWebhookFanOut(t, open) })
	t.Run("Claim", func(t *testing.T) { testWebhookClaim(t, open) })
	t.Run("ConcurrentClaims", func(t *testing.T) { testWebhookConcurrentClaims(t, open) })
	t.Run("Redeliver", func(t *testing.T) { testWebhookRedeliver(t, open) })
	t.Run("EventPages", func(t *testing.T) { testWebhookEventPages(t, open) })
	t.Run("Log", func(t *testing.T) { testWebhookLog(t, open) })
}

// webhookStore opens a fresh store as a webhook.Store.
func webhookStore(t *testing.T, open walletOpener) webhook.Store {
	t.Helper()
	s := open(t)
	ws, ok := s.(webhook.Store)
	if !ok {
		t.Fatalf("%T does not implement webhook.Store", s)
	}
	return ws
}

// hookEndpoint is the endpoint id of merchant, created n seconds after
// wepoch, subscribed to events.
func hookEndpoint(id, merchant string, n int, events ...string) webhook.Endpoint {
	return webhook.Endpoint{ID: id, MerchantID: merchant, URL: "https://example.com/hooks/" + id, Events: events,
		CreatedAt: wat(time.Duration(n) * time.Second)}
}

// hookEvent is an event of merchant at wepoch plus d.
func hookEvent(id, merchant, typ string, d time.Duration) webhook.Event {
	return webhook.Event{ID: id, MerchantID: merchant, Type: typ, CreatedAt: wat(d),
		Data: json.RawMessage(fmt.Sprintf(`{"id":"pay_%s","amount":"12.34","note":"π ✓"}`, id))}
}

func mustCreateEndpoints(t *testing.T, s webhook.Store, es ...webhook.Endpoint) {
	t.Helper()
	for _, e := range es {
		must(t, "create endpoint "+e.ID, s.CreateWebhookEndpoint(t.Context(), e))
	}
}

// mustPublish publishes e, retried until MaxAge after it, and fails the
// test unless it was stored as new.
func mustPublish(t *testing.T, s webhook.Store, e webhook.Event) {
	t.Helper()
	created, err := s.PublishWebhookEvent(t.Context(), e, e.CreatedAt.Add(webhook.MaxAge))
	must(t, "publish "+e.ID, err)
	if !created {
		t.Fatalf("publish %s: not created", e.ID)
	}
}

// deliveredTo lists the endpoints an event has deliveries to, sorted.
func deliveredTo(t *testing.T, s webhook.Store, eventID string) []string {
	t.Helper()
	ds, err := s.WebhookDeliveries(t.Context(), webhook.Filter{EventID: eventID, Limit: 100})
	must(t, "deliveries of "+eventID, err)
	var ids []string
	for _, d := range ds {
		if d.EventID != eventID {
			t.Errorf("deliveries of %s: got one of %s", eventID, d.EventID)
		}
		ids = append(ids, d.EndpointID)
	}
	slices.Sort(ids)
	return ids
}

// delivery returns the delivery of an event to an endpoint.
func delivery(t *testing.T, s webhook.Store, eventID, endpointID string) webhook.Delivery {
	t.Helper()
	ds, err := s.WebhookDeliveries(t.Context(), webhook.Filter{EventID: eventID, EndpointID: endpointID, Limit: 10})
	must(t, "delivery", err)
	if len(ds) != 1 {
		t.Fatalf("delivery of %s to %s: %d rows, want 1", eventID, endpointID, len(ds))
	}
	return ds[0]
}

// claim claims up to limit deliveries due at now, leased for a minute,
// sorted by event and endpoint.
func claim(t *testing.T, s webhook.Store, now time.Time, limit int) []webhook.Delivery {
	t.Helper()
	ds, err := s.ClaimWebhookDeliveries(t.Context(), now, now.Add(time.Minute), limit)
	must(t, "claim", err)
	sort.Slice(ds, func(i, j int) bool {
		return ds[i].EventID+" "+ds[i].EndpointID < ds[j].EventID+" "+ds[j].EndpointID
	})
	return ds
}

func testWebhookEndpoints(t *testing.T, open walletOpener) {
	s := webhookStore(t, open)
	ctx := t.Context()
	a := hookEndpoint("we_a", "mch_1", 1, webhook.PaymentSucceeded, webhook.RefundSucceeded)
	b := hookEndpoint("we_b", "mch_1", 2, webhook.AllTypes)
	c := hookEndpoint("we_c", "mch_2", 3, webhook.PayoutFailed)
	z := hookEndpoint("we_z", "mch_1", 0, webhook.PaymentExpired) // older, though created last
	mustCreateEndpoints(t, s, a, b, c, z)

	got, err := s.WebhookEndpoint(ctx, a.ID)
	must(t, "endpoint", err)
	same(t, "endpoint", got, a)
	list, err := s.WebhookEndpoints(ctx, "mch_1")
	must(t, "endpoints", err)
	same(t, "endpoints of mch_1, oldest first", list, []webhook.Endpoint{z, a, b})
	if list, err := s.WebhookEndpoints(ctx, "mch_none"); err != nil || len(list) != 0 {
		t.Errorf("endpoints of an unknown merchant: %v, %v; want none", list, err)
	}
	_, err = s.WebhookEndpoint(ctx, "we_missing")
	wantWalletCode(t, "unknown endpoint", err, wallet.CodeNotFound)

	wantWalletCode(t, "disable another merchant's endpoint", s.DisableWebhookEndpoint(ctx, "mch_2", a.ID), wallet.CodeNotFound)
	wantWalletCode(t, "disable an unknown endpoint", s.DisableWebhookEndpoint(ctx, "mch_1", "we_missing"), wallet.CodeNotFound)
	must(t, "disable", s.DisableWebhookEndpoint(ctx, "mch_1", a.ID))
	must(t, "disable again", s.DisableWebhookEndpoint(ctx, "mch_1", a.ID))
	got, err = s.WebhookEndpoint(ctx, a.ID)
	must(t, "disabled endpoint", err)
	a.Disabled = true
	same(t, "disabled endpoint", got, a)
}

func testWebhookPublishOnce(t *testing.T, open walletOpener) {
	s := webhookStore(t, open)
	ctx := t.Context()
	mustCreateEndpoints(t, s, hookEndpoint("we_a", "mch_1", 0, webhook.PaymentSucceeded))
	e := hookEvent("evt_1", "mch_1", webhook.PaymentSucceeded, time.Minute)
	mustPublish(t, s, e)

	// Again, with other data and a new subscriber: nothing changes.
	mustCreateEndpoints(t, s, hookEndpoint("we_b", "mch_1", 1, webhook.PaymentSucceeded))
	again := e
	again.Data = json.RawMessage(`{"other":true}`)
	created, err := s.PublishWebhookEvent(ctx, again, again.CreatedAt.Add(time.Hour))
	if err != nil || created {
		t.Fatalf("publish again: %v, %v; want not created", created, err)
	}
	got, err := s.WebhookEvent(ctx, e.ID)
	must(t, "event", err)
	same(t, "event after publishing twice", got, e)
	same(t, "deliveries after publishing twice", deliveredTo(t, s, e.ID), []string{"we_a"})

	// Many publishers of one new event at once: one stores it.
	e2 := hookEvent("evt_2", "mch_1", webhook.PaymentSucceeded, 2*time.Minute)
	created2 := concurrently(t, 8, func(int) (bool, error) {
		return s.PublishWebhookEvent(ctx, e2, e2.CreatedAt.Add(webhook.MaxAge))
	})
	if n := len(slices.DeleteFunc(created2, func(c bool) bool { return !c })); n != 1 {
		t.Errorf("8 concurrent publishes: %d created, want 1", n)
	}
	same(t, "deliveries after concurrent publishes", deliveredTo(t, s, e2.ID), []string{"we_a", "we_b"})
	events, err := s.WebhookEvents(ctx, "mch_1", "", 10)
	must(t, "events", err)
	if len(events) != 2 {
		t.Errorf("events: %d, want 2", len(events))
	}
	_, err = s.WebhookEvent(ctx, "evt_missing")
	wantWalletCode(t, "unknown event", err, wallet.CodeNotFound)
}

func testWebhookFanOut(t *testing.T, open walletOpener) {
	s := webhookStore(t, open)
	off := hookEndpoint("we_off", "mch_1", 5, webhook.PaymentSucceeded)
	mustCreateEndpoints(t, s,
		hookEndpoint("we_pay", "mch_1", 1, webhook.PaymentSucceeded),
		hookEndpoint("we_refund", "mch_1", 2, webhook.RefundSucceeded),
		hookEndpoint("we_all", "mch_1", 3, webhook.AllTypes),
		hookEndpoint("we_both", "mch_1", 4, webhook.RefundSucceeded, webhook.PaymentSucceeded),
		off,
		hookEndpoint("we_other", "mch_2", 6, webhook.PaymentSucceeded, webhook.RefundSucceeded),
	)
	must(t, "disable", s.DisableWebhookEndpoint(t.Context(), "mch_1", off.ID))

	for _, c := range []struct {
		typ  string
		want []string
	}{
		{webhook.PaymentSucceeded, []string{"we_all", "we_both", "we_pay"}},
		{webhook.RefundSucceeded, []string{"we_all", "we_both", "we_refund"}},
		{webhook.PaymentAuthorized, []string{"we_all"}}, // no "payment.*" prefix match
		{webhook.PayoutPaid, []string{"we_all"}},
	} {
		e := hookEvent("evt_"+c.typ, "mch_1", c.typ, time.Hour)
		mustPublish(t, s, e)
		same(t, c.typ+" delivered to", deliveredTo(t, s, e.ID), c.want)
		d := delivery(t, s, e.ID, "we_all")
		want := webhook.Delivery{EventID: e.ID, EndpointID: "we_all", MerchantID: "mch_1", State: webhook.Pending,
			NextAt: e.CreatedAt, Deadline: e.CreatedAt.Add(webhook.MaxAge), CreatedAt: e.CreatedAt, UpdatedAt: e.CreatedAt}
		same(t, c.typ+" delivery", d, want)
	}
	// Another merchant's event reaches only its own endpoint.
	e := hookEvent("evt_m2", "mch_2", webhook.PaymentSucceeded, time.Hour)
	mustPublish(t, s, e)
	same(t, "mch_2's event delivered to", deliveredTo(t, s, e.ID), []string{"we_other"})
	// A merchant without endpoints: the event is kept, with no deliveries.
	e = hookEvent("evt_m3", "mch_3", webhook.PaymentSucceeded, time.Hour)
	mustPublish(t, s, e)
	same(t, "mch_3's event delivered to", deliveredTo(t, s, e.ID), []string(nil))
}

func testWebhookClaim(t *testing.T, open walletOpener) {
	s := webhookStore(t, open)
	ctx := t.Context()
	mustCreateEndpoints(t, s, hookEndpoint("we_a", "mch_1", 0, webhook.AllTypes))
	for i := 1; i <= 3; i++ {
		mustPublish(t, s, hookEvent(fmt.Sprint("evt_", i), "mch_1", webhook.PaymentSucceeded, time.Duration(i)*time.Minute))
	}
	if ds := claim(t, s, wat(0), 10); len(ds) != 0 {
		t.Fatalf("claim before anything is due: %+v", ds)
	}
	// Earliest due first: a limit of 1 at 3 min takes evt_1.
	ds := claim(t, s, wat(3*time.Minute), 1)
	if len(ds) != 1 || ds[0].EventID != "evt_1" {
		t.Fatalf("claim 1: %+v, want evt_1", ds)
	}
	d1 := ds[0]
	if d1.Attempts != 1 || !d1.LeaseUntil.Equal(wat(4*time.Minute)) || d1.State != webhook.Pending {
		t.Errorf("claimed: %+v, want attempt 1 leased until %v", d1, wat(4*time.Minute))
	}
	// At 2 min: evt_2 is due, evt_1 is leased, evt_3 is not due.
	ds = claim(t, s, wat(2*time.Minute), 10)
	if len(ds) != 1 || ds[0].EventID != "evt_2" {
		t.Fatalf("claim at 2 min: %+v, want evt_2 alone", ds)
	}
	d2 := ds[0]

	// d1 succeeds while its lease holds.
	d1.State, d1.NextAt, d1.UpdatedAt = webhook.Succeeded, time.Time{}, wat(3*time.Minute+time.Second)
	a1 := webhook.Attempt{EventID: d1.EventID, EndpointID: d1.EndpointID, Attempt: 1, At: wat(3 * time.Minute), Status: 204,
		Duration: 1234567, State: webhook.Succeeded}
	if ok, err := s.RecordWebhookAttempt(ctx, d1, a1); err != nil || !ok {
		t.Fatalf("record within the lease: %v, %v; want recorded", ok, err)
	}
	got := delivery(t, s, d1.EventID, d1.EndpointID)
	want := d1
	want.LeaseUntil = time.Time{}
	same(t, "delivery after success", got, want)

	// d2's lease (until 3 min) runs out; another relay claims it again.
	ds = claim(t, s, wat(3*time.Minute+time.Nanosecond), 10)
	if len(ds) != 2 || ds[0].EventID != "evt_2" || ds[1].EventID != "evt_3" {
		t.Fatalf("claim after d2's lease ran out: %+v, want evt_2 and evt_3", ds)
	}
	d2b := ds[0]
	if d2b.Attempts != 2 {
		t.Errorf("reclaimed: attempts %d, want 2", d2b.Attempts)
	}
	// The first claimer's late result is logged but changes nothing.
	late := d2
	late.State, late.Failures, late.NextAt, late.UpdatedAt = webhook.Failed, 1, time.Time{}, wat(4*time.Minute)
	lateA := webhook.Attempt{EventID: d2.EventID, EndpointID: d2.EndpointID, Attempt: 1, At: wat(2 * time.Minute), Error: "timeout", State: webhook.Failed}
	if ok, err := s.RecordWebhookAttempt(ctx, late, lateA); err != nil || ok {
		t.Fatalf("record after the lease was lost: %v, %v; want not recorded", ok, err)
	}
	same(t, "delivery after a late result", delivery(t, s, d2.EventID, d2.EndpointID), d2b)
	// The second claimer's failure schedules a retry and ends the lease.
	d2b.Failures, d2b.NextAt, d2b.UpdatedAt = 1, wat(10*time.Minute), wat(4*time.Minute)
	a2 := webhook.Attempt{EventID: d2.EventID, EndpointID: d2.EndpointID, Attempt: 2, At: wat(3*time.Minute + time.Second), Status: 503,
		NextAt: d2b.NextAt, State: webhook.Pending}
	if ok, err := s.RecordWebhookAttempt(ctx, d2b, a2); err != nil || !ok {
		t.Fatalf("record a retry: %v, %v", ok, err)
	}
	want = d2b
	want.LeaseUntil = time.Time{}
	same(t, "delivery after a failure", delivery(t, s, d2.EventID, d2.EndpointID), want)
	// Recording one attempt twice (a retried commit) keeps one log row.
	if _, err := s.RecordWebhookAttempt(ctx, d2b, a2); err != nil {
		t.Fatalf("record twice: %v", err)
	}
	log, err := s.WebhookAttempts(ctx, webhook.Filter{EventID: d2.EventID, Limit: 10})
	must(t, "attempts", err)
	same(t, "attempts of evt_2", log, []webhook.Attempt{a2, lateA})

	// Not due again until its next attempt; done deliveries never again.
	if ds := claim(t, s, wat(10*time.Minute-time.Nanosecond), 10); len(ds) != 1 || ds[0].EventID != "evt_3" {
		t.Errorf("claim before the retry is due: %+v, want only evt_3 (its lease ran out)", ds)
	}
	if ds := claim(t, s, wat(24*time.Hour), 10); len(ds) != 2 || ds[0].EventID != "evt_2" || ds[1].EventID != "evt_3" {
		t.Errorf("claim a day later: %+v, want evt_2 and evt_3, not the succeeded evt_1", ds)
	}
}

func testWebhookConcurrentClaims(t *testing.T, open walletOpener) {
	s := webhookStore(t, open)
	ctx := t.Context()
	mustCreateEndpoints(t, s, hookEndpoint("we_a", "mch_1", 0, webhook.AllTypes), hookEndpoint("we_b", "mch_1", 1, webhook.PaymentSucceeded))
	const events = 60
	for i := range events {
		mustPublish(t, s, hookEvent(fmt.Sprintf("evt_%03d", i), "mch_1", webhook.PaymentSucceeded, time.Duration(i)*time.Millisecond))
	}
	// Relays claim small batches at once until none is left. Each exits
	// on an empty claim, which with SKIP LOCKED may come while another
	// still holds rows it is claiming; the others take those.
	now := wat(time.Hour)
	var mu sync.Mutex
	seen := map[string]int{}
	concurrently(t, 6, func(int) (int, error) {
		for {
			ds, err := s.ClaimWebhookDeliveries(ctx, now, now.Add(time.Minute), 7)
			if err != nil || len(ds) == 0 {
				return 0, err
			}
			mu.Lock()
			for _, d := range ds {
				seen[d.EventID+" "+d.EndpointID]++
				if d.Attempts != 1 {
					t.Errorf("claimed %s → %s at attempt %d, want 1", d.EventID, d.EndpointID, d.Attempts)
				}
			}
			mu.Unlock()
		}
	})
	if len(seen) != 2*events {
		t.Errorf("claimed %d deliveries, want %d", len(seen), 2*events)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("delivery %s claimed %d times", k, n)
		}
	}
	if ds := claim(t, s, now, 100); len(ds) != 0 {
		t.Errorf("claim after all are leased: %d more", len(ds))
	}
}

func testWebhookRedeliver(t *testing.T, open walletOpener) {
	s := webhookStore(t, open)
	ctx := t.Context()
	mustCreateEndpoints(t, s, hookEndpoint("we_a", "mch_1", 0, webhook.PaymentSucceeded))
	e := hookEvent("evt_1", "mch_1", webhook.PaymentSucceeded, 0)
	mustPublish(t, s, e)
	ds := claim(t, s, wat(time.Second), 10)
	if len(ds) != 1 {
		t.Fatalf("claim: %+v", ds)
	}
	d := ds[0]
	d.State, d.NextAt, d.UpdatedAt = webhook.Succeeded, time.Time{}, wat(2*time.Second)
	if ok, err := s.RecordWebhookAttempt(ctx, d, webhook.Attempt{EventID: e.ID, EndpointID: "we_a", Attempt: 1, At: wat(time.Second), Status: 200, State: webhook.Succeeded}); err != nil || !ok {
		t.Fatalf("record: %v, %v", ok, err)
	}

	// Redelivered a day later to we_a and to we_b, added since; not to the
	// disabled we_c nor to we_d, which wants other events.
	mustCreateEndpoints(t, s, hookEndpoint("we_b", "mch_1", 1, webhook.AllTypes), hookEndpoint("we_c", "mch_1", 2, webhook.PaymentSucceeded),
		hookEndpoint("we_d", "mch_1", 3, webhook.RefundSucceeded))
	must(t, "disable", s.DisableWebhookEndpoint(ctx, "mch_1", "we_c"))
	now := wat(24 * time.Hour)
	n, err := s.RedeliverWebhookEvent(ctx, e.ID, now, now.Add(webhook.MaxAge))
	if err != nil || n != 2 {
		t.Fatalf("redeliver: %d, %v; want 2", n, err)
	}
	same(t, "redelivered to", deliveredTo(t, s, e.ID), []string{"we_a", "we_b"})
	got := delivery(t, s, e.ID, "we_a")
	want := webhook.Delivery{EventID: e.ID, EndpointID: "we_a", MerchantID: "mch_1", State: webhook.Pending, Attempts: 1,
		NextAt: now, Deadline: now.Add(webhook.MaxAge), CreatedAt: e.CreatedAt, UpdatedAt: now}
	same(t, "redelivered", got, want)

	// A redelivery during a send ends its lease: the send's result no
	// longer counts, and the new attempt is due at once.
	ds = claim(t, s, now, 10)
	if len(ds) != 2 {
		t.Fatalf("claim the redeliveries: %+v", ds)
	}
	inFlight := ds[0]
	if _, err := s.RedeliverWebhookEvent(ctx, e.ID, now.Add(time.Second), now.Add(webhook.MaxAge)); err != nil {
		t.Fatal(err)
	}
	inFlight.State, inFlight.UpdatedAt = webhook.Succeeded, now.Add(2*time.Second)
	if ok, err := s.RecordWebhookAttempt(ctx, inFlight, webhook.Attempt{EventID: e.ID, EndpointID: inFlight.EndpointID, Attempt: inFlight.Attempts, At: now, Status: 200, State: webhook.Succeeded}); err != nil || ok {
		t.Errorf("record a send overtaken by a redelivery: %v, %v; want not recorded", ok, err)
	}
	if ds := claim(t, s, now.Add(time.Second), 10); len(ds) != 2 {
		t.Errorf("claim after the second redelivery: %+v, want both again", ds)
	}

	_, err = s.RedeliverWebhookEvent(ctx, "evt_missing", now, now.Add(webhook.MaxAge))
	wantWalletCode(t, "redeliver an unknown event", err, wallet.CodeNotFound)
}

func testWebhookEventPages(t *testing.T, open walletOpener) {
	s := webhookStore(t, open)
	ctx := t.Context()
	var want []webhook.Event
	for i := range 11 {
		e := hookEvent(fmt.Sprintf("evt_%02d", i), "mch_1", webhook.PaymentSucceeded, time.Duration(i)*time.Second)
		if i == 7 || i == 8 { // one instant, told apart by ID
			e.CreatedAt = wat(7 * time.Second)
		}
		mustPublish(t, s, e)
		want = append(want, e)
		mustPublish(t, s, hookEvent(fmt.Sprintf("evt_x%02d", i), "mch_2", webhook.PaymentSucceeded, time.Duration(i)*time.Second))
	}
	slices.Reverse(want)
	var got []webhook.Event
	after := ""
	for range 10 {
		page, err := s.WebhookEvents(ctx, "mch_1", after, 4)
		must(t, "events page", err)
		got = append(got, page...)
		if len(page) < 4 {
			break
		}
		after = page[len(page)-1].ID
	}
	same(t, "mch_1's events, newest first", got, want)

	_, err := s.WebhookEvents(ctx, "mch_1", "evt_missing", 4)
	wantWalletCode(t, "unknown cursor", err, wallet.CodeNotFound)
	_, err = s.WebhookEvents(ctx, "mch_1", "evt_x03", 4)
	wantWalletCode(t, "another merchant's event as the cursor", err, wallet.CodeNotFound)
	if page, err := s.WebhookEvents(ctx, "mch_1", "", 0); err != nil || len(page) != 0 {
		t.Errorf("limit 0: %v, %v", page, err)
	}
}

func testWebhookLog(t *testing.T, open walletOpener) {
	s := webhookStore(t, open)
	ctx := t.Context()
	mustCreateEndpoints(t, s, hookEndpoint("we_a", "mch_1", 0, webhook.AllTypes), hookEndpoint("we_b", "mch_1", 1, webhook.AllTypes))
	mustPublish(t, s, hookEvent("evt_1", "mch_1", webhook.PaymentSucceeded, 0))
	mustPublish(t, s, hookEvent("evt_2", "mch_1", webhook.RefundSucceeded, time.Minute))

	// Every delivery fails once, then succeeds.
	var all []webhook.Attempt
	for round, now := range []time.Time{wat(2 * time.Minute), wat(3 * time.Minute)} {
		for i, d := range claim(t, s, now, 10) {
			a := webhook.Attempt{EventID: d.EventID, EndpointID: d.EndpointID, Attempt: d.Attempts, At: now.Add(time.Duration(i) * time.Millisecond),
				Duration: time.Duration(i+1) * time.Millisecond}
			if round == 0 {
				d.Failures, d.NextAt, d.State = 1, wat(3*time.Minute), webhook.Pending
				a.Error, a.NextAt, a.State = "dial tcp 203.0.113.9:443: connection refused", d.NextAt, webhook.Pending
			} else {
				d.NextAt, d.State = time.Time{}, webhook.Succeeded
				a.Status, a.State = 200, webhook.Succeeded
			}
			d.UpdatedAt = a.At
			if ok, err := s.RecordWebhookAttempt(ctx, d, a); err != nil || !ok {
				t.Fatalf("record %+v: %v, %v", a, ok, err)
			}
			all = append(all, a)
		}
	}
	if len(all) != 8 {
		t.Fatalf("%d attempts, want 8", len(all))
	}
	newest := func(keep func(webhook.Attempt) bool) []webhook.Attempt {
		var out []webhook.Attempt
		for _, a := range slices.Backward(all) {
			if keep(a) {
				out = append(out, a)
			}
		}
		return out
	}
	for _, c := range []struct {
		name string
		f    webhook.Filter
		keep func(webhook.Attempt) bool
	}{
		{"endpoint", webhook.Filter{EndpointID: "we_a", Limit: 10}, func(a webhook.Attempt) bool { return a.EndpointID == "we_a" }},
		{"event", webhook.Filter{EventID: "evt_2", Limit: 10}, func(a webhook.Attempt) bool { return a.EventID == "evt_2" }},
		{"both", webhook.Filter{EventID: "evt_1", EndpointID: "we_b", Limit: 10}, func(a webhook.Attempt) bool { return a.EventID == "evt_1" && a.EndpointID == "we_b" }},
	} {
		got, err := s.WebhookAttempts(ctx, c.f)
		must(t, "attempts of "+c.name, err)
		same(t, "attempts of "+c.name, got, newest(c.keep))
	}
	got, err := s.WebhookAttempts(ctx, webhook.Filter{EndpointID: "we_a", Limit: 1})
	must(t, "attempts, limit 1", err)
	same(t, "newest attempt of we_a", got, newest(func(a webhook.Attempt) bool { return a.EndpointID == "we_a" })[:1])

	ds, err := s.WebhookDeliveries(ctx, webhook.Filter{EndpointID: "we_b", Limit: 10})
	must(t, "deliveries of we_b", err)
	if len(ds) != 2 || ds[0].EventID != "evt_2" || ds[1].EventID != "evt_1" {
		t.Fatalf("deliveries of we_b: %+v, want evt_2 then evt_1", ds)
	}
	for _, d := range ds {
		if d.State != webhook.Succeeded || d.Attempts != 2 || d.Failures != 1 || !d.LeaseUntil.IsZero() {
			t.Errorf("delivery %s → %s: %+v, want succeeded at attempt 2 after a failure", d.EventID, d.EndpointID, d)
		}
	}
}
