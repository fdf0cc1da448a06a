package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"time"
)

// Statement shapes. Every statement the writer runs has one of a few fixed
// shapes, so each is parsed once and then reused from the connection's
// statement cache: multi-row writes go in chunks whose sizes are powers of
// two (at most one statement per bit of the row count), and IN lists are
// padded to a power of two by repeating their last key.
const maxChunk = 256

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// stmtCache keeps the writer connection's prepared statements. The writer
// pool has a single connection, which a transaction holds while it runs, so a
// statement cannot be prepared on the pool from inside one: a statement not
// yet cached is prepared inside the transaction for that use, and noted; the
// noted ones are prepared on the pool once the transaction has let go of
// the connection (flush).
type stmtCache struct {
	db      *sql.DB
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	pending map[string]struct{}
}

func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.m[query]; ok {
		return s
	}
	if c.pending == nil {
		c.pending = map[string]struct{}{}
	}
	c.pending[query] = struct{}{}
	return nil
}

// flush prepares the statements noted since the last flush. Call it only
// while no transaction of the caller's holds the writer connection.
//
// It prepares without holding mu: preparing waits for the writer connection,
// and a transaction of another goroutine (the ledger's writer, CreateAccounts,
// a second ledger on the same DB) may hold that connection while it waits in
// lookup for mu.
func (c *stmtCache) flush(ctx context.Context) {
	c.mu.Lock()
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	for q := range pending {
		s, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue // noted again at its next use
		}
		c.mu.Lock()
		if _, ok := c.m[q]; ok {
			s.Close() // another flush prepared it meanwhile
		} else {
			if c.m == nil {
				c.m = map[string]*sql.Stmt{}
			}
			c.m[q] = s
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		s.Close()
	}
	c.m = nil
}

// txStmts runs cached statements inside one transaction.
type txStmts struct {
	ctx   context.Context
	tx    *sql.Tx
	cache *stmtCache
}

func (t txStmts) stmt(query string) (*sql.Stmt, error) {
	if s := t.cache.lookup(query); s != nil {
		return t.tx.StmtContext(t.ctx, s), nil
	}
	return t.tx.PrepareContext(t.ctx, query)
}

func (t txStmts) exec(query string, args ...any) error {
	s, err := t.stmt(query)
	if err != nil {
		return err
	}
	_, err = s.ExecContext(t.ctx, args...)
	return err
}

func (t txStmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

var tupleCache sync.Map // [rows, cols] → "(?,?),(?,?)"

// tuples returns n groups of cols placeholders: "(?,?),(?,?)".
func tuples(n, cols int) string {
	key := [2]int{n, cols}
	if s, ok := tupleCache.Load(key); ok {
		return s.(string)
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	s := strings.TrimSuffix(strings.Repeat(one+",", n), ",")
	tupleCache.Store(key, s)
	return s
}

// chunks splits n rows into statement sizes: as many maxChunk as fit, then
// the binary digits of the rest (n = 300: 256, 32, 8, 4).
func chunks(n int) []int {
	var out []int
	for ; n >= maxChunk; n -= maxChunk {
		out = append(out, maxChunk)
	}
	for bit := maxChunk / 2; bit > 0; bit >>= 1 {
		if n&bit != 0 {
			out = append(out, bit)
		}
	}
	return out
}

// execRows runs "head VALUES (...),(...) tail" over n rows; row appends the
// i-th row's values to args.
func execRows(t txStmts, head, tail string, cols, n int, row func(i int, args []any) []any) error {
	args := make([]any, 0, min(n, maxChunk)*cols)
	i := 0
	for _, size := range chunks(n) {
		args = args[:0]
		for end := i + size; i < end; i++ {
			args = row(i, args)
		}
		if err := t.exec(head+" VALUES "+tuples(size, cols)+" "+tail, args...); err != nil {
			return err
		}
	}
	return nil
}

// queryIn runs "head IN (?,?...) tail" over keys and calls scan on every
// row. The key list is padded to a power of two with its last key, which
// changes nothing in an IN list and keeps the statement shapes few.
func queryIn[K any](ctx context.Context, q querier, head, tail string, keys []K, scan func(*sql.Rows) error) error {
	args := make([]any, 0, min(len(keys), maxChunk))
	for start := 0; start < len(keys); start += maxChunk {
		part := keys[start:min(len(keys), start+maxChunk)]
		size := 1
		for size < len(part) {
			size <<= 1
		}
		args = args[:0]
		for i := 0; i < size; i++ {
			args = append(args, part[min(i, len(part)-1)])
		}
		marks := strings.TrimSuffix(strings.Repeat("?,", size), ",")
		rows, err := q.QueryContext(ctx, head+" IN ("+marks+") "+tail, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
