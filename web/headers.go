package web

import "net/http"

// contentSecurityPolicy allows nothing inline: no <script> bodies, no
// style= attributes, no event handler attributes, no data: images. Scripts,
// styles, images and fetches come from this origin only, forms post only
// here and no other site may frame the pages (clickjacking).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; media-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; " +
	"base-uri 'none'; object-src 'none'"

// setSecurityHeaders sets what every answer of the app carries.
func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	// The camera is for scanning payment codes on this origin only.
	h.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}
