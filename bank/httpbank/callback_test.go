package httpbank_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ewallet/ewallet/bank/bankwire"
	"github.com/ewallet/ewallet/bank/httpbank"
	"github.com/ewallet/ewallet/wallet"
)

const callbackPath = "/v1/bank/callbacks"

// callback is one delivery: a body and the headers signing it.
type callback struct {
	h    http.Header
	body []byte
}

// signedAt signs body as the bank would at time at, with secret, for path.
func signedAt(body []byte, secret []byte, at time.Time, path string) callback {
	h := http.Header{}
	h.Set(bankwire.HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	h.Set(bankwire.HeaderSignature, bankwire.Sign(secret, at.Unix(), http.MethodPost, path, body))
	return callback{h: h, body: body}
}

// result is the JSON of a callback about the 12.34 CNY charge id.
func result(id, status, failure string, seq int64) []byte {
	b, _ := json.Marshal(bankwire.Result{EventID: "evt_" + strconv.FormatInt(seq, 10), ID: id, Kind: bankwire.KindCharge,
		Status: status, FailureCode: failure, Amount: "12.34", Currency: "CNY", Seq: seq})
	return b
}

// TestCallbacks delivers a sequence of callbacks about one charge and
// checks, after each, the error, the stored request and the settlements:
// refused when unsigned, stale or contradicting; applied once when valid;
// duplicates and older callbacks change nothing.
func TestCallbacks(t *testing.T) {
	e := newEnv(t)
	s := newSettler()
	cb := httpbank.NewCallbacks(e.client, s)
	const id = "top_cb"
	e.mustSend(t, id, pending(http.StatusAccepted), httpbank.StateSent)

	now := e.clock.Now
	good := func(status, failure string, seq int64) callback {
		return signedAt(result(id, status, failure, seq), testSecret, now(), callbackPath)
	}
	tampered := good(bankwire.StatusFailed, "card_declined", 2)
	tampered.body = result(id, bankwire.StatusSucceeded, "", 2)
	noHeaders := good(bankwire.StatusSucceeded, "", 2)
	noHeaders.h = http.Header{}
	otherAmount := func() callback {
		var r bankwire.Result
		_ = json.Unmarshal(result(id, bankwire.StatusSucceeded, "", 2), &r)
		r.Amount = "1234.00"
		b, _ := json.Marshal(r)
		return signedAt(b, testSecret, now(), callbackPath)
	}

	steps := []struct {
		name    string
		cb      func() callback
		code    wallet.Code // "" for accepted
		state   httpbank.State
		applied int
	}{
		{"WrongSecret", func() callback {
			return signedAt(result(id, bankwire.StatusSucceeded, "", 2), []byte("not-the-secret"), now(), callbackPath)
		}, wallet.CodeUnauthenticated, httpbank.StateSent, 0},
		{"TamperedBody", func() callback { return tampered }, wallet.CodeUnauthenticated, httpbank.StateSent, 0},
		{"NoHeaders", func() callback { return noHeaders }, wallet.CodeUnauthenticated, httpbank.StateSent, 0},
		{"OtherPath", func() callback {
			return signedAt(result(id, bankwire.StatusSucceeded, "", 2), testSecret, now(), "/v1/charges")
		}, wallet.CodeUnauthenticated, httpbank.StateSent, 0},
		{"Stale", func() callback {
			return signedAt(result(id, bankwire.StatusSucceeded, "", 2), testSecret, now().Add(-bankwire.MaxSkew-time.Second), callbackPath)
		}, wallet.CodeUnauthenticated, httpbank.StateSent, 0},
		{"FromTheFuture", func() callback {
			return signedAt(result(id, bankwire.StatusSucceeded, "", 2), testSecret, now().Add(bankwire.MaxSkew+time.Second), callbackPath)
		}, wallet.CodeUnauthenticated, httpbank.StateSent, 0},
		{"Malformed", func() callback {
			return signedAt([]byte(`{"id":"top_cb","status":"succeeded"}`), testSecret, now(), callbackPath)
		}, wallet.CodeInvalidRequest, httpbank.StateSent, 0},
		{"OtherAmount", otherAmount, wallet.CodeInvalidRequest, httpbank.StateSent, 0},
		{"PendingAgain", func() callback { return good(bankwire.StatusPending, "", 1) }, "", httpbank.StateSent, 0},
		{"Succeeded", func() callback { return good(bankwire.StatusSucceeded, "", 2) }, "", httpbank.StateSucceeded, 1},
		{"Duplicate", func() callback { return good(bankwire.StatusSucceeded, "", 2) }, "", httpbank.StateSucceeded, 1},
		{"OlderPending", func() callback { return good(bankwire.StatusPending, "", 1) }, "", httpbank.StateSucceeded, 1},
		{"Contradiction", func() callback { return good(bankwire.StatusFailed, "card_declined", 2) }, wallet.CodeInvalidRequest, httpbank.StateSucceeded, 1},
		{"LaterContradiction", func() callback { return good(bankwire.StatusFailed, "card_declined", 3) }, wallet.CodeInvalidRequest, httpbank.StateSucceeded, 1},
	}
	var final httpbank.Request
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			e.clock.Add(time.Second)
			c := st.cb()
			err := cb.Receive(e.ctx, c.h, callbackPath, c.body)
			if code := wallet.ErrorCode(err); (err == nil) != (st.code == "") || (st.code != "" && code != st.code) {
				t.Fatalf("Receive = %v (code %q), want code %q", err, code, st.code)
			}
			r := e.mustRequest(t, id)
			if r.State != st.state {
				t.Fatalf("stored %s, want %s", r.State, st.state)
			}
			applied, res, calls := s.snapshot(id)
			if applied != st.applied {
				t.Fatalf("settled %d times, want %d", applied, st.applied)
			}
			for _, call := range calls {
				if call.Status != wallet.BankSucceeded {
					t.Fatalf("settled with %+v", call)
				}
			}
			if st.applied > 0 && res.Status != wallet.BankSucceeded {
				t.Fatalf("settled as %+v", res)
			}
			if r.State.Final() {
				// Nothing after the first final callback touches the row.
				if final.ID == "" {
					final = r
				} else if r != final {
					t.Fatalf("final request changed:\n%+v\nwas\n%+v", r, final)
				}
			}
		})
	}
	// Settled by callback: Status answers from the store.
	e.clock.Add(time.Hour)
	if res, err := e.client.Status(e.ctx, id); err != nil || res.Status != wallet.BankSucceeded {
		t.Fatalf("Status = %+v, %v", res, err)
	}
	if n := e.bank.count(http.MethodGet, "/v1/requests/"+id); n != 0 {
		t.Fatalf("asked the bank %d times about a request its callback settled", n)
	}
}

