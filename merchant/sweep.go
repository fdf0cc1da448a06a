package merchant

import (
	"context"
	"time"

	"github.com/ewallet/ewallet/wallet"
)

// ExpireDue expires up to limit payments whose payer never came, so that
// their merchants hear of it (payment.expired) without asking. Reading a
// payment expires it too; this only makes it happen on time. Authorized
// payments that are never captured expire with their ledger hold (the
// ledger's sweeper), and the journal follower records that.
func (s *Service) ExpireDue(ctx context.Context, limit int) (int, error) {
	ids, err := s.Store.DuePayments(ctx, s.now(), limit)
	if err != nil {
		return 0, err
	}
	for i, id := range ids {
		if _, err := s.payment(ctx, id); err != nil {
			return i, err
		}
	}
	return len(ids), nil
}

// refundRetryAfter is how old a pending refund must be before the sweeper
// moves its money: younger ones are still in their request's hands.
const refundRetryAfter = time.Minute

// RetryRefunds moves the money of up to limit refunds left pending (the
// amount reserved, the ledger never told: a crash in between, or an
// outcome that was not known), so that a refund is never stuck. Moving it
// again is safe: the refund's transfer ID is fixed.
func (s *Service) RetryRefunds(ctx context.Context, limit int) (int, error) {
	rs, err := s.Store.PendingRefunds(ctx, s.now().Add(-refundRetryAfter), limit)
	if err != nil {
		return 0, err
	}
	for i, r := range rs {
		p, err := s.Store.Payment(ctx, r.PaymentID)
		if err != nil {
			return i, err
		}
		m, err := s.Store.Merchant(ctx, p.MerchantID)
		if err != nil {
			return i, err
		}
		unlock := s.locks.lock(p.ID)
		_, err = s.moveRefund(ctx, m, r)
		unlock()
		if err != nil && wallet.ErrorCode(err) != wallet.CodeInsufficientFunds {
			return i, err
		}
	}
	return len(rs), nil
}

// Payments lists the merchant's payments, newest first.
func (s *Service) Payments(ctx context.Context, m Merchant, startingAfter string, limit int) ([]Payment, bool, error) {
	ps, err := s.Store.Payments(ctx, m.ID, startingAfter, limit+1)
	if wallet.ErrorCode(err) == wallet.CodeNotFound {
		return nil, false, wallet.Errorf(wallet.CodeInvalidRequest, "starting_after is not one of your payments")
	}
	if err != nil {
		return nil, false, err
	}
	more := len(ps) > limit
	if more {
		ps = ps[:limit]
	}
	for i, p := range ps {
		if p.Status == RequiresPayment && !s.now().Before(p.ExpiresAt) {
			if ps[i], err = s.payment(ctx, p.ID); err != nil {
				return nil, false, err
			}
		}
	}
	return ps, more, nil
}

// sweepEvery is how often RunJournal also expires due payments.
const sweepEvery = 5 * time.Second
