package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/wallet"
)

// maxBody bounds request bodies.
const maxBody = 64 << 10

var errBadJSON = wallet.Errorf(wallet.CodeInvalidRequest, "the body must be one JSON object with only the documented fields")

// decode reads a strict JSON body into v: one object, no unknown fields.
// An empty body decodes as {} when emptyOK.
func decode(r *http.Request, v any, emptyOK bool) error { return decodeLimit(r, v, emptyOK, maxBody) }

// decodeLimit is decode with a body limit of its own (a terminal's batch).
func decodeLimit(r *http.Request, v any, emptyOK bool, limit int64) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil || int64(len(body)) > limit {
		return wallet.Errorf(wallet.CodeInvalidRequest, "the body is too large or unreadable")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if emptyOK {
			return nil
		}
		return errBadJSON
	}
	if !checkKeys(body, v) {
		return errBadJSON
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			if isAmountField(te.Field) {
				return wallet.Errorf(wallet.CodeInvalidAmount, "%s must be a decimal string, like \"12.34\"", te.Field)
			}
			return wallet.Errorf(wallet.CodeInvalidRequest, "%s has the wrong type", te.Field)
		}
		return errBadJSON
	}
	if _, err := dec.Token(); err != io.EOF {
		return errBadJSON
	}
	return nil
}

// Amount is a money amount in a request: it must be a JSON string.
type Amount struct {
	s   string
	set bool
	num bool // a JSON number or another non-string
}

// UnmarshalJSON accepts a JSON string and remembers anything else as
// invalid, so that the error is invalid_amount rather than a type error.
func (a *Amount) UnmarshalJSON(b []byte) error {
	a.set = true
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &a.s)
	}
	if string(b) != "null" {
		a.num = true
	}
	a.set = string(b) != "null"
	return nil
}

// MarshalJSON writes the amount as given (for fingerprints).
func (a Amount) MarshalJSON() ([]byte, error) { return json.Marshal(a.s) }

func isAmountField(f string) bool { return f == "amount" }

// parseMoney checks an amount and currency pair where a payment is meant:
// positive, at most the currency's decimals, a string.
func parseMoney(a Amount, currency string) (int64, money.Currency, error) {
	if !a.set || a.num || a.s == "" {
		return 0, "", wallet.Errorf(wallet.CodeInvalidAmount, "amount must be a positive decimal string, like \"12.34\"")
	}
	cur, err := money.ParseCurrency(currency)
	if err != nil {
		if !plausible(a.s) {
			return 0, "", wallet.Errorf(wallet.CodeInvalidAmount, "amount must be a positive decimal string, like \"12.34\"")
		}
		return 0, "", wallet.Errorf(wallet.CodeUnsupportedCurrency, "currency must be one of CNY, USD, EUR, HKD, JPY, PTS")
	}
	n, err := money.ParsePositive(a.s, cur)
	if err != nil {
		return 0, "", wallet.Errorf(wallet.CodeInvalidAmount, "amount must be a positive decimal string with at most %d decimals for %s", cur.Decimals(), cur)
	}
	return n, cur, nil
}

// plausible reports whether s could be an amount in some currency, so
// that a bad amount is named before an unknown currency.
func plausible(s string) bool {
	_, err := money.ParsePositive(s, money.CNY)
	if err == nil {
		return true
	}
	_, err = money.ParsePositive(s, money.JPY)
	return err == nil
}

// idempotencyKey returns the request's Idempotency-Key: "" when absent, an
// error when malformed.
func idempotencyKey(r *http.Request) (string, error) {
	k := r.Header.Get("Idempotency-Key")
	if k == "" {
		return "", nil
	}
	if len(k) > 255 {
		return "", wallet.Errorf(wallet.CodeInvalidRequest, "Idempotency-Key must be 1-255 printable ASCII characters")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return "", wallet.Errorf(wallet.CodeInvalidRequest, "Idempotency-Key must be 1-255 printable ASCII characters")
		}
	}
	return k, nil
}
