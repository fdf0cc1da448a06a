package merchant

import (
	"context"
	"strconv"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/wallet"
)

// Refund gives amount of a succeeded payment back to its payer, with the
// fee share the merchant paid on it. id names the refund (derived from
// the merchant's idempotency key): the same request again finishes or
// replays the same refund. The refunded total never exceeds the capture:
// it is reserved in the payments table, in one transaction with the
// refund's row, before any money moves, and released only when the
// ledger refused the money.
func (s *Service) Refund(ctx context.Context, m Merchant, id, paymentID string, amount int64) (Refund, error) {
	defer s.locks.lock(paymentID)()
	if r, err := s.Store.Refund(ctx, id); err == nil {
		if r.PaymentID != paymentID || r.Amount != amount {
			return Refund{}, wallet.Errorf(wallet.CodeKeyReused, "this Idempotency-Key was used with a different request")
		}
		return s.moveRefund(ctx, m, r)
	}
	p, err := s.Get(ctx, m, paymentID)
	if err != nil {
		return Refund{}, err
	}
	if p.Status != Succeeded {
		return Refund{}, wallet.Errorf(wallet.CodePaymentNotPayable, "only a succeeded payment can be refunded")
	}
	if amount > p.Captured-p.Refunded {
		return Refund{}, wallet.Errorf(wallet.CodeRefundExceeds, "at most %s can still be refunded", fmtAmount(p.Captured-p.Refunded, p))
	}
	r := Refund{ID: id, PaymentID: p.ID, Amount: amount, Fee: refundFee(p.Fee, p.Captured, p.Refunded, amount),
		Currency: p.Currency, Status: "pending", CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	r, _, err = s.Store.CreateRefund(ctx, r, p.Refunded, p.Captured)
	if err != nil {
		return Refund{}, err
	}
	return s.moveRefund(ctx, m, r)
}

// moveRefund moves a reserved refund's money (once: its transfer ID is the
// refund's) and records the outcome.
func (s *Service) moveRefund(ctx context.Context, m Merchant, r Refund) (Refund, error) {
	if r.Status != "pending" {
		if r.Status == "failed" {
			return r, wallet.Errorf(wallet.CodeInsufficientFunds, "the merchant's balance was too low for this refund")
		}
		return r, nil
	}
	p, err := s.Store.Payment(ctx, r.PaymentID)
	if err != nil {
		return Refund{}, err
	}
	payer, err := s.payerAccount(ctx, p)
	if err != nil {
		return Refund{}, err
	}
	src, fees, err := s.merchantAccounts(ctx, m, p)
	if err != nil {
		return Refund{}, err
	}
	t := ledger.Transfer{ID: "ref:" + r.ID, Type: ledger.Posted, Kind: kindRefund,
		Postings: []ledger.Posting{{Account: src, Amount: -(r.Amount - r.Fee)}, {Account: payer, Amount: r.Amount}},
		Metadata: map[string]string{"op": r.ID, "type": kindRefund, "payment": p.ID, "from": m.ID, "to": p.PayerID, "currency": string(r.Currency),
			"amount": strconv.FormatInt(r.Amount, 10), "fee": strconv.FormatInt(r.Fee, 10)}}
	if r.Fee > 0 {
		t.Postings = append(t.Postings, ledger.Posting{Account: fees, Amount: -r.Fee})
	}
	_, err = s.Ledger.Transfer(ctx, t)
	switch ledger.ErrorCode(err) {
	case "":
		if err != nil {
			return Refund{}, fromLedger(err) // outcome unknown: stays pending
		}
		s.kick()
		r.Status = "succeeded"
		return r, s.Store.FinishRefund(ctx, r.ID, true)
	case ledger.CodeInsufficientFunds:
		r.Status = "failed"
		if err := s.Store.FinishRefund(ctx, r.ID, false); err != nil {
			return Refund{}, err
		}
		return r, wallet.Errorf(wallet.CodeInsufficientFunds, "the merchant's balance is too low for this refund")
	}
	return Refund{}, fromLedger(err)
}
