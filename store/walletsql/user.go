package walletsql

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/ewallet/ewallet/wallet"
)

const userCols = `id, wallet_id, phone, name, password_hash, status, kyc_tier, limits, pin_hash, pin_failures, pin_locked_until, created_at`

const (
	insertUser         = `INSERT INTO users (` + userCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	selectUserByID     = `SELECT ` + userCols + ` FROM users WHERE id = ?`
	selectUserByPhone  = `SELECT ` + userCols + ` FROM users WHERE phone = ?`
	selectUserByWallet = `SELECT ` + userCols + ` FROM users WHERE wallet_id = ?`
	updateUser         = `UPDATE users SET name = ?, password_hash = ?, status = ?, kyc_tier = ?, limits = ?, pin_hash = ? WHERE id = ?`
	// One statement, so concurrent failures each count: the row is locked
	// (PostgreSQL) or the database is (SQLite) from read to write.
	recordPINFailure = `UPDATE users SET
    pin_failures     = CASE WHEN pin_failures + 1 >= ? THEN 0 ELSE pin_failures + 1 END,
    pin_locked_until = CASE WHEN pin_failures + 1 >= ? THEN ? ELSE pin_locked_until END
WHERE id = ?
RETURNING pin_failures, pin_locked_until`
	resetPINFailures = `UPDATE users SET pin_failures = 0 WHERE id = ?`
	selectUserCursor = `SELECT created_at FROM users WHERE id = ?`
	// Newest first by (created_at, id), the index users_newest; the cursor
	// is the row value of the last user on the previous page.
	searchUsers = `SELECT ` + userCols + ` FROM users
WHERE phone LIKE ? ESCAPE '\' AND (created_at, id) < (?, ?)
ORDER BY created_at DESC, id DESC LIMIT ?`
)

func scanUser(row scanner) (wallet.User, error) {
	var u wallet.User
	err := row.Scan(&u.ID, &u.WalletID, &u.Phone, &u.Name, &u.PasswordHash, &u.Status, &u.KYCTier,
		limits{&u.Limits}, optBytes{&u.PINHash}, &u.PIN.Failures, at{&u.PIN.LockedUntil}, at{&u.CreatedAt})
	return u, err
}

// CreateUser implements wallet.Store.
func (s *Store) CreateUser(ctx context.Context, u wallet.User) error {
	lim, err := json.Marshal(u.Limits)
	if err != nil {
		return fmt.Errorf("create user: limits: %w", err)
	}
	_, err = s.w.exec(ctx, insertUser, u.ID, u.WalletID, u.Phone, u.Name, u.PasswordHash, u.Status, u.KYCTier,
		string(lim), u.PINHash, u.PIN.Failures, nanos(u.PIN.LockedUntil), nanos(u.CreatedAt))
	if s.d.unique(err, "users", "phone") {
		return wallet.Errorf(wallet.CodePhoneTaken, "this phone number is already registered")
	}
	return fail("create user", "user", err)
}

// User implements wallet.Store.
func (s *Store) User(ctx context.Context, id string) (wallet.User, error) {
	u, err := scanUser(s.r.queryRow(ctx, selectUserByID, id))
	return u, fail("read user", "user", err)
}

// UserByPhone implements wallet.Store.
func (s *Store) UserByPhone(ctx context.Context, phone string) (wallet.User, error) {
	u, err := scanUser(s.r.queryRow(ctx, selectUserByPhone, phone))
	return u, fail("read user by phone", "user", err)
}

// UserByWallet implements wallet.Store.
func (s *Store) UserByWallet(ctx context.Context, walletID string) (wallet.User, error) {
	u, err := scanUser(s.r.queryRow(ctx, selectUserByWallet, walletID))
	return u, fail("read user by wallet", "user", err)
}

// UpdateUser implements wallet.Store.
func (s *Store) UpdateUser(ctx context.Context, u wallet.User) error {
	lim, err := json.Marshal(u.Limits)
	if err != nil {
		return fmt.Errorf("update user: limits: %w", err)
	}
	n, err := s.w.execN(ctx, updateUser, u.Name, u.PasswordHash, u.Status, u.KYCTier, string(lim), u.PINHash, u.ID)
	if err == nil && n == 0 {
		return notFound("user")
	}
	return fail("update user", "user", err)
}

// RecordPINFailure implements wallet.Store.
func (s *Store) RecordPINFailure(ctx context.Context, userID string, maxFailures int, lockUntil time.Time) (wallet.PINState, error) {
	var p wallet.PINState
	err := s.w.queryRow(ctx, recordPINFailure, maxFailures, maxFailures, nanos(lockUntil), userID).
		Scan(&p.Failures, at{&p.LockedUntil})
	return p, fail("record pin failure", "user", err)
}

// ResetPINFailures implements wallet.Store.
func (s *Store) ResetPINFailures(ctx context.Context, userID string) error {
	n, err := s.w.execN(ctx, resetPINFailures, userID)
	if err == nil && n == 0 {
		return notFound("user")
	}
	return fail("reset pin failures", "user", err)
}

// SearchUsers implements wallet.Store. An unknown startingAfter is
// CodeNotFound: an empty page would read as "no more users".
func (s *Store) SearchUsers(ctx context.Context, phonePrefix, startingAfter string, limit int) ([]wallet.User, error) {
	if limit <= 0 {
		return nil, nil
	}
	// With no cursor, (created_at, id) < (MaxInt64, "") holds for every user.
	var before int64 = math.MaxInt64
	if startingAfter != "" {
		if err := s.r.queryRow(ctx, selectUserCursor, startingAfter).Scan(&before); err != nil {
			return nil, fail("search users", "starting_after user", err)
		}
	}
	us, err := queryAll(ctx, s.r, scanUser, searchUsers, likePrefix(phonePrefix), before, startingAfter, limit)
	return us, fail("search users", "user", err)
}
