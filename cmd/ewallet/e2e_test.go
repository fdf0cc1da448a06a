package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAPIUsers(t *testing.T) {
	backends(t, func(t *testing.T, c *client) {
		t.Run("RegisterErrors", func(t *testing.T) {
			c := c.at(t)
			phone := c.newPhone()
			for _, tc := range []struct {
				name   string
				body   any
				status int
				code   string
			}{
				{"BadPhone", map[string]any{"phone": "13800000001", "password": password, "name": "A"}, 400, "invalid_phone"},
				{"ShortPassword", map[string]any{"phone": phone, "password": "short", "name": "A"}, 400, "weak_password"},
				{"CommonPassword", map[string]any{"phone": phone, "password": "1234567890", "name": "A"}, 400, "weak_password"},
				{"UnknownField", map[string]any{"phone": phone, "password": password, "name": "A", "x": 1}, 400, "invalid_request"},
				{"Malformed", `{"phone":`, 400, "invalid_request"},
			} {
				t.Run(tc.name, func(t *testing.T) { want(t, c.do("POST", "/v1/users", "", "", tc.body), tc.status, tc.code) })
			}
			r := c.do("POST", "/v1/users", "", "", map[string]any{"phone": phone, "password": password, "name": "A"})
			want(t, r, 201, "")
			if r.str("status") != "pending" || r.body["kyc_tier"] != 1.0 || !strings.HasPrefix(r.str("id"), "usr_") {
				t.Fatalf("user %s", r.raw)
			}
			want(t, c.do("POST", "/v1/users", "", "", map[string]any{"phone": phone, "password": password, "name": "B"}), 409, "phone_taken")
		})
		t.Run("VerifyCodeDiesAfterFive", func(t *testing.T) {
			c := c.at(t)
			phone := c.newPhone()
			want(t, c.do("POST", "/v1/users", "", "", map[string]any{"phone": phone, "password": password, "name": "A"}), 201, "")
			code := c.smsCode(phone)
			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			for i := 0; i < 5; i++ {
				want(t, c.do("POST", "/v1/users/verify", "", "", map[string]any{"phone": phone, "code": wrong}), 400, "invalid_code")
			}
			want(t, c.do("POST", "/v1/users/verify", "", "", map[string]any{"phone": phone, "code": code}), 429, "too_many_attempts")
			want(t, c.do("POST", "/v1/users/verify/resend", "", "", map[string]any{"phone": phone}), 204, "")
			r := c.do("POST", "/v1/users/verify", "", "", map[string]any{"phone": phone, "code": c.smsCode(phone)})
			want(t, r, 200, "")
			if r.str("status") != "active" {
				t.Fatalf("%s", r.raw)
			}
		})
		t.Run("LoginLockout", func(t *testing.T) {
			c := c.at(t)
			u := c.mustUser("Lock")
			want(t, c.do("POST", "/v1/sessions", "", "", map[string]any{"phone": "+8613999999999", "password": password}), 401, "invalid_credentials")
			for i := 0; i < 5; i++ {
				want(t, c.do("POST", "/v1/sessions", "", "", map[string]any{"phone": u.phone, "password": "wrong password!"}), 401, "invalid_credentials")
			}
			want(t, c.do("POST", "/v1/sessions", "", "", map[string]any{"phone": u.phone, "password": password}), 429, "too_many_attempts")
			// The old session still works; logging out ends it.
			want(t, c.do("GET", "/v1/me", u.token, "", nil), 200, "")
			want(t, c.do("DELETE", "/v1/sessions/current", u.token, "", nil), 204, "")
			want(t, c.do("GET", "/v1/me", u.token, "", nil), 401, "unauthenticated")
		})
		t.Run("MeAndLimits", func(t *testing.T) {
			c := c.at(t)
			u := c.mustUser("Limits")
			r := c.do("GET", "/v1/me", u.token, "", nil)
			want(t, r, 200, "")
			l := r.body["limits"].(map[string]any)
			for name, w := range map[string][2]string{
				"per_transaction": {"5000.00", "5000.00"}, "daily": {"5000.00", "5000.00"},
				"yearly": {"unlimited", "unlimited"}, "lifetime": {"1000.00", "1000.00"}, "balance_cap": {"unlimited", "unlimited"},
			} {
				got := l[name].(map[string]any)
				if got["limit"] != w[0] || got["remaining"] != w[1] {
					t.Errorf("%s = %v, want %v", name, got, w)
				}
			}
		})
		t.Run("Auth", func(t *testing.T) {
			c := c.at(t)
			want(t, c.do("GET", "/v1/me", "", "", nil), 401, "unauthenticated")
			want(t, c.do("GET", "/v1/me", "nope", "", nil), 401, "unauthenticated")
			want(t, c.do("GET", "/v1/nothing", "", "", nil), 404, "not_found")
			want(t, c.do("GET", "/v1/nothing", "nope", "", nil), 404, "not_found")
			want(t, c.do("GET", "/v1/admin/ledger/verify", "nope", "", nil), 401, "unauthenticated")
		})
	})
}

