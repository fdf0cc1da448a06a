package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ewallet/ewallet/store/postgres/pgtest"
)

// logBuffer collects a server's log output; the server writes to it from
// many goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startLoggedServe is startServe with the server's log output (run's
// stderr) kept in logs. stop may be called more than once.
func startLoggedServe(t *testing.T, getenv func(string) string, args ...string) (base string, stop func() error, logs *logBuffer) {
	t.Helper()
	logs = &logBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), getenv, strings.NewReader(""), pw, logs)
		pw.Close()
		done <- err
	}()
	stop = sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop within 15s of its context ending")
			return nil
		}
	})
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		t.Fatalf("serve printed no address; run returned %v; logs:\n%s", stop(), logs)
	}
	go io.Copy(io.Discard, pr)
	base, ok := strings.CutPrefix(sc.Text(), "listening on ")
	if !ok {
		stop()
		t.Fatalf("first line %q is not the address", sc.Text())
	}
	return base, stop, logs
}

// randomHex returns n random bytes in hex, to make secrets that cannot
// turn up in logs by chance.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// secretWalk records the request ids the server answered with and the
// secrets the walk sent, so the logs can be checked for both.
type secretWalk struct {
	c       *client
	ids     []string
	secrets map[string]string // secret → what it is
	digits  map[string]string // all-digit secrets (PINs, SMS codes) → what
}

func (w *secretWalk) do(method, path, token, key string, body any) resp {
	w.c.t.Helper()
	r := w.c.do(method, path, token, key, body)
	w.ids = append(w.ids, r.header.Get("X-Request-Id"))
	return r
}

func (w *secretWalk) secret(what, s string) string {
	w.secrets[s] = what
	return s
}

func (w *secretWalk) digitSecret(what, s string) string {
	w.digits[s] = what
	return s
}

// smsCode is client.smsCode that also records the code as a secret.
func (w *secretWalk) smsCode(what, phone string) string {
	w.c.t.Helper()
	return w.digitSecret(what, w.c.smsCode(phone))
}

// The sandbox cards of shared/API.md.
var sandboxCards = []string{"4242424242424242", "4000000000000002", "4000000000009995", "4000000000000119"}

// TestAPILogsNeverLeakSecrets walks the flows that handle secrets with the
// server logging at debug level, then checks that its log output holds
// none of them: card numbers (plain, spaced, dashed), passwords, PINs, SMS
// codes, session tokens, the admin token, the database password.
func TestAPILogsNeverLeakSecrets(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		testLogsNeverLeakSecrets(t, noEnv, "", "--data", t.TempDir())
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		t.Parallel()
		// The test server trusts loopback, so a password in the URL is
		// accepted and ignored: it is there to be kept out of the logs.
		u, err := url.Parse(pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		dbPassword := "dbpw" + randomHex(12)
		u.User = url.UserPassword(u.User.Username(), dbPassword)
		testLogsNeverLeakSecrets(t, envOf(map[string]string{"EWALLET_DATA": t.TempDir()}), dbPassword, "--db", u.String())
	})
}

