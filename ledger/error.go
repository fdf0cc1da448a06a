package ledger

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable reason a ledger operation failed.
type Code string

// The codes the ledger returns. Codes marked "state" are decided against the
// ledger's state by the writer and are remembered under the transfer's ID, so a
// retry with the same ID gets the same answer; the others are validation errors
// of the request itself and are never stored.
const (
	CodeInvalid             Code = "invalid_transfer"     // malformed request
	CodeUnbalanced          Code = "unbalanced"           // postings do not sum to zero per currency
	CodeAccountNotFound     Code = "account_not_found"    // state
	CodeAccountExists       Code = "account_exists"       // same name, different currency or flags
	CodeInsufficientFunds   Code = "insufficient_funds"   // state: a no-negative account would go below zero
	CodeCreditLimit         Code = "exceeds_debits"       // state: a no-positive account would go above zero
	CodeOverflow            Code = "overflow"             // state: a balance would leave int64
	CodeIdempotencyConflict Code = "idempotency_conflict" // the ID was used for a different transfer
	CodeHoldNotFound        Code = "hold_not_found"       // state
	CodeHoldNotPending      Code = "hold_not_pending"     // state: already posted, voided or expired
	CodeHoldExpired         Code = "hold_expired"         // state: posting after the deadline
	CodeExceedsHold         Code = "exceeds_hold"         // state: posting more than was held
	CodeHoldNotExpired      Code = "hold_not_expired"     // state: expiring a hold before its deadline
	CodeUnavailable         Code = "ledger_unavailable"   // storage failed; the outcome of the batch is unknown only if the commit itself failed
	CodeNotFound            Code = "not_found"            // a read found nothing
	CodeClosed              Code = "ledger_closed"        // the ledger is shutting down
)

// Error is the ledger's error type: a stable code and a message for people.
type Error struct {
	Code    Code
	Message string
	cause   error // the storage error behind CodeUnavailable, for errors.Is and retries
}

// Unwrap returns the underlying storage error, if any.
func (e *Error) Unwrap() error { return e.cause }

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Is makes errors.Is(err, &Error{Code: c}) match on the code alone.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Message == "" || t.Message == e.Message)
}

func errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the ledger code carried by err, or "" when it has none.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
