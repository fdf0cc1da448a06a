package walletsql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/ewallet/ewallet/merchant"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/wallet"
	"github.com/ewallet/ewallet/webhook"
)

var _ merchant.Store = (*Store)(nil)

const (
	merchantCols     = `id, owner_id, name, mcc, fee_bp, webhook_key, created_at, payout_card`
	insertMerchant   = `INSERT INTO merchants (` + merchantCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	selectMerchant   = `SELECT ` + merchantCols + ` FROM merchants WHERE id = ?`
	settledMerchants = `SELECT ` + merchantCols + ` FROM merchants WHERE payout_card <> '' AND id > ? ORDER BY id LIMIT ?`
	setPayoutCard    = `UPDATE merchants SET payout_card = ? WHERE id = ?`
	insertKey        = `INSERT INTO merchant_keys (hash, merchant_id, created_at, expires_at) VALUES (?, ?, ?, ?)`
	selectKey        = `SELECT hash, merchant_id, created_at, expires_at FROM merchant_keys WHERE hash = ?`
	endKeys          = `UPDATE merchant_keys SET expires_at = ? WHERE merchant_id = ? AND hash <> ? AND (expires_at = 0 OR expires_at > ?)`

	paymentCols = `id, merchant_id, amount, currency, reference, description, manual, status, payer_id, captured, fee,
    refunded, refunded_fee, expires_at, capture_by, created_at, updated_at`
	insertPayment = `INSERT INTO payments (` + paymentCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	selectPayment = `SELECT ` + paymentCols + ` FROM payments WHERE id = ?`
	// Newest first by (created_at, id), after the cursor's row.
	selectPaymentCursor = `SELECT created_at FROM payments WHERE id = ? AND merchant_id = ?`
	listPayments        = `SELECT ` + paymentCols + ` FROM payments WHERE merchant_id = ?
AND (created_at < ? OR (created_at = ? AND id < ?)) ORDER BY created_at DESC, id DESC LIMIT ?`
	duePayments   = `SELECT id FROM payments WHERE status = 'requires_payment' AND expires_at <= ? ORDER BY expires_at LIMIT ?`
	updatePayment = `UPDATE payments SET status = ?, payer_id = ?, captured = ?, fee = ?, capture_by = ?, updated_at = ?
WHERE id = ? AND status = ?`

	refundCols     = `id, payment_id, amount, fee, currency, status, created_at`
	insertRefund   = `INSERT INTO refunds (` + refundCols + `) VALUES (?, ?, ?, ?, ?, ?, ?)`
	selectRefund   = `SELECT ` + refundCols + ` FROM refunds WHERE id = ?`
	pendingRefunds = `SELECT ` + refundCols + ` FROM refunds WHERE status = 'pending' AND created_at < ? ORDER BY created_at LIMIT ?`
	reserveRefund  = `UPDATE payments SET refunded = refunded + ?, refunded_fee = refunded_fee + ?
WHERE id = ? AND refunded = ? AND refunded + ? <= captured`
	finishRefund  = `UPDATE refunds SET status = ? WHERE id = ? AND status = 'pending'`
	releaseRefund = `UPDATE payments SET refunded = refunded - ?, refunded_fee = refunded_fee - ? WHERE id = ?`
)

// CreateMerchant implements merchant.Store.
func (s *Store) CreateMerchant(ctx context.Context, m merchant.Merchant, k merchant.Key) error {
	return s.inTx(ctx, "create merchant", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.d.bind(insertMerchant), m.ID, m.OwnerID, m.Name, m.MCC, m.FeeBP, blob(m.WebhookKey), nanos(m.CreatedAt), m.PayoutCard); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.d.bind(insertKey), k.Hash[:], k.MerchantID, nanos(k.CreatedAt), nanos(k.ExpiresAt))
		return err
	})
}

// Merchant implements merchant.Store.
func (s *Store) Merchant(ctx context.Context, id string) (merchant.Merchant, error) {
	m, err := scanMerchant(s.r.queryRow(ctx, selectMerchant, id))
	return m, fail("read merchant", "merchant", err)
}

func scanMerchant(row scanner) (merchant.Merchant, error) {
	var m merchant.Merchant
	err := row.Scan(&m.ID, &m.OwnerID, &m.Name, &m.MCC, &m.FeeBP, &m.WebhookKey, at{&m.CreatedAt}, &m.PayoutCard)
	return m, err
}

