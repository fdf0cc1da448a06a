package web_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ewallet/ewallet/web"
)

func TestCSRF(t *testing.T) {
	a := newApp(t)
	b := a.loggedIn()
	token, nonce := b.formTokens("/app/send")
	send := func(csrf string) url.Values {
		return url.Values{"csrf": {csrf}, "nonce": {nonce}, "to": {"+8613800000002"}, "amount": {"1.00"}, "currency": {"CNY"}, "pin": {"730194"}}
	}
	other := a.browser() // another browser's token: valid, but not this session's
	otherToken, _ := other.formTokens("/app/login")
	for _, tc := range []struct {
		name   string
		form   url.Values
		header http.Header
		status int
	}{
		{"Missing", send(""), nil, http.StatusForbidden},
		{"Wrong", send("not-a-token"), nil, http.StatusForbidden},
		{"AnotherBrowsers", send(otherToken), nil, http.StatusForbidden},
		{"CrossSiteFetch", send(token), http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{"OtherOrigin", send(token), http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden},
		{"NullOrigin", send(token), http.Header{"Origin": {"null"}}, http.StatusForbidden},
		{"Right", send(token), http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {a.srv.URL}}, http.StatusSeeOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(a.api.requests("POST /v1/transfers"))
			resp, body := b.do("POST", "/app/send", tc.form, tc.header)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			moved := len(a.api.requests("POST /v1/transfers")) - before
			if tc.status == http.StatusForbidden && moved != 0 {
				t.Errorf("a refused form reached the API")
			}
			if tc.status == http.StatusForbidden && !strings.Contains(body, "did not come from this site") {
				t.Errorf("403 page does not say why: %s", body)
			}
		})
	}
	t.Run("TokenChangesWithSession", func(t *testing.T) {
		b2 := a.browser()
		b2.cookies["ew_bid"] = b.cookies["ew_bid"] // same browser, another session
		b2.cookies["ew_user"] = "tok_other"
		t2, _ := b2.formTokens("/app/send")
		if t2 == token {
			t.Fatal("two sessions share a CSRF token")
		}
	})
}

func TestCSPOnEveryPage(t *testing.T) {
	a := newApp(t)
	b := a.loggedIn()
	b.cookies["ew_merchant"] = "sk_test"
	b.cookies["ew_admin"] = "admin"
	want := "default-src 'self'; script-src 'self'; style-src 'self'"
	for _, path := range []string{
		"/app/register", "/app/verify", "/app/login", "/app/", "/app/topup", "/app/withdraw", "/app/send", "/app/pay",
		"/app/history", "/app/spending", "/app/cards", "/app/security", "/app/merchant/signin", "/app/merchant/",
		"/app/merchant/payments", "/app/merchant/keys", "/app/admin/signin", "/app/admin/", "/app/admin/users?phone=%2B86",
		"/app/epurse", "/app/merchant/terminals", "/app/admin/reconciliation",
		"/app/nowhere", "/app/static/app.css",
	} {
		t.Run(path, func(t *testing.T) {
			resp, body := b.get(path)
			if resp.StatusCode >= 500 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, want) || strings.Contains(csp, "unsafe") {
				t.Errorf("CSP %q", csp)
			}
			for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
				if resp.Header.Get(h) == "" {
					t.Errorf("no %s", h)
				}
			}
			if inline.MatchString(body) {
				t.Errorf("inline script or style in %s: %q", path, inline.FindString(body))
			}
		})
	}
}

// inline finds what the CSP would block: style attributes, <style>
// elements, script bodies, event handler attributes, javascript: URLs.
var inline = regexp.MustCompile(`(?i)\sstyle=|<style|<script(?:\s[^>]*)?>[^<]|\son[a-z]+=|javascript:`)

func TestTemplatesHaveNoInlineCode(t *testing.T) {
	files, _ := filepath.Glob("templates/*/*.html")
	more, _ := filepath.Glob("templates/*.html")
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := inline.FindString(string(b)); m != "" {
			t.Errorf("%s: %q", f, m)
		}
	}
}

