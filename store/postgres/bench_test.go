package postgres_test

import (
	"testing"

	"github.com/ewallet/ewallet/store/postgres/pgtest"
	"github.com/ewallet/ewallet/store/storetest"
)

// BenchmarkTransfer is storetest's W1-shaped benchmark on PostgreSQL with durable commits.
func BenchmarkTransfer(b *testing.B) {
	storetest.BenchmarkTransfer(b, func(tb testing.TB) storetest.Backend {
		return MustOpenDB(tb, pgtest.URL(tb))
	})
}
