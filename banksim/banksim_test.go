package banksim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ewallet/ewallet/bank/bankwire"
	"github.com/ewallet/ewallet/banksim"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/reconcile"
)

var secret = []byte("sim-secret")

type sim struct {
	t   *testing.T
	b   *banksim.Bank
	srv *httptest.Server
}

func mustOpen(t *testing.T) *sim {
	t.Helper()
	b, err := banksim.Open(t.Context(), t.TempDir(), banksim.Config{Secret: secret, AsyncDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(b.Handler())
	t.Cleanup(func() { srv.Close(); b.Close() })
	return &sim{t: t, b: b, srv: srv}
}

// do sends a request signed with key and returns the status and body.
func (s *sim) do(method, path string, body any, key []byte) (int, []byte) {
	s.t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(method, s.srv.URL+path, bytes.NewReader(raw))
	bankwire.SignRequest(req, key, time.Now(), raw)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

func TestBank(t *testing.T) {
	s := mustOpen(t)
	charge := bankwire.PaymentRequest{ID: "top_1", CardNumber: banksim.CardApproves, Amount: "100.00", Currency: "CNY"}
	t.Run("Unsigned", func(t *testing.T) {
		if status, _ := s.do("POST", "/v1/charges", charge, []byte("wrong")); status != 401 {
			t.Fatalf("status %d, want 401", status)
		}
	})
	t.Run("Charge", func(t *testing.T) {
		for range 2 { // the second is a replay
			status, body := s.do("POST", "/v1/charges", charge, secret)
			if status != 200 || !bytes.Contains(body, []byte(`"status":"succeeded"`)) {
				t.Fatalf("%d %s", status, body)
			}
		}
		other := charge
		other.Amount = "1.00"
		if status, _ := s.do("POST", "/v1/charges", other, secret); status != 409 {
			t.Fatalf("same id, other body: %d, want 409", status)
		}
	})
	t.Run("Refunds", func(t *testing.T) {
		for _, tt := range []struct {
			id, amount, want string
		}{{"ref_1", "60.00", "succeeded"}, {"ref_2", "50.00", "failed"}, {"ref_3", "40.00", "succeeded"}} {
			_, body := s.do("POST", "/v1/refunds", bankwire.RefundRequest{ID: tt.id, ChargeID: "top_1", Amount: tt.amount, Currency: "CNY"}, secret)
			if !bytes.Contains(body, []byte(`"status":"`+tt.want+`"`)) {
				t.Errorf("%s: %s, want %s", tt.id, body, tt.want)
			}
		}
	})
	t.Run("Status", func(t *testing.T) {
		if status, _ := s.do("GET", "/v1/requests/none", nil, secret); status != 404 {
			t.Fatalf("unknown request: %d", status)
		}
		status, body := s.do("GET", "/v1/requests/ref_2", nil, secret)
		if d, err := bankwire.DecodeResult(bytes.TrimSpace(body)); status != 200 || err != nil || d.FailureCode != "refund_exceeds_charge" {
			t.Fatalf("%d %s %v", status, body, err)
		}
	})
	t.Run("Balances", func(t *testing.T) {
		// Charged 100.00, refunded 60.00 + 40.00: back where it started.
		posted, held, err := s.b.CardBalance(t.Context(), banksim.CardApproves, money.CNY)
		if err != nil || posted != 100_000_000 || held != 0 {
			t.Fatalf("card %d held %d (%v)", posted, held, err)
		}
		if op, err := s.b.OperatorBalance(t.Context(), money.CNY); err != nil || op != 0 {
			t.Fatalf("operator %d (%v)", op, err)
		}
	})
	t.Run("Statement", func(t *testing.T) {
		status, body := s.do("GET", "/v1/statements/"+time.Now().UTC().Format(time.DateOnly)+".xml", nil, secret)
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		stmts, err := reconcile.ParseCAMT053(bytes.NewReader(body))
		if err != nil || len(stmts) != 1 || len(stmts[0].Lines) != 3 || stmts[0].Closing != 0 {
			t.Fatalf("%+v, %v", stmts, err)
		}
	})
}

// TestInsufficientCard checks that the card that opens empty is refused a
// charge and can still be paid out to.
func TestInsufficientCard(t *testing.T) {
	s := mustOpen(t)
	_, body := s.do("POST", "/v1/charges", bankwire.PaymentRequest{ID: "top_i", CardNumber: banksim.CardInsufficient, Amount: "1.00", Currency: "CNY"}, secret)
	if !bytes.Contains(body, []byte("insufficient_funds_at_bank")) {
		t.Fatalf("%s", body)
	}
	status, body := s.do("POST", "/v1/payouts", bankwire.PaymentRequest{ID: "wdr_i", CardNumber: banksim.CardInsufficient, Amount: "2.00", Currency: "CNY"}, secret)
	if status != 202 {
		t.Fatalf("payout: %d %s, want 202 pending", status, body)
	}
	ctx := t.Context()
	go s.b.Run(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if posted, _, _ := s.b.CardBalance(ctx, banksim.CardInsufficient, money.CNY); posted == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("payout not paid within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
