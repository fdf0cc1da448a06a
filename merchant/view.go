package merchant

import (
	"time"

	"github.com/ewallet/ewallet/money"
)

// PaymentView is a payment as the API and webhooks show it (shared/API.md,
// "Merchants and payments"): amounts as decimal strings with the
// currency's full decimals.
type PaymentView struct {
	ID             string    `json:"id"`
	Status         string    `json:"status"`
	Amount         string    `json:"amount"`
	Currency       string    `json:"currency"`
	Reference      string    `json:"reference"`
	Description    string    `json:"description,omitempty"`
	Capture        string    `json:"capture"`
	QRPayload      string    `json:"qr_payload,omitempty"`
	AmountCaptured string    `json:"amount_captured,omitempty"`
	Fee            string    `json:"fee,omitempty"`
	Net            string    `json:"net,omitempty"`
	AmountRefunded string    `json:"amount_refunded,omitempty"`
	ExpiresAt      time.Time `json:"expires_at"`
	CreatedAt      time.Time `json:"created_at"`
}

// RefundView is a refund as the API and webhooks show it.
type RefundView struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	PaymentID string    `json:"payment_id"`
	Amount    string    `json:"amount"`
	Currency  string    `json:"currency"`
	CreatedAt time.Time `json:"created_at"`
}

// View renders a payment of m.
func (s *Service) View(m Merchant, p Payment) PaymentView {
	if p.ID == "" {
		return PaymentView{}
	}
	f := func(n int64) string { return money.Format(n, p.Currency) }
	v := PaymentView{ID: p.ID, Status: string(p.Status), Amount: f(p.Amount), Currency: string(p.Currency), Reference: p.Reference,
		Description: p.Description, Capture: "automatic", ExpiresAt: p.ExpiresAt, CreatedAt: p.CreatedAt}
	if p.Manual {
		v.Capture = "manual"
	}
	v.QRPayload = s.QRPayload(m, p)
	if p.Status == Succeeded {
		v.AmountCaptured, v.Fee, v.Net = f(p.Captured), f(p.Fee), f(p.Captured-p.Fee)
		v.AmountRefunded = f(p.Refunded)
	}
	return v
}

// ViewRefund renders a refund.
func ViewRefund(r Refund) RefundView {
	return RefundView{ID: r.ID, Status: r.Status, PaymentID: r.PaymentID, Amount: money.Format(r.Amount, r.Currency),
		Currency: string(r.Currency), CreatedAt: r.CreatedAt}
}
