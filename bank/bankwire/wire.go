package bankwire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ewallet/ewallet/money"
)

// Request kinds.
const (
	KindCharge = "charge" // card → the operator's account (a top-up)
	KindPayout = "payout" // the operator's account → card (a withdrawal)
	KindRefund = "refund" // a charge given back, all or part
)

// Request statuses at the bank.
const (
	StatusPending   = "pending"   // accepted; the outcome comes later
	StatusSucceeded = "succeeded" // money moved
	StatusFailed    = "failed"    // refused; no money moved
)

// PaymentRequest is the body of POST /v1/charges and POST /v1/payouts.
// Amounts are decimal strings in major units, as in the public API.
type PaymentRequest struct {
	ID          string `json:"id"` // the caller's operation ID, also its Idempotency-Key
	CardNumber  string `json:"card_number"`
	Amount      string `json:"amount"`
	Currency    string `json:"currency"`
	CallbackURL string `json:"callback_url,omitempty"` // where the outcome is posted
}

// RefundRequest is the body of POST /v1/refunds.
type RefundRequest struct {
	ID          string `json:"id"`
	ChargeID    string `json:"charge_id"`
	Amount      string `json:"amount"`
	Currency    string `json:"currency"`
	CallbackURL string `json:"callback_url,omitempty"`
}

// Result is the bank's answer to a request, to a status query
// (GET /v1/requests/{id}) and the body of a callback. Seq grows with every
// change of the request's state, so a receiver can tell a stale callback
// that arrives after a newer one.
type Result struct {
	EventID     string `json:"event_id,omitempty"` // callbacks only: unique per delivery attempt series
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Status      string `json:"status"`
	FailureCode string `json:"failure_code,omitempty"`
	Amount      string `json:"amount"`
	Currency    string `json:"currency"`
	Seq         int64  `json:"seq"`
}

// Error is the body of a refusal (4xx/5xx).
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// MaxIDLen bounds request IDs (the wallet's operation IDs are much shorter).
const MaxIDLen = 255

// MaxBody bounds every body either side reads.
const MaxBody = 64 << 10

// ValidID reports whether id is 1–MaxIDLen printable ASCII characters
// without '/' (it is a path segment of the status query).
func ValidID(id string) bool {
	if id == "" || len(id) > MaxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < 0x21 || c > 0x7e || c == '/' {
			return false
		}
	}
	return true
}

// Decoded is a Result whose fields have been checked, with the amount in
// minor units.
type Decoded struct {
	EventID     string
	ID          string
	Kind        string
	Status      string
	FailureCode string
	Amount      int64
	Currency    money.Currency
	Seq         int64
}

// ErrMalformed is a body that is not a valid Result.
var ErrMalformed = errors.New("bankwire: malformed result")

// DecodeResult reads a Result strictly: one JSON object with known fields
// only, a valid ID, kind and status, a failure code exactly when failed, a
// positive amount with no more decimals than its currency has, and Seq ≥ 1.
func DecodeResult(body []byte) (Decoded, error) {
	var r Result
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Decoded{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Decoded{}, fmt.Errorf("%w: trailing data", ErrMalformed)
	}
	return r.Check()
}

// Check validates r and converts its amount.
func (r Result) Check() (Decoded, error) {
	bad := func(what string) (Decoded, error) { return Decoded{}, fmt.Errorf("%w: %s", ErrMalformed, what) }
	switch {
	case !ValidID(r.ID):
		return bad("id")
	case r.EventID != "" && !ValidID(r.EventID):
		return bad("event_id")
	case r.Kind != KindCharge && r.Kind != KindPayout && r.Kind != KindRefund:
		return bad("kind")
	case r.Status != StatusPending && r.Status != StatusSucceeded && r.Status != StatusFailed:
		return bad("status")
	case (r.Status == StatusFailed) != (r.FailureCode != ""), len(r.FailureCode) > 64:
		return bad("failure_code")
	case r.Seq < 1:
		return bad("seq")
	}
	cur, err := money.ParseCurrency(r.Currency)
	if err != nil {
		return bad("currency")
	}
	amount, err := money.ParsePositive(r.Amount, cur)
	if err != nil {
		return bad("amount")
	}
	return Decoded{EventID: r.EventID, ID: r.ID, Kind: r.Kind, Status: r.Status, FailureCode: r.FailureCode,
		Amount: amount, Currency: cur, Seq: r.Seq}, nil
}

// Encode is the Result of d, with the amount as a decimal string.
func (d Decoded) Encode() Result {
	return Result{EventID: d.EventID, ID: d.ID, Kind: d.Kind, Status: d.Status, FailureCode: d.FailureCode,
		Amount: money.Format(d.Amount, d.Currency), Currency: string(d.Currency), Seq: d.Seq}
}
