package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ewallet/ewallet/web"
)

func TestFormatMoney(t *testing.T) {
	for _, tc := range []struct{ amount, currency, want string }{
		{"0.00", "CNY", "¥0.00"},
		{"12.34", "CNY", "¥12.34"},
		{"1234567.89", "CNY", "¥1,234,567.89"},
		{"1000", "JPY", "JP¥1,000"},
		{"999.99", "USD", "$999.99"},
		{"1200", "PTS", "1,200 PTS"},
		{"-5.00", "CNY", "-¥5.00"},
		{"0", "CNY", "¥0.00"}, // the app's own zero, shown with the currency's decimals
		{"12.345", "CNY", "12.345 CNY"},
		{"1.00", "XXX", "1.00 XXX"},
	} {
		if got := web.FormatMoney(tc.amount, tc.currency); got != tc.want {
			t.Errorf("FormatMoney(%q, %q) = %q, want %q", tc.amount, tc.currency, got, tc.want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"/app/send":            "/app/send",
		"/app/pay?qr=000201":   "/app/pay?qr=000201",
		"":                     "/app/",
		"https://evil.example": "/app/",
		"//evil.example/app/":  "/app/",
		"/v1/me":               "/app/",
		"/app/\\evil":          "/app/",
		// Only paths of the app: no way out of /app/ by dot segments,
		// and nothing a browser strips (tab, newline) before parsing.
		"/app/../v1/me":           "/app/",
		"/app/%2e%2e/v1/me":       "/app/",
		"/app/..":                 "/app/",
		"/app/../\t/evil.example": "/app/",
		"/app/\t/x":               "/app/",
		"/app/history?q=a/../b":   "/app/history?q=a/../b",
		"/app/merchant/webhooks":  "/app/merchant/webhooks",
	} {
		if got := web.SafeNext(next, "/app/"); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"13800000001":     "+8613800000001",
		"138 0000 0001":   "+8613800000001",
		"+8613800000001":  "+8613800000001",
		"+1 415-555-0100": "+14155550100",
		"12345":           "12345", // the API judges it
	} {
		if got := web.NormalizePhone(in); got != want {
			t.Errorf("NormalizePhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseExpiry(t *testing.T) {
	for _, tc := range []struct {
		in          string
		month, year int
		ok          bool
	}{
		{"12/30", 12, 2030, true}, {"01/2031", 1, 2031, true}, {" 3 / 29", 3, 2029, true},
		{"13/30", 0, 0, false}, {"1230", 0, 0, false}, {"ab/cd", 0, 0, false},
	} {
		m, y, ok := web.ParseExpiry(tc.in)
		if ok != tc.ok || ok && (m != tc.month || y != tc.year) {
			t.Errorf("ParseExpiry(%q) = %d, %d, %v", tc.in, m, y, ok)
		}
	}
}

func TestScale(t *testing.T) {
	for _, tc := range []struct {
		v, max int64
		size   int
		want   int
	}{
		{0, 100, 130, 0}, {50, 100, 130, 65}, {100, 100, 130, 130},
		{999_999_999_999_999_999, 999_999_999_999_999_999, 130, 130}, // no overflow
		{1, 999_999_999_999_999_999, 130, 0},
		{5, 0, 130, 0},
	} {
		if got := web.Scale(tc.v, tc.max, tc.size); got != tc.want {
			t.Errorf("Scale(%d, %d, %d) = %d, want %d", tc.v, tc.max, tc.size, got, tc.want)
		}
	}
}

func TestMount(t *testing.T) {
	apiHit := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) })
	appHit := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(298) })
	h := web.Mount(apiHit, appHit)
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/", http.StatusFound}, {"GET", "/app", http.StatusFound}, {"POST", "/", 299},
		{"GET", "/app/", 298}, {"POST", "/app/send", 298}, {"GET", "/v1/me", 299}, {"GET", "/healthz", 299}, {"GET", "/application", 299},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		if w.Code != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, w.Code, tc.status)
		}
		if w.Code == http.StatusFound && w.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("%s %s: the redirect has no CSP", tc.method, tc.path)
		}
	}
}

// A page shown in answer to a POST links the language switch to a page
// that exists.
func TestLanguageLinkAfterPost(t *testing.T) {
	a := newApp(t)
	b := a.loggedIn()
	a.api.set("POST /v1/transfers", 422, `{"error":{"code":"insufficient_funds","message":"x","request_id":"r"}}`)
	a.api.set("PUT /v1/me/pin", 400, `{"error":{"code":"weak_pin","message":"x","request_id":"r"}}`)
	for path, want := range map[string]string{"/app/send": `href="/app/send?lang=zh-CN"`, "/app/security/pin": `href="/app/?lang=zh-CN"`} {
		csrf, nonce := b.formTokens("/app/security")
		_, page := b.post(path, url.Values{"csrf": {csrf}, "nonce": {nonce}, "pin": {"123456"}, "amount": {"1"}})
		if !strings.Contains(page, want) {
			t.Errorf("after POST %s: no %s", path, want)
		}
	}
}
