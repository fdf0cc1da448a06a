package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// Fuzz tests of every request decoder, through the whole handler over a
// real wallet (testserver_test.go), judged by shared/API.md alone:
//
//   - FuzzBody sends any body and Idempotency-Key to every route that
//     decodes a JSON body;
//   - FuzzQuery sends any query string to the routes that read one;
//   - FuzzRouting sends any method and path;
//   - FuzzAmount feeds any amount and currency to the money parser.
//
// Every answer must be one the contract allows for its route, never a 500
// (the handler turns panics into 500s), in the error envelope when it is
// not a success, and valid JSON when it is.

// contractCodes are the error codes shared/API.md defines ("internal"
// and "unavailable", the 5xx, are never expected of the test server).
var contractCodes = allow("invalid_request, invalid_amount, unsupported_currency, invalid_phone, weak_password, phone_taken, " +
	"invalid_code, too_many_attempts, invalid_credentials, unauthenticated, forbidden, not_found, weak_pin, pin_not_set, " +
	"invalid_pin, pin_locked, wallet_frozen, invalid_card_number, card_expired, card_not_found, recipient_not_found, " +
	"self_transfer, limit_exceeded, insufficient_funds, currency_mismatch, idempotency_key_required, idempotency_key_reused, " +
	"request_in_progress, payment_expired, payment_not_payable, amount_exceeds_authorized, refund_exceeds_payment, " +
	// The e-purse's own (docs/epurse.md), in the contract's style.
	"invalid_card_message, card_authentication_failed, card_lost, card_counter_mismatch, load_not_pending")

// answers is what a route may answer: "201" for a success, "400
// invalid_amount" for an error.
type answers map[string]bool

// allow builds answers from comma-separated lists.
func allow(lists ...string) answers {
	a := answers{}
	for _, l := range lists {
		for _, s := range strings.Split(l, ",") {
			a[strings.TrimSpace(s)] = true
		}
	}
	return a
}

// The money routes' refusals that come before the money moves.
const moneyRefusals = "400 invalid_request, 400 invalid_amount, 400 unsupported_currency, 400 idempotency_key_required, " +
	"409 idempotency_key_reused, 409 request_in_progress, 403 pin_not_set, 403 invalid_pin, 423 pin_locked, 422 limit_exceeded"

// checkAnswer asserts what the Conventions ask of every answer and that
// its status and code are among allowed. It returns the decoded JSON body
// (nil for 204 and non-JSON answers).
func checkAnswer(t *testing.T, s *testServer, name string, allowed answers, r testResp) map[string]any {
	t.Helper()
	reqID := r.header.Get("X-Request-Id")
	if reqID == "" {
		t.Errorf("%s: no X-Request-Id", name)
	}
	if r.status == http.StatusInternalServerError {
		t.Fatalf("%s: 500 (a panic or an error without a code): %s%s", name, r.body, s.takeLog())
	}
	if r.status >= 200 && r.status < 300 {
		if !allowed[strconv.Itoa(r.status)] {
			t.Fatalf("%s: status %d is not in the contract: %s", name, r.status, r.body)
		}
		if r.status == http.StatusNoContent {
			if len(r.body) != 0 {
				t.Fatalf("%s: 204 with a body %q", name, r.body)
			}
			return nil
		}
		if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			return nil // the statement export
		}
		m := r.json()
		if m == nil {
			t.Fatalf("%s: %d body is not a JSON object: %q", name, r.status, r.body)
		}
		return m
	}
	// Any non-2xx: {"error": {"code", "message", "request_id"}}.
	var env map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &env); err != nil || len(env) != 1 || env["error"] == nil {
		t.Fatalf("%s: %d body is not the error envelope: %q", name, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: error with Content-Type %q", name, ct)
	}
	var e struct {
		Code      *string `json:"code"`
		Message   *string `json:"message"`
		RequestID *string `json:"request_id"`
	}
	if err := json.Unmarshal(env["error"], &e); err != nil || e.Code == nil || e.Message == nil || e.RequestID == nil {
		t.Fatalf("%s: error lacks a string code, message or request_id: %s", name, r.body)
	}
	if *e.Message == "" {
		t.Errorf("%s: empty error message: %s", name, r.body)
	}
	if *e.RequestID != reqID && r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("%s: request_id %q, X-Request-Id %q", name, *e.RequestID, reqID)
	}
	if !contractCodes[*e.Code] {
		t.Fatalf("%s: code %q is not in the contract: %s", name, *e.Code, r.body)
	}
	if got := fmt.Sprintf("%d %s", r.status, *e.Code); !allowed[got] {
		t.Fatalf("%s: %s is not an answer the contract allows here: %s", name, got, r.body)
	}
	return nil
}

// ---- coverage and regressions ----------------------------------------------

// TestFuzzCoversEveryDecoder keeps the fuzz tables in step with routes.go:
// every route that decodes a body, and every POST, is in bodyCases; every
// route that reads a query is in queryCases (or is the dev outbox).
func TestFuzzCoversEveryDecoder(t *testing.T) {
	inBody := map[string]bool{}
	for _, bc := range bodyCases {
		inBody[bc.method+" "+bc.path] = true
	}
	inQuery := map[string]bool{}
	for _, qc := range queryCases {
		inQuery[qc.path] = true
	}
	for _, rt := range routes {
		name := rt.method + " " + rt.path
		if (rt.req != nil || rt.method == "POST" || rt.method == "PUT") && !inBody[name] {
			t.Errorf("%s decodes a body but is not in bodyCases", name)
		}
		if rt.query != nil && rt.auth != devOnly && !inQuery[rt.path] {
			t.Errorf("%s reads a query but is not in queryCases", name)
		}
	}
}

// TestTopupOverflow: top-ups count against no outflow limit, so large
// enough ones would overflow the int64 balances of the ledger. The contract has no answer for that, but it must
// be a refusal with a code, given before the card is charged, not a 500
// after it was (leaving the top-up open with the bank's money taken).
func TestTopupOverflow(t *testing.T) {
	s := newTestServer(t)
	for i := range 12 {
		body := fmt.Sprintf(`{"card_id":%q,"amount":"9999999999999999.99","currency":"CNY","pin":%q}`, s.payer.card, testPIN)
		r := s.do("POST", "/v1/topups", s.payer.token, fmt.Sprintf("big-%d", i), []byte(body))
		checkAnswer(t, s, "POST /v1/topups", allow("201", moneyRefusals), r)
	}
	open, err := s.svc.Store.OpenBankOps(t.Context(), 10)
	if err != nil || len(open) != 0 {
		t.Fatalf("top-ups left open (charged, never credited): %+v %v", open, err)
	}
}
