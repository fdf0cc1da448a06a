// Package bench runs the workloads of shared/BENCH.md against the ledger and
// measures them: committed transfers per second, per-call latency
// percentiles, errors by ledger code, peak memory, and, for context, the
// disk's fsync rate and PostgreSQL's pgbench TPS. Every run starts from a
// fresh database and ends with ledger.Verify. `ewallet bench` is its
// command line. The HTTP level (http.go, mixed.go) drives a separate
// `ewallet serve --dev` process through the API.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/ewallet/ewallet/ledger"
)

// Workload names one of BENCH.md's workloads.
type Workload string

// The workloads of BENCH.md.
const (
	W1 Workload = "W1" // p2p-uniform: transfers between random distinct users
	W2 Workload = "W2" // merchant-hotspot: every transfer pays one merchant
	W3 Workload = "W3" // batch: W1's transfers submitted 100 at a time
	W4 Workload = "W4" // mixed: payments, P2P, top-ups and reads (HTTP level only)
)

// Title is the workload's short name from BENCH.md.
func (w Workload) Title() string {
	switch w {
	case W1:
		return "p2p-uniform"
	case W2:
		return "merchant-hotspot"
	case W3:
		return "batch"
	case W4:
		return "mixed"
	}
	return "unknown"
}

// DefaultCallers is BENCH.md's concurrency for the workload: 8 for W3, 64
// for the others.
func (w Workload) DefaultCallers() int {
	if w == W3 {
		return 8
	}
	return 64
}

func (w Workload) check() error {
	switch w {
	case W1, W2, W3, W4:
		return nil
	}
	return fmt.Errorf("unknown workload %q (want W1, W2, W3 or W4)", string(w))
}

