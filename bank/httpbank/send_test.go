package httpbank_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ewallet/ewallet/bank/bankwire"
	"github.com/ewallet/ewallet/bank/httpbank"
	"github.com/ewallet/ewallet/wallet"
)

// TestSend sends one charge per case to a bank that answers as the case
// says, and checks what the wallet is told and what is stored: a final
// state only when the bank gave one, `unknown` whenever the answer did not
// come or cannot be acted on.
func TestSend(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name    string
		answer  answerFunc
		state   httpbank.State
		status  wallet.BankStatus
		failure string
		err     bool
	}{
		{"Succeeded200", succeeded(http.StatusOK), httpbank.StateSucceeded, wallet.BankSucceeded, "", false},
		{"Declined200", declined(http.StatusOK), httpbank.StateFailed, wallet.BankFailed, "card_declined", false},
		{"Pending202", pending(http.StatusAccepted), httpbank.StateSent, wallet.BankPending, "", false},
		{"Final202", succeeded(http.StatusAccepted), httpbank.StateSucceeded, wallet.BankSucceeded, "", false},
		// Refused unprocessed: certainly no money moved.
		{"BadRequest400", refuse(http.StatusBadRequest), httpbank.StateFailed, wallet.BankFailed, "bank_rejected", false},
		{"Unauthorized401", refuse(http.StatusUnauthorized), httpbank.StateFailed, wallet.BankFailed, "bank_rejected", false},
		{"NotFound404", refuse(http.StatusNotFound), httpbank.StateFailed, wallet.BankFailed, "bank_rejected", false},
		// No answer to act on: the bank may have it.
		{"Conflict409", refuse(http.StatusConflict), httpbank.StateUnknown, "", "", true},
		{"TooMany429", refuse(http.StatusTooManyRequests), httpbank.StateUnknown, "", "", true},
		{"Internal500", refuse(http.StatusInternalServerError), httpbank.StateUnknown, "", "", true},
		{"Unavailable503", refuse(http.StatusServiceUnavailable), httpbank.StateUnknown, "", "", true},
		{"Hang", e.bank.hang(), httpbank.StateUnknown, "", "", true},
		{"ConnectionClosed", hangup, httpbank.StateUnknown, "", "", true},
		{"ConnectionClosedMidBody", hangupMidBody, httpbank.StateUnknown, "", "", true},
		{"Garbled", raw(http.StatusOK, `{"id":`), httpbank.StateUnknown, "", "", true},
		{"Empty204", raw(http.StatusNoContent, ``), httpbank.StateUnknown, "", "", true},
		{"UnknownField", raw(http.StatusOK, `{"id":"x","kind":"charge","status":"succeeded","amount":"12.34","currency":"CNY","seq":2,"extra":1}`),
			httpbank.StateUnknown, "", "", true},
		// A well-formed answer about something else is no answer about ours.
		{"OtherRequestID", reply(http.StatusOK, bankwire.StatusSucceeded, "", 2, func(r *bankwire.Result) { r.ID = "top_someone_else" }),
			httpbank.StateUnknown, "", "", true},
		{"OtherAmount", reply(http.StatusOK, bankwire.StatusSucceeded, "", 2, func(r *bankwire.Result) { r.Amount = "99.00" }),
			httpbank.StateUnknown, "", "", true},
		{"OtherKind", reply(http.StatusOK, bankwire.StatusFailed, "card_declined", 2, func(r *bankwire.Result) { r.Kind = bankwire.KindPayout }),
			httpbank.StateUnknown, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "top_" + tt.name
			e.bank.set(tt.answer)
			start := time.Now()
			res, err := e.client.Charge(e.ctx, charge(id))
			if elapsed := time.Since(start); elapsed > testTimeout+time.Second {
				t.Errorf("Charge took %v, longer than the timeout allows", elapsed)
			}
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if !tt.err && (res.Status != tt.status || res.FailureCode != tt.failure) {
				t.Errorf("result %+v, want %s %q", res, tt.status, tt.failure)
			}
			if err != nil && (res.Status == wallet.BankSucceeded || res.Status == wallet.BankFailed) {
				t.Errorf("an error with a final result %+v", res)
			}
			r := e.mustRequest(t, id)
			if r.State != tt.state || r.FailureCode != tt.failure {
				t.Errorf("stored %s %q, want %s %q", r.State, r.FailureCode, tt.state, tt.failure)
			}
			if r.Kind != bankwire.KindCharge || r.Amount != 1234 || r.Currency != "CNY" {
				t.Errorf("stored %+v", r)
			}
			if !r.State.Final() && !r.NextQueryAt.Equal(e.clock.Now().Add(testBackoffMin)) {
				t.Errorf("next query at %v, want one backoff step from now (%v)", r.NextQueryAt, e.clock.Now().Add(testBackoffMin))
			}
			if tt.state == httpbank.StateUnknown {
				// Not guessed later either: Status without a new word from the
				// bank keeps it open.
				res, err := e.client.Status(e.ctx, id)
				if err != nil || res.Status != wallet.BankPending {
					t.Errorf("Status before the backoff = %+v, %v; want pending", res, err)
				}
			}
			if got := e.bank.count(http.MethodPost, "/v1/charges"); got == 0 {
				t.Error("the bank got nothing")
			}
		})
	}
	// The wire: the operation ID as idempotency key, the card and the
	// amount as the bank needs them, the callback URL when known.
	for _, c := range e.bank.posts() {
		if c.IdemKey != c.Payment.ID || !strings.HasPrefix(c.Payment.ID, "top_") {
			t.Errorf("posted %q with Idempotency-Key %q", c.Payment.ID, c.IdemKey)
		}
		if c.Payment.CardNumber != testCard || c.Payment.Amount != "12.34" || c.Payment.Currency != "CNY" {
			t.Errorf("posted %+v", c.Payment)
		}
	}
}

