package walletsql

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/ewallet/ewallet/wallet"
)

const (
	// One upsert: the first hit inserts, later ones update the row under
	// its lock, so concurrent hits never read the same count. The SET
	// expressions all see the row as it was before the update.
	hit = `INSERT INTO counters (key, count, window_start, locked_until) VALUES (?, 1, ?, 0)
ON CONFLICT (key) DO UPDATE SET
    count        = CASE WHEN counters.window_start < ? THEN 1 ELSE counters.count + 1 END,
    window_start = CASE WHEN counters.window_start < ? THEN excluded.window_start ELSE counters.window_start END
RETURNING count, window_start, locked_until`
	selectCounter = `SELECT count, window_start, locked_until FROM counters WHERE key = ?`
	lockCounter   = `INSERT INTO counters (key, count, window_start, locked_until) VALUES (?, 0, 0, ?)
ON CONFLICT (key) DO UPDATE SET locked_until = excluded.locked_until`
	deleteCounter = `DELETE FROM counters WHERE key = ?`
)

func scanCounter(row scanner) (wallet.Counter, error) {
	var c wallet.Counter
	err := row.Scan(&c.Count, at{&c.WindowStart}, at{&c.LockedUntil})
	return c, err
}

// Hit implements wallet.Store.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (wallet.Counter, error) {
	since := nanos(now.Add(-window))
	c, err := scanCounter(s.w.queryRow(ctx, hit, key, nanos(now), since, since))
	return c, fail("hit counter", "counter", err)
}

// Counter implements wallet.Store.
func (s *Store) Counter(ctx context.Context, key string) (wallet.Counter, error) {
	c, err := scanCounter(s.r.queryRow(ctx, selectCounter, key))
	if errors.Is(err, sql.ErrNoRows) {
		return wallet.Counter{}, nil
	}
	return c, fail("read counter", "counter", err)
}

// Lock implements wallet.Store.
func (s *Store) Lock(ctx context.Context, key string, until time.Time) error {
	_, err := s.w.exec(ctx, lockCounter, key, nanos(until))
	return fail("lock counter", "counter", err)
}

// ResetCounter implements wallet.Store.
func (s *Store) ResetCounter(ctx context.Context, key string) error {
	_, err := s.w.exec(ctx, deleteCounter, key)
	return fail("reset counter", "counter", err)
}
