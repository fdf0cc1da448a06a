// Package walletsql is the wallet's store (wallet.Store) over database/sql,
// one implementation for SQLite and PostgreSQL (or CockroachDB): the SQL is
// written once with ? placeholders in the subset all three speak (ON
// CONFLICT, RETURNING, row values), and a Dialect covers what differs.
//
// Every write is one statement, so none needs a transaction: counters go
// up in one UPDATE or upsert; PutAnswer's upsert returns the row that won;
// CreateBankOp's insert, when it meets the key, is followed by a read of a
// row that is never deleted. Only DeleteAnswersBefore runs several
// statements, deliberately, each deleting one batch. On SQLite this matters
// beyond atomicity: the writer connection is the ledger's, and a wallet
// write holds it for one short statement at most.
//
// Times are kept as BIGINT Unix nanoseconds (UTC; 0 is the zero time.Time),
// so they come back exactly as stored on every backend.
package walletsql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ewallet/ewallet/wallet"
)

// Store is wallet.Store on a database whose schema has the wallet tables
// (migration 0002 of store/sqlite and store/postgres).
type Store struct {
	d   Dialect
	r   *stmtCache // reads
	w   *stmtCache // writes
	now func() time.Time
}

var _ wallet.Store = (*Store)(nil)

// New returns a store that writes through write and reads through read
// (which may be the same handle). For SQLite, write is the ledger's single
// writer connection and read its read-only pool.
func New(read, write *sql.DB, d Dialect) *Store {
	return &Store{
		d:   d,
		r:   &stmtCache{db: read, bind: d.bind},
		w:   &stmtCache{db: write, bind: d.bind},
		now: time.Now,
	}
}

// Close closes the store's prepared statements; the *sql.DB handles stay
// open (their owner closes them).
func (s *Store) Close() error {
	return errors.Join(s.r.close(), s.w.close())
}

// stmtCache prepares each statement once per handle, on first use, with its
// placeholders rewritten for the dialect then and only then. database/sql
// re-prepares a statement on each pooled connection it runs on, so a cached
// *sql.Stmt serves the whole pool.
//
// It must not be used inside a transaction on the SQLite writer: preparing
// needs a connection, and the writer's only one would be held by that
// transaction. The store runs no transactions (see the package comment).
type stmtCache struct {
	db   *sql.DB
	bind func(string) string
	m    sync.Map // query as written (with ?) → *sql.Stmt
}

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.m.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := c.db.PrepareContext(ctx, c.bind(query))
	if err != nil {
		return nil, err
	}
	if old, loaded := c.m.LoadOrStore(query, st); loaded {
		st.Close() // another caller prepared it first
		return old.(*sql.Stmt), nil
	}
	return st, nil
}

func (c *stmtCache) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// execN runs query and returns the number of rows it changed.
func (c *stmtCache) execN(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := c.exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c *stmtCache) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtCache) queryRow(ctx context.Context, query string, args ...any) scanner {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

func (c *stmtCache) close() error {
	var errs []error
	c.m.Range(func(k, st any) bool {
		errs = append(errs, st.(*sql.Stmt).Close())
		c.m.Delete(k)
		return true
	})
	return errors.Join(errs...)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// errRow is a row whose statement could not be prepared.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// queryAll runs query on c and collects one value per row with scan.
func queryAll[T any](ctx context.Context, c *stmtCache, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// fail returns err as the store reports it: sql.ErrNoRows as CodeNotFound
// for what, a *wallet.Error as it is, anything else wrapped with op.
func fail(op, what string, err error) error {
	var we *wallet.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return notFound(what)
	case errors.As(err, &we):
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

func notFound(what string) error {
	return wallet.Errorf(wallet.CodeNotFound, "%s not found", what)
}
