package walletsql

import (
	"context"
	"time"

	"github.com/ewallet/ewallet/wallet"
)

const (
	// The no-op DO UPDATE makes RETURNING yield the row that was already
	// there, so "insert unless present, then read" is one statement and
	// cannot lose a race with DeleteAnswersBefore. status = answers.status
	// touches no key column, so PostgreSQL can keep the update HOT.
	putAnswer = `INSERT INTO answers (principal, key, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (principal, key) DO UPDATE SET status = answers.status
RETURNING fingerprint, status, body, created_at`
	selectAnswer = `SELECT fingerprint, status, body, created_at FROM answers WHERE principal = ? AND key = ?`
	// Deleting a day of answers in one statement would hold SQLite's writer
	// (the ledger's too) for as long as it takes; batches let commits in
	// between.
	deleteAnswers = `DELETE FROM answers WHERE (principal, key) IN
    (SELECT principal, key FROM answers WHERE created_at < ? ORDER BY created_at LIMIT ?)`
)

// deleteBatch is how many answers one DELETE of DeleteAnswersBefore removes.
var deleteBatch = 1000

// PutAnswer implements wallet.Store.
func (s *Store) PutAnswer(ctx context.Context, a wallet.Answer) (wallet.Answer, error) {
	got := wallet.Answer{Principal: a.Principal, Key: a.Key}
	err := s.w.queryRow(ctx, putAnswer, a.Principal, a.Key, a.Fingerprint[:], a.Status, blob(a.Body), nanos(a.CreatedAt)).
		Scan(hash32{&got.Fingerprint}, &got.Status, &got.Body, at{&got.CreatedAt})
	return got, fail("put answer", "answer", err)
}

// Answer implements wallet.Store.
func (s *Store) Answer(ctx context.Context, principal, key string) (wallet.Answer, error) {
	a := wallet.Answer{Principal: principal, Key: key}
	err := s.r.queryRow(ctx, selectAnswer, principal, key).Scan(hash32{&a.Fingerprint}, &a.Status, &a.Body, at{&a.CreatedAt})
	return a, fail("read answer", "answer", err)
}

// DeleteAnswersBefore implements wallet.Store.
func (s *Store) DeleteAnswersBefore(ctx context.Context, t time.Time) (int, error) {
	return s.deleteInBatches(ctx, "answers", deleteAnswers, nanos(t))
}

// deleteInBatches runs a DELETE whose last parameter is a batch size until
// it removes less than a batch.
func (s *Store) deleteInBatches(ctx context.Context, what, query string, args ...any) (int, error) {
	total := 0
	args = append(args, deleteBatch)
	for {
		n, err := s.w.execN(ctx, query, args...)
		total += int(n)
		if err != nil {
			return total, fail("delete "+what, what, err)
		}
		if n < int64(deleteBatch) {
			return total, nil
		}
	}
}
