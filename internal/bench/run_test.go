package bench

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// testPostgres returns the PostgreSQL server for tests, as store/postgres's
// tests find it: EWALLET_TEST_POSTGRES, "off" to skip.
func testPostgres(t *testing.T) string {
	t.Helper()
	switch u := os.Getenv("EWALLET_TEST_POSTGRES"); u {
	case "off":
		t.Skip("EWALLET_TEST_POSTGRES=off")
	case "":
		return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	default:
		return u
	}
	return ""
}

// quickRun runs c for a second and checks what every run must show.
func quickRun(t *testing.T, c Config) Result {
	t.Helper()
	if testing.Short() {
		t.Skip("runs for over a second")
	}
	c.Level, c.Users, c.Duration, c.FsyncProbe = LevelEngine, 200, time.Second, 50*time.Millisecond
	if c.DataDir == "" {
		c.DataDir = t.TempDir()
	}
	r, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Verify != "ok" || r.Transfers <= 0 || r.TPS <= 0 || r.P50ms <= 0 || r.P99ms < r.P50ms || r.RSSMB <= 0 || r.FsyncsPerS <= 0 {
		t.Fatalf("%+v", r)
	}
	if left, _ := os.ReadDir(c.DataDir); len(left) != 0 {
		t.Fatalf("the run left %d files in its data directory", len(left))
	}
	return r
}

func TestRunSQLiteBatch(t *testing.T) {
	r := quickRun(t, Config{Workload: W3, Backend: SQLite})
	if r.Callers != 8 {
		t.Fatalf("W3 ran with %d callers, want its default 8", r.Callers)
	}
}

func TestRunPostgresMerchant(t *testing.T) {
	r := quickRun(t, Config{Workload: W2, Backend: Postgres, DB: testPostgres(t), Callers: 16})
	if r.Callers != 16 || r.Backend != Postgres {
		t.Fatalf("%+v", r)
	}
}

func TestPgbench(t *testing.T) {
	if testing.Short() {
		t.Skip("initialises a scale-10 pgbench database")
	}
	tps, err := Pgbench(context.Background(), testPostgres(t), 4, time.Second)
	if errors.Is(err, ErrNoPgbench) {
		t.Skip(err)
	}
	if err != nil || tps <= 0 {
		t.Fatalf("got %v, %v", tps, err)
	}
}
