package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ewallet/ewallet/internal/bench"
)

func TestParseBench(t *testing.T) {
	e := &env{getenv: noEnv, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	t.Run("Defaults", func(t *testing.T) {
		p, err := parseBench(e, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.runs) != 3 || p.json || !p.pgbench {
			t.Fatalf("%+v", p)
		}
		for i, w := range []bench.Workload{bench.W1, bench.W2, bench.W3} {
			c := p.runs[i]
			if c.Workload != w || c.Level != bench.LevelEngine || c.Backend != bench.SQLite || c.DB != "" ||
				c.DataDir != "./ewallet-bench-data" || c.Callers != 0 || c.Users != 10000 || c.Duration != 10*time.Second {
				t.Fatalf("run %d: %+v", i, c)
			}
		}
	})
	t.Run("Postgres", func(t *testing.T) {
		p, err := parseBench(e, []string{"--backend", "postgres", "--workload", "W2", "--callers", "16", "--json", "--pgbench=false"})
		if err != nil {
			t.Fatal(err)
		}
		c := p.runs[0]
		if len(p.runs) != 1 || c.DB != defaultBenchDB || c.Callers != 16 || c.Workload != bench.W2 || !p.json || p.pgbench {
			t.Fatalf("%+v", p)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		err  string
	}{
		{"W4", []string{"--workload", "W4"}, "not implemented yet"},
		{"UnknownWorkload", []string{"--workload", "W1,W7"}, "unknown workload"},
		{"EmptyWorkload", []string{"--workload", ""}, "unknown workload"},
		{"HTTPBatch", []string{"--level", "http"}, "no HTTP form"},
		{"UnknownLevel", []string{"--level", "disk"}, "unknown level"},
		{"UnknownBackend", []string{"--backend", "mysql"}, "unknown backend"},
		{"DBWithSQLite", []string{"--db", "postgres://h/db"}, "--db is for --backend postgres"},
		{"BadPostgresURL", []string{"--backend", "postgres", "--db", "host=h"}, "postgres://"},
		{"URLAtEngineLevel", []string{"--url", "http://127.0.0.1:8080"}, "--url is for --level http"},
		{"ZeroCallers", []string{"--callers", "0"}, "callers"},
		{"NegativeCallers", []string{"--callers", "-3"}, "callers"},
		{"ZeroDuration", []string{"--duration", "0s"}, "duration"},
		{"BadDuration", []string{"--duration", "ten"}, "invalid value"},
		{"OneUser", []string{"--users", "1"}, "users"},
		{"EmptyData", []string{"--data", ""}, "data directory"},
		{"UnknownFlag", []string{"--turbo"}, "not defined"},
		{"Positional", []string{"W1"}, "unexpected argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parseBench(e, tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("got %+v, %v; want an error containing %q", p, err, tc.err)
			}
		})
	}
}

func TestFormatErrors(t *testing.T) {
	if got := formatErrors(nil); got != "0" {
		t.Errorf("no errors: %q", got)
	}
	if got := formatErrors(map[string]int64{"other": 1, "insufficient_funds": 12}); got != "insufficient_funds=12,other=1" {
		t.Errorf("got %q", got)
	}
}

// TestBenchW1 runs the real thing briefly: W1 at the engine level on SQLite.
func TestBenchW1(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 2 seconds")
	}
	stdout, stderr, err := runCmd(t, noEnv, "bench", "--workload", "W1", "--duration", "1s", "--users", "200", "--data", t.TempDir(), "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v: %q", err, stdout)
	}
	for _, key := range []string{"workload", "level", "backend", "callers", "seconds", "transfers", "tps", "p50_ms", "p95_ms", "p99_ms", "errors", "rss_mb", "fsyncs_per_s", "verify"} {
		if _, ok := r[key]; !ok {
			t.Errorf("no %q in %s", key, stdout)
		}
	}
	if r["workload"] != "W1" || r["level"] != "engine" || r["backend"] != "sqlite" || r["callers"] != 64.0 || r["verify"] != "ok" {
		t.Fatalf("%s", stdout)
	}
	if n, _ := r["transfers"].(float64); n <= 0 {
		t.Fatalf("no transfers committed: %s", stdout)
	}
	if _, ok := r["pgbench_tps"]; ok {
		t.Fatalf("pgbench_tps on sqlite: %s", stdout)
	}
}
