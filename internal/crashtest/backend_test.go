package crashtest_test

import (
	"context"
	"fmt"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/store/postgres"
	"github.com/ewallet/ewallet/store/sqlite"
)

// openStore opens the named backend; the child and the parent both use it.
func openStore(ctx context.Context, backend, dsn string) (ledger.Store, error) {
	switch backend {
	case "sqlite":
		return sqlite.Open(ctx, dsn)
	case "postgres":
		return postgres.Open(ctx, dsn)
	default:
		return nil, fmt.Errorf("unknown backend %q", backend)
	}
}
