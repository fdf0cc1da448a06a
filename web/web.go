// Package web is ewallet's browser app: the wallet for holders, the
// merchant console and the operator console, served by `ewallet serve`
// under /app/ on the same origin as the JSON API.
//
// The pages hold no rules of their own. Every read and every change goes
// through the JSON API handler, called in-process with the token kept in
// an HttpOnly cookie (apicall.go), so each limit, check and error code
// comes from the API exactly as the contract states it; this package turns
// the answers into HTML and the error codes into translated messages next
// to the field they concern.
package web

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Deps are what the web app is built from.
type Deps struct {
	// API is the JSON API's handler (api.New), called in-process.
	API http.Handler
	// Secret keys the CSRF tokens and the idempotency keys derived from
	// form nonces. Nil: a random key per process (open forms then expire
	// at a restart, which is harmless).
	Secret []byte
	// Dev shows the sandbox's hints (test cards) on the pages.
	Dev bool
	// Location is the time zone times are shown in (default Asia/Shanghai,
	// the operator's default day boundary in the contract).
	Location *time.Location
	Log      *slog.Logger
}

// Server serves the pages of routes.go.
type Server struct {
	Deps
	mux     *http.ServeMux
	pages   map[string]*page
	msgs    map[string]catalog // by language tag
	assetV  string             // content hash of static/, for cache busting
	started time.Time
}

// New returns the web app's handler for /app/.
func New(d Deps) (*Server, error) {
	if d.API == nil {
		return nil, fmt.Errorf("web: no API handler")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if len(d.Secret) == 0 {
		d.Secret = make([]byte, 32)
		rand.Read(d.Secret)
	}
	if d.Location == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			loc = time.FixedZone("CST", 8*3600)
		}
		d.Location = loc
	}
	msgs, err := loadCatalogs()
	if err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{Deps: d, mux: http.NewServeMux(), pages: pages, msgs: msgs, assetV: assetVersion(), started: time.Now()}
	s.mount()
	return s, nil
}

// ServeHTTP serves one request of the app with the security headers every
// answer carries.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if overTLS(r) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.mux.ServeHTTP(w, r)
}

// Mount sends /app/... to app, redirects GET / there, and sends everything
// else to api: the one handler `ewallet serve` listens with. Other methods
// on / stay the API's (its JSON 404), as the contract says of unknown routes.
func Mount(api, app http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case (p == "/" || p == "/app") && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			setSecurityHeaders(w.Header())
			http.Redirect(w, r, "/app/", http.StatusFound)
		case len(p) >= 5 && p[:5] == "/app/":
			app.ServeHTTP(w, r)
		default:
			api.ServeHTTP(w, r)
		}
	})
}
