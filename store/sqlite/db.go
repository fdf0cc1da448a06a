// Package sqlite is the embedded storage of ewallet: SQLite in WAL mode with
// synchronous=FULL, so that a committed transaction survives power loss.
// One connection writes (the ledger's group-commit writer and the rare
// account creation share it); a pool of read-only connections serves reads,
// which WAL lets run beside the writer without waiting.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is an open ewallet database file.
type DB struct {
	path  string
	write *sql.DB // exactly one connection; BEGIN IMMEDIATE
	read  *sql.DB // read-only pool
	now   func() time.Time
	stmts stmtCache // the writer connection's prepared statements
	ckpt  *sql.DB   // one connection that checkpoints the WAL
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once

	// walFrames is the WAL's length in frames at the checkpointer's last
	// pass; BeginBatch restarts the WAL when it grew past walRestartFrames.
	walFrames atomic.Int64
}

// Open opens (creating if needed) the database at path and applies the
// embedded migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	// busy_timeout first, so that the pragmas after it wait for a lock
	// instead of failing while another process holds the database.
	pragmas := []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)", "cache_size(-262144)", "temp_store(MEMORY)"}
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	dsn := "file:" + path + "?" + q.Encode()
	// The writer never checkpoints: a background connection does (see
	// checkpointer), so copying the WAL back into the database and syncing
	// it happens beside the writer instead of inside some unlucky commit.
	write, err := sql.Open("sqlite", dsn+"&_txlock=immediate&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	ckpt, err := sql.Open("sqlite", dsn)
	if err != nil {
		write.Close()
		read.Close()
		return nil, err
	}
	ckpt.SetMaxOpenConns(1)
	db := &DB{path: path, write: write, read: read, ckpt: ckpt, now: time.Now, stmts: stmtCache{db: write}, stop: make(chan struct{}), done: make(chan struct{})}
	if err := db.migrate(ctx); err != nil {
		close(db.done)
		db.Close()
		return nil, err
	}
	go db.checkpointer()
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	db.once.Do(func() { close(db.stop) })
	<-db.done
	db.stmts.close()
	db.ckpt.Close()
	err1 := db.read.Close()
	err2 := db.write.Close()
	if err2 != nil {
		return err2
	}
	return err1
}

// Path is the database file's path.
func (db *DB) Path() string { return db.path }

// Exec runs a statement on the writer connection. Tests use it to tamper.
func (db *DB) Exec(ctx context.Context, query string, args ...any) error {
	_, err := db.write.ExecContext(ctx, query, args...)
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// migrate applies, in order and each in its own transaction, the embedded
// migrations not yet recorded in schema_migrations.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version := strings.TrimSuffix(filepath.Base(name), ".sql")
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if err := db.applyMigration(ctx, version, string(body)); err != nil {
			return fmt.Errorf("migration %s: %w", version, err)
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, version, body string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, time.Now().UnixNano()); err != nil {
		return err
	}
	return tx.Commit()
}

// checkpointInterval is how often the background checkpointer runs.
const checkpointInterval = 50 * time.Millisecond

// checkpointer copies committed WAL frames into the database file with
// PASSIVE checkpoints, which never block the writer or readers. Commits stay
// durable without it (synchronous=FULL syncs the WAL at every commit); it
// only keeps the WAL from growing.
func (db *DB) checkpointer() {
	defer close(db.done)
	tick := time.NewTicker(checkpointInterval)
	defer tick.Stop()
	for {
		select {
		case <-db.stop:
			// A last full checkpoint lets the next open start with a short WAL.
			db.ckpt.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
			return
		case <-tick.C:
			var busy, frames, done int64
			if db.ckpt.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done) == nil {
				db.walFrames.Store(frames)
			}
		}
	}
}
