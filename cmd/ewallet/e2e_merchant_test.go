package main

import (
	"bytes"
	"image/png"
	"testing"
	"time"

	"github.com/ewallet/ewallet/emvqr"
	"github.com/ewallet/ewallet/money"
)

// shop is a merchant as its owner got it.
type shop struct {
	id, sk, whsec string
}

func (c *client) mustMerchant(owner user, name string) shop {
	c.t.Helper()
	r := c.do("POST", "/v1/merchants", owner.token, "", map[string]any{"name": name, "category": "5812"})
	want(c.t, r, 201, "")
	s := shop{id: r.str("id"), sk: r.str("secret_key"), whsec: r.str("webhook_secret")}
	if len(s.id) < 5 || s.id[:4] != "mch_" || len(s.sk) < 20 || s.sk[:3] != "sk_" || len(s.whsec) < 20 || s.whsec[:6] != "whsec_" {
		c.t.Fatalf("merchant: %s", r.raw)
	}
	return s
}

// newPayment creates a payment and returns its id.
func (c *client) newPayment(s shop, amount, capture string) string {
	c.t.Helper()
	r := c.do("POST", "/v1/payments", s.sk, c.key(), map[string]any{"amount": amount, "currency": "CNY", "reference": "order-1", "capture": capture})
	want(c.t, r, 201, "")
	if r.str("status") != "requires_payment" || r.str("amount") != amount || r.str("id")[:4] != "pay_" {
		c.t.Fatalf("payment: %s", r.raw)
	}
	qr, err := emvqr.Decode(r.str("qr_payload"))
	if err != nil || !qr.Dynamic || qr.MerchantAccount.PaymentID != r.str("id") || qr.MerchantAccount.MerchantID != s.id ||
		qr.Amount != amount || qr.Currency != "156" || qr.MCC != "5812" || qr.Reference != "order-1" {
		c.t.Fatalf("qr_payload %q: %+v %v", r.str("qr_payload"), qr, err)
	}
	return r.str("id")
}

func (c *client) merchantBalance(s shop) string {
	c.t.Helper()
	r := c.do("GET", "/v1/merchant/balances", s.sk, "", nil)
	want(c.t, r, 200, "")
	for _, b := range r.body["data"].([]any) {
		if b := b.(map[string]any); b["currency"] == "CNY" {
			return b["available"].(string)
		}
	}
	return "0.00"
}

// addCNY adds two CNY amounts given as decimal strings.
func addCNY(t *testing.T, a, b string) string {
	t.Helper()
	x, err1 := money.Parse(a, money.CNY)
	y, err2 := money.Parse(b, money.CNY)
	if err1 != nil || err2 != nil {
		t.Fatalf("add %q %q: %v %v", a, b, err1, err2)
	}
	return money.Format(x+y, money.CNY)
}