// TestCallbackUnknownRequest: a valid callback about a request we never
// sent is acknowledged (the bank stops) but neither stored nor settled.
func TestCallbackUnknownRequest(t *testing.T) {
	e := newEnv(t)
	s := newSettler()
	c := signedAt(result("top_stranger", bankwire.StatusSucceeded, "", 2), testSecret, e.clock.Now(), callbackPath)
	if err := httpbank.NewCallbacks(e.client, s).Receive(e.ctx, c.h, callbackPath, c.body); err != nil {
		t.Fatalf("Receive = %v", err)
	}
	if _, err := e.store.BankRequest(e.ctx, "top_stranger"); wallet.ErrorCode(err) != wallet.CodeNotFound {
		t.Fatalf("stored a request for a stranger's callback: %v", err)
	}
	if _, _, calls := s.snapshot("top_stranger"); len(calls) != 0 {
		t.Fatalf("settled %+v", calls)
	}
}

// TestCallbackStaleWhileOpen: before the outcome, a callback with a lower
// sequence than one seen changes nothing.
func TestCallbackStaleWhileOpen(t *testing.T) {
	e := newEnv(t)
	s := newSettler()
	cb := httpbank.NewCallbacks(e.client, s)
	const id = "top_seq"
	e.mustSend(t, id, reply(http.StatusAccepted, bankwire.StatusPending, "", 3, nil), httpbank.StateSent)
	before := e.mustRequest(t, id)

	e.clock.Add(time.Second)
	c := signedAt(result(id, bankwire.StatusPending, "", 2), testSecret, e.clock.Now(), callbackPath)
	if err := cb.Receive(e.ctx, c.h, callbackPath, c.body); err != nil {
		t.Fatalf("Receive = %v", err)
	}
	if r := e.mustRequest(t, id); r != before {
		t.Fatalf("a stale callback changed the request:\n%+v\nwas\n%+v", r, before)
	}
	c = signedAt(result(id, bankwire.StatusFailed, "card_declined", 4), testSecret, e.clock.Now(), callbackPath)
	if err := cb.Receive(e.ctx, c.h, callbackPath, c.body); err != nil {
		t.Fatalf("Receive = %v", err)
	}
	if r := e.mustRequest(t, id); r.State != httpbank.StateFailed || r.FailureCode != "card_declined" || r.BankSeq != 4 {
		t.Fatalf("stored %+v", r)
	}
	if applied, res, _ := s.snapshot(id); applied != 1 || res.Status != wallet.BankFailed || res.FailureCode != "card_declined" {
		t.Fatalf("settled %d times as %+v", applied, res)
	}
}

