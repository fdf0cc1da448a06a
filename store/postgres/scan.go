package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ewallet/ewallet/ledger"
)

// Scan implements ledger.Store. It reads one snapshot (REPEATABLE READ, read
// only), so Verify sees a consistent ledger while writers go on, and streams
// every table in the order ledger.Scanner documents.
//
// When a callback stops the scan (Verify stops at the first violation), the
// rest of a possibly huge result is not read off the wire: the connection is
// dropped instead, which also ends the transaction.
func (db *DB) Scan(ctx context.Context, s ledger.Scanner) (err error) {
	c, err := db.read.acquire(ctx)
	if err != nil {
		return err
	}
	stopped := false
	defer func() { db.read.release(c, stopped || err != nil) }()
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("begin scan: %w", err)
	}
	var head ledger.Head
	var hash []byte
	var t pgtype.Timestamptz
	if err := tx.QueryRow(ctx, `SELECT seq, hash, time FROM ledger_head`).Scan(&head.Seq, &hash, &t); err != nil {
		return fmt.Errorf("read head: %w", err)
	}
	head.Hash, head.Time = hash32(hash), fromTimestamptz(t)
	if err := s.Head(head); err != nil {
		stopped = true
		return err
	}
	steps := []struct {
		query string
		row   func(pgx.Rows) error
	}{
		{`SELECT ` + accountCols + ` FROM accounts ORDER BY id`, func(r pgx.Rows) error {
			a, err := scanAccount(r)
			if err != nil {
				return err
			}
			return s.Account(a)
		}},
		// LEFT JOIN: a hold whose transfer is missing still reaches Verify.
		{`SELECT h.id, h.seq, h.status, h.expires_at, h.resolved_by, COALESCE(t.postings, '') FROM holds h LEFT JOIN transfers t ON t.seq = h.seq ORDER BY h.seq`, func(r pgx.Rows) error {
			h, err := scanHold(r)
			if err != nil {
				return err
			}
			return s.Hold(h)
		}},
		{`SELECT ` + transferCols + ` FROM transfers ORDER BY seq`, func(r pgx.Rows) error {
			t, err := scanTransfer(r)
			if err != nil {
				return err
			}
			return s.Transfer(t)
		}},
		{`SELECT ` + entryCols + ` FROM entries ORDER BY account_id, seq`, func(r pgx.Rows) error {
			e, err := scanEntry(r)
			if err != nil {
				return err
			}
			return s.Entry(e)
		}},
	}
	for _, step := range steps {
		if stopped, err = stream(ctx, tx, step.query, step.row); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// stream calls row for each row of query. If row fails it returns at once,
// leaving the result unread (stopped): the caller must drop the connection.
func stream(ctx context.Context, tx pgx.Tx, query string, row func(pgx.Rows) error) (stopped bool, err error) {
	rows, err := tx.Query(ctx, query)
	if err != nil {
		return false, err
	}
	for rows.Next() {
		if err := row(rows); err != nil {
			return true, err
		}
	}
	rows.Close()
	return false, rows.Err()
}
