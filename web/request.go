package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// area is a part of the app, by who acts in it and with which credential.
type area int

const (
	public   area = iota // anyone: sign-up, log-in, sign-in pages
	holder               // a wallet holder's session (ew_user)
	merchant             // a merchant's secret key (ew_merchant)
	operator             // the admin token (ew_admin)
)

func (a area) String() string {
	return [...]string{"public", "holder", "merchant", "operator"}[a]
}

// signIn is where an area sends a visitor without its credential.
func (a area) signIn() string {
	return [...]string{"/app/login", "/app/login", "/app/merchant/signin", "/app/admin/signin"}[a]
}

// home is the area's first page.
func (a area) home() string {
	return [...]string{"/app/login", "/app/", "/app/merchant/", "/app/admin/"}[a]
}

// req is one request to the app: who sent it and in what language.
type req struct {
	s         *Server
	w         http.ResponseWriter
	r         *http.Request
	area      area
	lang      string
	browserID string
	user      string // the holder's session token, if any
	merchant  string // the merchant's secret key, if any
	admin     string // the admin token, if any
}

// newReq reads the cookies of r, gives the browser its random ID on the
// first visit, and remembers a language chosen with ?lang=.
func (s *Server) newReq(w http.ResponseWriter, r *http.Request, a area) *req {
	q := &req{s: s, w: w, r: r, area: a,
		user: cookieValue(r, cookieUser), merchant: cookieValue(r, cookieMerchant), admin: cookieValue(r, cookieAdmin),
		browserID: cookieValue(r, cookieBrowser)}
	if len(q.browserID) != 32 {
		q.browserID = randomHex(16)
		setCookie(w, r, cookieBrowser, q.browserID, time.Now().AddDate(1, 0, 0))
	}
	lang, fromQuery := pickLanguage(r)
	q.lang = lang
	if fromQuery {
		setCookie(w, r, cookieLang, lang, time.Now().AddDate(1, 0, 0))
	}
	return q
}

// credential is the token the area acts with.
func (q *req) credential(a area) string {
	switch a {
	case holder:
		return q.user
	case merchant:
		return q.merchant
	case operator:
		return q.admin
	}
	return ""
}

// setUser, setMerchant and setAdmin keep a new credential in its cookie
// and in q, so that a page rendered in the same answer carries forms
// that its CSRF check accepts.
func (q *req) setUser(token string, expires time.Time) {
	q.user = token
	setCookie(q.w, q.r, cookieUser, token, expires)
}

func (q *req) setMerchant(key string) {
	q.merchant = key
	setCookie(q.w, q.r, cookieMerchant, key, time.Now().Add(credentialLife))
}

func (q *req) setAdmin(token string) {
	q.admin = token
	setCookie(q.w, q.r, cookieAdmin, token, time.Now().Add(credentialLife))
}

// forget drops the area's credential (a log-out, or a token the API no
// longer accepts).
func (q *req) forget(a area) {
	name := map[area]string{holder: cookieUser, merchant: cookieMerchant, operator: cookieAdmin}[a]
	if name == "" {
		return
	}
	clearCookie(q.w, q.r, name)
	switch a {
	case holder:
		q.user = ""
	case merchant:
		q.merchant = ""
	case operator:
		q.admin = ""
	}
}

// T is a message in the request's language.
func (q *req) T(key string, args ...string) string { return q.s.msgs[q.lang].text(key, args...) }

// redirect answers a POST (or a GET that needs another page) with 303 See
// Other, so that a reload shows the page instead of posting again.
func (q *req) redirect(path string) { http.Redirect(q.w, q.r, path, http.StatusSeeOther) }

// toSignIn sends a visitor without credential to the area's sign-in page,
// which brings them back here afterwards.
func (q *req) toSignIn() {
	next := q.r.URL.Path
	if q.r.Method == http.MethodGet && q.r.URL.RawQuery != "" {
		next += "?" + q.r.URL.RawQuery
	}
	q.redirect(q.area.signIn() + "?next=" + url.QueryEscape(next))
}

// safeNext is a ?next= target if it is a path of this app, else def: an
// open redirect to another site would turn the log-in page into a
// phishing aid. The path must stay under /app/ as a browser reads it: no
// backslash (a slash to a browser), no control character (tabs and
// newlines it strips), no dot segment, percent-encoded or not.
func safeNext(next, def string) string {
	if !strings.HasPrefix(next, "/app/") || strings.ContainsAny(next, "\\") {
		return def
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f {
			return def
		}
	}
	p := next
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	for _, seg := range strings.Split(p, "/") {
		if u, err := url.PathUnescape(seg); err != nil || u == "." || u == ".." {
			return def
		}
	}
	return next
}

// form returns a posted field, trimmed.
func (q *req) form(name string) string { return strings.TrimSpace(q.r.PostFormValue(name)) }
