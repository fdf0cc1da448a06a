package banksim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/ewallet/ewallet/bank/bankwire"
)

// workInterval is how often the bank looks for requests that are due and
// callbacks to deliver.
const workInterval = 25 * time.Millisecond

// Run decides due requests and delivers callbacks until ctx ends.
func (b *Bank) Run(ctx context.Context) {
	client := &http.Client{Timeout: 5 * time.Second}
	t := time.NewTicker(workInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			b.processDue(ctx)
			b.deliverDue(ctx, client)
		}
	}
}

// processDue decides the requests whose time has come: accepted ones, and
// received ones that a crash or a slow caller left behind.
func (b *Bank) processDue(ctx context.Context) {
	rs, err := b.due(ctx, b.now())
	if err != nil {
		b.logErr(ctx, "list due requests", err)
		return
	}
	for _, r := range rs {
		if _, err := b.process(ctx, r, false); err != nil {
			b.logErr(ctx, "process request", err, "id", r.ID)
		}
	}
}

func (b *Bank) logErr(ctx context.Context, msg string, err error, args ...any) {
	if ctx.Err() == nil {
		b.cfg.Log.ErrorContext(ctx, msg, append(args, "err", err)...)
	}
}

// delivery is one queued callback with what it reports.
type delivery struct {
	id       int64
	attempts int
	url      string
	result   bankwire.Result
}

// deliverDue posts the callbacks that are due. Callbacks of one request go
// out one after another in queue order (so OutOfOrder's stale one really
// arrives last); requests run side by side.
func (b *Bank) deliverDue(ctx context.Context, client *http.Client) {
	ds, err := b.dueCallbacks(ctx)
	if err != nil {
		b.logErr(ctx, "list due callbacks", err)
		return
	}
	byRequest := map[string][]delivery{}
	var order []string
	for _, d := range ds {
		if _, ok := byRequest[d.result.ID]; !ok {
			order = append(order, d.result.ID)
		}
		byRequest[d.result.ID] = append(byRequest[d.result.ID], d)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for _, id := range order {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for _, d := range byRequest[id] {
				if !b.deliver(ctx, client, d) {
					return // the rest wait for this one
				}
			}
		})
	}
	wg.Wait()
}

func (b *Bank) dueCallbacks(ctx context.Context) ([]delivery, error) {
	rows, err := b.sql.QueryContext(ctx, `SELECT c.id, c.attempts, c.seq, c.status, c.failure_code, r.id, r.kind, r.amount, r.currency, r.callback_url
FROM sim_callbacks c JOIN sim_requests r ON r.id = c.request_id
WHERE c.delivered = 0 AND c.due_at <= ? ORDER BY c.due_at, c.id LIMIT 256`, b.now().UnixNano())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []delivery
	for rows.Next() {
		var d delivery
		var r Request
		var seq int64
		if err := rows.Scan(&d.id, &d.attempts, &seq, &r.Status, &r.FailureCode, &r.ID, &r.Kind, &r.Amount, &r.Currency, &d.url); err != nil {
			return nil, err
		}
		d.result = r.Result()
		d.result.Seq, d.result.EventID = seq, "evt_"+r.ID+"_"+itoa(d.id)
		out = append(out, d)
	}
	return out, rows.Err()
}

// deliver posts one callback, signed, and records the outcome: delivered
// on a 2xx, else due again after a backoff that doubles from 50ms.
func (b *Bank) deliver(ctx context.Context, client *http.Client, d delivery) bool {
	body, _ := json.Marshal(d.result)
	ok := false
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		bankwire.SignRequest(req, b.cfg.Secret, b.cfg.Now(), body)
		if res, err := client.Do(req); err == nil {
			io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
			res.Body.Close()
			ok = res.StatusCode/100 == 2
		}
	}
	if ok {
		_, err = b.sql.ExecContext(ctx, `UPDATE sim_callbacks SET delivered = 1, attempts = attempts + 1 WHERE id = ?`, d.id)
	} else {
		wait := 50 * time.Millisecond << min(d.attempts, 16)
		next := b.now().Add(min(wait, b.cfg.CallbackBackoffMax))
		_, err = b.sql.ExecContext(ctx, `UPDATE sim_callbacks SET attempts = attempts + 1, due_at = ? WHERE id = ?`, next.UnixNano(), d.id)
	}
	if err != nil {
		b.logErr(ctx, "record callback delivery", err)
	}
	return ok
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
