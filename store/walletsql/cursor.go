package walletsql

import (
	"context"
	"database/sql"
	"errors"
)

const (
	selectCursor = `SELECT seq FROM cursors WHERE name = ?`
	// Forward only: two processes following the journal may write in
	// either order, and the slower must not move the cursor back.
	advanceCursor = `INSERT INTO cursors (name, seq) VALUES (?, ?)
ON CONFLICT (name) DO UPDATE SET seq = excluded.seq WHERE cursors.seq < excluded.seq`
)

// Cursor implements merchant.Store.
func (s *Store) Cursor(ctx context.Context, name string) (int64, error) {
	var seq int64
	err := s.r.queryRow(ctx, selectCursor, name).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return seq, fail("read cursor", "cursor", err)
}

// AdvanceCursor implements merchant.Store.
func (s *Store) AdvanceCursor(ctx context.Context, name string, seq int64) error {
	_, err := s.w.exec(ctx, advanceCursor, name, seq)
	return fail("advance cursor", "cursor", err)
}
