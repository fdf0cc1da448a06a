package walletsql

import (
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/ewallet/ewallet/webhook"
)

var _ webhook.Store = (*Store)(nil)

const (
	endpointCols     = `id, merchant_id, url, events, disabled, created_at`
	insertEndpoint   = `INSERT INTO webhook_endpoints (` + endpointCols + `) VALUES (?, ?, ?, ?, ?, ?)`
	selectEndpoint   = `SELECT ` + endpointCols + ` FROM webhook_endpoints WHERE id = ?`
	selectEndpoints  = `SELECT ` + endpointCols + ` FROM webhook_endpoints WHERE merchant_id = ? ORDER BY created_at, id`
	disableEndpoint  = `UPDATE webhook_endpoints SET disabled = 1 WHERE id = ? AND merchant_id = ?`
	eventCols        = `id, merchant_id, type, data, created_at`
	insertEvent      = `INSERT INTO webhook_events (` + eventCols + `) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`
	selectEvent      = `SELECT ` + eventCols + ` FROM webhook_events WHERE id = ?`
	selectEventAt    = `SELECT created_at FROM webhook_events WHERE id = ? AND merchant_id = ?`
	selectEventsPage = `SELECT ` + eventCols + ` FROM webhook_events
WHERE merchant_id = ? AND (created_at, id) < (?, ?)
ORDER BY created_at DESC, id DESC LIMIT ?`

	deliveryCols = `event_id, endpoint_id, merchant_id, state, attempts, failures, next_at, deadline, lease_until, created_at, updated_at`
	// queueDeliveries inserts the event's delivery to each enabled endpoint
	// of its merchant that subscribes to its type (see the events column in
	// migration 0005). The parameters are next_at, deadline, created_at,
	// updated_at and the event's ID; the CASTs give PostgreSQL their types,
	// which it cannot infer in a SELECT list.
	queueDeliveries = `INSERT INTO webhook_deliveries (` + deliveryCols + `)
SELECT e.id, p.id, e.merchant_id, 'pending', 0, 0, CAST(? AS BIGINT), CAST(? AS BIGINT), 0, CAST(? AS BIGINT), CAST(? AS BIGINT)
FROM webhook_events e JOIN webhook_endpoints p ON p.merchant_id = e.merchant_id
WHERE e.id = ? AND p.disabled = 0 AND (p.events LIKE ('% ' || e.type || ' %') OR p.events = ' * ')`
	// requeueDeliveries is queueDeliveries that also makes an existing
	// delivery pending again. (SQLite needs the SELECT's WHERE to tell the
	// upsert's ON from a join's.)
	requeueDeliveries = queueDeliveries + `
ON CONFLICT (event_id, endpoint_id) DO UPDATE SET state = 'pending', failures = 0, next_at = excluded.next_at,
    deadline = excluded.deadline, lease_until = 0, updated_at = excluded.updated_at`
	// finishClaim writes an attempt's outcome if the claim still holds:
	// attempts and lease_until are the claim's fence.
	finishClaim = `UPDATE webhook_deliveries SET state = ?, failures = ?, next_at = ?, lease_until = 0, updated_at = ?
WHERE event_id = ? AND endpoint_id = ? AND attempts = ? AND lease_until = ?`

	attemptCols   = `event_id, endpoint_id, attempt, attempted_at, status, error, duration, next_at, state`
	insertAttempt = `INSERT INTO webhook_attempts (` + attemptCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
)

// claimDeliveries is the relay's claim; its parameters are now, now,
// limit, leaseUntil, now, now.
//
// The due rows are picked in a MATERIALIZED CTE, evaluated once: as an
// IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED) subquery PostgreSQL may
// run it again for each row it updates, and each run skips the rows the
// statement has just updated, so that it claims far more than n. The
// outer WHERE checks the rows again because a claimer that waited for
// another's row lock re-reads the row but not the CTE, and must then pass
// over a row the other has just leased. FOR UPDATE SKIP LOCKED (PostgreSQL
// and CockroachDB) lets concurrent claimers take different rows instead
// of queueing behind each other; SQLite has one writer, which makes the
// statement atomic by itself.
func (d Dialect) claimDeliveries() string {
	lock := ""
	if d.name == "postgres" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	return `WITH due AS MATERIALIZED (
    SELECT event_id, endpoint_id FROM webhook_deliveries
    WHERE state = 'pending' AND next_at <= ? AND lease_until < ?
    ORDER BY next_at LIMIT ?` + lock + `)
UPDATE webhook_deliveries SET lease_until = ?, attempts = attempts + 1
WHERE (event_id, endpoint_id) IN (SELECT event_id, endpoint_id FROM due)
  AND state = 'pending' AND next_at <= ? AND lease_until < ?
RETURNING ` + deliveryCols
}

