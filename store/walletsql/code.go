package walletsql

import (
	"context"

	"github.com/ewallet/ewallet/wallet"
)

const (
	// A new code replaces the old one whole, failures included.
	putCode = `INSERT INTO otps (phone, purpose, code_hash, failures, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (phone, purpose) DO UPDATE SET
    code_hash = excluded.code_hash, failures = excluded.failures,
    created_at = excluded.created_at, expires_at = excluded.expires_at`
	selectCode        = `SELECT code_hash, failures, created_at, expires_at FROM otps WHERE phone = ? AND purpose = ?`
	recordCodeFailure = `UPDATE otps SET failures = failures + 1 WHERE phone = ? AND purpose = ? RETURNING failures`
	deleteCode        = `DELETE FROM otps WHERE phone = ? AND purpose = ?`
)

// PutCode implements wallet.Store.
func (s *Store) PutCode(ctx context.Context, c wallet.OTP) error {
	_, err := s.w.exec(ctx, putCode, c.Phone, c.Purpose, blob(c.CodeHash), c.Failures, nanos(c.CreatedAt), nanos(c.ExpiresAt))
	return fail("put code", "code", err)
}

// Code implements wallet.Store.
func (s *Store) Code(ctx context.Context, phone, purpose string) (wallet.OTP, error) {
	c := wallet.OTP{Phone: phone, Purpose: purpose}
	err := s.r.queryRow(ctx, selectCode, phone, purpose).Scan(&c.CodeHash, &c.Failures, at{&c.CreatedAt}, at{&c.ExpiresAt})
	return c, fail("read code", "code", err)
}

// RecordCodeFailure implements wallet.Store.
func (s *Store) RecordCodeFailure(ctx context.Context, phone, purpose string) (int, error) {
	var n int
	err := s.w.queryRow(ctx, recordCodeFailure, phone, purpose).Scan(&n)
	return n, fail("record code failure", "code", err)
}

// DeleteCode implements wallet.Store.
func (s *Store) DeleteCode(ctx context.Context, phone, purpose string) error {
	_, err := s.w.exec(ctx, deleteCode, phone, purpose)
	return fail("delete code", "code", err)
}
