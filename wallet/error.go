package wallet

import (
	"errors"
	"fmt"
)

// Code is a stable error code; the HTTP layer maps each to a status and
// sends it as the contract's error.code.
type Code string

// The contract's error codes (shared/API.md) that the wallet produces.
const (
	CodeInvalidRequest      Code = "invalid_request"
	CodeInvalidAmount       Code = "invalid_amount"
	CodeUnsupportedCurrency Code = "unsupported_currency"
	CodeInvalidPhone        Code = "invalid_phone"
	CodeWeakPassword        Code = "weak_password"
	CodePhoneTaken          Code = "phone_taken"
	CodeInvalidCode         Code = "invalid_code"
	CodeTooManyAttempts     Code = "too_many_attempts"
	CodeInvalidCredentials  Code = "invalid_credentials"
	CodeUnauthenticated     Code = "unauthenticated"
	CodeForbidden           Code = "forbidden"
	CodeNotFound            Code = "not_found"
	CodeWeakPIN             Code = "weak_pin"
	CodePINNotSet           Code = "pin_not_set"
	CodeInvalidPIN          Code = "invalid_pin"
	CodePINLocked           Code = "pin_locked"
	CodeWalletFrozen        Code = "wallet_frozen"
	CodeInvalidCardNumber   Code = "invalid_card_number"
	CodeCardExpired         Code = "card_expired"
	CodeCardNotFound        Code = "card_not_found"
	CodeRecipientNotFound   Code = "recipient_not_found"
	CodeSelfTransfer        Code = "self_transfer"
	CodeLimitExceeded       Code = "limit_exceeded"
	CodeInsufficientFunds   Code = "insufficient_funds"
	CodeCurrencyMismatch    Code = "currency_mismatch"
	CodeKeyRequired         Code = "idempotency_key_required"
	CodeKeyReused           Code = "idempotency_key_reused"
	CodeInProgress          Code = "request_in_progress"
	CodePaymentExpired      Code = "payment_expired"
	CodePaymentNotPayable   Code = "payment_not_payable"
	CodeExceedsAuthorized   Code = "amount_exceeds_authorized"
	CodeRefundExceeds       Code = "refund_exceeds_payment"
	CodeUnavailable         Code = "unavailable"
	CodeInternal            Code = "internal"
)

// Error is a refusal with a code and a message for a person. The message
// never carries a secret.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf builds an *Error.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns err's code: its own for an *Error, CodeInternal for
// any other non-nil error, "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
