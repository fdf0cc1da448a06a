// Package postgres is ewallet's PostgreSQL storage, for operators who run
// several ewallet processes on one database (and, with the same SQL, on
// CockroachDB). Correctness rests on the database, not on any process's
// memory: every ledger batch locks the journal head row first, so batches
// from all processes run one after another (see batch.go). Durability is the
// server's: a commit returns after its WAL record is synced.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is an open ewallet database on a PostgreSQL (or CockroachDB) server.
type DB struct {
	write *pool // the ledger's writer, account creation and Exec
	read  *pool // reads, which never wait behind the writer
	now   func() time.Time

	wallet *sql.DB // the wallet store's pool (wallet.go)
}

// writeConns bounds the write pool: one ledger batch at a time plus account
// creation beside it. It is separate from the read pool so that a flood of
// reads cannot keep the writer waiting for a connection.
const writeConns = 4

// Open connects to the database at url (postgres://…; a search_path runtime
// parameter selects the schema) and applies the embedded migrations. The URL
// may carry pool_max_conns, the size of the read pool (default: the larger
// of 4 and the number of CPUs).
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse url: %w", err)
	}
	readConns := max(4, runtime.NumCPU())
	if s, ok := cfg.RuntimeParams["pool_max_conns"]; ok {
		// Not a server setting: the server would refuse it at connect.
		delete(cfg.RuntimeParams, "pool_max_conns")
		if readConns, err = strconv.Atoi(s); err != nil || readConns < 1 {
			return nil, fmt.Errorf("postgres: pool_max_conns %q is not a positive number", s)
		}
	}
	if _, ok := cfg.RuntimeParams["plan_cache_mode"]; !ok {
		// pgx prepares every statement; after five runs the server may
		// switch it to a generic plan made from the statistics of that
		// moment. On a young database (or with autovacuum off) that plan
		// says "the table is tiny, scan it", and it stays cached on the
		// connection while the table grows: the ledger's id = ANY($1)
		// lookups became sequential scans of all transfers. Custom plans
		// see the table's current size; planning these statements costs
		// microseconds.
		cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	wcfg := cfg.Copy()
	if _, ok := wcfg.RuntimeParams["idle_in_transaction_session_timeout"]; !ok {
		// A process that stops while it holds the head lock (paused VM,
		// lost network) would stall every other process's ledger; the
		// server ends such a transaction. Batches are never idle that long.
		wcfg.RuntimeParams["idle_in_transaction_session_timeout"] = "30s"
	}
	db := &DB{write: newPool(wcfg, writeConns), read: newPool(cfg, readConns), now: time.Now, wallet: openWalletDB(wcfg.Copy())}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return db, nil
}

// Close closes the connections. Call it after the ledger on it has stopped.
func (db *DB) Close() error {
	db.write.close()
	db.read.close()
	return db.wallet.Close()
}

// Exec runs one statement outside any batch. Tests use it to tamper with
// rows; PostgreSQL placeholders are $1, $2, ….
func (db *DB) Exec(ctx context.Context, query string, args ...any) error {
	c, err := db.write.acquire(ctx)
	if err != nil {
		return err
	}
	defer db.write.release(c, false)
	_, err = c.Exec(ctx, query, args...)
	return classify(err)
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	c, err := db.read.acquire(ctx)
	if err != nil {
		return err
	}
	defer db.read.release(c, false)
	return c.Ping(ctx)
}

// migrate applies, in order and each in its own transaction, the embedded
// migrations not yet recorded in schema_migrations.
func (db *DB) migrate(ctx context.Context) error {
	c, err := db.write.acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer db.write.release(c, false)
	// Two processes racing through CREATE TABLE IF NOT EXISTS can both miss
	// the table and one then fails on the catalog's unique index; by the
	// next try the table is there. 42710 is the same race on the table's row type.
	for try := 1; ; try++ {
		_, err := c.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL)`)
		if err == nil {
			break
		}
		if try == 5 || !hasCode(err, "23505", "42P07", "42710", "40001", "40P01") {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version := strings.TrimSuffix(path.Base(name), ".sql")
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = retry(ctx, func() error { return applyMigration(ctx, c, version, string(body)) })
		if err != nil {
			return fmt.Errorf("migration %s: %w", version, err)
		}
	}
	return nil
}

// applyMigration claims version by inserting its row, then runs it, in one
// transaction. A process that opens the database at the same time blocks on
// that row until the first one commits, then finds it taken and skips: the
// primary key serialises the migrators, no advisory lock needed (CockroachDB
// has none).
func applyMigration(ctx context.Context, c *pgx.Conn, version, body string) error {
	tx, err := c.Begin(ctx)
	if err != nil {
		return classify(err)
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now()) ON CONFLICT (version) DO NOTHING`, version)
	if err != nil {
		return classify(err)
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, body); err != nil { // no arguments: simple protocol, several statements
		return classify(err)
	}
	return classify(tx.Commit(ctx))
}