// eventsText is an endpoint's event types as stored: space-separated with
// a space at each end, so that LIKE '% type %' finds one.
func eventsText(events []string) string {
	return " " + strings.Join(events, " ") + " "
}

func scanEndpoint(row scanner) (webhook.Endpoint, error) {
	var e webhook.Endpoint
	var events string
	var disabled int64
	err := row.Scan(&e.ID, &e.MerchantID, &e.URL, &events, &disabled, at{&e.CreatedAt})
	e.Events, e.Disabled = strings.Fields(events), disabled != 0
	return e, err
}

func scanEvent(row scanner) (webhook.Event, error) {
	var e webhook.Event
	var data string
	err := row.Scan(&e.ID, &e.MerchantID, &e.Type, &data, at{&e.CreatedAt})
	e.Data = json.RawMessage(data)
	return e, err
}

func scanDelivery(row scanner) (webhook.Delivery, error) {
	var d webhook.Delivery
	var state string
	err := row.Scan(&d.EventID, &d.EndpointID, &d.MerchantID, &state, &d.Attempts, &d.Failures,
		at{&d.NextAt}, at{&d.Deadline}, at{&d.LeaseUntil}, at{&d.CreatedAt}, at{&d.UpdatedAt})
	d.State = webhook.State(state)
	return d, err
}

func scanAttempt(row scanner) (webhook.Attempt, error) {
	var a webhook.Attempt
	var state string
	var took int64
	err := row.Scan(&a.EventID, &a.EndpointID, &a.Attempt, at{&a.At}, &a.Status, &a.Error, &took, at{&a.NextAt}, &state)
	a.Duration, a.State = time.Duration(took), webhook.State(state)
	return a, err
}

// CreateWebhookEndpoint implements webhook.Store.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e webhook.Endpoint) error {
	_, err := s.w.exec(ctx, insertEndpoint, e.ID, e.MerchantID, e.URL, eventsText(e.Events), boolInt(e.Disabled), nanos(e.CreatedAt))
	return fail("create webhook endpoint", "webhook endpoint", err)
}

// WebhookEndpoint implements webhook.Store.
func (s *Store) WebhookEndpoint(ctx context.Context, id string) (webhook.Endpoint, error) {
	e, err := scanEndpoint(s.r.queryRow(ctx, selectEndpoint, id))
	return e, fail("read webhook endpoint", "webhook endpoint", err)
}

// WebhookEndpoints implements webhook.Store.
func (s *Store) WebhookEndpoints(ctx context.Context, merchantID string) ([]webhook.Endpoint, error) {
	es, err := queryAll(ctx, s.r, scanEndpoint, selectEndpoints, merchantID)
	return es, fail("list webhook endpoints", "webhook endpoint", err)
}

// DisableWebhookEndpoint implements webhook.Store.
func (s *Store) DisableWebhookEndpoint(ctx context.Context, merchantID, id string) error {
	n, err := s.w.execN(ctx, disableEndpoint, id, merchantID)
	if err == nil && n == 0 {
		return notFound("webhook endpoint")
	}
	return fail("disable webhook endpoint", "webhook endpoint", err)
}

// PublishWebhookEvent implements webhook.Store: the event and its
// deliveries commit together.
func (s *Store) PublishWebhookEvent(ctx context.Context, e webhook.Event, deadline time.Time) (bool, error) {
	var created bool
	err := s.inTx(ctx, "publish webhook event", func(tx *sql.Tx) error {
		var err error
		created, err = s.PublishWebhookEventTx(ctx, tx, e, deadline)
		return err
	})
	return created, err
}

// PublishWebhookEventTx is PublishWebhookEvent inside the caller's own
// transaction on this store's database, for a package that wants an event
// to commit with its own rows (the outbox pattern: the event exists if and
// only if what it reports does). The caller checks the event first
// (webhook.Event.Validate) and passes webhook.MaxAge after its CreatedAt as
// the deadline. tx must be a transaction on the database this store writes
// to: on SQLite the writer connection (a transaction there holds the only
// writer, so no other store call may be made until it ends), on PostgreSQL
// a database/sql handle on the same database. (The ledger's own PostgreSQL
// transactions are pgx ones, not *sql.Tx; publishing inside a ledger batch
// would need a pgx variant of this method.)
func (s *Store) PublishWebhookEventTx(ctx context.Context, tx *sql.Tx, e webhook.Event, deadline time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, s.d.bind(insertEvent), e.ID, e.MerchantID, e.Type, string(e.Data), nanos(e.CreatedAt))
	if err != nil {
		return false, fail("publish webhook event", "webhook event", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, fail("publish webhook event", "webhook event", err) // stored before: fanned out then
	}
	t := nanos(e.CreatedAt)
	_, err = tx.ExecContext(ctx, s.d.bind(queueDeliveries), t, nanos(deadline), t, t, e.ID)
	return err == nil, fail("queue webhook deliveries", "webhook event", err)
}

