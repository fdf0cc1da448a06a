package walletsql

import (
	"context"

	"github.com/ewallet/ewallet/wallet"
)

// The audit log is append-only: the store has no statement that updates
// or deletes it.
const (
	insertAudit = `INSERT INTO audit_log (user_id, action, detail, ip, request_id, time) VALUES (?, ?, ?, ?, ?, ?)`
	selectAudit = `SELECT id, user_id, action, detail, ip, request_id, time FROM audit_log
WHERE user_id = ? ORDER BY id DESC LIMIT ?`
)

func scanAudit(row scanner) (wallet.AuditEvent, error) {
	var e wallet.AuditEvent
	err := row.Scan(&e.ID, &e.UserID, &e.Action, &e.Detail, &e.IP, &e.RequestID, at{&e.Time})
	return e, err
}

// Audit implements wallet.Store. The event's ID is the database's (e.ID is
// ignored).
func (s *Store) Audit(ctx context.Context, e wallet.AuditEvent) error {
	_, err := s.w.exec(ctx, insertAudit, e.UserID, e.Action, e.Detail, e.IP, e.RequestID, nanos(e.Time))
	return fail("append audit event", "audit event", err)
}

// AuditEvents implements wallet.Store.
func (s *Store) AuditEvents(ctx context.Context, userID string, limit int) ([]wallet.AuditEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	es, err := queryAll(ctx, s.r, scanAudit, selectAudit, userID, limit)
	return es, fail("list audit events", "audit event", err)
}
