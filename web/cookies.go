package web

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// The app's cookies. Every one is HttpOnly (no script can read a token),
// SameSite=Strict (no other site's page sends them along), Secure when
// the browser came over HTTPS (overTLS), and scoped to /app so the JSON
// API never sees them.
const (
	cookieUser     = "ew_user"     // a holder's session token
	cookieMerchant = "ew_merchant" // a merchant's secret key (sk_…)
	cookieAdmin    = "ew_admin"    // the operator's admin token
	cookieBrowser  = "ew_bid"      // a random ID the CSRF token of anonymous forms binds to
	cookieLang     = "ew_lang"     // the chosen language
	cookiePath     = "/app"
)

// credentialLife bounds how long the merchant's secret key and the admin
// token stay in a browser: they are long-lived API credentials, and a
// cookie without an end lives as long as a browser that restores its
// session keeps it.
const credentialLife = 12 * time.Hour

// overTLS reports whether the browser reached us over HTTPS: directly, or
// through the TLS-terminating proxy `ewallet serve` runs behind in
// production (it speaks plain HTTP), which says so in X-Forwarded-Proto.
// Trusting the header costs nothing here: it only adds Secure to cookies
// (a browser on plain HTTP then drops them, which only signs out the one
// who forged it) and makes links https.
func overTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

// setCookie sets one of the app's cookies; expires zero makes it last
// for the browser's session.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: cookiePath, Expires: expires,
		HttpOnly: true, Secure: overTLS(r), SameSite: http.SameSiteStrictMode,
	})
}

// clearCookie removes one of the app's cookies.
func clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: "", Path: cookiePath, MaxAge: -1,
		HttpOnly: true, Secure: overTLS(r), SameSite: http.SameSiteStrictMode,
	})
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
