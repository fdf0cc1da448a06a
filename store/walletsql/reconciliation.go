package walletsql

import (
	"context"
	"time"
)

const (
	// A day reconciled again replaces its report: the newer one knows more
	// (late callbacks resolved since).
	putReconciliation = `INSERT INTO reconciliations (day, unexplained, report, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT (day) DO UPDATE SET unexplained = excluded.unexplained, report = excluded.report, created_at = excluded.created_at`
	selectReconciliation = `SELECT report FROM reconciliations WHERE day = ?`
)

// PutReconciliation stores the report (JSON) of a day's reconciliation
// (day as YYYY-MM-DD), replacing an earlier one of that day.
func (s *Store) PutReconciliation(ctx context.Context, day string, unexplained int, report []byte, at time.Time) error {
	_, err := s.w.exec(ctx, putReconciliation, day, unexplained, blob(report), nanos(at))
	return fail("store reconciliation", "reconciliation", err)
}

// Reconciliation returns a day's stored report, or CodeNotFound.
func (s *Store) Reconciliation(ctx context.Context, day string) ([]byte, error) {
	var b []byte
	err := s.r.queryRow(ctx, selectReconciliation, day).Scan(&b)
	return b, fail("read reconciliation", "reconciliation", err)
}
