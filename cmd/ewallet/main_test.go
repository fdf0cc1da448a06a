package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/store/sqlite"
)

// noEnv is a getenv with nothing set.
func noEnv(string) string { return "" }

// envOf is a getenv reading m.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// runCmd calls run with args and returns its error and outputs.
func runCmd(t *testing.T, getenv func(string) string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, getenv, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestRun(t *testing.T) {
	t.Run("NoSubcommand", func(t *testing.T) {
		_, stderr, err := runCmd(t, noEnv)
		if err == nil || !strings.Contains(stderr, "serve") {
			t.Fatalf("err %v, stderr %q", err, stderr)
		}
	})
	t.Run("UnknownSubcommand", func(t *testing.T) {
		_, _, err := runCmd(t, noEnv, "frobnicate")
		if err == nil || !strings.Contains(err.Error(), `unknown subcommand "frobnicate"`) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("Help", func(t *testing.T) {
		stdout, _, err := runCmd(t, noEnv, "help")
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"serve", "verify", "bench", "help"} {
			if !strings.Contains(stdout, name) {
				t.Errorf("help does not list %s:\n%s", name, stdout)
			}
		}
	})
	t.Run("HelpSubcommand", func(t *testing.T) {
		stdout, _, err := runCmd(t, noEnv, "help", "bench")
		if err != nil || !strings.Contains(stdout, "-workload") {
			t.Fatalf("err %v, stdout %q", err, stdout)
		}
	})
	t.Run("HelpUnknown", func(t *testing.T) {
		if _, _, err := runCmd(t, noEnv, "help", "nope"); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("DashH", func(t *testing.T) {
		_, stderr, err := runCmd(t, noEnv, "serve", "-h")
		if err != nil || !strings.Contains(stderr, "-addr") {
			t.Fatalf("err %v, stderr %q", err, stderr)
		}
	})
	t.Run("UnknownFlag", func(t *testing.T) {
		for _, cmd := range []string{"serve", "verify", "bench"} {
			if _, _, err := runCmd(t, noEnv, cmd, "--bogus"); err == nil {
				t.Errorf("%s --bogus: no error", cmd)
			}
		}
	})
	t.Run("ExtraArgument", func(t *testing.T) {
		if _, _, err := runCmd(t, noEnv, "verify", "--data", t.TempDir(), "extra"); err == nil || !strings.Contains(err.Error(), "unexpected argument") {
			t.Fatalf("err %v", err)
		}
	})
}

func TestStoreFlags(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		env        map[string]string
		wantURL    string
		wantSQLite string
		err        string
	}{
		{name: "Default", wantSQLite: filepath.Join("ewallet-data", "ewallet.db")},
		{name: "Data", args: []string{"--data", "/srv/w"}, wantSQLite: "/srv/w/ewallet.db"},
		{name: "DB", args: []string{"--db", "postgres://h/db"}, wantURL: "postgres://h/db"},
		{name: "Both", args: []string{"--data", "d", "--db", "postgres://h/db"}, err: "not both"},
		{name: "NotPostgres", args: []string{"--db", "mysql://h/db"}, err: "postgres://"},
		{name: "EmptyData", args: []string{"--data", ""}, err: "empty"},
		{name: "EnvData", env: map[string]string{"EWALLET_DATA": "/e"}, wantSQLite: "/e/ewallet.db"},
		{name: "EnvDB", env: map[string]string{"EWALLET_DB": "postgresql://h/db", "EWALLET_DATA": "/e"}, wantURL: "postgresql://h/db"},
		{name: "FlagBeatsEnv", args: []string{"--data", "/f"}, env: map[string]string{"EWALLET_DB": "postgres://h/db"}, wantSQLite: "/f/ewallet.db"},
		{name: "DBFlagBeatsEnvData", args: []string{"--db", "postgres://h/db"}, env: map[string]string{"EWALLET_DATA": "/e"}, wantURL: "postgres://h/db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{getenv: envOf(tc.env), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
			fs := newFlagSet(e, "x", "")
			sf := addStoreFlags(fs, e.getenv)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			gotURL, gotPath, err := sf.resolve()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %q %q %v, want an error containing %q", gotURL, gotPath, err, tc.err)
				}
				return
			}
			if err != nil || gotURL != tc.wantURL || gotPath != tc.wantSQLite {
				t.Fatalf("got %q %q %v, want %q %q", gotURL, gotPath, err, tc.wantURL, tc.wantSQLite)
			}
		})
	}
}

// seeded describes the ledger mustSeedLedger writes.
type seeded struct {
	bank, alice, bob ledger.AccountID
}

// mustSeedLedger writes a small, sound ledger into the data directory dir:
// three accounts and two transfers.
func mustSeedLedger(tb testing.TB, dir string) seeded {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, sqliteFile))
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	l := ledger.New(db, ledger.Options{})
	defer l.Close()
	as, err := l.CreateAccounts(ctx, []ledger.AccountSpec{
		{Name: "sys:bank:CNY", Currency: money.CNY},
		{Name: "alice:CNY", Currency: money.CNY, Flags: ledger.NoNegative},
		{Name: "bob:CNY", Currency: money.CNY, Flags: ledger.NoNegative},
	})
	if err != nil {
		tb.Fatal(err)
	}
	s := seeded{bank: as[0].ID, alice: as[1].ID, bob: as[2].ID}
	for _, tr := range []ledger.Transfer{
		ledger.Move("t1", "topup", s.bank, s.alice, 10000),
		ledger.Move("t2", "p2p", s.alice, s.bob, 2500),
	} {
		if _, err := l.Transfer(ctx, tr); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}
