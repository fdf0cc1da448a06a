package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/store/sqlite"
)

func TestVerify(t *testing.T) {
	t.Run("Healthy", func(t *testing.T) {
		dir := t.TempDir()
		mustSeedLedger(t, dir)
		stdout, _, err := runCmd(t, noEnv, "verify", "--data", dir)
		if err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		for _, want := range []string{"hash chain", "intact", "no negative balances", "sum CNY", "0.00", "transfers checked", "ok: ledger intact"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, stdout)
			}
		}
	})
	t.Run("DataFromEnv", func(t *testing.T) {
		dir := t.TempDir()
		mustSeedLedger(t, dir)
		stdout, _, err := runCmd(t, envOf(map[string]string{"EWALLET_DATA": dir}), "verify")
		if err != nil || !strings.Contains(stdout, "transfers checked                                  2") {
			t.Fatalf("%v\n%s", err, stdout)
		}
	})
	t.Run("TamperedEntry", func(t *testing.T) {
		dir := t.TempDir()
		s := mustSeedLedger(t, dir)
		mustTamperEntry(t, dir, s.bob)
		stdout, _, err := runCmd(t, noEnv, "verify", "--data", dir)
		row := fmt.Sprintf("account %d seq 2", s.bob)
		if err == nil || !strings.Contains(err.Error(), row) {
			t.Fatalf("err %v, want one naming %q\n%s", err, row, stdout)
		}
		if !strings.Contains(stdout, "FAILED: invariant entries, table entries, row "+row) {
			t.Fatalf("output does not name the violation:\n%s", stdout)
		}
	})
}

// mustTamperEntry grows the account's entry at seq 2 by 0.01 out of nowhere,
// in the SQLite database under dir.
func mustTamperEntry(t *testing.T, dir string, account ledger.AccountID) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, sqliteFile))
	if err != nil {
		t.Fatal(err)
	}
	err = db.Exec(ctx, `UPDATE entries SET amount = amount + 1 WHERE account_id = ? AND seq = 2`, account)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
}
