package api

import (
	"net/http"
	"strings"
	"testing"
)

// TestAccountSecurity: change the password, list the sessions, log out
// everywhere, and the operator's freeze and journal list, with the
// contract's errors.
func TestAccountSecurity(t *testing.T) {
	s := newTestServer(t)
	login := func(password string, want int) string {
		t.Helper()
		r := s.mustCall("POST", "/v1/sessions", "", "", map[string]any{"phone": keeperPhone, "password": password}, want)
		tok, _ := r["token"].(string)
		return tok
	}
	phone := login(testPassword, http.StatusCreated)
	laptop := login(testPassword, http.StatusCreated)

	list := s.mustCall("GET", "/v1/me/sessions", laptop, "", nil, http.StatusOK)["data"].([]any)
	if len(list) != 3 { // the keeper's own from newTestServer, phone, laptop
		t.Fatalf("%d sessions, want 3: %v", len(list), list)
	}
	current := 0
	for _, it := range list {
		if it.(map[string]any)["current"] == true {
			current++
		}
	}
	if current != 1 || list[0].(map[string]any)["current"] != true {
		t.Fatalf("the newest session is the current one, and only it: %v", list)
	}
	if ip, _ := list[0].(map[string]any)["ip"].(string); !strings.HasPrefix(ip, "10.") {
		t.Fatalf("the session's address %q, want the test client's 10.x.x.x", ip)
	}

	for _, tc := range []struct {
		name      string
		body      map[string]any
		status    int
		errorCode string
	}{
		{"wrong current password", map[string]any{"password": "not the password", "new_password": "a much better passphrase"}, 401, "invalid_credentials"},
		{"weak new password", map[string]any{"password": testPassword, "new_password": "123456"}, 400, "weak_password"},
		{"unknown field", map[string]any{"password": testPassword, "new_password": "a much better passphrase", "x": 1}, 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do("PUT", "/v1/me/password", laptop, "", mustJSON(tc.body))
			if r.status != tc.status || r.errorCode() != tc.errorCode {
				t.Fatalf("%d %q, want %d %q: %s", r.status, r.errorCode(), tc.status, tc.errorCode, r.body)
			}
		})
	}
	s.mustCall("PUT", "/v1/me/password", laptop, "", map[string]any{"password": testPassword, "new_password": "a much better passphrase"}, http.StatusNoContent)
	if r := s.do("GET", "/v1/me", phone, "", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("another session after a password change: %d", r.status)
	}
	s.mustCall("GET", "/v1/me", laptop, "", nil, http.StatusOK)
	login(testPassword, http.StatusUnauthorized)
	again := login("a much better passphrase", http.StatusCreated)

	s.mustCall("DELETE", "/v1/me/sessions", again, "", nil, http.StatusNoContent)
	for _, tok := range []string{again, laptop} {
		if r := s.do("GET", "/v1/me", tok, "", nil); r.status != http.StatusUnauthorized {
			t.Fatalf("a session after logging out everywhere: %d", r.status)
		}
	}

	t.Run("operator freeze", func(t *testing.T) {
		if r := s.do("POST", "/v1/admin/users/"+s.payer.id+"/freeze", s.payer.token, "", nil); r.status != http.StatusUnauthorized {
			t.Fatalf("a user's token on the operator route: %d", r.status)
		}
		if r := s.do("POST", "/v1/admin/users/usr_nobody/freeze", testAdminToken, "", nil); r.errorCode() != "not_found" {
			t.Fatalf("an unknown user: %s", r.body)
		}
		u := s.mustCall("POST", "/v1/admin/users/"+s.payer.id+"/freeze", testAdminToken, "", nil, http.StatusOK)
		if u["status"] != "frozen" {
			t.Fatalf("frozen user %v", u)
		}
		r := s.do("POST", "/v1/transfers", s.payer.token, "after-freeze",
			mustJSON(map[string]any{"to": map[string]string{"phone": payeePhone}, "amount": "1.00", "currency": "CNY", "pin": testPIN}))
		if r.status != http.StatusLocked || r.errorCode() != "wallet_frozen" {
			t.Fatalf("a transfer from a wallet the operator froze: %d %s", r.status, r.body)
		}
	})

	t.Run("journal", func(t *testing.T) {
		// The journal holds the setup's two top-ups: CNY, then JPY.
		page := s.mustCall("GET", "/v1/admin/transfers?limit=1", testAdminToken, "", nil, http.StatusOK)
		data := page["data"].([]any)
		if len(data) != 1 || page["has_more"] != true {
			t.Fatalf("first page %v", page)
		}
		first := data[0].(map[string]any)
		if first["seq"].(float64) != 2 || first["kind"] != "topup" || first["amount"] != "1000000" || first["currency"] != "JPY" {
			t.Fatalf("newest transfer %v", first)
		}
		next := s.mustCall("GET", "/v1/admin/transfers?limit=200&before_seq=2", testAdminToken, "", nil, http.StatusOK)
		if d := next["data"].([]any); len(d) != 1 || d[0].(map[string]any)["amount"] != "1000000.00" || next["has_more"] != false {
			t.Fatalf("the page before seq 2: %v", next)
		}
		if r := s.do("GET", "/v1/admin/transfers?before_seq=x", testAdminToken, "", nil); r.errorCode() != "invalid_request" {
			t.Fatalf("a bad before_seq: %s", r.body)
		}
	})
}