// WebhookEvent implements webhook.Store.
func (s *Store) WebhookEvent(ctx context.Context, id string) (webhook.Event, error) {
	e, err := scanEvent(s.r.queryRow(ctx, selectEvent, id))
	return e, fail("read webhook event", "event", err)
}

// WebhookEvents implements webhook.Store.
func (s *Store) WebhookEvents(ctx context.Context, merchantID, startingAfter string, limit int) ([]webhook.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	// With no cursor, (created_at, id) < (MaxInt64, "") holds for every event.
	var before int64 = math.MaxInt64
	if startingAfter != "" {
		if err := s.r.queryRow(ctx, selectEventAt, startingAfter, merchantID).Scan(&before); err != nil {
			return nil, fail("list webhook events", "starting_after event", err)
		}
	}
	es, err := queryAll(ctx, s.r, scanEvent, selectEventsPage, merchantID, before, startingAfter, limit)
	return es, fail("list webhook events", "event", err)
}

// RedeliverWebhookEvent implements webhook.Store.
func (s *Store) RedeliverWebhookEvent(ctx context.Context, eventID string, now, deadline time.Time) (int, error) {
	if _, err := s.WebhookEvent(ctx, eventID); err != nil {
		return 0, err
	}
	t := nanos(now)
	n, err := s.w.execN(ctx, requeueDeliveries, t, nanos(deadline), t, t, eventID)
	return int(n), fail("redeliver webhook event", "event", err)
}

// ClaimWebhookDeliveries implements webhook.Store.
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]webhook.Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	t := nanos(now)
	ds, err := queryAll(ctx, s.w, scanDelivery, s.d.claimDeliveries(), t, t, limit, nanos(leaseUntil), t, t)
	return ds, fail("claim webhook deliveries", "delivery", err)
}

// RecordWebhookAttempt implements webhook.Store.
func (s *Store) RecordWebhookAttempt(ctx context.Context, d webhook.Delivery, a webhook.Attempt) (bool, error) {
	var current bool
	err := s.inTx(ctx, "record webhook attempt", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.d.bind(insertAttempt), a.EventID, a.EndpointID, a.Attempt, nanos(a.At), a.Status,
			a.Error, int64(a.Duration), nanos(a.NextAt), string(a.State)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.d.bind(finishClaim), string(d.State), d.Failures, nanos(d.NextAt), nanos(d.UpdatedAt),
			d.EventID, d.EndpointID, d.Attempts, nanos(d.LeaseUntil))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		current = n == 1
		return err
	})
	return current, err
}

// WebhookDeliveries implements webhook.Store.
func (s *Store) WebhookDeliveries(ctx context.Context, f webhook.Filter) ([]webhook.Delivery, error) {
	where, args := filterWhere(f)
	query := `SELECT ` + deliveryCols + ` FROM webhook_deliveries WHERE ` + where +
		` ORDER BY created_at DESC, event_id DESC, endpoint_id DESC LIMIT ?`
	ds, err := queryAll(ctx, s.r, scanDelivery, query, append(args, f.Limit)...)
	return ds, fail("list webhook deliveries", "delivery", err)
}

// WebhookAttempts implements webhook.Store.
func (s *Store) WebhookAttempts(ctx context.Context, f webhook.Filter) ([]webhook.Attempt, error) {
	where, args := filterWhere(f)
	query := `SELECT ` + attemptCols + ` FROM webhook_attempts WHERE ` + where +
		` ORDER BY attempted_at DESC, attempt DESC, endpoint_id DESC LIMIT ?`
	as, err := queryAll(ctx, s.r, scanAttempt, query, append(args, f.Limit)...)
	return as, fail("list webhook attempts", "attempt", err)
}

// filterWhere is f as a WHERE clause. It is one of three fixed strings, so
// each kind of list is one prepared statement that can use its index
// (one statement with "column = ? OR the parameter is empty" would
// defeat PostgreSQL's generic plans).
func filterWhere(f webhook.Filter) (string, []any) {
	switch {
	case f.EndpointID != "" && f.EventID != "":
		return `event_id = ? AND endpoint_id = ?`, []any{f.EventID, f.EndpointID}
	case f.EndpointID != "":
		return `endpoint_id = ?`, []any{f.EndpointID}
	case f.EventID != "":
		return `event_id = ?`, []any{f.EventID}
	}
	return `1 = 0`, nil // a filter that names nothing lists nothing
}