// TestCallbackSettleError: when settling fails the bank is told (an
// error), and its next delivery settles the operation.
func TestCallbackSettleError(t *testing.T) {
	e := newEnv(t)
	s := &flakySettler{settler: newSettler(), fail: 1}
	cb := httpbank.NewCallbacks(e.client, s)
	const id = "top_flaky"
	e.mustSend(t, id, e.bank.hang(), httpbank.StateUnknown)
	c := signedAt(result(id, bankwire.StatusSucceeded, "", 2), testSecret, e.clock.Now(), callbackPath)
	if err := cb.Receive(e.ctx, c.h, callbackPath, c.body); err == nil {
		t.Fatal("a failed settlement was acknowledged")
	}
	if err := cb.Receive(e.ctx, c.h, callbackPath, c.body); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if applied, _, _ := s.snapshot(id); applied != 1 {
		t.Fatalf("settled %d times", applied)
	}
}

type flakySettler struct {
	*settler
	mu   sync.Mutex
	fail int
}

func (f *flakySettler) SettleBankOp(ctx context.Context, id string, res wallet.BankResult) (wallet.BankOp, error) {
	f.mu.Lock()
	fail := f.fail > 0
	f.fail--
	f.mu.Unlock()
	if fail {
		return wallet.BankOp{}, errors.New("database is locked")
	}
	return f.settler.SettleBankOp(ctx, id, res)
}

// TestCallbackRaces delivers the same final callback many times at once,
// beside status queries answering the same outcome: one final state, and
// never another.
func TestCallbackRaces(t *testing.T) {
	e := newEnv(t)
	s := newSettler()
	cb := httpbank.NewCallbacks(e.client, s)
	const id = "top_race"
	e.mustSend(t, id, pending(http.StatusAccepted), httpbank.StateSent)
	e.bank.set(declined(http.StatusOK))
	c := signedAt(result(id, bankwire.StatusFailed, "card_declined", 2), testSecret, e.clock.Now(), callbackPath)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := cb.Receive(e.ctx, c.h, callbackPath, c.body); err != nil {
				t.Errorf("Receive = %v", err)
			}
		})
		wg.Go(func() {
			if _, err := e.client.Refresh(e.ctx, id); err != nil {
				t.Errorf("Refresh = %v", err)
			}
		})
	}
	wg.Wait()
	if r := e.mustRequest(t, id); r.State != httpbank.StateFailed || r.FailureCode != "card_declined" {
		t.Fatalf("stored %+v", r)
	}
	if applied, _, _ := s.snapshot(id); applied != 1 {
		t.Fatalf("settled %d times", applied)
	}
}