func TestAPIPayments(t *testing.T) {
	backends(t, func(t *testing.T, c *client) {
		owner, alice, bob := c.mustUser("Owner"), c.mustUser("Alice"), c.mustUser("Bob")
		c.topup(alice, "1000.00")
		s := c.mustMerchant(owner, "Noodle Bar")
		pay := func(u user, id, key string) resp {
			return c.do("POST", "/v1/payments/"+id+"/pay", u.token, key, map[string]any{"pin": u.pin})
		}

		t.Run("Auth", func(t *testing.T) {
			c := c.at(t)
			want(t, c.do("POST", "/v1/payments", "sk_wrong", c.key(), map[string]any{"amount": "1.00", "currency": "CNY", "reference": "x", "capture": "automatic"}), 401, "unauthenticated")
			want(t, c.do("POST", "/v1/payments", alice.token, c.key(), map[string]any{"amount": "1.00", "currency": "CNY", "reference": "x", "capture": "automatic"}), 401, "unauthenticated")
			want(t, c.do("POST", "/v1/merchants", owner.token, "", map[string]any{"name": "X", "category": "58"}), 400, "invalid_request")
			want(t, c.do("POST", "/v1/payments", s.sk, c.key(), map[string]any{"amount": "1.00", "currency": "CNY", "reference": "x", "capture": "later"}), 400, "invalid_request")
			want(t, c.do("POST", "/v1/payments", s.sk, c.key(), map[string]any{"amount": "1.00", "currency": "CNY", "reference": "x"}), 400, "invalid_request")
			want(t, c.do("POST", "/v1/payments", s.sk, c.key(), map[string]any{"amount": "1.00", "currency": "CNY", "reference": "x", "capture": "automatic", "expires_in_seconds": 0}), 400, "invalid_request")
			want(t, c.do("POST", "/v1/payments", s.sk, c.key(), map[string]any{"amount": "1.001", "currency": "CNY", "reference": "x", "capture": "automatic"}), 400, "invalid_amount")
			want(t, c.do("GET", "/v1/payments/pay_nope", s.sk, "", nil), 404, "not_found")
		})

		t.Run("AutomaticCapture", func(t *testing.T) {
			c := c.at(t)
			id := c.newPayment(s, "100.00", "automatic")
			key := c.key()
			r := pay(alice, id, key)
			want(t, r, 200, "")
			if r.str("status") != "succeeded" || r.str("fee") != "0.60" || r.str("net") != "99.40" || r.str("amount_captured") != "100.00" {
				t.Fatalf("%s", r.raw)
			}
			again := pay(alice, id, key)
			if again.status != 200 || string(again.raw) != string(r.raw) || again.header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("replay %d %s", again.status, again.raw)
			}
			want(t, pay(alice, id, c.key()), 409, "payment_not_payable")
			want(t, pay(bob, id, c.key()), 409, "payment_not_payable")
			c.wantBalance(alice, "CNY", "900.00", "0.00")
			if got := c.merchantBalance(s); got != "99.40" {
				t.Fatalf("merchant balance %s, want 99.40", got)
			}
			want(t, c.do("GET", "/v1/payments/"+id, alice.token, "", nil), 200, "")
			want(t, c.do("GET", "/v1/payments/"+id, bob.token, "", nil), 404, "not_found")
		})

		t.Run("Refunds", func(t *testing.T) {
			c := c.at(t)
			before := c.merchantBalance(s)
			id := c.newPayment(s, "100.00", "automatic")
			want(t, pay(alice, id, c.key()), 200, "")
			r := c.do("POST", "/v1/refunds", s.sk, c.key(), map[string]any{"payment_id": id, "amount": "30.00"})
			want(t, r, 201, "")
			if r.str("status") != "succeeded" || r.str("amount") != "30.00" || r.str("payment_id") != id || r.str("id")[:4] != "ref_" {
				t.Fatalf("%s", r.raw)
			}
			want(t, c.do("POST", "/v1/refunds", s.sk, c.key(), map[string]any{"payment_id": id, "amount": "70.01"}), 422, "refund_exceeds_payment")
			want(t, c.do("POST", "/v1/refunds", s.sk, c.key(), map[string]any{"payment_id": id, "amount": "70.00"}), 201, "")
			want(t, c.do("POST", "/v1/refunds", s.sk, c.key(), map[string]any{"payment_id": id, "amount": "0.01"}), 422, "refund_exceeds_payment")
			want(t, c.do("POST", "/v1/refunds", s.sk, "", map[string]any{"payment_id": id, "amount": "0.01"}), 400, "idempotency_key_required")
			want(t, c.do("POST", "/v1/refunds", s.sk, c.key(), map[string]any{"payment_id": "pay_nope", "amount": "0.01"}), 404, "not_found")
			// The whole payment went back, its fee too: 0.18 with the first
			// refund, 0.42 with the second.
			if got := c.merchantBalance(s); got != before {
				t.Fatalf("merchant balance %s after a full refund, want %s", got, before)
			}
			c.wantBalance(alice, "CNY", "900.00", "0.00")
			p := c.do("GET", "/v1/payments/"+id, s.sk, "", nil)
			if p.str("amount_refunded") != "100.00" {
				t.Fatalf("%s", p.raw)
			}
		})

		t.Run("ManualCapture", func(t *testing.T) {
			c := c.at(t)
			id := c.newPayment(s, "50.00", "manual")
			r := pay(alice, id, c.key())
			want(t, r, 200, "")
			if r.str("status") != "authorized" {
				t.Fatalf("%s", r.raw)
			}
			c.wantBalance(alice, "CNY", "850.00", "50.00")
			want(t, c.do("POST", "/v1/payments/"+id+"/capture", s.sk, c.key(), map[string]any{"amount": "50.01"}), 422, "amount_exceeds_authorized")
			want(t, c.do("POST", "/v1/payments/"+id+"/capture", s.sk, "", map[string]any{"amount": "20.00"}), 400, "idempotency_key_required")
			r = c.do("POST", "/v1/payments/"+id+"/capture", s.sk, c.key(), map[string]any{"amount": "20.00"})
			want(t, r, 200, "")
			if r.str("status") != "succeeded" || r.str("amount") != "50.00" || r.str("amount_captured") != "20.00" || r.str("fee") != "0.12" || r.str("net") != "19.88" {
				t.Fatalf("%s", r.raw)
			}
			c.wantBalance(alice, "CNY", "880.00", "0.00")
			want(t, c.do("POST", "/v1/payments/"+id+"/cancel", s.sk, "", nil), 409, "payment_not_payable")
		})

		t.Run("Cancel", func(t *testing.T) {
			c := c.at(t)
			held := c.newPayment(s, "10.00", "manual")
			want(t, pay(alice, held, c.key()), 200, "")
			c.wantBalance(alice, "CNY", "870.00", "10.00")
			r := c.do("POST", "/v1/payments/"+held+"/cancel", s.sk, "", nil)
			want(t, r, 200, "")
			if r.str("status") != "canceled" {
				t.Fatalf("%s", r.raw)
			}
			c.wantBalance(alice, "CNY", "880.00", "0.00")
			want(t, c.do("POST", "/v1/payments/"+held+"/capture", s.sk, c.key(), nil), 409, "payment_not_payable")
			open := c.newPayment(s, "10.00", "automatic")
			want(t, c.do("POST", "/v1/payments/"+open+"/cancel", s.sk, "", nil), 200, "")
			want(t, pay(alice, open, c.key()), 409, "payment_not_payable")
		})

		t.Run("Expired", func(t *testing.T) {
			c := c.at(t)
			r := c.do("POST", "/v1/payments", s.sk, c.key(), map[string]any{"amount": "5.00", "currency": "CNY", "reference": "soon", "capture": "automatic", "expires_in_seconds": 1})
			want(t, r, 201, "")
			time.Sleep(1100 * time.Millisecond)
			want(t, pay(alice, r.str("id"), c.key()), 409, "payment_expired")
			if g := c.do("GET", "/v1/payments/"+r.str("id"), s.sk, "", nil); g.str("status") != "expired" {
				t.Fatalf("%s", g.raw)
			}
		})

		t.Run("ErrorOrder", func(t *testing.T) {
			c := c.at(t)
			// 400 (amount, then key) before 404 before the key's 409.
			want(t, c.do("POST", "/v1/refunds", s.sk, "", map[string]any{"payment_id": "pay_nope", "amount": "1.005"}), 400, "invalid_amount")
			want(t, c.do("POST", "/v1/refunds", s.sk, "", map[string]any{"payment_id": "pay_nope", "amount": "1.00"}), 400, "idempotency_key_required")
			want(t, c.do("POST", "/v1/payments/pay_nope/capture", s.sk, "", map[string]any{"amount": "1.00"}), 400, "idempotency_key_required")
			used := c.key()
			id := c.newPayment(s, "1.00", "automatic")
			want(t, pay(alice, id, used), 200, "")
			want(t, pay(alice, "pay_nope", used), 404, "not_found")
			want(t, c.do("POST", "/v1/payments/pay_nope/capture", s.sk, used, nil), 404, "not_found")
		})

		t.Run("QRImage", func(t *testing.T) {
			c := c.at(t)
			id := c.newPayment(s, "7.50", "automatic")
			r := c.do("GET", "/v1/payments/"+id+"/qr.png", s.sk, "", nil)
			img, err := png.Decode(bytes.NewReader(r.raw))
			if r.status != 200 || r.header.Get("Content-Type") != "image/png" || err != nil || img.Bounds().Dx() < 256 {
				t.Fatalf("qr.png: %d %s %v", r.status, r.header.Get("Content-Type"), err)
			}
			want(t, c.do("GET", "/v1/payments/"+id+"/qr.png", bob.token, "", nil), 404, "not_found") // not his payment
		})

		t.Run("PayerRefusals", func(t *testing.T) {
			c := c.at(t)
			big := c.newPayment(s, "5000.00", "automatic")
			want(t, pay(bob, big, c.key()), 422, "limit_exceeded") // tier 1: 1,000.00 in all
			id := c.newPayment(s, "900.00", "automatic")
			want(t, pay(bob, id, c.key()), 422, "insufficient_funds")
			want(t, c.do("POST", "/v1/payments/"+id+"/pay", alice.token, c.key(), map[string]any{"pin": "000000"}), 403, "invalid_pin")
			want(t, c.do("POST", "/v1/payments/pay_nope/pay", alice.token, c.key(), map[string]any{"pin": alice.pin}), 404, "not_found")
			want(t, c.do("POST", "/v1/payments/"+id+"/pay", alice.token, "", map[string]any{"pin": alice.pin}), 400, "idempotency_key_required")
		})

		t.Run("PayByQR", func(t *testing.T) {
			c := c.at(t)
			st := c.do("GET", "/v1/merchant/qr?currency=CNY", s.sk, "", nil)
			want(t, st, 200, "")
			static, err := emvqr.Decode(st.str("qr_payload"))
			if err != nil || static.Dynamic || static.MerchantAccount.MerchantID != s.id || static.Amount != "" {
				t.Fatalf("static QR %q: %+v %v", st.str("qr_payload"), static, err)
			}
			before := c.merchantBalance(s)
			key := c.key()
			body := map[string]any{"qr_payload": st.str("qr_payload"), "amount": "12.30", "pin": alice.pin}
			r := c.do("POST", "/v1/qr/pay", alice.token, key, body)
			want(t, r, 200, "")
			if r.str("status") != "succeeded" || r.str("amount") != "12.30" || r.str("fee") != "0.07" {
				t.Fatalf("static QR pay: %s", r.raw)
			}
			again := c.do("POST", "/v1/qr/pay", alice.token, key, body)
			if string(again.raw) != string(r.raw) || again.header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("replay: %s", again.raw)
			}
			if got, want := c.merchantBalance(s), addCNY(t, before, "12.23"); got != want {
				t.Fatalf("merchant balance %s, want %s", got, want)
			}
			want(t, c.do("POST", "/v1/qr/pay", alice.token, c.key(), map[string]any{"qr_payload": st.str("qr_payload"), "pin": alice.pin}), 400, "invalid_amount")

			id := c.newPayment(s, "3.00", "automatic")
			p := c.do("GET", "/v1/payments/"+id, s.sk, "", nil)
			dyn, _ := emvqr.Decode(p.str("qr_payload"))
			dyn.Amount = "0.30"
			forged, err := emvqr.Encode(dyn)
			if err != nil {
				t.Fatal(err)
			}
			want(t, c.do("POST", "/v1/qr/pay", alice.token, c.key(), map[string]any{"qr_payload": forged, "pin": alice.pin}), 400, "invalid_request")
			r = c.do("POST", "/v1/qr/pay", alice.token, c.key(), map[string]any{"qr_payload": p.str("qr_payload"), "pin": alice.pin})
			want(t, r, 200, "")
			if r.str("id") != id || r.str("status") != "succeeded" {
				t.Fatalf("dynamic QR pay: %s", r.raw)
			}
			want(t, c.do("POST", "/v1/qr/pay", alice.token, c.key(), map[string]any{"qr_payload": "not a code", "pin": alice.pin}), 400, "invalid_request")
		})

		t.Run("History", func(t *testing.T) {
			c := c.at(t)
			id := c.newPayment(s, "6.00", "automatic")
			want(t, pay(alice, id, c.key()), 200, "")
			want(t, c.do("POST", "/v1/refunds", s.sk, c.key(), map[string]any{"payment_id": id, "amount": "1.50"}), 201, "")
			r := c.do("GET", "/v1/me/transactions?limit=5", alice.token, "", nil)
			want(t, r, 200, "")
			lines, _ := r.body["data"].([]any)
			seen := map[string]bool{}
			for _, l := range lines {
				l := l.(map[string]any)
				cp, _ := l["counterparty"].(map[string]any)
				switch l["type"] {
				case "payment", "refund":
					if cp["type"] != "merchant" || cp["name"] != "Noodle Bar" {
						t.Fatalf("%s line's counterparty %v, want the merchant Noodle Bar", l["type"], cp)
					}
					seen[l["type"].(string)+" "+l["amount"].(string)+" "+l["direction"].(string)] = true
				}
			}
			if !seen["payment 6.00 out"] || !seen["refund 1.50 in"] {
				t.Fatalf("history: %s", r.raw)
			}
		})

		t.Run("RotateKey", func(t *testing.T) {
			c := c.at(t)
			r := c.do("POST", "/v1/merchant/keys", s.sk, "", nil)
			want(t, r, 201, "")
			sk := r.str("secret_key")
			if len(sk) < 20 || sk[:3] != "sk_" || sk == s.sk {
				t.Fatalf("rotated key: %s", r.raw)
			}
			// Both keys work during the overlap; a made-up one does not.
			for _, key := range []string{sk, s.sk} {
				if m := c.do("GET", "/v1/merchant", key, "", nil); m.status != 200 || m.str("id") != s.id || m.str("secret_key") != "" {
					t.Fatalf("GET /v1/merchant with a key: %d %s", m.status, m.raw)
				}
			}
			want(t, c.do("GET", "/v1/merchant", sk+"x", "", nil), 401, "unauthenticated")
		})

		t.Run("Verify", func(t *testing.T) {
			c := c.at(t)
			r := c.do("GET", "/v1/admin/ledger/verify", c.admin, "", nil)
			if r.body["ok"] != true || r.body["sums"].(map[string]any)["CNY"] != "0.00" {
				t.Fatalf("%s", r.raw)
			}
		})
	})
}
