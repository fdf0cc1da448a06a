package bench

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/store/postgres"
	"github.com/ewallet/ewallet/store/sqlite"
)

// freshStore opens a new, empty, migrated database for one run: a new SQLite
// file in c.DataDir, or a new database on the PostgreSQL server c.DB. drop
// closes the store and deletes the database.
func freshStore(ctx context.Context, c Config) (ledger.Store, func() error, error) {
	if c.Backend == Postgres {
		return freshPostgres(ctx, c.DB)
	}
	path := filepath.Join(c.DataDir, "bench-"+string(c.Workload)+"-"+randomHex(6)+".db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		removeSQLite(path)
		return nil, nil, err
	}
	return db, func() error { return errors.Join(db.Close(), removeSQLite(path)) }, nil
}

func removeSQLite(path string) error { return sqlite.Remove(path) }

func freshPostgres(ctx context.Context, serverURL string) (ledger.Store, func() error, error) {
	dbURL, drop, err := scratchDB(ctx, serverURL, "ewallet_bench_")
	if err != nil {
		return nil, nil, err
	}
	db, err := postgres.Open(ctx, dbURL)
	if err != nil {
		return nil, nil, errors.Join(err, drop())
	}
	return db, func() error {
		db.Close()
		return drop()
	}, nil
}
