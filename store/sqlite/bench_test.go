package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/ewallet/ewallet/store/storetest"
)

// BenchmarkTransfer is storetest's W1-shaped benchmark on a durable SQLite file.
func BenchmarkTransfer(b *testing.B) {
	storetest.BenchmarkTransfer(b, func(tb testing.TB) storetest.Backend {
		return MustOpenDB(tb, filepath.Join(tb.TempDir(), "bench.db"))
	})
}
