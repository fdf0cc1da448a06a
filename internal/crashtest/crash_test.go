package crashtest_test

import (
	"path/filepath"
	"testing"

	"github.com/ewallet/ewallet/store/postgres/pgtest"
)

// rounds is how many times each backend's child is killed.
const rounds = 20

// TestCrashSQLite kills a child writing transfers to one SQLite file, again
// and again, and checks after each kill that everything acknowledged is
// there, whole, and that the ledger verifies.
func TestCrashSQLite(t *testing.T) {
	runCrashRounds(t, "sqlite", filepath.Join(t.TempDir(), "ewallet.db"), rounds)
}

// TestCrashPostgres does the same on one PostgreSQL schema. The server
// rolls back whatever transaction the killed child had open.
func TestCrashPostgres(t *testing.T) {
	runCrashRounds(t, "postgres", pgtest.URL(t), rounds)
}
