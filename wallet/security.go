package wallet

import (
	"context"
	"errors"

	"github.com/ewallet/ewallet/auth"
)

// SetPIN sets or changes the payment PIN after checking the password.
func (s *Service) SetPIN(ctx context.Context, u User, password, pin string, c Client) error {
	if err := auth.ValidatePIN(pin); err != nil {
		if errors.Is(err, auth.ErrWeakPIN) {
			return Errorf(CodeWeakPIN, "this PIN is too easy to guess")
		}
		return Errorf(CodeInvalidRequest, "pin must be exactly 6 digits")
	}
	if _, err := s.checkPassword(ctx, u.Phone, password, c); err != nil {
		return err
	}
	u, err := s.Store.User(ctx, u.ID)
	if err != nil {
		return err
	}
	u.PINHash = s.PINs.Hash(u.ID, pin)
	if err := s.updateUser(ctx, u); err != nil {
		return err
	}
	if err := s.Store.ResetPINFailures(ctx, u.ID); err != nil {
		return err
	}
	s.audit(ctx, u.ID, "pin_set", "", c)
	return nil
}

// checkPIN checks a payment PIN: the fifth wrong PIN in a row still
// answers invalid_pin and locks the PIN for 15 minutes.
func (s *Service) checkPIN(ctx context.Context, u User, pin string, c Client) error {
	if u.PINHash == nil {
		return Errorf(CodePINNotSet, "set a payment PIN first")
	}
	if s.now().Before(u.PIN.LockedUntil) {
		return Errorf(CodePINLocked, "the PIN is locked after too many wrong tries; try again later")
	}
	if s.PINs.Check(u.ID, pin, u.PINHash) {
		if u.PIN.Failures > 0 {
			defer s.sessions.dropUser(u.ID)
			return s.Store.ResetPINFailures(ctx, u.ID)
		}
		return nil
	}
	defer s.sessions.dropUser(u.ID)
	st, err := s.Store.RecordPINFailure(ctx, u.ID, maxPINFailures, s.now().Add(lockout))
	if err != nil {
		return err
	}
	if st.Failures == 0 && !st.LockedUntil.IsZero() {
		s.audit(ctx, u.ID, "pin_locked", "", c)
	} else {
		s.audit(ctx, u.ID, "pin_failed", "", c)
	}
	return Errorf(CodeInvalidPIN, "the PIN is wrong")
}

// Freeze stops all money leaving the wallet until it is unfrozen.
func (s *Service) Freeze(ctx context.Context, u User, c Client) (User, error) {
	u, err := s.Store.User(ctx, u.ID)
	if err != nil {
		return User{}, err
	}
	if u.Status != StatusFrozen {
		u.Status = StatusFrozen
		if err := s.updateUser(ctx, u); err != nil {
			return User{}, err
		}
		s.audit(ctx, u.ID, "freeze", "", c)
	}
	return u, nil
}

// SendUnfreezeCode texts a code that Unfreeze asks for.
func (s *Service) SendUnfreezeCode(ctx context.Context, u User) error {
	n, err := s.Store.Hit(ctx, "unfreeze-code:"+u.Phone, 3600e9, s.now())
	if err != nil {
		return err
	}
	if n.Count > maxResendsAnHour {
		return Errorf(CodeTooManyAttempts, "at most %d codes an hour; try again later", maxResendsAnHour)
	}
	return s.sendCode(ctx, u.Phone, purposeUnfreeze)
}

// Unfreeze reopens a frozen wallet with the password and an SMS code.
func (s *Service) Unfreeze(ctx context.Context, u User, password, code string, c Client) (User, error) {
	if _, err := s.checkPassword(ctx, u.Phone, password, c); err != nil {
		return User{}, err
	}
	if err := s.checkCode(ctx, u.Phone, purposeUnfreeze, code); err != nil {
		return User{}, err
	}
	u, err := s.Store.User(ctx, u.ID)
	if err != nil {
		return User{}, err
	}
	if u.Status == StatusFrozen {
		u.Status = StatusActive
		if err := s.updateUser(ctx, u); err != nil {
			return User{}, err
		}
		s.audit(ctx, u.ID, "unfreeze", "", c)
	}
	return u, nil
}

// SetKYC sets a user's tier and limit overrides (operator only). The given
// overrides replace the old ones; a limit left out is the tier's default.
func (s *Service) SetKYC(ctx context.Context, userID string, tier int, limits map[string]int64) (User, error) {
	if _, ok := s.cfg.Tiers[tier]; !ok {
		return User{}, Errorf(CodeInvalidRequest, "tier must be 1, 2 or 3")
	}
	u, err := s.Store.User(ctx, userID)
	if err != nil {
		return User{}, err
	}
	u.KYCTier = tier
	u.Limits = limits
	if err := s.updateUser(ctx, u); err != nil {
		return User{}, err
	}
	s.audit(ctx, u.ID, "kyc", "", Client{})
	return u, nil
}
