package walletsql

import (
	"context"
	"time"
)

const (
	deleteSessions = `DELETE FROM sessions WHERE token_hash IN
    (SELECT token_hash FROM sessions WHERE expires_at < ? LIMIT ?)`
	deleteCodes = `DELETE FROM otps WHERE (phone, purpose) IN
    (SELECT phone, purpose FROM otps WHERE expires_at < ? LIMIT ?)`
	deleteCounters = `DELETE FROM counters WHERE key IN
    (SELECT key FROM counters WHERE window_start < ? AND locked_until < ? LIMIT ?)`
)

// DeleteExpired implements wallet.Store.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, window time.Duration) (int, error) {
	total := 0
	for _, d := range []struct {
		what, query string
		args        []any
	}{
		{"sessions", deleteSessions, []any{nanos(now)}},
		{"codes", deleteCodes, []any{nanos(now)}},
		{"counters", deleteCounters, []any{nanos(now.Add(-window)), nanos(now)}},
	} {
		n, err := s.deleteInBatches(ctx, d.what, d.query, d.args...)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
