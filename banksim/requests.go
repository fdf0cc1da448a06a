package banksim

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ewallet/ewallet/bank/bankwire"
	"github.com/ewallet/ewallet/money"
)

// Request statuses inside the bank. received and pending are both
// "pending" to the outside world.
const (
	statusReceived = "received" // stored, not decided yet
	statusPending  = bankwire.StatusPending
)

// Request is one charge, payout or refund as the bank keeps it. The card
// number is not kept: Card is the card's ledger account.
type Request struct {
	ID          string
	Kind        string
	Card        string // ledger account name of the card
	Last4       string
	Amount      int64
	Currency    money.Currency
	ChargeID    string // refunds: the charge given back
	Behaviour   Behaviour
	Status      string
	FailureCode string
	Fingerprint string // of what was asked, to refuse the same ID with another body
	CallbackURL string
	DueAt       time.Time // received: processed by the worker from then on; pending: decided then
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Final reports whether the request's outcome is decided.
func (r Request) Final() bool {
	return r.Status == bankwire.StatusSucceeded || r.Status == bankwire.StatusFailed
}

// seq is the number of the request's state: 1 while pending, 2 when final.
func (r Request) seq() int64 {
	if r.Final() {
		return 2
	}
	return 1
}

// Result is the request as the bank reports it.
func (r Request) Result() bankwire.Result {
	status := r.Status
	if !r.Final() {
		status = bankwire.StatusPending
	}
	return bankwire.Decoded{ID: r.ID, Kind: r.Kind, Status: status, FailureCode: r.FailureCode,
		Amount: r.Amount, Currency: r.Currency, Seq: r.seq()}.Encode()
}

// The bank's own tables live in its database file beside the ledger's.
const schema = `
CREATE TABLE IF NOT EXISTS sim_requests (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, card TEXT NOT NULL, last4 TEXT NOT NULL,
    amount INTEGER NOT NULL, currency TEXT NOT NULL, charge_id TEXT NOT NULL, behaviour TEXT NOT NULL,
    status TEXT NOT NULL, failure_code TEXT NOT NULL, fingerprint TEXT NOT NULL, callback_url TEXT NOT NULL,
    due_at INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
CREATE INDEX IF NOT EXISTS sim_requests_open ON sim_requests (due_at) WHERE status IN ('received', 'pending');
CREATE TABLE IF NOT EXISTS sim_callbacks (
    id INTEGER PRIMARY KEY, request_id TEXT NOT NULL, seq INTEGER NOT NULL, status TEXT NOT NULL,
    failure_code TEXT NOT NULL, due_at INTEGER NOT NULL, attempts INTEGER NOT NULL, delivered INTEGER NOT NULL) STRICT;
CREATE INDEX IF NOT EXISTS sim_callbacks_due ON sim_callbacks (due_at) WHERE delivered = 0;`

const requestCols = `id, kind, card, last4, amount, currency, charge_id, behaviour, status, failure_code, fingerprint, callback_url, due_at, created_at, updated_at`

func scanRequest(row interface{ Scan(...any) error }) (Request, error) {
	var r Request
	var due, created, updated int64
	err := row.Scan(&r.ID, &r.Kind, &r.Card, &r.Last4, &r.Amount, &r.Currency, &r.ChargeID, &r.Behaviour, &r.Status,
		&r.FailureCode, &r.Fingerprint, &r.CallbackURL, &due, &created, &updated)
	r.DueAt, r.CreatedAt, r.UpdatedAt = time.Unix(0, due).UTC(), time.Unix(0, created).UTC(), time.Unix(0, updated).UTC()
	return r, err
}

var errNoRequest = errors.New("banksim: no such request")

// insert stores r unless its ID is taken; it returns the stored request
// and whether it inserted.
func (b *Bank) insert(ctx context.Context, r Request) (Request, bool, error) {
	res, err := b.sql.ExecContext(ctx, `INSERT INTO sim_requests (`+requestCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING`, r.ID, r.Kind, r.Card, r.Last4, r.Amount, string(r.Currency), r.ChargeID, string(r.Behaviour),
		r.Status, r.FailureCode, r.Fingerprint, r.CallbackURL, r.DueAt.UnixNano(), r.CreatedAt.UnixNano(), r.UpdatedAt.UnixNano())
	if err != nil {
		return Request{}, false, fmt.Errorf("store request: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return r, true, nil
	}
	old, err := b.Request(ctx, r.ID)
	return old, false, err
}

// Request returns a request by ID (errNoRequest if none).
func (b *Bank) Request(ctx context.Context, id string) (Request, error) {
	r, err := scanRequest(b.sql.QueryRowContext(ctx, `SELECT `+requestCols+` FROM sim_requests WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Request{}, errNoRequest
	}
	return r, err
}

// Requests lists every request, oldest first (for tests and operators).
func (b *Bank) Requests(ctx context.Context) ([]Request, error) {
	return b.queryRequests(ctx, `SELECT `+requestCols+` FROM sim_requests ORDER BY created_at, id`)
}

// due lists undecided requests whose time has come.
func (b *Bank) due(ctx context.Context, now time.Time) ([]Request, error) {
	return b.queryRequests(ctx, `SELECT `+requestCols+` FROM sim_requests
WHERE status IN ('received', 'pending') AND due_at <= ? ORDER BY due_at LIMIT 200`, now.UnixNano())
}

func (b *Bank) queryRequests(ctx context.Context, q string, args ...any) ([]Request, error) {
	rows, err := b.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// accept moves a received request to pending, decided at due.
func (b *Bank) accept(ctx context.Context, r Request, due time.Time) (Request, error) {
	now := b.now()
	_, err := b.sql.ExecContext(ctx, `UPDATE sim_requests SET status = 'pending', due_at = ?, updated_at = ? WHERE id = ? AND status = 'received'`,
		due.UnixNano(), now.UnixNano(), r.ID)
	if err != nil {
		return r, fmt.Errorf("accept request: %w", err)
	}
	return b.Request(ctx, r.ID)
}

// finish records a request's outcome and queues its callbacks, in one
// transaction: whoever finishes it first (the handler or the worker)
// queues them, once.
func (b *Bank) finish(ctx context.Context, r Request, status, failure string) (Request, error) {
	tx, err := b.sql.BeginTx(ctx, nil)
	if err != nil {
		return r, err
	}
	defer tx.Rollback()
	now := b.now()
	res, err := tx.ExecContext(ctx, `UPDATE sim_requests SET status = ?, failure_code = ?, updated_at = ? WHERE id = ? AND status IN ('received', 'pending')`,
		status, failure, now.UnixNano(), r.ID)
	if err != nil {
		return r, fmt.Errorf("finish request: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 && r.CallbackURL != "" {
		for _, cb := range callbacksFor(r.Behaviour, status, failure, now) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sim_callbacks (request_id, seq, status, failure_code, due_at, attempts, delivered) VALUES (?, ?, ?, ?, ?, 0, 0)`,
				r.ID, cb.seq, cb.status, cb.failure, cb.due.UnixNano()); err != nil {
				return r, fmt.Errorf("queue callback: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return r, err
	}
	return b.Request(ctx, r.ID)
}

// queuedCallback is one delivery a finished request owes.
type queuedCallback struct {
	seq             int64
	status, failure string
	due             time.Time
}

// callbacksFor is what a finished request posts: its final state, twice
// for DuplicateCallback, and for OutOfOrder a stale pending state after
// the final one.
func callbacksFor(b Behaviour, status, failure string, now time.Time) []queuedCallback {
	final := queuedCallback{seq: 2, status: status, failure: failure, due: now}
	later := now.Add(20 * time.Millisecond)
	switch b {
	case DuplicateCallback:
		again := final
		again.due = later
		return []queuedCallback{final, again}
	case OutOfOrder:
		return []queuedCallback{final, {seq: 1, status: bankwire.StatusPending, due: later}}
	}
	return []queuedCallback{final}
}
