package wallet

import (
	"context"
	"encoding/hex"

	"github.com/ewallet/ewallet/auth"
)

// SessionID is the public name of a session: a prefix of its token's hash,
// which says nothing about the token.
func SessionID(s Session) string { return "ses_" + hex.EncodeToString(s.TokenHash[:8]) }

// Sessions lists the user's live sessions, newest first.
func (s *Service) Sessions(ctx context.Context, u User) ([]Session, error) {
	all, err := s.Store.Sessions(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	live := all[:0]
	for _, sess := range all {
		if now.Before(sess.ExpiresAt) {
			live = append(live, sess)
		}
	}
	return live, nil
}

// LogoutEverywhere ends every session of the user but keep (the zero hash:
// all of them). A phone that was lost keeps no way in.
func (s *Service) LogoutEverywhere(ctx context.Context, u User, keep [32]byte, c Client) error {
	all, err := s.Store.Sessions(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, sess := range all {
		if sess.TokenHash == keep {
			continue
		}
		if err := s.Store.DeleteSession(ctx, sess.TokenHash); err != nil {
			return err
		}
		// After the delete, as in Logout, so a racing request cannot put
		// the session back in the cache.
		s.sessions.dropSession(sess.TokenHash)
	}
	s.audit(ctx, u.ID, "logout_everywhere", "", c)
	return nil
}

// ChangePassword checks the current password (a wrong one counts toward
// the login lockout), sets the new one, and ends every other session.
func (s *Service) ChangePassword(ctx context.Context, u User, sess Session, current, next string, c Client) error {
	if err := auth.CheckPasswordStrength(next, u.Phone); err != nil {
		return Errorf(CodeWeakPassword, "password must be at least 10 characters and not a common one")
	}
	if _, err := s.checkPassword(ctx, u.Phone, current, c); err != nil {
		return err
	}
	hash, err := s.Passwords.Hash(ctx, next)
	if err != nil {
		return err
	}
	fresh, err := s.Store.User(ctx, u.ID)
	if err != nil {
		return err
	}
	fresh.PasswordHash = hash
	if err := s.updateUser(ctx, fresh); err != nil {
		return err
	}
	s.audit(ctx, u.ID, "password_changed", "", c)
	return s.LogoutEverywhere(ctx, u, sess.TokenHash, c)
}

// AdminFreeze freezes a user's wallet on the operator's word (a report of
// fraud, a lost phone called in); only the holder unfreezes it, with the
// password and an SMS code.
func (s *Service) AdminFreeze(ctx context.Context, userID string, c Client) (User, error) {
	u, err := s.Store.User(ctx, userID)
	if err != nil {
		return User{}, err
	}
	if u.Status == StatusPending {
		return User{}, Errorf(CodeInvalidRequest, "the user has not verified the phone yet")
	}
	return s.Freeze(ctx, u, c)
}
