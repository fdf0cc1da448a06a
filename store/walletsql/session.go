package walletsql

import (
	"context"

	"github.com/ewallet/ewallet/wallet"
)

const (
	insertSession = `INSERT INTO sessions (token_hash, user_id, created_at, expires_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?)`
	selectSession = `SELECT user_id, created_at, expires_at, ip, user_agent FROM sessions WHERE token_hash = ?`
	deleteSession = `DELETE FROM sessions WHERE token_hash = ?`
	userSessions  = `SELECT token_hash, created_at, expires_at, ip, user_agent FROM sessions WHERE user_id = ? ORDER BY created_at DESC`
)

// CreateSession implements wallet.Store.
func (s *Store) CreateSession(ctx context.Context, sess wallet.Session) error {
	_, err := s.w.exec(ctx, insertSession, sess.TokenHash[:], sess.UserID, nanos(sess.CreatedAt), nanos(sess.ExpiresAt), sess.IP, sess.UserAgent)
	return fail("create session", "session", err)
}

// Session implements wallet.Store. It returns expired sessions too: the
// caller compares ExpiresAt with its own clock.
func (s *Store) Session(ctx context.Context, tokenHash [32]byte) (wallet.Session, error) {
	sess := wallet.Session{TokenHash: tokenHash}
	err := s.r.queryRow(ctx, selectSession, tokenHash[:]).Scan(&sess.UserID, at{&sess.CreatedAt}, at{&sess.ExpiresAt}, &sess.IP, &sess.UserAgent)
	return sess, fail("read session", "session", err)
}

// DeleteSession implements wallet.Store.
func (s *Store) DeleteSession(ctx context.Context, tokenHash [32]byte) error {
	_, err := s.w.exec(ctx, deleteSession, tokenHash[:])
	return fail("delete session", "session", err)
}

// Sessions implements wallet.Store.
func (s *Store) Sessions(ctx context.Context, userID string) ([]wallet.Session, error) {
	ss, err := queryAll(ctx, s.w, func(row scanner) (wallet.Session, error) {
		sess := wallet.Session{UserID: userID}
		return sess, row.Scan(hash32{&sess.TokenHash}, at{&sess.CreatedAt}, at{&sess.ExpiresAt}, &sess.IP, &sess.UserAgent)
	}, userSessions, userID)
	return ss, fail("list sessions", "session", err)
}
