package merchant

import (
	"context"

	"github.com/ewallet/ewallet/receipt"
	"github.com/ewallet/ewallet/wallet"
)

// Receipts. A receipt is made when it is asked for, from the payment or
// refund as the ledger recorded it, with an ID and a time that derive from
// them: asking again gives the same receipt and, Ed25519 being
// deterministic, the same signature. So nothing needs storing, and the
// buyer can prove the purchase with any copy.

// PaymentReceipt is the signed receipt of a succeeded payment.
func (s *Service) PaymentReceipt(ctx context.Context, m Merchant, p Payment) (receipt.Signed, error) {
	if p.Status != Succeeded {
		return receipt.Signed{}, wallet.Errorf(wallet.CodePaymentNotPayable, "only a succeeded payment has a receipt")
	}
	return s.sign(receipt.Receipt{ID: wallet.OpID("rcp_", p.ID, "receipt"), Kind: receipt.KindPayment, PaymentID: p.ID,
		MerchantID: m.ID, MerchantName: m.Name, MerchantCategory: m.MCC, PayerID: p.PayerID, Description: p.Description,
		Amount: p.Captured, Currency: p.Currency, IssuedAt: p.UpdatedAt})
}

// RefundReceipt is the signed receipt of a succeeded refund.
func (s *Service) RefundReceipt(ctx context.Context, m Merchant, r Refund) (receipt.Signed, error) {
	if r.Status != "succeeded" {
		return receipt.Signed{}, wallet.Errorf(wallet.CodeNotFound, "the refund has not succeeded")
	}
	p, err := s.Store.Payment(ctx, r.PaymentID)
	if err != nil {
		return receipt.Signed{}, err
	}
	return s.sign(receipt.Receipt{ID: wallet.OpID("rcp_", r.ID, "receipt"), Kind: receipt.KindRefund, PaymentID: p.ID, RefundID: r.ID,
		MerchantID: m.ID, MerchantName: m.Name, MerchantCategory: m.MCC, PayerID: p.PayerID, Description: p.Description,
		Amount: p.Captured, RefundAmount: r.Amount, Currency: r.Currency, IssuedAt: r.CreatedAt})
}

func (s *Service) sign(r receipt.Receipt) (receipt.Signed, error) {
	if s.Receipts == nil {
		return receipt.Signed{}, wallet.Errorf(wallet.CodeUnavailable, "receipts are not configured")
	}
	return s.Receipts.Sign(r)
}

// RefundFor returns a refund to its merchant or, when m is empty, to the
// payer u of its payment, with the payment's merchant.
func (s *Service) RefundFor(ctx context.Context, m Merchant, u wallet.User, id string) (Refund, Merchant, error) {
	notFound := wallet.Errorf(wallet.CodeNotFound, "no such refund")
	r, err := s.Store.Refund(ctx, id)
	if wallet.ErrorCode(err) == wallet.CodeNotFound {
		return Refund{}, Merchant{}, notFound
	}
	if err != nil {
		return Refund{}, Merchant{}, err
	}
	p, err := s.Store.Payment(ctx, r.PaymentID)
	if err != nil {
		return Refund{}, Merchant{}, err
	}
	if m.ID == "" {
		if p.PayerID != u.ID {
			return Refund{}, Merchant{}, notFound
		}
		if m, err = s.Store.Merchant(ctx, p.MerchantID); err != nil {
			return Refund{}, Merchant{}, err
		}
	}
	if p.MerchantID != m.ID {
		return Refund{}, Merchant{}, notFound
	}
	return r, m, nil
}
