// Package api is ewallet's HTTP JSON interface (shared/API.md). Handlers
// decode, call one service method and encode; the rules live in the
// services. routes.go lists every route.
package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/merchant"
	"github.com/ewallet/ewallet/notify"
	"github.com/ewallet/ewallet/purse"
	"github.com/ewallet/ewallet/receipt"
	"github.com/ewallet/ewallet/wallet"
	"github.com/ewallet/ewallet/webhook"
)

// Pinger is the database check behind /readyz.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Outbox lists the SMS the sandbox gateway kept (--dev only).
type Outbox interface {
	Messages(phone string) []notify.Message
}

// Deps are what the HTTP API is built from.
type Deps struct {
	Wallet     *wallet.Service
	Ledger     *ledger.Ledger
	DB         Pinger
	AdminToken string
	Dev        bool
	Outbox     Outbox // nil unless Dev
	Log        *slog.Logger
	Metrics    *Metrics // nil: no /metrics
	// IPLimit bounds the unauthenticated routes per client IP.
	IPLimit RateLimit
	// Merchants serves the merchant routes (nil: they answer 404).
	Merchants *merchant.Service
	// Webhooks serves the webhook routes (with Merchants).
	Webhooks *webhook.Service
	// ReceiptKeys checks receipts and publishes their public keys.
	ReceiptKeys *receipt.Verifier
	// Purse serves the e-purse routes (nil: they answer 404).
	Purse *purse.Service
	// BankCallbacks receives the bank connector's callbacks (nil: 404).
	BankCallbacks BankCallbacks
	// Reconciliations serves the reconciliation reports (nil: none).
	Reconciliations Reconciliations
}

// API serves the routes of routes.go.
type API struct {
	Deps
	mux     *http.ServeMux
	ipLimit *ipLimiter
	// adminFails bounds wrong admin tokens per client IP, so the operator
	// token cannot be guessed at the network's speed.
	adminFails *ipLimiter
}

// New returns the HTTP handler of the whole API.
func New(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	a := &API{Deps: d, mux: http.NewServeMux(), ipLimit: newIPLimiter(d.IPLimit),
		adminFails: newIPLimiter(adminFailLimit)}
	a.mount()
	return a.withRequest(http.HandlerFunc(a.route))
}

// route hands a request to the mux, answering a path that is not in
// clean form (//x, /./x, /x/) with the JSON 404 itself: the mux would
// answer it with a redirect.
func (a *API) route(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; p == "" || p[0] != '/' || path.Clean(p) != p {
		setRoute(r, "unknown")
		a.fail(&call{w: w, r: r}, errNoRoute)
		return
	}
	a.mux.ServeHTTP(w, r)
}

var errNoRoute = wallet.Errorf(wallet.CodeNotFound, "no such route")

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyRoute
)

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(keyRequestID).(string)
	return id
}

// call is one authenticated request.
type call struct {
	w        http.ResponseWriter
	r        *http.Request
	user     wallet.User       // for user routes
	session  wallet.Session    // for user routes
	merchant merchant.Merchant // for merchant routes
}

func (c *call) ctx() context.Context { return c.r.Context() }

func (c *call) client() wallet.Client {
	ip, _, err := net.SplitHostPort(c.r.RemoteAddr)
	if err != nil {
		ip = c.r.RemoteAddr
	}
	return wallet.Client{IP: ip, RequestID: requestID(c.r), UserAgent: c.r.UserAgent()}
}

// fail writes an error answer, logging the ones that have no code.
func (a *API) fail(c *call, err error) {
	status, body := renderError(err, requestID(c.r))
	if status == http.StatusInternalServerError {
		a.Log.ErrorContext(c.ctx(), "internal error", "err", err, "request_id", requestID(c.r), "path", c.r.URL.Path)
	}
	writeRaw(c.w, status, body)
}

// authUser resolves the bearer token to a user session.
func (a *API) authUser(r *http.Request) (wallet.Session, wallet.User, error) {
	tok, ok := bearer(r)
	if !ok {
		return wallet.Session{}, wallet.User{}, wallet.Errorf(wallet.CodeUnauthenticated, "missing bearer token")
	}
	return a.Wallet.Authenticate(r.Context(), tok)
}

func bearer(r *http.Request) (string, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return tok, ok && tok != ""
}

// isAdmin checks the operator's token. With none configured nobody is.
// isAdmin compares digests, not the tokens: ConstantTimeCompare returns at
// once on a length mismatch, which would tell a guesser the token's length.
func (a *API) isAdmin(r *http.Request) bool {
	tok, ok := bearer(r)
	if !ok || a.AdminToken == "" {
		return false
	}
	got, want := sha256.Sum256([]byte(tok)), sha256.Sum256([]byte(a.AdminToken))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// statusWriter remembers the status for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// withRequest gives every request a fresh ID (X-Request-Id and context),
// recovers panics as 500s, and logs and measures the answer.
func (a *API) withRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [12]byte
		rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		w.Header().Set("X-Request-Id", id)
		route := new(string)
		ctx := context.WithValue(context.WithValue(r.Context(), keyRequestID, id), keyRoute, route)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				a.Log.ErrorContext(ctx, "panic", "panic", p, "request_id", id, "path", r.URL.Path)
				if sw.status == 0 {
					a.fail(&call{w: sw, r: r}, errPanic)
				}
			}
			took := time.Since(start)
			if a.Metrics != nil {
				a.Metrics.observe(*route, sw.status, took)
			}
			level := slog.LevelInfo
			if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
				level = slog.LevelDebug
			}
			a.Log.Log(ctx, level, "request", "method", r.Method, "route", *route, "status", sw.status, "took", took, "request_id", id)
		}()
		next.ServeHTTP(sw, r)
	})
}

type panicError struct{}

func (panicError) Error() string { return "panic in handler" }

var errPanic error = panicError{}

// newID is 24 random lower-case base32 characters.
func newID() string {
	var b [15]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}