// TestSendPayout checks the payout path and the callback URL on the wire.
func TestSendPayout(t *testing.T) {
	e := newEnv(t)
	e.client.SetCallbackURL("http://wallet.test/v1/bank/callbacks")
	e.bank.set(reply(http.StatusAccepted, bankwire.StatusPending, "", 1, nil))
	res, err := e.client.Payout(e.ctx, wallet.BankRequest{ID: "wdr_1", CardNumber: testCard, Amount: 500, Currency: "JPY"})
	if err != nil || res.Status != wallet.BankPending {
		t.Fatalf("Payout = %+v, %v", res, err)
	}
	posts := e.bank.posts()
	if len(posts) != 1 || posts[0].Path != "/v1/payouts" || posts[0].Payment.Amount != "500" ||
		posts[0].Payment.CallbackURL != "http://wallet.test/v1/bank/callbacks" {
		t.Fatalf("posted %+v", posts)
	}
	if r := e.mustRequest(t, "wdr_1"); r.State != httpbank.StateSent || r.Kind != bankwire.KindPayout || r.BankSeq != 1 {
		t.Fatalf("stored %+v", r)
	}
}

// TestSendFinalIsNotResent: a request already final is answered from the
// store; the bank is not asked again.
func TestSendFinalIsNotResent(t *testing.T) {
	e := newEnv(t)
	e.mustSend(t, "top_final", declined(http.StatusOK), httpbank.StateFailed)
	e.bank.set(succeeded(http.StatusOK))
	res, err := e.client.Charge(e.ctx, charge("top_final"))
	if err != nil || res.Status != wallet.BankFailed || res.FailureCode != "card_declined" {
		t.Fatalf("Charge again = %+v, %v", res, err)
	}
	if n := e.bank.count(http.MethodPost, "/v1/charges"); n != 1 {
		t.Fatalf("the bank got %d charges, want 1", n)
	}
}

