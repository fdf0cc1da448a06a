package web

// fieldOf says which form field an API error code is about, so that its
// message shows next to that field; codes not listed are about the whole
// form. A form may name another field for a code (formErrors' overrides).
var fieldOf = map[string]string{
	"invalid_amount":            "amount",
	"unsupported_currency":      "currency",
	"limit_exceeded":            "amount",
	"insufficient_funds":        "amount",
	"refund_exceeds_payment":    "amount",
	"amount_exceeds_authorized": "amount",
	"invalid_phone":             "phone",
	"phone_taken":               "phone",
	"weak_password":             "password",
	"invalid_credentials":       "password",
	"invalid_code":              "code",
	"weak_pin":                  "pin",
	"pin_not_set":               "pin",
	"invalid_pin":               "pin",
	"pin_locked":                "pin",
	"invalid_card_number":       "number",
	"card_expired":              "exp",
	"card_not_found":            "card_id",
	"recipient_not_found":       "to",
	"self_transfer":             "to",
}

// knownCodes are the API's error codes the catalogs explain (a test checks
// that each has a message in every language). An unknown code gets the
// generic message with the API's own text.
var knownCodes = []string{
	"invalid_request", "invalid_amount", "unsupported_currency", "invalid_phone", "weak_password",
	"phone_taken", "invalid_code", "too_many_attempts", "invalid_credentials", "unauthenticated",
	"forbidden", "not_found", "weak_pin", "pin_not_set", "invalid_pin", "pin_locked", "wallet_frozen",
	"invalid_card_number", "card_expired", "card_not_found", "recipient_not_found", "self_transfer",
	"limit_exceeded", "insufficient_funds", "currency_mismatch", "idempotency_key_required",
	"idempotency_key_reused", "request_in_progress", "payment_expired", "payment_not_payable",
	"amount_exceeds_authorized", "refund_exceeds_payment", "unavailable", "internal",
	// stored-value cards
	"card_lost",
	// failure codes of top-ups, withdrawals and payouts
	"card_declined", "insufficient_funds_at_bank",
}

// errorText is the readable message for an API error in the request's
// language. Codes whose cause only the API's message names (which limit,
// which field of a malformed request) carry that message along.
func (q *req) errorText(e *apiError) string {
	if e == nil {
		return ""
	}
	key := "err." + e.Code
	if _, ok := q.s.msgs[q.lang][key]; !ok {
		return q.T("err.unknown", "message", e.Message)
	}
	switch e.Code {
	case "invalid_request", "limit_exceeded", "forbidden", "internal":
		if e.Message != "" && e.Message != "internal error" {
			return q.T("err.with_detail", "message", q.T(key), "detail", e.Message)
		}
	}
	return q.T(key)
}

// formErrors places an API error on the field it is about, or on the form.
func (q *req) formErrors(f *form, e *apiError, overrides map[string]string) {
	if e == nil {
		return
	}
	field, ok := overrides[e.Code]
	if !ok {
		field = fieldOf[e.Code]
	}
	msg := q.errorText(e)
	if field == "" {
		f.Error = msg
		return
	}
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	f.Errors[field] = msg
}
