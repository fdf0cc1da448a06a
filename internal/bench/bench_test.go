package bench

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseWorkloads(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Workload
		err  string
	}{
		{in: "W1", want: []Workload{W1}},
		{in: "W1,W2,W3", want: []Workload{W1, W2, W3}},
		{in: " W3 , W1", want: []Workload{W3, W1}},
		{in: "W4", want: []Workload{W4}},
		{in: "W1,W4", want: []Workload{W1, W4}},
		{in: "w1", err: "unknown workload"},
		{in: "W5", err: "unknown workload"},
		{in: "", err: "unknown workload"},
		{in: "W1,,W2", err: "unknown workload"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseWorkloads(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, %v; want an error containing %q", got, err, tc.err)
				}
				return
			}
			if err != nil || strings.Join(toStrings(got), ",") != strings.Join(toStrings(tc.want), ",") {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func toStrings(ws []Workload) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = string(w)
	}
	return out
}

func TestConfigValidate(t *testing.T) {
	valid := Config{Workload: W1, Level: LevelEngine, Backend: SQLite, DataDir: "d", Users: 10, Duration: time.Second}
	if err := valid.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for name, tc := range map[string]struct {
		change func(*Config)
		err    string
	}{
		"EngineMixed":     {func(c *Config) { c.Workload = W4 }, "not implemented yet"},
		"UnknownWorkload": {func(c *Config) { c.Workload = "W9" }, "unknown workload"},
		"HTTPBatch":       {func(c *Config) { c.Level, c.Workload = LevelHTTP, W3 }, "no HTTP form"},
		"UnknownLevel":    {func(c *Config) { c.Level = "kernel" }, "unknown level"},
		"UnknownBackend":  {func(c *Config) { c.Backend = "mysql" }, "unknown backend"},
		"SQLiteWithURL":   {func(c *Config) { c.DB = "postgres://x/y" }, "postgres backend"},
		"PostgresNoURL":   {func(c *Config) { c.Backend = Postgres }, "postgres://"},
		"PostgresBadURL":  {func(c *Config) { c.Backend, c.DB = Postgres, "mysql://x" }, "postgres://"},
		"NoDataDir":       {func(c *Config) { c.DataDir = "" }, "data directory"},
		"NegativeCallers": {func(c *Config) { c.Callers = -1 }, "callers"},
		"OneUser":         {func(c *Config) { c.Users = 1 }, "users"},
		"ZeroDuration":    {func(c *Config) { c.Duration = 0 }, "duration"},
	} {
		t.Run(name, func(t *testing.T) {
			c := valid
			tc.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("got %v, want an error containing %q", err, tc.err)
			}
			if tc.err == "not implemented yet" && !errors.Is(err, ErrNotImplemented) {
				t.Fatalf("%v does not wrap ErrNotImplemented", err)
			}
		})
	}
	t.Run("HTTPMixed", func(t *testing.T) {
		c := valid
		c.Level, c.Workload = LevelHTTP, W4
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("PostgresURL", func(t *testing.T) {
		c := valid
		c.Backend, c.DB = Postgres, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestWithDatabase(t *testing.T) {
	got, err := withDatabase("postgres://u:pw@h:5432/test?sslmode=disable", "ewallet_bench_1")
	if err != nil || got != "postgres://u:pw@h:5432/ewallet_bench_1?sslmode=disable" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := withDatabase("host=h dbname=test", "x"); err == nil {
		t.Fatal("a key=value DSN was accepted")
	}
}

func TestParseTPS(t *testing.T) {
	out := []byte(`pgbench (15.20 (Debian 15.20-0+deb12u1))
transaction type: <builtin: TPC-B (sort of)>
number of transactions actually processed: 3725
latency average = 2.151 ms
initial connection time = 6.879 ms
tps = 1859.856214 (without initial connection time)
`)
	if tps, err := parseTPS(out); err != nil || tps != 1859.856214 {
		t.Fatalf("got %v, %v", tps, err)
	}
	if _, err := parseTPS([]byte("FATAL: database does not exist\n")); err == nil {
		t.Fatal("no error without a tps line")
	}
}

func TestPeakRSS(t *testing.T) {
	got, err := parseVmHWM([]byte("Name:\tewallet\nVmPeak:\t  900 kB\nVmHWM:\t    1800 kB\nVmRSS:\t 1700 kB\n"))
	if err != nil || got != 1800*1024 {
		t.Fatalf("got %d, %v", got, err)
	}
	if _, err := parseVmHWM([]byte("Name:\tx\n")); err == nil {
		t.Fatal("no error without VmHWM")
	}
	if _, err := os.Stat("/proc/self/status"); err == nil {
		if n, err := PeakRSS(); err != nil || n <= 0 {
			t.Fatalf("PeakRSS = %d, %v", n, err)
		}
	}
}

func TestFsyncRate(t *testing.T) {
	dir := t.TempDir()
	rate, err := FsyncRate(dir, 50*time.Millisecond)
	if err != nil || rate <= 0 {
		t.Fatalf("got %v, %v", rate, err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("the probe left %d files", len(left))
	}
}