// TestSendOtherBodySameID: the same ID with another amount is refused by
// the connector before it reaches the bank.
func TestSendOtherBodySameID(t *testing.T) {
	e := newEnv(t)
	e.mustSend(t, "top_x", refuse(http.StatusInternalServerError), httpbank.StateUnknown)
	req := charge("top_x")
	req.Amount = 1
	if _, err := e.client.Charge(e.ctx, req); err == nil {
		t.Fatal("a second body under the same ID was accepted")
	}
	if _, err := e.client.Payout(e.ctx, charge("top_x")); err == nil {
		t.Fatal("a payout under a charge's ID was accepted")
	}
	if n := e.bank.count(http.MethodPost, "/v1/charges") + e.bank.count(http.MethodPost, "/v1/payouts"); n != 1 {
		t.Fatalf("the bank got %d requests, want 1", n)
	}
	if r := e.mustRequest(t, "top_x"); r.State != httpbank.StateUnknown || r.Amount != 1234 {
		t.Fatalf("stored %+v", r)
	}
}

// TestResendAfterNotFound walks the wallet's recovery: a charge times out,
// the status query finds the bank never got it (404, BankUnknown), and the
// wallet sends it again under the same ID and body, which settles it.
func TestResendAfterNotFound(t *testing.T) {
	e := newEnv(t)
	const id = "top_lost"
	e.mustSend(t, id, e.bank.hang(), httpbank.StateUnknown)

	e.clock.Add(testBackoffMin)
	e.bank.set(refuse(http.StatusNotFound))
	res, err := e.client.Status(e.ctx, id)
	if err != nil || res.Status != wallet.BankUnknown {
		t.Fatalf("Status = %+v, %v; want unknown", res, err)
	}
	if r := e.mustRequest(t, id); r.State != httpbank.StateUnknown {
		t.Fatalf("a 404 made the request %s", r.State)
	}

	// What wallet.recoverOp does with BankUnknown.
	e.bank.set(succeeded(http.StatusOK))
	res, err = e.client.Charge(e.ctx, charge(id))
	if err != nil || res.Status != wallet.BankSucceeded {
		t.Fatalf("resend = %+v, %v", res, err)
	}
	posts := e.bank.posts()
	if len(posts) != 2 {
		t.Fatalf("the bank got %d charges, want 2", len(posts))
	}
	if posts[0] != posts[1] || posts[1].IdemKey != id || posts[1].Payment.ID != id {
		t.Fatalf("resent %+v, first %+v: want the same ID, key and body", posts[1], posts[0])
	}
	if r := e.mustRequest(t, id); r.State != httpbank.StateSucceeded {
		t.Fatalf("stored %s after the resend succeeded", r.State)
	}
}

// TestStatusNeverStored: a request never sent from here is BankUnknown,
// and Status does not ask the bank.
func TestStatusNeverStored(t *testing.T) {
	e := newEnv(t)
	res, err := e.client.Status(e.ctx, "top_nowhere")
	if err != nil || res.Status != wallet.BankUnknown {
		t.Fatalf("Status = %+v, %v", res, err)
	}
	if n := e.bank.count(http.MethodGet, "/v1/requests/top_nowhere"); n != 0 {
		t.Fatalf("asked the bank %d times", n)
	}
}

// TestSendCallerGivesUp: the caller's context ends while the bank holds
// the request (the API client hung up). The request left, so it is in
// doubt, recorded as such with its backoff, not left as never sent.
func TestSendCallerGivesUp(t *testing.T) {
	e := newEnv(t)
	e.bank.set(e.bank.hang())
	ctx, cancel := context.WithTimeout(e.ctx, testTimeout/3)
	defer cancel()
	if _, err := e.client.Charge(ctx, charge("top_gone")); err == nil {
		t.Fatal("no error")
	}
	r := e.mustRequest(t, "top_gone")
	if r.State != httpbank.StateUnknown || !r.NextQueryAt.Equal(e.clock.Now().Add(testBackoffMin)) {
		t.Fatalf("stored %s, next query at %v", r.State, r.NextQueryAt)
	}
}
