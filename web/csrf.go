package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
)

// csrfToken is the token every state-changing form of area carries: an
// HMAC, under the server's secret, of the browser's random ID and the
// credential that area acts with (the session token, the merchant key or
// the admin token). Another site can neither read it (the cookies are
// HttpOnly and SameSite=Strict) nor compute it, and it changes with every
// log-in, so a token seen in one session is worthless in the next.
func (s *Server) csrfToken(q *req, a area) string {
	mac := hmac.New(sha256.New, s.Secret)
	mac.Write([]byte("csrf\x00" + a.String() + "\x00" + q.browserID + "\x00" + q.credential(a)))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// checkCSRF reports whether a POST may change anything: it carries the
// area's token, and when the browser says where it comes from, it comes
// from this origin.
func (s *Server) checkCSRF(q *req, a area) bool {
	if !sameOrigin(q.r) {
		return false
	}
	got := q.r.PostFormValue("csrf")
	return got != "" && hmac.Equal([]byte(got), []byte(s.csrfToken(q, a)))
}

// sameOrigin is false when Sec-Fetch-Site or Origin name another site.
// Browsers that send neither are judged by the token alone.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o) // "null" (a sandboxed or privacy-sensitive context) has no host: refused
	return err == nil && u.Host == r.Host
}

// idempotencyKey is the API's Idempotency-Key for a form: derived from the
// nonce the form was rendered with, so a second submit of the same form
// (a double click, a reload that re-posts) is the same request to the API
// and moves money once; every freshly rendered form has a new nonce.
func (s *Server) idempotencyKey(q *req, nonce string) string {
	if nonce == "" {
		nonce = randomHex(16) // a form without one: no double-submit guard, still one key per request
	}
	mac := hmac.New(sha256.New, s.Secret)
	mac.Write([]byte("idem\x00" + nonce))
	return "web-" + hex.EncodeToString(mac.Sum(nil)[:16])
}