// FuzzCallback feeds arbitrary bodies, signed or not, at arbitrary clock
// offsets, through the whole callback path (bankwire fuzzes the decoder
// alone) over a real store holding a few requests, and checks that an
// unsigned or stale body is always refused, nothing is stored for a
// stranger, a final state never changes, and nothing but a final answer
// matching the stored state is ever settled.
func FuzzCallback(f *testing.F) {
	for _, seed := range []struct {
		body   []byte
		offset int64
		signed bool
	}{
		{result("top_a", bankwire.StatusSucceeded, "", 2), 0, true},
		{result("top_a", bankwire.StatusFailed, "card_declined", 2), 0, true},
		{result("top_a", bankwire.StatusPending, "", 1), 0, true},
		{result("top_b", bankwire.StatusSucceeded, "", 7), -299, true},
		{result("top_b", bankwire.StatusFailed, "x", 2), 301, true},
		{result("top_zzz", bankwire.StatusSucceeded, "", 2), 0, true},
		{result("top_a", bankwire.StatusSucceeded, "", 2), 0, false},
		{[]byte(`{"id":"top_a","kind":"payout","status":"succeeded","amount":"12.34","currency":"CNY","seq":2}`), 0, true},
		{[]byte(`{}`), 0, true},
		{[]byte(`null`), 0, true},
	} {
		f.Add(seed.body, seed.offset, seed.signed)
	}
	e := newEnv(f)
	s := newSettler()
	cb := httpbank.NewCallbacks(e.client, s)
	ours := map[string]bool{"top_a": true, "top_b": true}
	e.mustSend(f, "top_a", pending(http.StatusAccepted), httpbank.StateSent)
	e.mustSend(f, "top_b", refuse(http.StatusBadGateway), httpbank.StateUnknown)
	finals := map[string]httpbank.Request{}

	f.Fuzz(func(t *testing.T, body []byte, offset int64, signed bool) {
		now := e.clock.Now()
		at := now.Add(time.Duration(offset%3600) * time.Second)
		c := signedAt(body, testSecret, at, callbackPath)
		if !signed {
			c = signedAt(body, []byte("forged"), at, callbackPath)
		}
		err := cb.Receive(e.ctx, c.h, callbackPath, c.body)
		fresh := now.Sub(time.Unix(at.Unix(), 0)).Abs() <= bankwire.MaxSkew
		if (!signed || !fresh) && wallet.ErrorCode(err) != wallet.CodeUnauthenticated {
			t.Fatalf("unsigned or stale callback: %v", err)
		}
		if d, derr := bankwire.DecodeResult(body); derr == nil && !ours[d.ID] {
			if _, err := e.store.BankRequest(e.ctx, d.ID); wallet.ErrorCode(err) != wallet.CodeNotFound {
				t.Fatalf("stored a stranger's request %q: %v", d.ID, err)
			}
		}
		for id := range ours {
			r := e.mustRequest(t, id)
			if was, ok := finals[id]; ok && r != was {
				t.Fatalf("final request %s changed:\n%+v\nwas\n%+v", id, r, was)
			}
			if r.State.Final() {
				finals[id] = r
			}
			_, final, calls := s.snapshot(id)
			for _, call := range calls {
				if call != final || !r.State.Final() || string(call.Status) != string(r.State) || call.FailureCode != r.FailureCode {
					t.Fatalf("%s settled with %+v, stored %s %q", id, call, r.State, r.FailureCode)
				}
			}
		}
	})
}