// SettledMerchants implements merchant.Store.
func (s *Store) SettledMerchants(ctx context.Context, after string, limit int) ([]merchant.Merchant, error) {
	ms, err := queryAll(ctx, s.r, scanMerchant, settledMerchants, after, limit)
	return ms, fail("list merchants", "merchant", err)
}

// SetPayoutCard implements merchant.Store.
func (s *Store) SetPayoutCard(ctx context.Context, merchantID, cardID string) error {
	n, err := s.w.execN(ctx, setPayoutCard, cardID, merchantID)
	if err == nil && n == 0 {
		return notFound("merchant")
	}
	return fail("set payout card", "merchant", err)
}

// Key implements merchant.Store.
func (s *Store) Key(ctx context.Context, hash [32]byte) (merchant.Key, error) {
	var k merchant.Key
	err := s.r.queryRow(ctx, selectKey, hash[:]).Scan(hash32{&k.Hash}, &k.MerchantID, at{&k.CreatedAt}, at{&k.ExpiresAt})
	return k, fail("read merchant key", "key", err)
}

// RotateKey implements merchant.Store.
func (s *Store) RotateKey(ctx context.Context, k merchant.Key, oldUntil time.Time) error {
	return s.inTx(ctx, "rotate merchant key", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.d.bind(insertKey), k.Hash[:], k.MerchantID, nanos(k.CreatedAt), nanos(k.ExpiresAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.d.bind(endKeys), nanos(oldUntil), k.MerchantID, k.Hash[:], nanos(oldUntil))
		return err
	})
}

// CreatePayment implements merchant.Store.
func (s *Store) CreatePayment(ctx context.Context, p merchant.Payment) error {
	_, err := s.w.exec(ctx, insertPayment, p.ID, p.MerchantID, p.Amount, string(p.Currency), p.Reference, p.Description, boolInt(p.Manual),
		string(p.Status), p.PayerID, p.Captured, p.Fee, p.Refunded, p.RefundedFee, nanos(p.ExpiresAt), nanos(p.CaptureBy), nanos(p.CreatedAt), nanos(p.UpdatedAt))
	if s.d.unique(err, "payments", "id") {
		return wallet.Errorf(wallet.CodeKeyReused, "a payment with this id exists")
	}
	return fail("create payment", "payment", err)
}

// Payment implements merchant.Store.
func (s *Store) Payment(ctx context.Context, id string) (merchant.Payment, error) {
	p, err := scanPayment(s.r.queryRow(ctx, selectPayment, id))
	return p, fail("read payment", "payment", err)
}

func scanPayment(row scanner) (merchant.Payment, error) {
	var p merchant.Payment
	var cur, status string
	var manual int64
	err := row.Scan(&p.ID, &p.MerchantID, &p.Amount, &cur, &p.Reference, &p.Description, &manual,
		&status, &p.PayerID, &p.Captured, &p.Fee, &p.Refunded, &p.RefundedFee, at{&p.ExpiresAt}, at{&p.CaptureBy}, at{&p.CreatedAt}, at{&p.UpdatedAt})
	p.Currency, p.Status, p.Manual = money.Currency(cur), merchant.Status(status), manual != 0
	return p, err
}

// Payments implements merchant.Store.
func (s *Store) Payments(ctx context.Context, merchantID, startingAfter string, limit int) ([]merchant.Payment, error) {
	if limit <= 0 {
		return nil, nil
	}
	var before int64 = math.MaxInt64
	if startingAfter != "" {
		err := s.r.queryRow(ctx, selectPaymentCursor, startingAfter, merchantID).Scan(&before)
		if err != nil {
			return nil, fail("list payments", "starting_after payment", err)
		}
	}
	ps, err := queryAll(ctx, s.r, scanPayment, listPayments, merchantID, before, before, startingAfter, limit)
	return ps, fail("list payments", "payment", err)
}

// DuePayments implements merchant.Store.
func (s *Store) DuePayments(ctx context.Context, now time.Time, limit int) ([]string, error) {
	ids, err := queryAll(ctx, s.r, scanString, duePayments, nanos(now), limit)
	return ids, fail("due payments", "payment", err)
}

func scanString(row scanner) (string, error) {
	var v string
	return v, row.Scan(&v)
}

// UpdatePayment implements merchant.Store.
func (s *Store) UpdatePayment(ctx context.Context, p merchant.Payment, from merchant.Status) (bool, error) {
	n, err := s.w.execN(ctx, updatePayment, string(p.Status), p.PayerID, p.Captured, p.Fee, nanos(p.CaptureBy), nanos(p.UpdatedAt), p.ID, string(from))
	return n == 1, fail("update payment", "payment", err)
}

