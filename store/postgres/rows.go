package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

// retryError marks a failure after which the whole transaction may simply
// run again: a serialisation failure (40001, what CockroachDB reports for any
// conflict) or a deadlock (40P01). It implements ledger.Retryable, so the
// ledger's writer reruns the batch.
type retryError struct{ err error }

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// Retryable implements ledger.Retryable.
func (e *retryError) Retryable() bool { return true }

// classify wraps retryable server errors in retryError; others pass as they are.
func classify(err error) error {
	if err != nil && hasCode(err, "40001", "40P01") {
		return &retryError{err: err}
	}
	return err
}

// hasCode reports whether err carries one of the SQLSTATE codes.
func hasCode(err error, codes ...string) bool {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return false
	}
	for _, c := range codes {
		if pg.Code == c {
			return true
		}
	}
	return false
}

// retry runs fn again, a few times, while it fails with a retryable error.
// It serves the writes outside the ledger's writer, which retries on its own.
func retry(ctx context.Context, fn func() error) error {
	err := fn()
	for try := 1; try <= 10 && err != nil; try++ {
		var r *retryError
		if !errors.As(err, &r) {
			return err
		}
		select {
		case <-time.After(time.Duration(try) * time.Millisecond):
		case <-ctx.Done():
			return err
		}
		err = fn()
	}
	return err
}

func notFound(what string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return &ledger.Error{Code: ledger.CodeNotFound, Message: what + " not found"}
	}
	return err
}

// timestamptz maps the ledger's zero time to NULL.
func timestamptz(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
}

// fromTimestamptz maps NULL back to the zero time and gives every time in
// UTC, as the ledger hashed it.
func fromTimestamptz(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

func hash32(b []byte) (h [32]byte) {
	copy(h[:], b)
	return h
}

const accountCols = `id, name, currency, flags, posted, held, last_seq, created_at`

func scanAccount(r pgx.Row) (ledger.Account, error) {
	var a ledger.Account
	var id, flags int64
	var cur string
	var created pgtype.Timestamptz
	err := r.Scan(&id, &a.Name, &cur, &flags, &a.Posted, &a.Held, &a.LastSeq, &created)
	a.ID, a.Currency, a.Flags, a.CreatedAt = ledger.AccountID(id), money.Currency(cur), ledger.AccountFlags(flags), fromTimestamptz(created)
	return a, err
}

const transferCols = `seq, id, type, kind, hold_id, expires_at, postings, metadata, created_at, fp, hash`

// scanTransfer reads transferCols.
func scanTransfer(r pgx.Row) (*ledger.Transfer, error) {
	var t ledger.Transfer
	var typ int64
	var exp, created pgtype.Timestamptz
	var postings, meta string
	var fp, hash []byte
	if err := r.Scan(&t.Seq, &t.ID, &typ, &t.Kind, &t.HoldID, &exp, &postings, &meta, &created, &fp, &hash); err != nil {
		return nil, err
	}
	if err := t.DecodeStored(postings, meta); err != nil {
		return nil, err
	}
	t.Type, t.ExpiresAt, t.Time = ledger.Type(typ), fromTimestamptz(exp), fromTimestamptz(created)
	t.RequestHash, t.Hash = hash32(fp), hash32(hash)
	return &t, nil
}

const entryCols = `account_id, seq, amount, held_delta, balance, held_after`

func scanEntry(r pgx.Row) (ledger.Entry, error) {
	var e ledger.Entry
	var id int64
	err := r.Scan(&id, &e.Seq, &e.Amount, &e.HeldDelta, &e.Balance, &e.HeldAfter)
	e.Account = ledger.AccountID(id)
	return e, err
}

// holdCols are a hold's columns and its transfer's postings (holds h JOIN transfers t).
const holdCols = `h.id, h.seq, h.status, h.expires_at, h.resolved_by, t.postings`

func scanHold(r pgx.Row) (ledger.HoldState, error) {
	var h ledger.HoldState
	var status int64
	var exp pgtype.Timestamptz
	var postings string
	if err := r.Scan(&h.ID, &h.Seq, &status, &exp, &h.ResolvedBy, &postings); err != nil {
		return h, err
	}
	h.Status, h.ExpiresAt = ledger.HoldStatus(status), fromTimestamptz(exp)
	var err error
	h.Postings, err = ledger.DecodePostings(postings)
	return h, err
}

// each runs a query and calls row for every row, streaming.
func each(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, query string, args []any, row func(pgx.Rows) error) error {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func accountIDs(ids []ledger.AccountID) []int64 {
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return out
}