func TestCookies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tls    bool
		secure bool
	}{{"HTTP", false, false}, {"TLS", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI()
			s, err := web.New(web.Deps{API: api})
			if err != nil {
				t.Fatal(err)
			}
			get := httptest.NewRequest("GET", "/app/login", nil)
			if tc.tls {
				get.TLS = &tls.ConnectionState{}
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, get)
			bid := cookieNamed(w.Result().Cookies(), "ew_bid")
			csrf := csrfRE.FindStringSubmatch(w.Body.String())[1]

			post := httptest.NewRequest("POST", "/app/login", strings.NewReader(url.Values{"csrf": {csrf}, "phone": {"+8613800000001"}, "password": {"x"}}.Encode()))
			post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			post.AddCookie(bid)
			if tc.tls {
				post.TLS = &tls.ConnectionState{}
			}
			w = httptest.NewRecorder()
			s.ServeHTTP(w, post)
			user := cookieNamed(w.Result().Cookies(), "ew_user")
			if user == nil {
				t.Fatalf("no session cookie: %d %s", w.Code, w.Body)
			}
			for _, c := range []*http.Cookie{bid, user} {
				if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure != tc.secure || c.Path != "/app" {
					t.Errorf("%s: HttpOnly %v, SameSite %v, Secure %v, Path %q", c.Name, c.HttpOnly, c.SameSite, c.Secure, c.Path)
				}
			}
			if strings.Contains(w.Body.String(), "tok_secret") {
				t.Error("the token is in the page")
			}
		})
	}
}

func cookieNamed(cs []*http.Cookie, name string) *http.Cookie {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestSignedInAreasNeedTheirCredential(t *testing.T) {
	a := newApp(t)
	b := a.browser()
	for path, signIn := range map[string]string{
		"/app/":          "/app/login?next=%2Fapp%2F",
		"/app/send":      "/app/login?next=%2Fapp%2Fsend",
		"/app/merchant/": "/app/merchant/signin?next=%2Fapp%2Fmerchant%2F",
		"/app/admin/":    "/app/admin/signin?next=%2Fapp%2Fadmin%2F",
	} {
		resp, _ := b.get(path)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != signIn {
			t.Errorf("%s: %d to %q, want %q", path, resp.StatusCode, loc, signIn)
		}
	}
}

func TestExpiredSessionSignsOut(t *testing.T) {
	a := newApp(t)
	b := a.loggedIn()
	a.api.set("GET /v1/me", 401, `{"error":{"code":"unauthenticated","message":"session expired","request_id":"r"}}`)
	resp, _ := b.get("/app/")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/app/login") {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, ok := b.cookies["ew_user"]; ok {
		t.Error("the dead token's cookie stays")
	}
}

// The API is called with a request the app builds: nothing the browser
// sends reaches it but the form's fields, so a page cannot be made to act
// with another credential (Authorization), replay another request
// (Idempotency-Key) or hide its client from the per-IP limits
// (X-Forwarded-For); the API sees the browser's own address.
func TestBrowserHeadersDoNotReachTheAPI(t *testing.T) {
	a := newApp(t)
	b := a.loggedIn()
	csrf, nonce := b.formTokens("/app/send")
	smuggled := http.Header{
		"Authorization":   {"Bearer tok_attacker"},
		"Idempotency-Key": {"chosen-by-browser"},
		"X-Forwarded-For": {"203.0.113.9"},
		"X-Real-Ip":       {"203.0.113.9"},
		"Forwarded":       {"for=203.0.113.9"},
		"X-Request-Id":    {"chosen"},
	}
	b.do("POST", "/app/send", url.Values{"csrf": {csrf}, "nonce": {nonce}, "to": {"+8613800000002"}, "amount": {"1.00"}, "currency": {"CNY"}, "pin": {"730194"}}, smuggled)
	b.do("GET", "/app/", nil, smuggled)
	seen := append(a.api.requests("POST /v1/transfers"), a.api.requests("GET /v1/me")...)
	if len(seen) < 2 {
		t.Fatalf("the app called the API %d times", len(seen))
	}
	for _, s := range seen {
		if s.auth != "Bearer tok_secret" {
			t.Errorf("%s %s: Authorization %q, want the cookie's token", s.method, s.path, s.auth)
		}
		if strings.Contains(s.key, "chosen") {
			t.Errorf("%s %s: the browser chose the Idempotency-Key %q", s.method, s.path, s.key)
		}
		for _, h := range []string{"X-Forwarded-For", "X-Real-Ip", "Forwarded", "X-Request-Id", "Cookie"} {
			if v := s.header.Get(h); v != "" {
				t.Errorf("%s %s: the browser's %s %q reached the API", s.method, s.path, h, v)
			}
		}
		if !strings.HasPrefix(s.remote, "127.0.0.1:") {
			t.Errorf("%s %s: RemoteAddr %q, want the browser's", s.method, s.path, s.remote)
		}
	}
}