// EndUnpaid implements merchant.Store: the payment's new status and its
// event commit in one transaction (the outbox).
func (s *Store) EndUnpaid(ctx context.Context, p merchant.Payment, from merchant.Status, e webhook.Event) (bool, error) {
	var ok bool
	err := s.inTx(ctx, "end unpaid payment", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.d.bind(updatePayment), string(p.Status), p.PayerID, p.Captured, p.Fee, nanos(p.CaptureBy),
			nanos(p.UpdatedAt), p.ID, string(from))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err // moved on first: no event
		}
		ok = true
		_, err = s.PublishWebhookEventTx(ctx, tx, e, e.CreatedAt.Add(webhook.MaxAge))
		return err
	})
	return ok, err
}

// CreateRefund implements merchant.Store: the refund's row and the
// reservation of its amount commit together.
func (s *Store) CreateRefund(ctx context.Context, r merchant.Refund, refundedFrom, captured int64) (merchant.Refund, bool, error) {
	if old, err := s.Refund(ctx, r.ID); err == nil {
		return old, false, nil
	}
	err := s.inTx(ctx, "create refund", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.d.bind(reserveRefund), r.Amount, r.Fee, r.PaymentID, refundedFrom, r.Amount)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			if err == nil {
				err = s.whyNotReserved(ctx, tx, r.PaymentID, refundedFrom)
			}
			return err
		}
		_, err = tx.ExecContext(ctx, s.d.bind(insertRefund), r.ID, r.PaymentID, r.Amount, r.Fee, string(r.Currency), r.Status, nanos(r.CreatedAt))
		return err
	})
	if s.d.unique(err, "refunds", "id") { // the same refund, created by another process first
		old, err := s.Refund(ctx, r.ID)
		return old, false, err
	}
	return r, err == nil, err
}

// whyNotReserved names why a refund's reservation changed no row.
func (s *Store) whyNotReserved(ctx context.Context, tx *sql.Tx, paymentID string, refundedFrom int64) error {
	var refunded int64
	err := tx.QueryRowContext(ctx, s.d.bind(`SELECT refunded FROM payments WHERE id = ?`), paymentID).Scan(&refunded)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return notFound("payment")
	case err != nil:
		return err
	case refunded != refundedFrom:
		return wallet.Errorf(wallet.CodeInProgress, "the payment's refunds changed; retry")
	}
	return wallet.Errorf(wallet.CodeRefundExceeds, "the refund exceeds what can still be refunded")
}

// FinishRefund implements merchant.Store.
func (s *Store) FinishRefund(ctx context.Context, id string, succeeded bool) error {
	if succeeded {
		_, err := s.w.exec(ctx, finishRefund, "succeeded", id)
		return fail("finish refund", "refund", err)
	}
	r, err := s.Refund(ctx, id)
	if err != nil {
		return err
	}
	return s.inTx(ctx, "fail refund", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.d.bind(finishRefund), "failed", id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err // finished already: nothing to release
		}
		_, err = tx.ExecContext(ctx, s.d.bind(releaseRefund), r.Amount, r.Fee, r.PaymentID)
		return err
	})
}

// PendingRefunds implements merchant.Store.
func (s *Store) PendingRefunds(ctx context.Context, before time.Time, limit int) ([]merchant.Refund, error) {
	rs, err := queryAll(ctx, s.r, scanRefund, pendingRefunds, nanos(before), limit)
	return rs, fail("pending refunds", "refund", err)
}

func scanRefund(row scanner) (merchant.Refund, error) {
	var r merchant.Refund
	var cur string
	err := row.Scan(&r.ID, &r.PaymentID, &r.Amount, &r.Fee, &cur, &r.Status, at{&r.CreatedAt})
	r.Currency = money.Currency(cur)
	return r, err
}

// Refund implements merchant.Store.
func (s *Store) Refund(ctx context.Context, id string) (merchant.Refund, error) {
	r, err := scanRefund(s.r.queryRow(ctx, selectRefund, id))
	return r, fail("read refund", "refund", err)
}

// inTx runs fn in one transaction on the writer. Its statements are not
// prepared through the cache: on SQLite the transaction holds the only
// writer connection, which preparing would need too.
func (s *Store) inTx(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	tx, err := s.w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		var we *wallet.Error
		if errors.As(err, &we) {
			return err
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	return fail(op, "", tx.Commit())
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
