package walletsql

import (
	"context"

	"github.com/ewallet/ewallet/bank/httpbank"
)

var _ httpbank.Store = (*Store)(nil)

const bankRequestCols = `id, kind, amount, currency, state, failure_code, bank_seq, attempts, next_query_at, created_at, updated_at`

const (
	insertBankRequest = `INSERT INTO bank_requests (` + bankRequestCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING`
	selectBankRequest = `SELECT ` + bankRequestCols + ` FROM bank_requests WHERE id = ?`
	// The state literals keep a final state from ever being overwritten,
	// whoever writes second: the request, the worker or a callback.
	updateBankRequest = `UPDATE bank_requests SET state = ?, failure_code = ?, bank_seq = ?, attempts = ?, next_query_at = ?, updated_at = ?
WHERE id = ? AND state NOT IN ('succeeded', 'failed')`
)

func scanBankRequest(row scanner) (httpbank.Request, error) {
	var r httpbank.Request
	err := row.Scan(&r.ID, &r.Kind, &r.Amount, &r.Currency, &r.State, &r.FailureCode, &r.BankSeq, &r.Attempts,
		at{&r.NextQueryAt}, at{&r.CreatedAt}, at{&r.UpdatedAt})
	return r, err
}

// CreateBankRequest implements httpbank.Store. Requests are never deleted,
// so the read after a conflict always finds the row.
func (s *Store) CreateBankRequest(ctx context.Context, r httpbank.Request) (httpbank.Request, bool, error) {
	n, err := s.w.execN(ctx, insertBankRequest, r.ID, r.Kind, r.Amount, r.Currency, string(r.State), r.FailureCode,
		r.BankSeq, r.Attempts, nanos(r.NextQueryAt), nanos(r.CreatedAt), nanos(r.UpdatedAt))
	if err != nil {
		return httpbank.Request{}, false, fail("create bank request", "bank request", err)
	}
	if n == 1 {
		return r, true, nil
	}
	old, err := s.BankRequest(ctx, r.ID)
	return old, false, err
}

// BankRequest implements httpbank.Store.
func (s *Store) BankRequest(ctx context.Context, id string) (httpbank.Request, error) {
	r, err := scanBankRequest(s.r.queryRow(ctx, selectBankRequest, id))
	return r, fail("read bank request", "bank request", err)
}

// UpdateBankRequest implements httpbank.Store.
func (s *Store) UpdateBankRequest(ctx context.Context, r httpbank.Request) (bool, error) {
	n, err := s.w.execN(ctx, updateBankRequest, string(r.State), r.FailureCode, r.BankSeq, r.Attempts,
		nanos(r.NextQueryAt), nanos(r.UpdatedAt), r.ID)
	if err != nil {
		return false, fail("update bank request", "bank request", err)
	}
	return n == 1, nil
}
