package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"time"
)

// maxParams keeps every statement under SQLite's limit of 32766 parameters.
const maxParams = 32000

// maxRows caps the rows of one multi-row statement: past a few hundred rows a
// longer statement saves nothing and costs more to parse.
const maxRows = 500

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

var tupleCache sync.Map // "rows/cols" → "(?,?),(?,?)"

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

// chunkRows is how many rows of cols columns go into one statement.
func chunkRows(cols int) int {
	return min(maxRows, maxParams/cols)
}

// execRows runs "head VALUES (...),(...) tail" over n rows in chunks; row
// appends the i-th row's values to args.
func execRows(ctx context.Context, x execer, head, tail string, cols, n int, row func(i int, args []any) []any) error {
	per := chunkRows(cols)
	args := make([]any, 0, min(n, per)*cols)
	for start := 0; start < n; start += per {
		end := min(n, start+per)
		args = args[:0]
		for i := start; i < end; i++ {
			args = row(i, args)
		}
		if _, err := x.ExecContext(ctx, head+" VALUES "+tuples(end-start, cols)+" "+tail, args...); err != nil {
			return err
		}
	}
	return nil
}

// queryIn runs "head IN (?,?...) tail" over keys in chunks and calls scan on
// every row.
func queryIn[K any](ctx context.Context, q querier, head, tail string, keys []K, scan func(*sql.Rows) error) error {
	per := maxRows
	args := make([]any, 0, min(len(keys), per))
	for start := 0; start < len(keys); start += per {
		end := min(len(keys), start+per)
		args = args[:0]
		for _, k := range keys[start:end] {
			args = append(args, k)
		}
		marks := strings.TrimSuffix(strings.Repeat("?,", end-start), ",")
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