func TestAPIMoney(t *testing.T) {
	backends(t, func(t *testing.T, c *client) {
		alice, bob := c.mustUser("Alice"), c.mustUser("Bob")
		c.topup(alice, "500.00")
		c.wantBalance(alice, "CNY", "500.00", "0.00")

		t.Run("TransferAndReplay", func(t *testing.T) {
			c := c.at(t)
			key := c.key()
			body := map[string]any{"to": map[string]any{"phone": bob.phone}, "amount": "12.34", "currency": "CNY", "note": "lunch", "pin": alice.pin}
			r := c.do("POST", "/v1/transfers", alice.token, key, body)
			want(t, r, 201, "")
			if r.str("status") != "completed" || r.str("amount") != "12.34" || !strings.HasPrefix(r.str("id"), "txn_") ||
				r.body["from"].(map[string]any)["user_id"] != alice.id || r.body["to"].(map[string]any)["user_id"] != bob.id {
				t.Fatalf("%s", r.raw)
			}
			again := c.do("POST", "/v1/transfers", alice.token, key, body)
			want(t, again, 201, "")
			if string(again.raw) != string(r.raw) || again.header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("replay %s (%q), first %s", again.raw, again.header.Get("Idempotent-Replayed"), r.raw)
			}
			body["amount"] = "1.00"
			want(t, c.do("POST", "/v1/transfers", alice.token, key, body), 409, "idempotency_key_reused")
			// A missing recipient and a self-transfer are answered before the key is looked at.
			body["to"] = map[string]any{"phone": "+8613712345678"}
			want(t, c.do("POST", "/v1/transfers", alice.token, key, body), 404, "recipient_not_found")
			body["to"] = map[string]any{"wallet_id": alice.wallet}
			want(t, c.do("POST", "/v1/transfers", alice.token, key, body), 400, "self_transfer")
			want(t, c.do("POST", "/v1/topups", alice.token, key, map[string]any{"card_id": alice.card, "amount": "1.00", "currency": "CNY", "pin": alice.pin}), 409, "idempotency_key_reused")
			c.wantBalance(alice, "CNY", "487.66", "0.00")
			c.wantBalance(bob, "CNY", "12.34", "0.00")
		})
		t.Run("Errors", func(t *testing.T) {
			c := c.at(t)
			to := map[string]any{"phone": bob.phone}
			for _, tc := range []struct {
				name   string
				key    string
				body   any
				status int
				code   string
			}{
				{"NoKey", "", map[string]any{"to": to, "amount": "1.00", "currency": "CNY", "pin": alice.pin}, 400, "idempotency_key_required"},
				{"TooManyDecimals", c.key(), map[string]any{"to": to, "amount": "12.345", "currency": "CNY", "pin": alice.pin}, 400, "invalid_amount"},
				{"Number", c.key(), map[string]any{"to": to, "amount": 12.34, "currency": "CNY", "pin": alice.pin}, 400, "invalid_amount"},
				{"Negative", c.key(), map[string]any{"to": to, "amount": "-1.00", "currency": "CNY", "pin": alice.pin}, 400, "invalid_amount"},
				{"Zero", c.key(), map[string]any{"to": to, "amount": "0.00", "currency": "CNY", "pin": alice.pin}, 400, "invalid_amount"},
				{"Exponent", c.key(), map[string]any{"to": to, "amount": "1e3", "currency": "CNY", "pin": alice.pin}, 400, "invalid_amount"},
				{"Currency", c.key(), map[string]any{"to": to, "amount": "1.00", "currency": "XXX", "pin": alice.pin}, 400, "unsupported_currency"},
				{"NoRecipient", c.key(), map[string]any{"to": map[string]any{"phone": "+8613712345678"}, "amount": "1.00", "currency": "CNY", "pin": alice.pin}, 404, "recipient_not_found"},
				{"Self", c.key(), map[string]any{"to": map[string]any{"wallet_id": alice.wallet}, "amount": "1.00", "currency": "CNY", "pin": alice.pin}, 400, "self_transfer"},
				{"Insufficient", c.key(), map[string]any{"to": to, "amount": "900.00", "currency": "CNY", "pin": alice.pin}, 422, "insufficient_funds"},
				{"OverLifetime", c.key(), map[string]any{"to": to, "amount": "1000.01", "currency": "CNY", "pin": alice.pin}, 422, "limit_exceeded"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					want(t, c.do("POST", "/v1/transfers", alice.token, tc.key, tc.body), tc.status, tc.code)
				})
			}
			c.wantBalance(alice, "CNY", "487.66", "0.00")
		})
		t.Run("InsufficientSticks", func(t *testing.T) {
			c := c.at(t)
			key := c.key()
			body := map[string]any{"to": map[string]any{"phone": bob.phone}, "amount": "600.00", "currency": "CNY", "pin": alice.pin}
			first := c.do("POST", "/v1/transfers", alice.token, key, body)
			want(t, first, 422, "insufficient_funds")
			c.topup(alice, "200.00")
			again := c.do("POST", "/v1/transfers", alice.token, key, body)
			want(t, again, 422, "insufficient_funds")
			if string(again.raw) != string(first.raw) || again.header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("replay %s, first %s", again.raw, first.raw)
			}
			c.wantBalance(alice, "CNY", "687.66", "0.00")
		})
		t.Run("PINLock", func(t *testing.T) {
			c := c.at(t)
			carol := c.mustUser("Carol")
			c.topup(carol, "10.00")
			body := func(pin string) map[string]any {
				return map[string]any{"to": map[string]any{"phone": bob.phone}, "amount": "1.00", "currency": "CNY", "pin": pin}
			}
			for i := 0; i < 5; i++ {
				want(t, c.do("POST", "/v1/transfers", carol.token, c.key(), body("999999")), 403, "invalid_pin")
			}
			want(t, c.do("POST", "/v1/transfers", carol.token, c.key(), body(carol.pin)), 423, "pin_locked")
			c.wantBalance(carol, "CNY", "10.00", "0.00")
		})
		t.Run("Frozen", func(t *testing.T) {
			c := c.at(t)
			dave := c.mustUser("Dave")
			c.topup(dave, "10.00")
			r := c.do("POST", "/v1/me/freeze", dave.token, "", nil)
			want(t, r, 200, "")
			if r.str("status") != "frozen" {
				t.Fatalf("%s", r.raw)
			}
			body := map[string]any{"to": map[string]any{"phone": bob.phone}, "amount": "1.00", "currency": "CNY", "pin": "000000"}
			want(t, c.do("POST", "/v1/transfers", dave.token, c.key(), body), 423, "wallet_frozen")
			// Money still comes in.
			want(t, c.do("POST", "/v1/transfers", alice.token, c.key(), map[string]any{"to": map[string]any{"wallet_id": dave.wallet}, "amount": "2.00", "currency": "CNY", "pin": alice.pin}), 201, "")
			want(t, c.do("POST", "/v1/me/unfreeze/code", dave.token, "", nil), 204, "")
			want(t, c.do("POST", "/v1/me/unfreeze", dave.token, "", map[string]any{"password": password, "code": "000000x"}), 400, "invalid_code")
			r = c.do("POST", "/v1/me/unfreeze", dave.token, "", map[string]any{"password": password, "code": c.smsCode(dave.phone)})
			want(t, r, 200, "")
			if r.str("status") != "active" {
				t.Fatalf("%s", r.raw)
			}
			c.wantBalance(dave, "CNY", "12.00", "0.00")
		})
		t.Run("Cards", func(t *testing.T) {
			c := c.at(t)
			for _, tc := range []struct {
				name string
				body map[string]any
				code string
			}{
				{"Luhn", map[string]any{"number": "4242424242424241", "exp_month": 12, "exp_year": 2099, "holder": "A"}, "invalid_card_number"},
				{"Expired", map[string]any{"number": "4242424242424242", "exp_month": 1, "exp_year": 2020, "holder": "A"}, "card_expired"},
			} {
				t.Run(tc.name, func(t *testing.T) { want(t, c.do("POST", "/v1/me/cards", alice.token, "", tc.body), 400, tc.code) })
			}
			r := c.do("GET", "/v1/me/cards", alice.token, "", nil)
			want(t, r, 200, "")
			cards := r.body["data"].([]any)
			if len(cards) != 1 || cards[0].(map[string]any)["last4"] != "4242" || cards[0].(map[string]any)["brand"] != "visa" || strings.Contains(string(r.raw), "424242424242") {
				t.Fatalf("%s", r.raw)
			}
			want(t, c.do("DELETE", "/v1/me/cards/crd_nope", alice.token, "", nil), 404, "card_not_found")
			want(t, c.do("POST", "/v1/topups", alice.token, c.key(), map[string]any{"card_id": "crd_nope", "amount": "1.00", "currency": "CNY", "pin": alice.pin}), 404, "card_not_found")
		})
		t.Run("DeclinedTopups", func(t *testing.T) {
			c := c.at(t)
			for _, tc := range []struct{ number, code string }{{"4000000000000002", "card_declined"}, {"4000000000009995", "insufficient_funds_at_bank"}} {
				r := c.do("POST", "/v1/me/cards", bob.token, "", map[string]any{"number": tc.number, "exp_month": 12, "exp_year": 2099, "holder": "B"})
				want(t, r, 201, "")
				r = c.do("POST", "/v1/topups", bob.token, c.key(), map[string]any{"card_id": r.str("id"), "amount": "5.00", "currency": "CNY", "pin": bob.pin})
				want(t, r, 201, "")
				if r.str("status") != "failed" || r.str("failure_code") != tc.code {
					t.Fatalf("%s", r.raw)
				}
			}
		})
		t.Run("TimeoutTopupCreditsOnce", func(t *testing.T) {
			c := c.at(t)
			erin := c.mustUser("Erin")
			r := c.do("POST", "/v1/me/cards", erin.token, "", map[string]any{"number": "4000000000000119", "exp_month": 12, "exp_year": 2099, "holder": "E"})
			want(t, r, 201, "")
			key := c.key()
			body := map[string]any{"card_id": r.str("id"), "amount": "30.00", "currency": "CNY", "pin": erin.pin}
			r = c.do("POST", "/v1/topups", erin.token, key, body)
			want(t, r, 201, "")
			if r.str("status") != "pending" {
				t.Fatalf("%s", r.raw)
			}
			id := r.str("id")
			deadline := time.Now().Add(30 * time.Second)
			for {
				g := c.do("GET", "/v1/topups/"+id, erin.token, "", nil)
				want(t, g, 200, "")
				if g.str("status") == "succeeded" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("still %s", g.raw)
				}
				time.Sleep(200 * time.Millisecond)
			}
			want(t, c.do("POST", "/v1/topups", erin.token, key, body), 201, "")
			c.wantBalance(erin, "CNY", "30.00", "0.00")
		})
		t.Run("Withdrawal", func(t *testing.T) {
			c := c.at(t)
			fay := c.mustUser("Fay")
			c.topup(fay, "50.00")
			r := c.do("POST", "/v1/withdrawals", fay.token, c.key(), map[string]any{"card_id": fay.card, "amount": "20.00", "currency": "CNY", "pin": fay.pin})
			want(t, r, 201, "")
			if r.str("status") != "pending" || !strings.HasPrefix(r.str("id"), "wdr_") {
				t.Fatalf("%s", r.raw)
			}
			c.wantBalance(fay, "CNY", "30.00", "20.00")
			id := r.str("id")
			deadline := time.Now().Add(10 * time.Second)
			for c.do("GET", "/v1/withdrawals/"+id, fay.token, "", nil).str("status") != "succeeded" {
				if time.Now().After(deadline) {
					t.Fatal("withdrawal did not settle")
				}
				time.Sleep(200 * time.Millisecond)
			}
			c.wantBalance(fay, "CNY", "30.00", "0.00")
			// Lines on both sides of the settled withdrawal, to page across it.
			for _, amount := range []string{"1.00", "2.00"} {
				want(t, c.do("POST", "/v1/transfers", fay.token, c.key(), map[string]any{"to": map[string]any{"phone": alice.phone}, "amount": amount, "currency": "CNY", "pin": fay.pin}), 201, "")
			}
			c.wantPaging(fay, 4)
			h := c.do("GET", "/v1/me/transactions?type=withdrawal", fay.token, "", nil)
			want(t, h, 200, "")
			data := h.body["data"].([]any)
			if len(data) != 1 || data[0].(map[string]any)["id"] != id || data[0].(map[string]any)["status"] != "completed" ||
				data[0].(map[string]any)["balance_after"] != "30.00" {
				t.Fatalf("%s", h.raw)
			}
		})
		t.Run("History", func(t *testing.T) {
			c := c.at(t)
			r := c.do("GET", "/v1/me/transactions?q=lunch", bob.token, "", nil)
			want(t, r, 200, "")
			data := r.body["data"].([]any)
			if len(data) != 1 {
				t.Fatalf("%s", r.raw)
			}
			line := data[0].(map[string]any)
			cp := line["counterparty"].(map[string]any)
			if line["type"] != "transfer" || line["direction"] != "in" || line["amount"] != "12.34" || line["balance_after"] != "12.34" ||
				cp["type"] != "user" || cp["name"] != "Alice" || cp["phone"] != alice.phone {
				t.Fatalf("%s", r.raw)
			}
			r = c.do("GET", "/v1/me/transactions?limit=1", alice.token, "", nil)
			want(t, r, 200, "")
			if len(r.body["data"].([]any)) != 1 || r.body["has_more"] != true {
				t.Fatalf("%s", r.raw)
			}
			c.wantPaging(alice, 4)
			first := r.body["data"].([]any)[0].(map[string]any)["id"].(string)
			r2 := c.do("GET", "/v1/me/transactions?limit=200&starting_after="+first, alice.token, "", nil)
			for _, d := range r2.body["data"].([]any) {
				if d.(map[string]any)["id"] == first {
					t.Fatalf("page after %s repeats it", first)
				}
			}
			for _, f := range []string{"csv", "pdf"} {
				x := c.do("GET", "/v1/me/transactions/export?format="+f, alice.token, "", nil)
				if x.status != 200 || (f == "pdf" && !strings.HasPrefix(string(x.raw), "%PDF-")) || (f == "csv" && !strings.Contains(string(x.raw), "12.34")) {
					t.Fatalf("%s: %d %.200s", f, x.status, x.raw)
				}
			}
		})
		t.Run("KYC", func(t *testing.T) {
			c := c.at(t)
			want(t, c.do("POST", "/v1/admin/users/"+alice.id+"/kyc", "", "", map[string]any{"tier": 2}), 401, "unauthenticated")
			r := c.do("POST", "/v1/admin/users/"+alice.id+"/kyc", c.admin, "", map[string]any{"tier": 3, "limits": map[string]any{"daily": "20000.00", "balance_cap": "unlimited"}})
			want(t, r, 200, "")
			l := r.body["limits"].(map[string]any)
			if r.body["kyc_tier"] != 3.0 || l["daily"].(map[string]any)["limit"] != "20000.00" || l["yearly"].(map[string]any)["limit"] != "200000.00" {
				t.Fatalf("%s", r.raw)
			}
		})
		t.Run("Metrics", func(t *testing.T) {
			c := c.at(t)
			r := c.do("GET", "/metrics", "", "", nil)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			for _, series := range []string{
				`ewallet_ledger_transfers_total{kind="p2p"}`,
				`ewallet_ledger_transfers_total{kind="topup"}`,
				`ewallet_ledger_commit_batch_size_count`,
				`ewallet_http_request_duration_seconds_count{route="POST /v1/transfers",status="201"}`,
				`ewallet_http_request_duration_seconds_count{route="POST /v1/transfers",status="400"}`,
			} {
				if n := metricValue(t, string(r.raw), series); n < 1 {
					t.Errorf("%s = %v, want at least 1", series, n)
				}
			}
		})
		t.Run("Verify", func(t *testing.T) {
			c := c.at(t)
			r := c.do("GET", "/v1/admin/ledger/verify", c.admin, "", nil)
			want(t, r, 200, "")
			if r.body["ok"] != true || r.body["chain"] != "intact" || r.body["sums"].(map[string]any)["CNY"] != "0.00" {
				t.Fatalf("%s", r.raw)
			}
		})
	})
}

