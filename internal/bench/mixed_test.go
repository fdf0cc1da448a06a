package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ewallet/ewallet/money"
)

func TestPickMixOp(t *testing.T) {
	var got [nMixOps]int
	for n := range 100 {
		got[pickMixOp(n)]++
	}
	if got != [nMixOps]int{opPayment: 60, opP2P: 25, opTopup: 5, opRead: 10} {
		t.Fatalf("weights %v, want BENCH.md's 60/25/5/10", got)
	}
}

func TestMixFee(t *testing.T) {
	for _, tc := range []struct{ amount, fee string }{
		{"0.01", "0.00"},
		{"0.83", "0.00"}, // 0.498 fen
		{"0.84", "0.01"}, // 0.504 fen
		{"2.50", "0.02"}, // 1.5 fen exactly: half up
		{"2.49", "0.01"}, // 1.494 fen
		{"100.00", "0.60"},
		{"99.99", "0.60"}, // 59.994 fen
	} {
		t.Run(tc.amount, func(t *testing.T) {
			a, _ := money.Parse(tc.amount, money.CNY)
			if got := money.Format(mixFee(a), money.CNY); got != tc.fee {
				t.Fatalf("fee on %s = %s, want %s", tc.amount, got, tc.fee)
			}
		})
	}
}

func TestMixMoneyCheck(t *testing.T) {
	// 1,000.00 funded, 50.00 topped up, 200.00 paid with 1.20 fees.
	good := mixMoney{funded: 100_000, toppedUp: 5_000, paid: 20_000, fees: 120, users: 85_000, merchants: 19_880}
	if err := good.check(); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		change func(*mixMoney)
		err    string
	}{
		"MoneyCreated":       {func(m *mixMoney) { m.users++ }, "top-ups brought in"},
		"MoneyLost":          {func(m *mixMoney) { m.merchants-- }, "top-ups brought in"},
		"FeeNotCounted":      {func(m *mixMoney) { m.fees-- }, "top-ups brought in"},
		"PaymentNotCounted":  {func(m *mixMoney) { m.paid -= 100 }, "merchants hold"},
		"TopupNotCounted":    {func(m *mixMoney) { m.toppedUp -= 100 }, "top-ups brought in"},
		"PaidToWrongPlace":   {func(m *mixMoney) { m.users += 100; m.merchants -= 100 }, "merchants hold"},
		"FeeToUserNotSystem": {func(m *mixMoney) { m.fees -= 20; m.users += 20 }, "merchants hold"},
	} {
		t.Run(name, func(t *testing.T) {
			m := good
			tc.change(&m)
			if err := m.check(); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("got %v, want an error containing %q", err, tc.err)
			}
		})
	}
}

// buildServer builds `ewallet` for the HTTP-level runs, which start it as a
// process of its own (the test binary is not a server).
func buildServer(t *testing.T) string {
	t.Helper()
	gotool, err := exec.LookPath("go")
	if err != nil {
		gotool = filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(gotool); err != nil {
			t.Skip("no go tool to build the server with")
		}
	}
	exe := filepath.Join(t.TempDir(), "ewallet")
	cmd := exec.Command(gotool, "build", "-o", exe, "github.com/ewallet/ewallet/cmd/ewallet")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the server: %v\n%s", err, out)
	}
	return exe
}

// TestRunHTTPMixed runs W4 over HTTP for two seconds on each backend with
// a few users: every kind of operation happens, the ledger verifies, and
// the money the run reports adds up exactly.
func TestRunHTTPMixed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs it for a few seconds")
	}
	exe := buildServer(t)
	for _, b := range []Backend{SQLite, Postgres} {
		t.Run(string(b), func(t *testing.T) {
			c := Config{Workload: W4, Level: LevelHTTP, Backend: b, Users: 12, Callers: 8, Duration: 2 * time.Second,
				FsyncProbe: 50 * time.Millisecond, DataDir: t.TempDir(), ServerBinary: exe}
			if b == Postgres {
				c.DB = testPostgres(t)
			}
			r, err := Run(context.Background(), c)
			if err != nil {
				t.Fatalf("%v\n%+v", err, r)
			}
			if r.Verify != "ok" || r.Workload != W4 || r.Level != LevelHTTP || r.Callers != 8 || r.TPS <= 0 || r.P50ms <= 0 || r.P99ms < r.P50ms || r.RSSMB <= 0 {
				t.Fatalf("%+v", r)
			}
			if len(r.Errors) != 0 {
				t.Errorf("errors %v: every user has money and no limits", r.Errors)
			}
			var calls, ok int64
			for _, name := range mixOpNames {
				calls += r.Ops[name].Calls
				if name != "read" {
					ok += r.Ops[name].OK
				}
			}
			if ok != r.Transfers {
				t.Errorf("transfers %d, but payments, p2p and top-ups committed %d", r.Transfers, ok)
			}
			for _, name := range mixOpNames {
				// With 200 operations, any kind missing by chance is below 1 in 20,000.
				if o := r.Ops[name]; o.OK == 0 && (calls >= 200 || name == "payment") {
					t.Errorf("no %s succeeded in %d operations: %+v", name, calls, r.Ops)
				}
			}
			if p, pay := r.Ops["payment"], r.Ops["payment_pay"]; pay.OK != p.OK || r.Ops["payment_create"].Calls != p.Calls {
				t.Errorf("payments %+v, their requests %+v", p, r.Ops)
			}
			// The money identity, from the figures as reported.
			m := r.Money
			if m == nil {
				t.Fatal("no money check in the result")
			}
			sum := func(xs ...string) int64 {
				var s int64
				for _, x := range xs {
					n, err := money.Parse(x, money.CNY)
					if err != nil {
						t.Fatal(err)
					}
					s += n
				}
				return s
			}
			if sum(m.Users, m.Merchants, m.Fees) != sum(m.Funded, m.ToppedUp) || sum(m.Merchants, m.Fees) != sum(m.Paid) || sum(m.Paid) <= 0 || sum(m.Fees) <= 0 {
				t.Fatalf("money does not add up: %+v", m)
			}
			if left, _ := os.ReadDir(c.DataDir); len(left) != 0 {
				t.Fatalf("the run left %d files in its data directory", len(left))
			}
		})
	}
}
