package httpbank

import (
	"context"
	"time"
)

// State is where one of our requests to the bank is.
type State string

const (
	StateCreated   State = "created"   // stored, not sent yet
	StateSent      State = "sent"      // the bank accepted it; the outcome comes later
	StateSucceeded State = "succeeded" // the bank moved the money (final)
	StateFailed    State = "failed"    // the bank refused; no money moved (final)
	StateUnknown   State = "unknown"   // sent, but no answer: the bank may or may not have it
)

// Final reports whether s never changes again.
func (s State) Final() bool { return s == StateSucceeded || s == StateFailed }

// Request is our record of one request to the bank, by the operation ID
// that is also its idempotency key there. The card number is not kept.
type Request struct {
	ID          string
	Kind        string // bankwire.KindCharge, KindPayout
	Amount      int64
	Currency    string
	State       State
	FailureCode string
	BankSeq     int64     // the bank's sequence of the newest state we saw
	Attempts    int       // status queries so far, for the backoff
	NextQueryAt time.Time // no status query before then
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Store keeps the requests. Implemented by store/walletsql on SQLite and
// PostgreSQL.
//
// Errors: BankRequest returns a *wallet.Error with wallet.CodeNotFound for
// an unknown ID; anything else is an internal error.
type Store interface {
	// CreateBankRequest inserts r unless a request with its ID is stored,
	// and returns the stored one and whether it inserted.
	CreateBankRequest(ctx context.Context, r Request) (Request, bool, error)
	// BankRequest returns a request by ID, or CodeNotFound.
	BankRequest(ctx context.Context, id string) (Request, error)
	// UpdateBankRequest stores r's State, FailureCode, BankSeq, Attempts,
	// NextQueryAt and UpdatedAt, unless the stored request is final: a
	// final state is never overwritten. It reports whether it wrote.
	UpdateBankRequest(ctx context.Context, r Request) (bool, error)
}