// `ewallet serve` speaks plain HTTP, so in production TLS ends at a proxy
// and r.TLS is nil: the cookies holding a session, a merchant's secret key
// and the admin token must still be Secure when the proxy says the browser
// came over HTTPS, and the links the pages hand out must be https.
func TestCookiesSecureBehindTLSProxy(t *testing.T) {
	a := newApp(t)
	b := a.browser()
	https := http.Header{"X-Forwarded-Proto": {"https"}}
	resp, html := b.do("GET", "/app/login", nil, https)
	csrf := csrfRE.FindStringSubmatch(html)[1]
	check := func(resp *http.Response, names ...string) {
		t.Helper()
		for _, n := range names {
			c := cookieNamed(resp.Cookies(), n)
			if c == nil {
				t.Errorf("no %s cookie", n)
			} else if !c.Secure {
				t.Errorf("%s is not Secure behind a TLS proxy", n)
			}
		}
	}
	check(resp, "ew_bid")
	resp, _ = b.do("POST", "/app/login", url.Values{"csrf": {csrf}, "phone": {"+8613800000001"}, "password": {"x"}}, https)
	check(resp, "ew_user")
	if hsts := resp.Header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=") {
		t.Errorf("no HSTS over HTTPS: %q", hsts)
	}

	csrf, _ = b.formTokens("/app/admin/signin")
	resp, _ = b.do("POST", "/app/admin/signin", url.Values{"csrf": {csrf}, "token": {"admin"}}, https)
	check(resp, "ew_admin")
	m := a.browser() // signed out of the wallet: the page's first form is the key's
	csrf, _ = m.formTokens("/app/merchant/signin")
	resp, _ = m.do("POST", "/app/merchant/signin", url.Values{"csrf": {csrf}, "key": {"sk_test"}}, https)
	check(resp, "ew_merchant")

	// Plain HTTP without the proxy's word stays as it was (a laptop, --dev).
	resp, _ = a.browser().get("/app/login")
	if c := cookieNamed(resp.Cookies(), "ew_bid"); c == nil || c.Secure {
		t.Errorf("plain HTTP: ew_bid %+v", c)
	}
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS over plain HTTP")
	}
}

// The merchant's secret key and the admin token are long-lived API
// credentials: their cookies end after a working day, instead of living
// as long as a browser that restores its session keeps them.
func TestCredentialCookiesExpire(t *testing.T) {
	a := newApp(t)
	b := a.browser()
	for _, tc := range []struct {
		page, cookie string
		form         url.Values
	}{
		{"/app/admin/signin", "ew_admin", url.Values{"token": {"admin"}}},
		{"/app/merchant/signin", "ew_merchant", url.Values{"key": {"sk_test"}}},
	} {
		csrf, _ := b.formTokens(tc.page)
		tc.form.Set("csrf", csrf)
		resp, body := b.post(tc.page, tc.form)
		c := cookieNamed(resp.Cookies(), tc.cookie)
		if c == nil {
			t.Fatalf("%s: no %s: %d %s", tc.page, tc.cookie, resp.StatusCode, body)
		}
		if c.Expires.IsZero() || time.Until(c.Expires) > 13*time.Hour {
			t.Errorf("%s expires %v, want within 12 hours", tc.cookie, c.Expires)
		}
	}
}