func TestAPIConcurrentSameKey(t *testing.T) {
	backends(t, func(t *testing.T, c *client) {
		a, b := c.mustUser("A"), c.mustUser("B")
		c.topup(a, "100.00")
		key := c.key()
		body := map[string]any{"to": map[string]any{"phone": b.phone}, "amount": "10.00", "currency": "CNY", "pin": a.pin}
		var wg sync.WaitGroup
		var mu sync.Mutex
		statuses := map[int]int{}
		for i := 0; i < 16; i++ {
			wg.Go(func() {
				r := c.do("POST", "/v1/transfers", a.token, key, body)
				mu.Lock()
				statuses[r.status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if statuses[201] < 1 || statuses[201]+statuses[409] != 16 {
			t.Fatalf("statuses %v", statuses)
		}
		c.wantBalance(a, "CNY", "90.00", "0.00")
		c.wantBalance(b, "CNY", "10.00", "0.00")
	})
}

// metricValue reads one series' value from a Prometheus text exposition;
// a missing series fails the test.
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return n
		}
	}
	t.Fatalf("no series %s in /metrics", series)
	return 0
}

func TestAPIIPRateLimit(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "ewallet.json")
	if err := os.WriteFile(conf, []byte(`{"ip_rate_limit": {"per_minute": 1, "burst": 3}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, noEnv, "--data", t.TempDir(), "--config", conf)
	login := map[string]any{"password": "wrong password here"}
	for i := range 3 {
		login["phone"] = fmt.Sprintf("+861380013%04d", i) // a new phone each time: no per-phone lockout
		want(t, c.do("POST", "/v1/sessions", "", "", login), 401, "invalid_credentials")
	}
	r := c.do("POST", "/v1/sessions", "", "", login)
	want(t, r, 429, "too_many_attempts")
	if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After %q", ra)
	}
	// Registration shares the address's budget; other routes are not limited.
	want(t, c.do("POST", "/v1/users", "", "", map[string]any{"phone": "+8613800139999", "password": password}), 429, "too_many_attempts")
	want(t, c.do("GET", "/v1/me", "", "", nil), 401, "unauthenticated")
	if r := c.do("GET", "/healthz", "", "", nil); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
}

// wantPaging checks that paging through u's history one line at a time
// gives exactly the full list, which has at least n lines.
func (c *client) wantPaging(u user, n int) {
	c.t.Helper()
	all := c.do("GET", "/v1/me/transactions?limit=200", u.token, "", nil).body["data"].([]any)
	var paged []any
	for after := ""; ; {
		p := c.do("GET", "/v1/me/transactions?limit=1&starting_after="+after, u.token, "", nil)
		want(c.t, p, 200, "")
		paged = append(paged, p.body["data"].([]any)...)
		if p.body["has_more"] != true || len(paged) > len(all) {
			break
		}
		after = paged[len(paged)-1].(map[string]any)["id"].(string)
	}
	if len(all) < n || !reflect.DeepEqual(paged, all) {
		c.t.Fatalf("paged one at a time:\n%v\nall at once:\n%v", paged, all)
	}
}
