package walletsql

import (
	"context"
	"time"

	"github.com/ewallet/ewallet/wallet"
)

const bankOpCols = `id, kind, user_id, card_id, amount, currency, status, failure_code, idem_key, request_id, created_at, updated_at`

const (
	insertBankOp = `INSERT INTO bank_ops (` + bankOpCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (user_id, idem_key) DO NOTHING`
	selectBankOpByKey = `SELECT ` + bankOpCols + ` FROM bank_ops WHERE user_id = ? AND idem_key = ?`
	selectBankOp      = `SELECT ` + bankOpCols + ` FROM bank_ops WHERE id = ?`
	setBankOpStatus   = `UPDATE bank_ops SET status = ?, failure_code = ?, updated_at = ? WHERE id = ? AND status = ?`
	bankOpExists      = `SELECT count(*) FROM bank_ops WHERE id = ?`
	// The statuses are literals, not parameters, so that the planner can
	// match the partial index bank_ops_open, which holds open operations only.
	selectOpenBankOps = `SELECT ` + bankOpCols + ` FROM bank_ops
WHERE status IN ('created', 'pending') ORDER BY created_at, id LIMIT ?`
)

func scanBankOp(row scanner) (wallet.BankOp, error) {
	var op wallet.BankOp
	err := row.Scan(&op.ID, &op.Kind, &op.UserID, &op.CardID, &op.Amount, &op.Currency, &op.Status,
		&op.FailureCode, &op.IdemKey, &op.RequestID, at{&op.CreatedAt}, at{&op.UpdatedAt})
	return op, err
}

// CreateBankOp implements wallet.Store. When the insert meets an existing
// (UserID, IdemKey) it reads that operation back; no transaction is needed
// because bank operations are never deleted and the key never changes.
func (s *Store) CreateBankOp(ctx context.Context, op wallet.BankOp) (wallet.BankOp, bool, error) {
	n, err := s.w.execN(ctx, insertBankOp, op.ID, string(op.Kind), op.UserID, op.CardID, op.Amount, op.Currency,
		string(op.Status), op.FailureCode, op.IdemKey, op.RequestID, nanos(op.CreatedAt), nanos(op.UpdatedAt))
	if err != nil {
		return wallet.BankOp{}, false, fail("create bank operation", "bank operation", err)
	}
	if n == 1 {
		return op, true, nil
	}
	// The row the insert met is committed (SQLite has one writer;
	// PostgreSQL's ON CONFLICT waits for the inserting transaction), so a
	// read connection sees it.
	old, err := scanBankOp(s.r.queryRow(ctx, selectBankOpByKey, op.UserID, op.IdemKey))
	return old, false, fail("read existing bank operation", "bank operation", err)
}

// BankOp implements wallet.Store.
func (s *Store) BankOp(ctx context.Context, id string) (wallet.BankOp, error) {
	op, err := scanBankOp(s.r.queryRow(ctx, selectBankOp, id))
	return op, fail("read bank operation", "bank operation", err)
}

// SetBankOpStatus implements wallet.Store. An unknown id is CodeNotFound,
// not false: false means someone else moved the operation first.
func (s *Store) SetBankOpStatus(ctx context.Context, id string, from, to wallet.OpStatus, failureCode string, now time.Time) (bool, error) {
	n, err := s.w.execN(ctx, setBankOpStatus, string(to), failureCode, nanos(now), id, string(from))
	if err != nil {
		return false, fail("set bank operation status", "bank operation", err)
	}
	if n == 1 {
		return true, nil
	}
	var found int
	if err := s.r.queryRow(ctx, bankOpExists, id).Scan(&found); err != nil {
		return false, fail("set bank operation status", "bank operation", err)
	}
	if found == 0 {
		return false, notFound("bank operation")
	}
	return false, nil
}

// OpenBankOps implements wallet.Store.
func (s *Store) OpenBankOps(ctx context.Context, limit int) ([]wallet.BankOp, error) {
	if limit <= 0 {
		return nil, nil
	}
	ops, err := queryAll(ctx, s.r, scanBankOp, selectOpenBankOps, limit)
	return ops, fail("list open bank operations", "bank operation", err)
}
