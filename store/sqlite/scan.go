package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ewallet/ewallet/ledger"
)

// Scan implements ledger.Store. It reads in one read transaction, so Verify
// sees one consistent snapshot while the writer goes on.
func (db *DB) Scan(ctx context.Context, s ledger.Scanner) error {
	if err := db.caughtUp(ctx); err != nil {
		return err
	}
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var head ledger.Head
	var hash []byte
	var t int64
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash, time FROM ledger_head`).Scan(&head.Seq, &hash, &t); err != nil {
		return fmt.Errorf("read head: %w", err)
	}
	copy(head.Hash[:], hash)
	head.Time = fromNanos(t)
	if err := s.Head(head); err != nil {
		return err
	}
	steps := []struct {
		query string
		row   func(*sql.Rows) error
	}{
		{selectAccounts + `ORDER BY a.id`, func(r *sql.Rows) error {
			a, err := scanAccount(r)
			if err != nil {
				return err
			}
			return s.Account(a)
		}},
		{`SELECT h.id, h.seq, h.status, h.expires_at, h.resolved_by, COALESCE(t.postings, '') FROM holds h LEFT JOIN transfers t ON t.seq = h.seq ORDER BY h.seq`, func(r *sql.Rows) error {
			h, err := scanHold(r)
			if err != nil {
				return err
			}
			return s.Hold(h)
		}},
		{`SELECT ` + transferCols + ` FROM transfers ORDER BY seq`, func(r *sql.Rows) error {
			t, err := scanTransfer(r)
			if err != nil {
				return err
			}
			return s.Transfer(t)
		}},
		{`SELECT ` + entryCols + ` FROM entries ORDER BY account_id, seq`, func(r *sql.Rows) error {
			e, err := scanEntry(r)
			if err != nil {
				return err
			}
			return s.Entry(e)
		}},
	}
	for _, step := range steps {
		if err := scanAll(ctx, tx, step.query, step.row); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func scanAll(ctx context.Context, tx *sql.Tx, query string, row func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query)
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
