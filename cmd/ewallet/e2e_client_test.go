package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ewallet/ewallet/store/postgres/pgtest"
)

// backends starts a --dev server on each storage backend for fn.
func backends(t *testing.T, fn func(t *testing.T, c *client)) {
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		fn(t, newClient(t, noEnv, "--data", t.TempDir()))
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		t.Parallel()
		url := pgtest.URL(t)
		fn(t, newClient(t, envOf(map[string]string{"EWALLET_DATA": t.TempDir()}), "--db", url))
	})
}

// client talks to a real server on loopback.
type client struct {
	t     *testing.T
	base  string
	admin string
	n     *atomic.Int64
}

// at returns the client reporting to t (a subtest).
func (c *client) at(t *testing.T) *client {
	c2 := *c
	c2.t = t
	return &c2
}

func newClient(t *testing.T, getenv func(string) string, args ...string) *client {
	t.Helper()
	base, stop := startServe(t, getenv, append([]string{"--dev", "--admin-token", "admin-secret", "--log-level", "error"}, args...)...)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	waitHealthy(t, base)
	return &client{t: t, base: base, admin: "admin-secret", n: new(atomic.Int64)}
}

// resp is an answer: status, headers and the JSON body as a map.
type resp struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (r resp) code() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (r resp) str(key string) string {
	v, _ := r.body[key].(string)
	return v
}

// do sends a request; body may be a string (sent as is) or a value (JSON).
func (c *client) do(method, path, token, key string, body any) resp {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	if res.Header.Get("X-Request-Id") == "" {
		c.t.Errorf("%s %s: no X-Request-Id", method, path)
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			c.t.Fatalf("%s %s: body %q: %v", method, path, raw, err)
		}
	}
	if r.status >= 400 {
		e, _ := r.body["error"].(map[string]any)
		if e == nil || e["message"] == "" || e["request_id"] == "" {
			c.t.Errorf("%s %s: error body %s lacks code/message/request_id", method, path, raw)
		}
	}
	return r
}

// want fails unless r has the status (and, for errors, the code).
func want(t *testing.T, r resp, status int, code string) {
	t.Helper()
	if r.status != status || r.code() != code {
		t.Fatalf("got %d %q, want %d %q: %s", r.status, r.code(), status, code, r.raw)
	}
}

// user is a registered, verified, logged-in user with a PIN.
type user struct {
	id, wallet, phone, token, pin, card string
}

const password = "correct horse battery"

var codeRE = regexp.MustCompile(`\b(\d{6})\b`)

// smsCode reads the newest code sent to phone from the sandbox outbox.
func (c *client) smsCode(phone string) string {
	c.t.Helper()
	r := c.do("GET", "/v1/dev/sms?phone="+strings.ReplaceAll(phone, "+", "%2B"), "", "", nil)
	want(c.t, r, 200, "")
	data, _ := r.body["data"].([]any)
	if len(data) == 0 {
		c.t.Fatalf("no SMS to %s", phone)
	}
	text, _ := data[0].(map[string]any)["text"].(string)
	m := codeRE.FindStringSubmatch(text)
	if m == nil {
		c.t.Fatalf("no code in %q", text)
	}
	return m[1]
}

var phoneSeq atomic.Int64

func (c *client) newPhone() string {
	return fmt.Sprintf("+86139%08d", phoneSeq.Add(1))
}

// mustUser registers, verifies, logs in, sets PIN 730194 and binds the
// always-approving test card.
func (c *client) mustUser(name string) user {
	c.t.Helper()
	u := user{phone: c.newPhone(), pin: "730194"}
	r := c.do("POST", "/v1/users", "", "", map[string]any{"phone": u.phone, "password": password, "name": name})
	want(c.t, r, 201, "")
	u.id = r.str("id")
	want(c.t, c.do("POST", "/v1/users/verify", "", "", map[string]any{"phone": u.phone, "code": c.smsCode(u.phone)}), 200, "")
	r = c.do("POST", "/v1/sessions", "", "", map[string]any{"phone": u.phone, "password": password})
	want(c.t, r, 201, "")
	u.token = r.str("token")
	want(c.t, c.do("PUT", "/v1/me/pin", u.token, "", map[string]any{"password": password, "pin": u.pin}), 204, "")
	r = c.do("GET", "/v1/me", u.token, "", nil)
	want(c.t, r, 200, "")
	u.wallet = r.str("wallet_id")
	r = c.do("POST", "/v1/me/cards", u.token, "", map[string]any{"number": "4242424242424242", "exp_month": 12, "exp_year": 2099, "holder": name})
	want(c.t, r, 201, "")
	u.card = r.str("id")
	return u
}

func (c *client) key() string { return fmt.Sprintf("key-%d", c.n.Add(1)) }

// topup tops u up by amount CNY from its card and checks it succeeded.
func (c *client) topup(u user, amount string) {
	c.t.Helper()
	r := c.do("POST", "/v1/topups", u.token, c.key(), map[string]any{"card_id": u.card, "amount": amount, "currency": "CNY", "pin": u.pin})
	want(c.t, r, 201, "")
	if r.str("status") != "succeeded" {
		c.t.Fatalf("top-up: %s", r.raw)
	}
}

// balance returns u's CNY available, pending and total.
func (c *client) balance(u user, cur string) (available, pending, total string) {
	c.t.Helper()
	r := c.do("GET", "/v1/me/balances", u.token, "", nil)
	want(c.t, r, 200, "")
	for _, b := range r.body["data"].([]any) {
		m := b.(map[string]any)
		if m["currency"] == cur {
			return m["available"].(string), m["pending"].(string), m["total"].(string)
		}
	}
	return "", "", ""
}

func (c *client) wantBalance(u user, cur, available, pending string) {
	c.t.Helper()
	a, p, _ := c.balance(u, cur)
	if a != available || p != pending {
		c.t.Fatalf("%s balance: available %q pending %q, want %q %q", cur, a, p, available, pending)
	}
}
