package httpbank_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ewallet/ewallet/bank/bankwire"
	"github.com/ewallet/ewallet/bank/httpbank"
	"github.com/ewallet/ewallet/wallet"
)

// TestStatus puts one request in doubt per case (the charge got a 500),
// lets its backoff pass, and checks what one status query makes of the
// bank's answer: only a final Result settles it.
func TestStatus(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name    string
		answer  answerFunc
		state   httpbank.State
		status  wallet.BankStatus
		failure string
		err     bool
	}{
		{"Succeeded", succeeded(http.StatusOK), httpbank.StateSucceeded, wallet.BankSucceeded, "", false},
		{"Failed", declined(http.StatusOK), httpbank.StateFailed, wallet.BankFailed, "card_declined", false},
		{"Pending", pending(http.StatusOK), httpbank.StateSent, wallet.BankPending, "", false},
		{"NotFound404", refuse(http.StatusNotFound), httpbank.StateUnknown, wallet.BankUnknown, "", false},
		{"BadRequest400", refuse(http.StatusBadRequest), httpbank.StateUnknown, "", "", true},
		{"Unauthorized401", refuse(http.StatusUnauthorized), httpbank.StateUnknown, "", "", true},
		{"Conflict409", refuse(http.StatusConflict), httpbank.StateUnknown, "", "", true},
		{"TooMany429", refuse(http.StatusTooManyRequests), httpbank.StateUnknown, "", "", true},
		{"Internal500", refuse(http.StatusInternalServerError), httpbank.StateUnknown, "", "", true},
		{"Accepted202", pending(http.StatusAccepted), httpbank.StateUnknown, "", "", true},
		{"Hang", e.bank.hang(), httpbank.StateUnknown, "", "", true},
		{"ConnectionClosed", hangup, httpbank.StateUnknown, "", "", true},
		{"ConnectionClosedMidBody", hangupMidBody, httpbank.StateUnknown, "", "", true},
		{"Garbled", raw(http.StatusOK, `succeeded`), httpbank.StateUnknown, "", "", true},
		{"FailedWithoutCode", raw(http.StatusOK, `{"id":"top_FailedWithoutCode","kind":"charge","status":"failed","amount":"12.34","currency":"CNY","seq":2}`),
			httpbank.StateUnknown, "", "", true},
		{"OtherRequestID", reply(http.StatusOK, bankwire.StatusSucceeded, "", 2, func(r *bankwire.Result) { r.ID = "top_other" }),
			httpbank.StateUnknown, "", "", true},
		{"OtherAmount", reply(http.StatusOK, bankwire.StatusFailed, "card_declined", 2, func(r *bankwire.Result) { r.Amount = "12.35" }),
			httpbank.StateUnknown, "", "", true},
		{"OtherCurrency", reply(http.StatusOK, bankwire.StatusSucceeded, "", 2, func(r *bankwire.Result) { r.Currency = "USD" }),
			httpbank.StateUnknown, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "top_" + tt.name
			before := e.mustSend(t, id, refuse(http.StatusInternalServerError), httpbank.StateUnknown)
			e.clock.Add(testBackoffMin)
			e.bank.set(tt.answer)
			path := "/v1/requests/" + id

			res, err := e.client.Status(e.ctx, id)
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
				t.Fatalf("stored %s %q, want %s %q", r.State, r.FailureCode, tt.state, tt.failure)
			}
			// At least one: Go's transport retries an idempotent request once
			// when a kept-alive connection is cut before any answer.
			queries := e.bank.count(http.MethodGet, path)
			if queries == 0 {
				t.Fatal("the bank got no status query")
			}
			if r.State.Final() {
				return
			}
			// Whatever the answer, a request still open waits one more
			// backoff step before the bank is asked again.
			if r.Attempts != before.Attempts+1 {
				t.Errorf("attempts %d, want %d", r.Attempts, before.Attempts+1)
			}
			if want := e.clock.Now().Add(testBackoffMin); !r.NextQueryAt.Equal(want) {
				t.Errorf("next query at %v, want %v", r.NextQueryAt, want)
			}
			res, err = e.client.Status(e.ctx, id)
			if err != nil || res.Status != wallet.BankPending {
				t.Errorf("Status within the backoff = %+v, %v; want pending", res, err)
			}
			if n := e.bank.count(http.MethodGet, path); n != queries {
				t.Errorf("asked the bank again within the backoff (%d queries, was %d)", n, queries)
			}
		})
	}
}

