// Package sqlite is the embedded storage of ewallet: SQLite in WAL mode with
// synchronous=FULL, so that a committed transaction survives power loss.
// One connection writes (the journal's applier, account creation and the
// wallet's writes share it); a pool of read-only connections serves reads,
// which WAL lets run beside the writer without waiting. The ledger's group
// commits go through a journal of their own first (journal.go), unless the
// database is opened with OpenShared.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
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

	"github.com/ewallet/ewallet/ledger"
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

	journal *journal // nil when opened with OpenShared

	shareMu sync.Mutex
	share   *lockFile // OpenShared: the journal directory's shared lock, once writing
}

// Open opens (creating if needed) the database at path, applies the
// embedded migrations and replays the ledger journal. The ledger commits
// through the journal, and this process is the only one that may write
// the database's ledger until Close: another Open or a write through
// OpenShared elsewhere gets ErrInUse.
func Open(ctx context.Context, path string) (*DB, error) {
	db, err := open(ctx, path)
	if err != nil {
		return nil, err
	}
	if db.journal, err = openJournal(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// OpenShared opens the database for a process that writes it beside other
// processes (each commit a SQLite transaction of its own, serialised by
// SQLite's write lock), or only reads it, possibly while another process
// has it open with Open. Its first ledger write gets ErrInUse while such a
// process runs. A journal left by a process that stopped is replayed first.
func OpenShared(ctx context.Context, path string) (*DB, error) {
	db, err := open(ctx, path)
	if err != nil {
		return nil, err
	}
	if err := db.replayIfFree(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// replayIfFree applies a journal left behind when no process journals the
// database now; while one does, the journal is its business.
func (db *DB) replayIfFree(ctx context.Context) error {
	lock, err := openLock(journalDir(db.path))
	if err != nil {
		return err
	}
	defer lock.close()
	if err := lock.try(true); errors.Is(err, ErrInUse) {
		return nil
	} else if err != nil {
		return err
	}
	return replayJournal(ctx, db, journalDir(db.path))
}

// shareWrites takes, before an OpenShared database's first ledger write, a
// shared lock that keeps a journaling process out while it writes.
func (db *DB) shareWrites() error {
	db.shareMu.Lock()
	defer db.shareMu.Unlock()
	if db.share != nil {
		return nil
	}
	lock, err := openLock(journalDir(db.path))
	if err != nil {
		return err
	}
	if err := lock.try(false); err != nil {
		lock.close()
		return err
	}
	db.share = lock
	return nil
}

func open(ctx context.Context, path string) (*DB, error) {
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

// Close applies what the journal holds, then closes both pools. Close the
// ledgers using the database first.
func (db *DB) Close() error {
	var jerr error
	if db.journal != nil {
		jerr = db.journal.close()
		db.journal = nil
	}
	if db.share != nil {
		db.share.close()
	}
	db.once.Do(func() { close(db.stop) })
	<-db.done
	db.stmts.close()
	db.ckpt.Close()
	err1 := db.read.Close()
	err2 := db.write.Close()
	return errors.Join(jerr, err2, err1)
}

// Path is the database file's path.
func (db *DB) Path() string { return db.path }

// Exec runs a statement on the writer connection, once SQLite holds every
// committed transfer. Tests use it to tamper.
func (db *DB) Exec(ctx context.Context, query string, args ...any) error {
	if err := db.caughtUp(ctx); err != nil {
		return err
	}
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

// checkpointInterval is how often the background checkpointer runs. Each
// checkpoint syncs the WAL and the database file, and those syncs queue on
// the disk with the journal's: at 50 ms the journal's syncs took 1.1–1.2
// ms, at 250 ms 1.0–1.1 ms, and W1 ran 24.5–25.8k against 27.1–30.9k
// transfers/s (docs/BENCHMARKS.md). The WAL it lets grow is bounded by
// walRestartFrames.
const checkpointInterval = 250 * time.Millisecond

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

// caughtUp waits until SQLite holds every transfer committed so far, so
// that a read sees them all.
func (db *DB) caughtUp(ctx context.Context) error {
	if db.journal == nil {
		return nil
	}
	return db.journal.caughtUp(ctx)
}

// appliedHead reads the journal head SQLite holds and the number of the
// last journal record applied to it.
func (db *DB) appliedHead(ctx context.Context) (ledger.Head, uint64, error) {
	var h ledger.Head
	var hash []byte
	var t, rec int64
	err := db.write.QueryRowContext(ctx, `SELECT seq, hash, time, journal_rec FROM ledger_head`).Scan(&h.Seq, &hash, &t, &rec)
	if err != nil {
		return h, 0, fmt.Errorf("read head: %w", err)
	}
	copy(h.Hash[:], hash)
	h.Time = fromNanos(t)
	return h, uint64(rec), nil
}

// loadIDFilter fills an ID filter with every transfer ID used so far.
func (db *DB) loadIDFilter(ctx context.Context, expected int64) (*idFilter, error) {
	f := newIDFilter(int(expected))
	for _, q := range []string{`SELECT id FROM transfers`, `SELECT id FROM rejections`} {
		rows, err := db.read.QueryContext(ctx, q)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			f.add(id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Remove deletes a closed database: its file, WAL, shared memory and
// ledger journal.
func Remove(path string) error {
	var errs []error
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(append(errs, os.RemoveAll(journalDir(path)))...)
}