// ParseWorkloads parses a comma-separated list such as "W1,W2". Every name
// must be one of BENCH.md's workloads (whether it runs at a level is
// Config.Validate's call); an empty list is an error.
func ParseWorkloads(s string) ([]Workload, error) {
	var out []Workload
	for _, f := range strings.Split(s, ",") {
		w := Workload(strings.TrimSpace(f))
		if err := w.check(); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// Level is where the workload calls in: the engine in-process, or the HTTP
// API of a running server.
type Level string

// The levels of BENCH.md.
const (
	LevelEngine Level = "engine"
	LevelHTTP   Level = "http"
)

// Backend is the storage a run uses.
type Backend string

// The backends.
const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// ErrNotImplemented is wrapped by the errors for workloads and levels that
// do not exist yet, so a run never silently measures something else.
var ErrNotImplemented = errors.New("not implemented yet")

// Config is one workload run.
type Config struct {
	Workload Workload
	Level    Level
	Backend  Backend
	// DB is the PostgreSQL server (Backend postgres): each run creates its own
	// database there and drops it afterwards.
	DB string
	// DataDir holds the SQLite database of each run (removed afterwards) and
	// the fsync probe's file. Put it on the disk under test, not on tmpfs.
	DataDir string
	// Callers is the number of concurrent callers; 0 means the workload's default.
	Callers int
	// Users is the number of funded user accounts (at least 2).
	Users    int
	Duration time.Duration
	// FsyncProbe is how long the fsync probe runs (default 1s).
	FsyncProbe time.Duration
	// URL is a running server for the HTTP level (started with --dev and
	// AdminToken); empty: Run starts `ServerBinary serve --dev` itself.
	URL          string
	AdminToken   string
	ServerBinary string // default: this executable
	// Progress receives one line per phase; nil discards them.
	Progress io.Writer
}

// Validate reports the first problem with c.
func (c Config) Validate() error {
	if err := c.Workload.check(); err != nil {
		return err
	}
	switch c.Level {
	case LevelEngine:
		if c.Workload == W4 {
			// The mix is payments, top-ups and reads as the API has them; the
			// ledger alone has none of those, so there is nothing honest to run.
			return fmt.Errorf("workload W4 (mixed) at the engine level: %w (it runs at --level http)", ErrNotImplemented)
		}
	case LevelHTTP:
		if c.Workload == W3 {
			return errors.New("W3 (batch) has no HTTP form: the API takes one transfer per call")
		}
	default:
		return fmt.Errorf("unknown level %q (want engine or http)", string(c.Level))
	}
	switch c.Backend {
	case SQLite:
		if c.DB != "" {
			return errors.New("a database URL is for the postgres backend; sqlite uses the data directory")
		}
	case Postgres:
		if !IsPostgresURL(c.DB) {
			return fmt.Errorf("the postgres backend needs a postgres:// server URL, not %q", redact(c.DB))
		}
	default:
		return fmt.Errorf("unknown backend %q (want sqlite or postgres)", string(c.Backend))
	}
	switch {
	case c.DataDir == "":
		return errors.New("no data directory")
	case c.Callers < 0:
		return fmt.Errorf("callers must be positive, not %d", c.Callers)
	case c.Users < 2:
		return fmt.Errorf("users must be at least 2, not %d", c.Users)
	case c.Duration <= 0:
		return fmt.Errorf("duration must be positive, not %s", c.Duration)
	}
	return nil
}

// Result is one workload run, shaped as BENCH.md's JSON line.
type Result struct {
	Workload   Workload         `json:"workload"`
	Level      Level            `json:"level"`
	Backend    Backend          `json:"backend"`
	Callers    int              `json:"callers"`
	Seconds    float64          `json:"seconds"`   // measured, from the first call to the last answer
	Transfers  int64            `json:"transfers"` // committed
	TPS        float64          `json:"tps"`       // committed transfers per second
	P50ms      float64          `json:"p50_ms"`    // per call (W3: per batch of 100)
	P95ms      float64          `json:"p95_ms"`
	P99ms      float64          `json:"p99_ms"`
	Errors     map[string]int64 `json:"errors"`       // refused transfers by ledger code
	RSSMB      float64          `json:"rss_mb"`       // peak resident memory of this process during the run
	FsyncsPerS float64          `json:"fsyncs_per_s"` // 4 KiB append+fsync on DataDir's disk
	Verify     string           `json:"verify"`       // "ok" or "failed"
	Problem    string           `json:"problem,omitempty"`
	PgbenchTPS *float64         `json:"pgbench_tps,omitempty"` // set by the caller on postgres
	// Ops breaks W4's operations down by kind (payment, p2p, topup, read, and
	// a payment's two requests as payment_create and payment_pay).
	Ops map[string]OpStats `json:"ops,omitempty"`
	// Money is W4's exact money check.
	Money *MixMoney `json:"money,omitempty"`
}

// OpStats is one kind of operation of a mixed run: how many were made, how
// many succeeded (for money movements: committed), and their latency.
type OpStats struct {
	Calls int64   `json:"calls"`
	OK    int64   `json:"ok"`
	P50ms float64 `json:"p50_ms"`
	P95ms float64 `json:"p95_ms"`
	P99ms float64 `json:"p99_ms"`
}

// VerifyError is returned by Run when the ledger fails verification after
// the workload: the engine lost or created money, or broke its journal.
type VerifyError struct{ Problem *ledger.Violation }

func (e *VerifyError) Error() string { return "ledger verification failed: " + e.Problem.String() }

// Run runs one workload on a fresh database and verifies the ledger
// afterwards. When verification fails it returns the Result (Verify
// "failed") together with a *VerifyError.
func Run(ctx context.Context, c Config) (Result, error) {
	if err := c.Validate(); err != nil {
		return Result{}, err
	}
	if c.Callers == 0 {
		c.Callers = c.Workload.DefaultCallers()
	}
	if c.FsyncProbe <= 0 {
		c.FsyncProbe = time.Second
	}
	logf := func(format string, args ...any) {
		if c.Progress != nil {
			fmt.Fprintf(c.Progress, "%s %s: "+format+"\n", append([]any{c.Workload, c.Backend}, args...)...)
		}
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return Result{}, fmt.Errorf("create data directory: %w", err)
	}
	fsyncs, err := FsyncRate(c.DataDir, c.FsyncProbe)
	if err != nil {
		return Result{}, err
	}
	logf("%.0f fsyncs/s on %s", fsyncs, c.DataDir)

	if c.Level == LevelHTTP {
		return runHTTP(ctx, c, fsyncs, logf)
	}
	store, drop, err := freshStore(ctx, c)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		if err := drop(); err != nil {
			logf("cleanup: %v", err)
		}
	}()
	if !ResetPeakRSS() {
		logf("cannot reset the peak RSS: rss_mb is the process's peak so far")
	}
	l := ledger.New(store, ledger.Options{})
	defer l.Close()

	start := time.Now()
	accts, err := setup(ctx, l, c.Workload, c.Users)
	if err != nil {
		return Result{}, err
	}
	logf("%d users funded in %.2fs; %d callers for %s", c.Users, time.Since(start).Seconds(), c.Callers, c.Duration)

	st, elapsed, err := drive(ctx, l, accts, c)
	if err != nil {
		return Result{}, err
	}
	l.Close()
	rss, err := PeakRSS()
	if err != nil {
		return Result{}, err
	}
	logf("%d transfers committed; verifying the ledger", st.ok)

	start = time.Now()
	rep, err := ledger.Verify(ctx, store)
	if err != nil {
		return Result{}, fmt.Errorf("verify: %w", err)
	}
	logf("verified %d transfers in %.1fs: ok=%t", rep.TransfersChecked, time.Since(start).Seconds(), rep.OK)
	r := Result{
		Workload:   c.Workload,
		Level:      c.Level,
		Backend:    c.Backend,
		Callers:    c.Callers,
		Seconds:    round(elapsed.Seconds(), 2),
		Transfers:  st.ok,
		TPS:        round(float64(st.ok)/elapsed.Seconds(), 1),
		P50ms:      ms(st.lat.Percentile(50)),
		P95ms:      ms(st.lat.Percentile(95)),
		P99ms:      ms(st.lat.Percentile(99)),
		Errors:     st.errs,
		RSSMB:      round(float64(rss)/(1<<20), 1),
		FsyncsPerS: math.Round(fsyncs),
		Verify:     "ok",
	}
	if !rep.OK {
		r.Verify, r.Problem = "failed", rep.Problem.String()
		return r, &VerifyError{Problem: rep.Problem}
	}
	return r, nil
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}