// TestStatusBackoff walks the documented schedule: the first query one
// BackoffMin after the request went into doubt, then BackoffMin doubled
// per query up to BackoffMax, and pending in between without asking.
func TestStatusBackoff(t *testing.T) {
	for _, tt := range []struct {
		name   string
		answer answerFunc
	}{
		{"Pending", pending(http.StatusOK)},
		{"Unavailable", refuse(http.StatusServiceUnavailable)},
		{"NotFound", refuse(http.StatusNotFound)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			const id = "top_slow"
			const path = "/v1/requests/" + id
			e.mustSend(t, id, refuse(http.StatusInternalServerError), httpbank.StateUnknown)
			e.bank.set(tt.answer)

			// Waits before each query: 1s, then 1s, 2s, 4s, 4s (capped).
			waits := []time.Duration{testBackoffMin, time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second}
			for i, wait := range waits {
				// Just before the step is due: no query.
				e.clock.Add(wait - time.Millisecond)
				res, err := e.client.Status(e.ctx, id)
				if err != nil || res.Status != wallet.BankPending {
					t.Fatalf("step %d, early: Status = %+v, %v; want pending", i, res, err)
				}
				if n := e.bank.count(http.MethodGet, path); n != i {
					t.Fatalf("step %d, early: %d queries, want %d", i, n, i)
				}
				// Due: exactly one query, however often Status is called.
				e.clock.Add(time.Millisecond)
				for range 3 {
					_, _ = e.client.Status(e.ctx, id)
				}
				if n := e.bank.count(http.MethodGet, path); n != i+1 {
					t.Fatalf("step %d, due: %d queries, want %d", i, n, i+1)
				}
				if r := e.mustRequest(t, id); r.State.Final() || r.Attempts != i+1 {
					t.Fatalf("step %d: stored %s after %d attempts", i, r.State, r.Attempts)
				}
			}
		})
	}
}

// TestRefresh asks the bank whatever the backoff says, and answers a final
// request from the store.
func TestRefresh(t *testing.T) {
	e := newEnv(t)
	const id = "top_refresh"
	e.mustSend(t, id, pending(http.StatusAccepted), httpbank.StateSent)
	e.bank.set(succeeded(http.StatusOK))
	res, err := e.client.Refresh(e.ctx, id) // within the backoff
	if err != nil || res.Status != wallet.BankSucceeded {
		t.Fatalf("Refresh = %+v, %v", res, err)
	}
	res, err = e.client.Refresh(e.ctx, id)
	if err != nil || res.Status != wallet.BankSucceeded {
		t.Fatalf("Refresh again = %+v, %v", res, err)
	}
	if n := e.bank.count(http.MethodGet, "/v1/requests/"+id); n != 1 {
		t.Fatalf("%d status queries, want 1", n)
	}
	if _, err := e.client.Refresh(e.ctx, "top_never"); wallet.ErrorCode(err) != wallet.CodeNotFound {
		t.Fatalf("Refresh of an unknown request: %v", err)
	}
}

// TestUnknownIsNeverGuessed keeps one request in doubt through every kind
// of non-answer, many backoff steps apart, then lets the bank speak.
func TestUnknownIsNeverGuessed(t *testing.T) {
	e := newEnv(t)
	const id = "top_doubt"
	e.mustSend(t, id, e.bank.hang(), httpbank.StateUnknown)
	nonAnswers := []answerFunc{
		refuse(http.StatusInternalServerError), refuse(http.StatusConflict), refuse(http.StatusTooManyRequests),
		refuse(http.StatusBadRequest), refuse(http.StatusUnauthorized), refuse(http.StatusNotFound), e.bank.hang(), hangup,
		raw(http.StatusOK, `{}`), reply(http.StatusOK, bankwire.StatusFailed, "card_declined", 2, func(r *bankwire.Result) { r.ID = "top_x" }),
	}
	for i, a := range nonAnswers {
		e.clock.Add(time.Hour)
		e.bank.set(a)
		res, _ := e.client.Status(e.ctx, id)
		if res.Status == wallet.BankSucceeded || res.Status == wallet.BankFailed {
			t.Fatalf("non-answer %d made the result %s", i, res.Status)
		}
		if r := e.mustRequest(t, id); r.State != httpbank.StateUnknown {
			t.Fatalf("non-answer %d made the request %s", i, r.State)
		}
	}
	e.clock.Add(time.Hour)
	e.bank.set(succeeded(http.StatusOK))
	if res, err := e.client.Status(e.ctx, id); err != nil || res.Status != wallet.BankSucceeded {
		t.Fatalf("Status = %+v, %v", res, err)
	}
	// Final: answered from the store from now on, even if the bank says
	// something else later.
	e.clock.Add(time.Hour)
	e.bank.set(declined(http.StatusOK))
	queries := e.bank.count(http.MethodGet, "/v1/requests/"+id)
	if res, err := e.client.Status(e.ctx, id); err != nil || res.Status != wallet.BankSucceeded {
		t.Fatalf("Status after final = %+v, %v", res, err)
	}
	if n := e.bank.count(http.MethodGet, "/v1/requests/"+id); n != queries {
		t.Fatal("asked the bank about a final request")
	}
}
