package postgres_test

import (
	"testing"

	"github.com/ewallet/ewallet/store/postgres/pgtest"
	"github.com/ewallet/ewallet/store/storetest"
)

// TestConformance runs the suite every ledger.Store backend passes.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) storetest.Backend {
		return MustOpenDB(tb, pgtest.URL(tb))
	})
}
