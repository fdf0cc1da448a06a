package api

import (
	"encoding/json"
	"net/http"

	"github.com/ewallet/ewallet/purse"
	"github.com/ewallet/ewallet/wallet"
)

// statusOf maps the wallet's error codes to HTTP statuses (shared/API.md).
// A code missing here is an internal error.
var statusOf = map[wallet.Code]int{
	wallet.CodeInvalidRequest:      http.StatusBadRequest,
	wallet.CodeInvalidAmount:       http.StatusBadRequest,
	wallet.CodeUnsupportedCurrency: http.StatusBadRequest,
	wallet.CodeInvalidPhone:        http.StatusBadRequest,
	wallet.CodeWeakPassword:        http.StatusBadRequest,
	wallet.CodeInvalidCode:         http.StatusBadRequest,
	wallet.CodeWeakPIN:             http.StatusBadRequest,
	wallet.CodeInvalidCardNumber:   http.StatusBadRequest,
	wallet.CodeCardExpired:         http.StatusBadRequest,
	wallet.CodeSelfTransfer:        http.StatusBadRequest,
	wallet.CodeKeyRequired:         http.StatusBadRequest,
	wallet.CodeUnauthenticated:     http.StatusUnauthorized,
	wallet.CodeInvalidCredentials:  http.StatusUnauthorized,
	wallet.CodeForbidden:           http.StatusForbidden,
	wallet.CodePINNotSet:           http.StatusForbidden,
	wallet.CodeInvalidPIN:          http.StatusForbidden,
	wallet.CodeNotFound:            http.StatusNotFound,
	wallet.CodeCardNotFound:        http.StatusNotFound,
	wallet.CodeRecipientNotFound:   http.StatusNotFound,
	wallet.CodePhoneTaken:          http.StatusConflict,
	wallet.CodeKeyReused:           http.StatusConflict,
	wallet.CodeInProgress:          http.StatusConflict,
	wallet.CodeCurrencyMismatch:    http.StatusConflict,
	wallet.CodePaymentExpired:      http.StatusConflict,
	wallet.CodePaymentNotPayable:   http.StatusConflict,
	wallet.CodeExceedsAuthorized:   http.StatusUnprocessableEntity,
	wallet.CodeRefundExceeds:       http.StatusUnprocessableEntity,
	wallet.CodeLimitExceeded:       http.StatusUnprocessableEntity,
	wallet.CodeInsufficientFunds:   http.StatusUnprocessableEntity,
	wallet.CodeWalletFrozen:        http.StatusLocked,
	wallet.CodePINLocked:           http.StatusLocked,
	wallet.CodeTooManyAttempts:     http.StatusTooManyRequests,
	wallet.CodeUnavailable:         http.StatusServiceUnavailable,
	purse.CodeInvalidCardMessage:   http.StatusBadRequest,
	purse.CodeCardAuthFailed:       http.StatusUnprocessableEntity,
	purse.CodeCardLost:             http.StatusConflict,
	purse.CodeCardCounterMismatch:  http.StatusConflict,
	purse.CodeLoadNotPending:       http.StatusConflict,
}

// errorBody is the contract's error answer.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}

// render returns the status and body of an error. Errors without a code
// are logged by the caller and shown as "internal error" only.
func renderError(err error, requestID string) (int, []byte) {
	code := wallet.ErrorCode(err)
	status, ok := statusOf[code]
	msg := "internal error"
	if !ok {
		status, code = http.StatusInternalServerError, wallet.CodeInternal
	} else if e, isE := err.(*wallet.Error); isE {
		msg = e.Message
	} else {
		msg = err.Error()
	}
	b, _ := json.Marshal(errorBody{errorDetail{Code: string(code), Message: msg, RequestID: requestID}})
	return status, append(b, '\n')
}

// storable reports whether an error answer is kept for its idempotency key:
// the money rules' refusals, not validation, auth, lookups, key trouble or
// server failures (shared/API.md, Idempotency).
func storable(err error) bool {
	switch wallet.ErrorCode(err) {
	case wallet.CodeKeyReused, wallet.CodeInProgress, wallet.CodeInternal, wallet.CodeUnavailable:
		return false
	}
	switch status, _ := renderError(err, ""); status {
	case http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusLocked:
		return true
	}
	return false
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, append(b, '\n'))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}
