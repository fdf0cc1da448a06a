package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/ewallet/ewallet/web"
)

// fakeAPI stands in for the JSON API: canned answers by "METHOD /path"
// (query left out), and a record of what the app sent.
type fakeAPI struct {
	mu      sync.Mutex
	answers map[string]answer
	seen    []seenRequest
}

type answer struct {
	status int
	body   string
}

type seenRequest struct {
	method, path, auth, key, body string
	header                        http.Header // every header the API got
	remote                        string      // the RemoteAddr the API saw
}

// newFakeAPI answers what the signed-in pages read with a small wallet.
func newFakeAPI() *fakeAPI {
	return &fakeAPI{answers: map[string]answer{
		"GET /v1/me": {200, `{"id":"usr_1","wallet_id":"wal_1","phone":"+8613800000001","name":"Ada","status":"active","kyc_tier":1,"pin_set":true,
			"limits":{"per_transaction":{"limit":"5000.00","remaining":"5000.00"},"daily":{"limit":"5000.00","remaining":"5000.00"},
			"yearly":{"limit":"unlimited","remaining":"unlimited"},"lifetime":{"limit":"1000.00","remaining":"1000.00"},"balance_cap":{"limit":"unlimited","remaining":"unlimited"}}}`},
		"GET /v1/me/balances":         {200, `{"data":[{"currency":"CNY","available":"1234.50","pending":"0.00","total":"1234.50"}]}`},
		"GET /v1/me/transactions":     {200, `{"data":[{"id":"txn_1","type":"transfer","direction":"out","amount":"12.34","currency":"CNY","counterparty":{"type":"user","name":"Bob","phone":"+8613800000002"},"balance_after":"1234.50","status":"completed","note":"lunch","created_at":"2026-12-01T10:00:00Z"}],"has_more":false}`},
		"GET /v1/me/cards":            {200, `{"data":[{"id":"crd_1","brand":"visa","last4":"4242","exp_month":12,"exp_year":2030,"holder":"ADA"}],"has_more":false}`},
		"GET /v1/me/sessions":         {404, `{"error":{"code":"not_found","message":"no such route","request_id":"r"}}`},
		"POST /v1/sessions":           {201, `{"token":"tok_secret","expires_at":"2030-01-01T00:00:00Z","user_id":"usr_1"}`},
		"POST /v1/transfers":          {201, `{"id":"txn_2","status":"completed","amount":"1.00","currency":"CNY"}`},
		"GET /v1/merchant":            {200, `{"id":"mch_1","name":"Tea","category":"5812","created_at":"2026-12-01T10:00:00Z"}`},
		"GET /v1/merchant/balances":   {200, `{"data":[]}`},
		"GET /v1/payments":            {200, `{"data":[],"has_more":false}`},
		"GET /v1/admin/ledger/verify": {200, `{"ok":true,"transfers_checked":1,"accounts_checked":2,"chain":"intact","sums":{"CNY":"0.00"}}`},
		"GET /v1/admin/users":         {200, `{"data":[],"has_more":false}`},
	}}
}

func (f *fakeAPI) set(route string, status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[route] = answer{status, body}
}

func (f *fakeAPI) requests(route string) []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []seenRequest
	for _, s := range f.seen {
		if s.method+" "+s.path == route {
			out = append(out, s)
		}
	}
	return out
}

// calls is how many requests the app has sent.
func (f *fakeAPI) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.seen)
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.seen = append(f.seen, seenRequest{r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Idempotency-Key"), string(body), r.Header.Clone(), r.RemoteAddr})
	a, ok := f.answers[r.Method+" "+r.URL.Path]
	f.mu.Unlock()
	if !ok {
		a = answer{404, `{"error":{"code":"not_found","message":"no such route","request_id":"r"}}`}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

// app is the web app on a fake API, served by a test server.
type app struct {
	t   *testing.T
	api *fakeAPI
	srv *httptest.Server
}

func newApp(t *testing.T) *app {
	t.Helper()
	api := newFakeAPI()
	s, err := web.New(web.Deps{API: api})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.Mount(api, s))
	t.Cleanup(srv.Close)
	return &app{t: t, api: api, srv: srv}
}

// browser is a cookie jar that follows no redirects, so tests see each
// answer as the browser gets it.
type browser struct {
	a       *app
	cookies map[string]string
}

func (a *app) browser() *browser { return &browser{a: a, cookies: map[string]string{}} }

func (b *browser) do(method, path string, form url.Values, header http.Header) (*http.Response, string) {
	b.a.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.a.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		b.a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return resp, string(raw)
}

func (b *browser) get(path string) (*http.Response, string) { return b.do("GET", path, nil, nil) }

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	return b.do("POST", path, form, nil)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
var nonceRE = regexp.MustCompile(`name="nonce" value="([^"]+)"`)

// formTokens reads the CSRF token and nonce of the first form of a page.
func (b *browser) formTokens(path string) (csrf, nonce string) {
	b.a.t.Helper()
	_, html := b.get(path)
	m := csrfRE.FindStringSubmatch(html)
	if m == nil {
		b.a.t.Fatalf("no CSRF token on %s", path)
	}
	if n := nonceRE.FindStringSubmatch(html); n != nil {
		nonce = n[1]
	}
	return m[1], nonce
}

// loggedIn is a browser that logged in through the log-in form.
func (a *app) loggedIn() *browser {
	a.t.Helper()
	b := a.browser()
	csrf, _ := b.formTokens("/app/login")
	resp, _ := b.post("/app/login", url.Values{"csrf": {csrf}, "phone": {"+8613800000001"}, "password": {"correct horse battery"}})
	if resp.StatusCode != http.StatusSeeOther || b.cookies["ew_user"] != "tok_secret" {
		a.t.Fatalf("log-in: %d, cookies %v", resp.StatusCode, b.cookies)
	}
	return b
}