func testLogsNeverLeakSecrets(t *testing.T, getenv func(string) string, dbPassword string, args ...string) {
	adminToken := "adm-" + randomHex(16)
	base, stop, logs := startLoggedServe(t, getenv, append([]string{"--dev", "--admin-token", adminToken, "--log-level", "debug"}, args...)...)
	t.Cleanup(func() { stop() })
	waitHealthy(t, base)
	c := &client{t: t, base: base, admin: adminToken, n: new(atomic.Int64)}
	w := &secretWalk{c: c, secrets: map[string]string{}, digits: map[string]string{}}
	w.secret("admin token", adminToken)
	if dbPassword != "" {
		w.secret("database password", dbPassword)
	}

	// Register, with a wrong code first, a resend, and the right code.
	pass := w.secret("password", "pw "+randomHex(8)+" horse")
	wrongPass := w.secret("wrong password", "wrong "+randomHex(8))
	phone := c.newPhone()
	want(t, w.do("POST", "/v1/users", "", "", map[string]any{"phone": phone, "password": pass, "name": "Logan"}), 201, "")
	first := w.smsCode("registration code", phone)
	wrongCode := w.digitSecret("wrong code", "000000")
	if first == wrongCode {
		wrongCode = w.digitSecret("wrong code", "111111")
	}
	want(t, w.do("POST", "/v1/users/verify", "", "", map[string]any{"phone": phone, "code": wrongCode}), 400, "invalid_code")
	want(t, w.do("POST", "/v1/users/verify/resend", "", "", map[string]any{"phone": phone}), 204, "")
	want(t, w.do("POST", "/v1/users/verify", "", "", map[string]any{"phone": phone, "code": w.smsCode("resent registration code", phone)}), 200, "")
	// A body that does not parse, and one with an unknown field, both
	// carrying the password.
	want(t, w.do("POST", "/v1/sessions", "", "", `{"phone":"`+phone+`","password":"`+pass+`"`), 400, "invalid_request")
	want(t, w.do("POST", "/v1/sessions", "", "", map[string]any{"phone": phone, "password": pass, "otp": "x"}), 400, "invalid_request")

	// Log in; fail once with a wrong password.
	want(t, w.do("POST", "/v1/sessions", "", "", map[string]any{"phone": phone, "password": wrongPass}), 401, "invalid_credentials")
	r := w.do("POST", "/v1/sessions", "", "", map[string]any{"phone": phone, "password": pass})
	want(t, r, 201, "")
	token := w.secret("session token", r.str("token"))
	userID := r.str("user_id")

	// PIN: a weak one refused, then a good one.
	want(t, w.do("PUT", "/v1/me/pin", token, "", map[string]any{"password": pass, "pin": "123456"}), 400, "weak_pin")
	pin := w.digitSecret("PIN", "583920")
	want(t, w.do("PUT", "/v1/me/pin", token, "", map[string]any{"password": pass, "pin": pin}), 204, "")

	// Cards: the four sandbox cards, one written with spaces and one with
	// dashes (bound or refused, either way not logged), a bad Luhn number,
	// and a card with a CVV, which the contract has no field for.
	cards := map[string]string{}
	for _, n := range sandboxCards {
		r := w.do("POST", "/v1/me/cards", token, "", map[string]any{"number": n, "exp_month": 12, "exp_year": 2099, "holder": "Logan"})
		want(t, r, 201, "")
		cards[n] = r.str("id")
	}
	for _, n := range []string{"4242 4242 4242 4242", "4000-0000-0000-0002"} {
		r := w.do("POST", "/v1/me/cards", token, "", map[string]any{"number": n, "exp_month": 12, "exp_year": 2099, "holder": "Logan"})
		if r.status != 201 && r.code() != "invalid_card_number" {
			t.Fatalf("card %q: %d %s", n, r.status, r.raw)
		}
	}
	badLuhn := "4242424242424241"
	want(t, w.do("POST", "/v1/me/cards", token, "", map[string]any{"number": badLuhn, "exp_month": 12, "exp_year": 2099, "holder": "Logan"}), 400, "invalid_card_number")
	want(t, w.do("POST", "/v1/me/cards", token, "", map[string]any{"number": sandboxCards[0], "exp_month": 12, "exp_year": 2099, "holder": "Logan", "cvv": "737"}), 400, "invalid_request")

	// Top-ups on every card: approved, declined, refused by the bank,
	// and timed out (pending, then succeeded by the recovery worker).
	topup := func(card, amount string) resp {
		t.Helper()
		r := w.do("POST", "/v1/topups", token, c.key(), map[string]any{"card_id": cards[card], "amount": amount, "currency": "CNY", "pin": pin})
		want(t, r, 201, "")
		return r
	}
	if r := topup(sandboxCards[0], "300.00"); r.str("status") != "succeeded" {
		t.Fatalf("%s", r.raw)
	}
	for _, n := range sandboxCards[1:3] {
		if r := topup(n, "5.00"); r.str("status") != "failed" {
			t.Fatalf("%s", r.raw)
		}
	}
	pending := topup(sandboxCards[3], "7.00")
	if pending.str("status") != "pending" {
		t.Fatalf("%s", pending.raw)
	}

	// A withdrawal to the approving card.
	r = w.do("POST", "/v1/withdrawals", token, c.key(), map[string]any{"card_id": cards[sandboxCards[0]], "amount": "20.00", "currency": "CNY", "pin": pin})
	want(t, r, 201, "")
	wdr := r.str("id")

	// A transfer with a wrong PIN, then with the right one.
	other := c.mustUser("Other")
	w.secret("session token", other.token)
	w.secret("password", password)
	w.digitSecret("PIN", other.pin)
	wrongPIN := w.digitSecret("wrong PIN", "961407")
	transfer := map[string]any{"to": map[string]any{"phone": other.phone}, "amount": "3.00", "currency": "CNY", "pin": wrongPIN}
	want(t, w.do("POST", "/v1/transfers", token, c.key(), transfer), 403, "invalid_pin")
	transfer["pin"] = pin
	want(t, w.do("POST", "/v1/transfers", token, c.key(), transfer), 201, "")

	// Freeze; unfreeze with a wrong password, a wrong code, then right.
	want(t, w.do("POST", "/v1/me/freeze", token, "", nil), 200, "")
	want(t, w.do("POST", "/v1/me/unfreeze/code", token, "", nil), 204, "")
	unfreezeCode := w.smsCode("unfreeze code", phone)
	wrongUnfreeze := w.digitSecret("wrong unfreeze code", "222222")
	if unfreezeCode == wrongUnfreeze {
		wrongUnfreeze = w.digitSecret("wrong unfreeze code", "333333")
	}
	want(t, w.do("POST", "/v1/me/unfreeze", token, "", map[string]any{"password": wrongPass, "code": unfreezeCode}), 401, "invalid_credentials")
	want(t, w.do("POST", "/v1/me/unfreeze", token, "", map[string]any{"password": pass, "code": wrongUnfreeze}), 400, "invalid_code")
	want(t, w.do("POST", "/v1/me/unfreeze", token, "", map[string]any{"password": pass, "code": unfreezeCode}), 200, "")

	// The operator, and tokens where they do not belong.
	r = w.do("POST", "/v1/admin/users/"+userID+"/kyc", adminToken, "", map[string]any{"tier": 2})
	want(t, r, 200, "")
	want(t, w.do("GET", "/v1/admin/ledger/verify", adminToken, "", nil), 200, "")
	want(t, w.do("GET", "/v1/me", adminToken, "", nil), 401, "unauthenticated")
	if r := w.do("GET", "/v1/admin/ledger/verify", token, "", nil); r.status != 401 && r.status != 403 {
		t.Fatalf("user token on an admin route: %d %s", r.status, r.raw)
	}

	// Wait for the timed-out top-up and the withdrawal to settle, so the
	// bank workers have logged whatever they log.
	deadline := time.Now().Add(30 * time.Second)
	for {
		tp := w.do("GET", "/v1/topups/"+pending.str("id"), token, "", nil)
		wd := w.do("GET", "/v1/withdrawals/"+wdr, token, "", nil)
		if tp.str("status") == "succeeded" && wd.str("status") == "succeeded" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not settled: %s %s", tp.raw, wd.raw)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Log out; the ended token is refused.
	want(t, w.do("DELETE", "/v1/sessions/current", token, "", nil), 204, "")
	want(t, w.do("GET", "/v1/me", token, "", nil), 401, "unauthenticated")

	// Stop the server so that every request's log line has been written
	// (a request is logged after its answer has gone out).
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	out := logs.String()
	t.Logf("%d bytes of logs, %d lines, %d requests", len(out), strings.Count(out, "\n"), len(w.ids))

	// The capture works: every request we made is in the logs by its id.
	if strings.Count(out, "\n") < len(w.ids) {
		t.Fatalf("%d log lines for %d requests:\n%s", strings.Count(out, "\n"), len(w.ids), out)
	}
	for _, id := range w.ids {
		if id == "" || !strings.Contains(out, "request_id="+id) {
			t.Fatalf("request %q is not in the logs:\n%s", id, out)
		}
	}

	// No secret is.
	for s, what := range w.secrets {
		forms := []string{s, url.QueryEscape(s), url.PathEscape(s)}
		if tok, ok := strings.CutPrefix(s, "ewt_"); ok { // a session token's random part alone
			forms = append(forms, tok)
		}
		for _, f := range forms {
			if strings.Contains(out, f) {
				t.Errorf("the logs contain the %s %q:\n%s", what, f, around(out, f))
				break
			}
		}
	}
	// Six digits can turn up by chance in request ids and durations;
	// blank those out and look for the digits standing alone.
	scrubbed := scrubRE.ReplaceAllString(out, "$1")
	for s, what := range w.digits {
		if re := regexp.MustCompile(`(^|[^0-9.])` + s + `(\D|$)`); re.MatchString(scrubbed) {
			t.Errorf("the logs contain the %s %s:\n%s", what, s, around(scrubbed, s))
		}
	}
	for _, n := range append(sandboxCards, badLuhn) {
		// The digits, with any spaces or dashes between them.
		re := regexp.MustCompile(strings.Join(strings.Split(n, ""), `[ -]*`))
		if m := re.FindString(out); m != "" {
			t.Errorf("the logs contain the card number %s as %q:\n%s", n, m, around(out, m))
		}
	}
	// Three digits turn up in any log by chance (durations, times), so
	// the CVV is looked for by its field name.
	if strings.Contains(strings.ToLower(out), "cvv") {
		t.Errorf("the logs mention the CVV:\n%s", around(strings.ToLower(out), "cvv"))
	}
	if t.Failed() {
		t.Logf("logs:\n%s", out)
	}
}

// scrubRE matches the log values where digits are random: request ids,
// durations, times, the test's PostgreSQL schema.
var scrubRE = regexp.MustCompile(`((?:request_id|took|time)=)\S+|t_[0-9a-f]{16}`)

// around returns the log line that holds s.
func around(logs, s string) string {
	i := strings.Index(logs, s)
	if i < 0 {
		return ""
	}
	start := strings.LastIndexByte(logs[:i], '\n') + 1
	end := strings.IndexByte(logs[i:], '\n')
	if end < 0 {
		return logs[start:]
	}
	return logs[start : i+end]
}
