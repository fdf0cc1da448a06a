package walletsql

import (
	"context"
	"math"
	"time"

	"github.com/ewallet/ewallet/merchant"
	"github.com/ewallet/ewallet/money"
)

const (
	payoutCols   = `id, merchant_id, day, currency, amount, card_id, status, failure, created_at, updated_at`
	insertPayout = `INSERT INTO payouts (` + payoutCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (merchant_id, day, currency) DO NOTHING`
	selectPayout      = `SELECT ` + payoutCols + ` FROM payouts WHERE id = ?`
	selectPayoutOfDay = `SELECT ` + payoutCols + ` FROM payouts WHERE merchant_id = ? AND day = ? AND currency = ?`
	selectPayoutAt    = `SELECT created_at FROM payouts WHERE id = ? AND merchant_id = ?`
	listPayouts       = `SELECT ` + payoutCols + ` FROM payouts WHERE merchant_id = ?
AND (created_at < ? OR (created_at = ? AND id < ?)) ORDER BY created_at DESC, id DESC LIMIT ?`
	finishPayout = `UPDATE payouts SET status = ?, failure = ?, updated_at = ? WHERE id = ? AND status = 'pending'`
)

func scanPayout(row scanner) (merchant.Payout, error) {
	var p merchant.Payout
	var cur string
	err := row.Scan(&p.ID, &p.MerchantID, &p.Day, &cur, &p.Amount, &p.CardID, &p.Status, &p.Failure, at{&p.CreatedAt}, at{&p.UpdatedAt})
	p.Currency = money.Currency(cur)
	return p, err
}

// CreatePayout implements merchant.Store.
func (s *Store) CreatePayout(ctx context.Context, p merchant.Payout) (merchant.Payout, bool, error) {
	n, err := s.w.execN(ctx, insertPayout, p.ID, p.MerchantID, p.Day, string(p.Currency), p.Amount, p.CardID, p.Status, p.Failure,
		nanos(p.CreatedAt), nanos(p.UpdatedAt))
	if err != nil {
		return merchant.Payout{}, false, fail("create payout", "payout", err)
	}
	if n == 1 {
		return p, true, nil
	}
	old, err := scanPayout(s.r.queryRow(ctx, selectPayoutOfDay, p.MerchantID, p.Day, string(p.Currency)))
	return old, false, fail("read payout", "payout", err)
}

// Payout implements merchant.Store.
func (s *Store) Payout(ctx context.Context, id string) (merchant.Payout, error) {
	p, err := scanPayout(s.r.queryRow(ctx, selectPayout, id))
	return p, fail("read payout", "payout", err)
}

// FinishPayout implements merchant.Store.
func (s *Store) FinishPayout(ctx context.Context, id, status, failure string, at time.Time) (bool, error) {
	n, err := s.w.execN(ctx, finishPayout, status, failure, nanos(at), id)
	return n == 1, fail("finish payout", "payout", err)
}

// Payouts implements merchant.Store.
func (s *Store) Payouts(ctx context.Context, merchantID, startingAfter string, limit int) ([]merchant.Payout, error) {
	if limit <= 0 {
		return nil, nil
	}
	var before int64 = math.MaxInt64
	if startingAfter != "" {
		if err := s.r.queryRow(ctx, selectPayoutAt, startingAfter, merchantID).Scan(&before); err != nil {
			return nil, fail("list payouts", "starting_after payout", err)
		}
	}
	ps, err := queryAll(ctx, s.r, scanPayout, listPayouts, merchantID, before, before, startingAfter, limit)
	return ps, fail("list payouts", "payout", err)
}
