package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

const (
	sweepInterval   = time.Second      // how often expired holds are released
	shutdownTimeout = 10 * time.Second // for requests in flight at shutdown
)

// runServe is `ewallet serve`: it opens the database, starts the ledger and
// its hold sweeper, and serves HTTP until ctx ends, then shuts down in
// order: HTTP server, ledger, database.
func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "serve", "[--addr HOST:PORT] [--data DIR | --db postgres://...] [--dev] [--admin-token TOKEN]")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	sf := addStoreFlags(fs, e.getenv)
	dev := fs.Bool("dev", false, "sandbox mode of shared/API.md (SMS outbox, sandbox bank, loopback webhooks); its features come with the API")
	adminToken := fs.String("admin-token", e.getenv("EWALLET_ADMIN_TOKEN"), "bearer token of the operator endpoints /v1/admin/... (env EWALLET_ADMIN_TOKEN)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(e.stderr, nil))

	db, desc, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err := db.Close(); err != nil {
			log.Error("close database", "err", err)
		}
	}()
	log.Info("database open", "db", desc)
	if *adminToken == "" {
		log.Warn("no admin token: the /v1/admin endpoints answer 401; set --admin-token or EWALLET_ADMIN_TOKEN")
	}
	if *dev {
		log.Warn("dev mode: sandbox mode requested; no sandbox features exist yet")
	}

	l := ledger.New(db, ledger.Options{})
	defer l.Close()
	sweepCtx, stopSweep := context.WithCancel(ctx)
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		l.RunSweeper(sweepCtx, sweepInterval, func(err error) { log.Error("expire holds", "err", err) })
	}()
	defer func() { stopSweep(); <-swept }()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           newServer(log, db, l, *adminToken),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(e.stdout, "listening on http://%s\n", ln.Addr())
	log.Info("listening", "addr", ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	// The deferred calls stop the sweeper, then the ledger (which finishes
	// the transfers queued), then close the database.
	return nil
}

// pinger is the database check behind /readyz.
type pinger interface {
	Ping(ctx context.Context) error
}

// newServer returns the HTTP handler of the server. Every route is listed
// here; each answer carries an X-Request-Id and is logged.
func newServer(log *slog.Logger, db pinger, l *ledger.Ledger, adminToken string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", handleHealthz())
	mux.Handle("GET /readyz", handleReadyz(db))
	mux.Handle("GET /v1/admin/ledger/verify", requireAdmin(adminToken, handleVerify(log, l)))
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, http.StatusNotFound, "not_found", "no such route")
	}))
	return withRequest(log, mux)
}

func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// readyTimeout bounds the database ping of /readyz.
const readyTimeout = 2 * time.Second

func handleReadyz(db pinger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			writeError(w, r, http.StatusServiceUnavailable, "unavailable", "the database does not answer")
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// verifyResponse is the body of GET /v1/admin/ledger/verify (API.md, Operator).
type verifyResponse struct {
	OK               bool              `json:"ok"`
	TransfersChecked int64             `json:"transfers_checked"`
	AccountsChecked  int64             `json:"accounts_checked"`
	Chain            string            `json:"chain"`
	Sums             map[string]string `json:"sums"`
	Problem          *verifyProblem    `json:"problem,omitempty"`
}

type verifyProblem struct {
	Invariant string `json:"invariant"`
	Table     string `json:"table"`
	Row       string `json:"row"`
	Message   string `json:"message"`
}

func handleVerify(log *slog.Logger, l *ledger.Ledger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep, err := l.Verify(r.Context())
		if err != nil {
			log.Error("verify ledger", "err", err, "request_id", requestID(r))
			writeError(w, r, http.StatusInternalServerError, "internal", "internal error")
			return
		}
		resp := verifyResponse{OK: rep.OK, TransfersChecked: rep.TransfersChecked, AccountsChecked: rep.AccountsChecked, Chain: rep.Chain, Sums: map[string]string{}}
		for cur, sum := range rep.Sums {
			resp.Sums[string(cur)] = money.Format(sum, cur)
		}
		if p := rep.Problem; p != nil {
			resp.Problem = &verifyProblem{Invariant: p.Invariant, Table: p.Table, Row: p.Row, Message: p.Message}
			log.Error("ledger verification failed", "problem", p.String(), "request_id", requestID(r))
		}
		writeJSON(w, http.StatusOK, resp)
	})
}

// requireAdmin lets through requests bearing the operator's token. With no
// token configured nobody is the operator.
func requireAdmin(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			writeError(w, r, http.StatusUnauthorized, "unauthenticated", "missing or invalid admin token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

type requestIDKey struct{}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey{}).(string)
	return id
}

// statusWriter remembers the status for the request log.
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

// withRequest gives every request a fresh ID (in X-Request-Id and in its
// context) and logs it when answered. Probes log at debug level so that a
// load balancer polling them does not flood the log.
func withRequest(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [12]byte
		rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		next.ServeHTTP(sw, r)
		level := slog.LevelInfo
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			level = slog.LevelDebug
		}
		log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "took", time.Since(start), "request_id", id)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do then
}

// writeError writes API.md's error body; its request_id is the request's.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	type body struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	}
	writeJSON(w, status, map[string]body{"error": {Code: code, Message: message, RequestID: requestID(r)}})
}
