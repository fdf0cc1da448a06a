package wallet

import "context"

// Bank moves money between cards and the operator's bank account. Every
// request carries our operation ID, which the bank treats as its
// idempotency key: asking twice never charges or pays twice.
type Bank interface {
	// Charge takes amount from a card (a top-up).
	Charge(ctx context.Context, req BankRequest) (BankResult, error)
	// Payout sends amount to a card (a withdrawal).
	Payout(ctx context.Context, req BankRequest) (BankResult, error)
	// Status reports what became of an earlier request; BankUnknown when
	// the bank never received it.
	Status(ctx context.Context, id string) (BankResult, error)
}

// BankRequest is one charge or payout.
type BankRequest struct {
	ID         string // top_… or wdr_…
	CardNumber string // never logged
	Amount     int64
	Currency   string
}

// BankResult is the bank's answer. An error from the Bank (a timeout, a
// broken connection) means the outcome is not known.
type BankResult struct {
	Status      BankStatus
	FailureCode string // card_declined, insufficient_funds_at_bank, …
}

// BankStatus is a bank request's outcome.
type BankStatus string

const (
	BankSucceeded BankStatus = "succeeded"
	BankFailed    BankStatus = "failed"
	BankPending   BankStatus = "pending" // accepted, outcome later
	BankUnknown   BankStatus = "unknown" // the bank has no such request
)
