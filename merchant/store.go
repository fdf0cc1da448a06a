package merchant

import (
	"context"
	"time"

	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/webhook"
)

// Status is where a payment is in its life.
type Status string

const (
	RequiresPayment Status = "requires_payment"
	Authorized      Status = "authorized"
	Succeeded       Status = "succeeded"
	Canceled        Status = "canceled"
	Expired         Status = "expired"
)

// Payment is what a merchant asks a payer for.
type Payment struct {
	ID          string // pay_…
	MerchantID  string
	Amount      int64
	Currency    money.Currency
	Reference   string
	Description string
	Manual      bool // capture: manual (a hold first)
	Status      Status
	PayerID     string // the user who paid ("" before)
	Captured    int64  // what was taken (amount_captured)
	Fee         int64  // the merchant's fee on Captured
	Refunded    int64  // refunded so far
	RefundedFee int64  // fee returned to the merchant so far
	ExpiresAt   time.Time
	CaptureBy   time.Time // authorized: the hold is released after
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Refund returns money of a payment to its payer.
type Refund struct {
	ID        string // ref_…
	PaymentID string
	Amount    int64
	Fee       int64 // fee returned to the merchant with it
	Currency  money.Currency
	Status    string // pending (money not moved yet), succeeded, failed
	CreatedAt time.Time
}

// Store keeps merchants and payments. Errors are *wallet.Error with
// wallet.CodeNotFound for a missing row; anything else is internal.
type Store interface {
	// CreateMerchant inserts a merchant with its first key.
	CreateMerchant(ctx context.Context, m Merchant, k Key) error
	Merchant(ctx context.Context, id string) (Merchant, error)
	// Key finds a secret key by its hash.
	Key(ctx context.Context, hash [32]byte) (Key, error)
	// RotateKey adds k and makes the merchant's other live keys end at
	// oldUntil (unless they end sooner).
	RotateKey(ctx context.Context, k Key, oldUntil time.Time) error

	CreatePayment(ctx context.Context, p Payment) error
	Payment(ctx context.Context, id string) (Payment, error)
	// Payments lists a merchant's payments newest first, after the
	// payment startingAfter ("" from the newest; CodeNotFound when it is
	// not the merchant's).
	Payments(ctx context.Context, merchantID, startingAfter string, limit int) ([]Payment, error)
	// DuePayments returns up to limit IDs of payments still waiting for
	// their payer whose time ran out at or before now.
	DuePayments(ctx context.Context, now time.Time, limit int) ([]string, error)
	// UpdatePayment writes p's status, payer, capture and fee if the
	// stored payment still has status from; false when it moved on first.
	// The refunded totals are CreateRefund's and FinishRefund's.
	UpdatePayment(ctx context.Context, p Payment, from Status) (bool, error)

	// EndUnpaid is UpdatePayment for a payment that ends without moving
	// money (canceled or expired unpaid): when it updates the payment, it
	// stores the event e in the same transaction (nothing else records
	// such an end, so the event must commit with it).
	EndUnpaid(ctx context.Context, p Payment, from Status, e webhook.Event) (bool, error)

	// CreateRefund inserts a pending refund and, in the same transaction,
	// adds its amount and fee to the payment's refunded totals, provided
	// they still are refundedFrom and the new total stays within captured
	// (else CodeRefundExceeds; CodeInProgress when refundedFrom moved on,
	// another process refunding at once). An existing refund ID returns
	// the stored refund and false.
	CreateRefund(ctx context.Context, r Refund, refundedFrom, captured int64) (Refund, bool, error)
	// FinishRefund marks a pending refund succeeded, or failed, which also
	// takes it back out of the payment's refunded totals.
	FinishRefund(ctx context.Context, id string, succeeded bool) error
	Refund(ctx context.Context, id string) (Refund, error)
	// PendingRefunds returns up to limit refunds still pending that were
	// created before before, oldest first.
	PendingRefunds(ctx context.Context, before time.Time, limit int) ([]Refund, error)

	// SetPayoutCard names the card a merchant's settlements go to.
	SetPayoutCard(ctx context.Context, merchantID, cardID string) error
	// SettledMerchants lists merchants with a payout card by ID, after
	// the ID after, at most limit.
	SettledMerchants(ctx context.Context, after string, limit int) ([]Merchant, error)
	// CreatePayout inserts a pending payout; the merchant's payout of the
	// same day and currency, when there is one already, is returned
	// instead with false.
	CreatePayout(ctx context.Context, p Payout) (Payout, bool, error)
	Payout(ctx context.Context, id string) (Payout, error)
	// FinishPayout moves a pending payout to status; false when it was
	// not pending.
	FinishPayout(ctx context.Context, id, status, failure string, at time.Time) (bool, error)
	// Payouts lists a merchant's payouts newest first, after the payout
	// startingAfter (CodeNotFound when it is not the merchant's).
	Payouts(ctx context.Context, merchantID, startingAfter string, limit int) ([]Payout, error)

	// Cursor returns a follower's position in the ledger's journal (a
	// sequence; 0 for a follower never seen).
	Cursor(ctx context.Context, name string) (int64, error)
	// AdvanceCursor moves a follower's position to seq, never backwards:
	// several processes may follow the journal at once.
	AdvanceCursor(ctx context.Context, name string, seq int64) error
}
