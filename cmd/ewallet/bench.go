package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ewallet/ewallet/internal/bench"
)

// defaultBenchDB is the PostgreSQL server the postgres backend uses unless
// --db names another; each run creates and drops its own database there.
const defaultBenchDB = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// pgbenchClients is BENCH.md's `pgbench -c 64 -j 2`.
const pgbenchClients = 64

// benchPlan is a parsed `ewallet bench` command line.
type benchPlan struct {
	runs    []bench.Config // one per workload, in order
	json    bool
	pgbench bool
}

// parseBench turns the flags into validated run configurations. Unknown
// values are errors, never a default.
func parseBench(e *env, args []string) (benchPlan, error) {
	fs := newFlagSet(e, "bench", "[--workload W1,W2,W3,W4] [--level engine|http] [--url URL --admin-token T] [--backend sqlite|postgres] [--db URL] [--data DIR] [--callers N] [--duration 10s] [--users N] [--json]")
	workloads := fs.String("workload", "W1,W2,W3", "comma-separated workloads of shared/BENCH.md: W1 p2p-uniform, W2 merchant-hotspot, W3 batch (engine level only), W4 mixed (http level only)")
	level := fs.String("level", string(bench.LevelEngine), "engine (in-process) or http (a separate server process, with real users, tokens, PINs and keys)")
	backend := fs.String("backend", string(bench.SQLite), "sqlite or postgres")
	db := fs.String("db", defaultBenchDB, "PostgreSQL server for --backend postgres; each run creates and drops a database ewallet_bench_* there")
	url := fs.String("url", "", "running server (serve --dev) to call at --level http; default: start one per run on a fresh database")
	adminToken := fs.String("admin-token", e.getenv("EWALLET_ADMIN_TOKEN"), "admin token of the --url server (env EWALLET_ADMIN_TOKEN)")
	data := fs.String("data", "./ewallet-bench-data", "directory for the SQLite files of the runs and the fsync probe; must be on the disk under test (not tmpfs)")
	callers := fs.Int("callers", 0, "concurrent callers (default 64; 8 for W3)")
	duration := fs.Duration("duration", 10*time.Second, "how long each workload runs")
	users := fs.Int("users", 10000, "user accounts, each funded with 10,000.00 CNY (http level: default 256, each costs three password hashes to set up)")
	asJSON := fs.Bool("json", false, "print one JSON object per workload run instead of the table")
	pgbench := fs.Bool("pgbench", true, "with --backend postgres, also measure pgbench's TPC-B-like TPS for context")
	if err := parseFlags(fs, args); err != nil {
		return benchPlan{}, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	ws, err := bench.ParseWorkloads(*workloads)
	if err != nil {
		return benchPlan{}, err
	}
	switch {
	case set["callers"] && *callers < 1:
		return benchPlan{}, fmt.Errorf("--callers must be at least 1, not %d", *callers)
	case *url != "" && bench.Level(*level) != bench.LevelHTTP:
		return benchPlan{}, errors.New("--url is for --level http")
	case set["db"] && bench.Backend(*backend) != bench.Postgres:
		return benchPlan{}, errors.New("--db is for --backend postgres")
	}
	if bench.Backend(*backend) != bench.Postgres {
		*db = ""
	}
	if bench.Level(*level) == bench.LevelHTTP && !set["users"] {
		*users = 256
	}
	plan := benchPlan{json: *asJSON, pgbench: *pgbench}
	for _, w := range ws {
		c := bench.Config{
			Workload: w, Level: bench.Level(*level), Backend: bench.Backend(*backend), DB: *db,
			DataDir: *data, Callers: *callers, Users: *users, Duration: *duration, Progress: e.stderr,
			URL: *url, AdminToken: *adminToken,
		}
		if err := c.Validate(); err != nil {
			return benchPlan{}, err
		}
		plan.runs = append(plan.runs, c)
	}
	return plan, nil
}

// runBench is `ewallet bench`: it runs each workload on a fresh database,
// prints one table row (or JSON line) per run and fails if the ledger does
// not verify afterwards.
func runBench(ctx context.Context, e *env, args []string) error {
	plan, err := parseBench(e, args)
	if err != nil {
		return err
	}
	if path := e.getenv("EWALLET_CPUPROFILE"); path != "" {
		stop, err := startCPUProfile(path)
		if err != nil {
			return err
		}
		defer stop()
	}
	first := plan.runs[0]
	if _, err := os.Stat(first.DataDir); errors.Is(err, os.ErrNotExist) {
		defer os.Remove(first.DataDir) // ours and, once each run cleaned up, empty
	}
	var pgTPS *float64
	if first.Backend == bench.Postgres && plan.pgbench {
		fmt.Fprintf(e.stderr, "pgbench: -c %d -j 2 -T %s on a scratch database\n", pgbenchClients, first.Duration)
		tps, err := bench.Pgbench(ctx, first.DB, pgbenchClients, first.Duration)
		switch {
		case errors.Is(err, bench.ErrNoPgbench):
			fmt.Fprintln(e.stderr, "pgbench: not installed; pgbench_tps left out")
		case err != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			fmt.Fprintf(e.stderr, "pgbench: %v; pgbench_tps left out\n", err)
		default:
			tps = math.Round(tps*10) / 10
			pgTPS = &tps
			fmt.Fprintf(e.stderr, "pgbench: %.0f tps\n", tps)
		}
	}
	if !plan.json {
		printBenchHeader(e.stdout, pgTPS != nil)
	}
	for _, c := range plan.runs {
		r, err := bench.Run(ctx, c)
		var verr *bench.VerifyError
		if err != nil && !errors.As(err, &verr) {
			return fmt.Errorf("%s: %w", c.Workload, err)
		}
		r.PgbenchTPS = pgTPS
		if plan.json {
			if err := json.NewEncoder(e.stdout).Encode(r); err != nil {
				return err
			}
		} else {
			printBenchRow(e.stdout, r)
		}
		if verr != nil {
			fmt.Fprintf(e.stderr, "%s: LEDGER VERIFICATION FAILED after the run: %s\n", c.Workload, verr.Problem)
			return fmt.Errorf("%s: %w", c.Workload, verr)
		}
	}
	return nil
}

const benchRowFormat = "%-8s %-6s %-8s %7s %7s %10s %10s %8s %8s %8s  %-10s %7s %12s %6s"

func printBenchHeader(w io.Writer, pgbench bool) {
	fmt.Fprintf(w, benchRowFormat, "workload", "level", "backend", "callers", "seconds", "transfers", "tps", "p50_ms", "p95_ms", "p99_ms", "errors", "rss_mb", "fsyncs_per_s", "verify")
	if pgbench {
		fmt.Fprintf(w, " %11s", "pgbench_tps")
	}
	fmt.Fprintln(w)
}

func printBenchRow(w io.Writer, r bench.Result) {
	f := func(x float64, prec int) string { return fmt.Sprintf("%.*f", prec, x) }
	fmt.Fprintf(w, benchRowFormat, r.Workload, r.Level, r.Backend, fmt.Sprint(r.Callers), f(r.Seconds, 2),
		fmt.Sprint(r.Transfers), f(r.TPS, 1), f(r.P50ms, 2), f(r.P95ms, 2), f(r.P99ms, 2),
		formatErrors(r.Errors), f(r.RSSMB, 0), f(r.FsyncsPerS, 0), r.Verify)
	if r.PgbenchTPS != nil {
		fmt.Fprintf(w, " %11.0f", *r.PgbenchTPS)
	}
	fmt.Fprintln(w)
}

// formatErrors is "insufficient_funds=12,other=1", or "0" when there were none.
func formatErrors(errs map[string]int64) string {
	if len(errs) == 0 {
		return "0"
	}
	var parts []string
	for _, code := range slices.Sorted(maps.Keys(errs)) {
		parts = append(parts, fmt.Sprintf("%s=%d", code, errs[code]))
	}
	return strings.Join(parts, ",")
}
