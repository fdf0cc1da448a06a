package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

const (
	// workers bounds the sends in flight in one process, so that a burst of
	// events or many slow receivers cannot open connections without end.
	workers = 8
	// lease is how long a claimed delivery is this process's to send. It
	// outlasts a send (sendTimeout) and its recording by far, so a lease
	// runs out only under a process that died or stalled; then another
	// process takes the delivery over, and the late result, if any, is
	// logged but changes nothing (see Store.RecordWebhookAttempt).
	lease = 60 * time.Second
	// sendTimeout bounds an attempt whatever the HTTP client's own timeout,
	// so that it always ends within its lease.
	sendTimeout = 30 * time.Second
	// maxError bounds the transport error kept in the log.
	maxError = 300
	// UserAgent names the sender in every delivery.
	UserAgent = "ewallet-webhooks/1.0"
)

// Body is what a delivery of e POSTs: {"id","type","created_at","data"},
// created_at in RFC 3339 UTC, data the event's object.
func Body(e Event) ([]byte, error) {
	return json.Marshal(struct {
		ID        string          `json:"id"`
		Type      string          `json:"type"`
		CreatedAt string          `json:"created_at"`
		Data      json.RawMessage `json:"data"`
	}{e.ID, e.Type, e.CreatedAt.UTC().Format(time.RFC3339Nano), e.Data})
}

// Run relays deliveries until ctx ends: one pass (RelayOnce) at once and
// then one every `every`. It returns once ctx is done and the sends in
// flight have ended. Every server process may run it: the store's leases
// keep them from sending one attempt twice.
func (s *Service) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.RelayOnce(ctx); err != nil && ctx.Err() == nil {
			s.Log.ErrorContext(ctx, "webhook relay", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RelayOnce sends every delivery due now, at most `workers` at once,
// records each attempt and schedules the next one of each failure, and
// returns how many it sent once they have all ended.
func (s *Service) RelayOnce(ctx context.Context) (int, error) {
	slots := make(chan struct{}, workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	sent := 0
	for {
		// Wait for a free worker, then take every other free one, and claim
		// that many deliveries: a delivery is claimed only when it can be
		// sent at once, so none spends its lease queueing here.
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return sent, ctx.Err()
		}
		n := 1
	take:
		for n < workers {
			select {
			case slots <- struct{}{}:
				n++
			default:
				break take
			}
		}
		now := s.now()
		ds, err := s.Store.ClaimWebhookDeliveries(ctx, now, now.Add(lease), n)
		for range n - len(ds) {
			<-slots
		}
		if err != nil {
			return sent, fmt.Errorf("claim webhook deliveries: %w", err)
		}
		for _, d := range ds {
			wg.Go(func() {
				defer func() { <-slots }()
				s.deliver(ctx, d)
			})
		}
		sent += len(ds)
		if len(ds) < n {
			return sent, nil
		}
	}
}

// deliver makes one attempt of a claimed delivery and records it.
func (s *Service) deliver(ctx context.Context, d Delivery) {
	a := Attempt{EventID: d.EventID, EndpointID: d.EndpointID, Attempt: d.Attempts, At: s.now().UTC()}
	ep, err := s.Store.WebhookEndpoint(ctx, d.EndpointID)
	var ev Event
	if err == nil {
		ev, err = s.Store.WebhookEvent(ctx, d.EventID)
	}
	dropped := false
	switch {
	case err != nil: // the database's trouble, not the receiver's: try again later
		a.Error = truncate("not sent: " + err.Error())
	case ep.Disabled:
		dropped = true
		a.Error = "not sent: the endpoint was deleted"
	default:
		a.Status, a.Error, a.Duration = s.send(ctx, ep, ev)
	}

	now := s.now().UTC()
	switch {
	case a.Status >= 200 && a.Status < 300:
		d.State, d.NextAt = Succeeded, time.Time{}
	case dropped:
		d.State, d.NextAt = Failed, time.Time{}
	default:
		d.Failures++
		if next, ok := NextAttempt(d.Failures, now, d.Deadline, rand.Float64()); ok {
			d.State, d.NextAt = Pending, next
		} else {
			d.State, d.NextAt = Failed, time.Time{}
		}
	}
	d.UpdatedAt = now
	a.State, a.NextAt = d.State, d.NextAt

	// Record even when ctx ended (shutdown) mid-send: the attempt was made,
	// and its retry must be scheduled, not left to the lease running out.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	current, err := s.Store.RecordWebhookAttempt(rctx, d, a)
	log := s.Log.With("event", d.EventID, "endpoint", d.EndpointID, "merchant", d.MerchantID, "attempt", a.Attempt,
		"status", a.Status, "state", a.State)
	switch {
	case err != nil:
		log.ErrorContext(ctx, "webhook record attempt", "err", err)
	case !current:
		log.WarnContext(ctx, "webhook attempt outlived its lease; its result was logged only")
	case a.State == Succeeded:
		log.DebugContext(ctx, "webhook delivered", "duration", a.Duration)
	case a.State == Pending:
		log.InfoContext(ctx, "webhook attempt failed; will retry", "error", a.Error, "next_at", a.NextAt)
	default:
		log.WarnContext(ctx, "webhook delivery failed for good", "error", a.Error)
	}
}

// send POSTs ev to ep, signed, and returns the response's status, or 0 and
// why there was none.
func (s *Service) send(ctx context.Context, ep Endpoint, ev Event) (status int, errText string, took time.Duration) {
	body, err := Body(ev)
	if err != nil {
		return 0, truncate("not sent: " + err.Error()), 0
	}
	if s.Secret == nil {
		return 0, "not sent: the service has no Deps.Secret", 0
	}
	secret, err := s.Secret(ctx, ev.MerchantID)
	if err != nil {
		return 0, truncate("not sent: webhook secret: " + err.Error()), 0
	}
	ts := s.now()
	sig, err := Sign(secret, ev.ID, ts, body)
	if err != nil {
		return 0, truncate("not sent: " + err.Error()), 0
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return 0, truncate("not sent: " + err.Error()), 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderID, ev.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	start := time.Now() // the wall clock: an injected Now may stand still
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return 0, truncate(err.Error()), time.Since(start)
	}
	// Drain a little of the body so the connection can be reused; a
	// receiver's answer is not read beyond that.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, "", time.Since(start)
}

// truncate cuts s to at most maxError bytes, on a character boundary.
func truncate(s string) string {
	if len(s) <= maxError {
		return s
	}
	cut := maxError - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
