package wallet

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ewallet/ewallet/auth"
)

// Attempt limits from the contract.
const (
	maxCodeFailures  = 5
	maxLoginFailures = 5
	maxPINFailures   = 5
	maxResendsAnHour = 5
	lockout          = 15 * time.Minute
)

// Code purposes.
const (
	purposeVerify   = "verify"
	purposeUnfreeze = "unfreeze"
)

// Client describes who is calling, for the audit log.
type Client struct {
	IP        string
	RequestID string
	UserAgent string
}

// maxUserAgent bounds what a session keeps of a User-Agent header.
const maxUserAgent = 200

// Register creates a pending user and sends a verification code.
func (s *Service) Register(ctx context.Context, phone, password, name string, c Client) (User, error) {
	phone, err := auth.NormalizePhone(phone)
	if err != nil {
		return User{}, Errorf(CodeInvalidPhone, "phone must be in E.164 form, like +8613800000001")
	}
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > 100 || strings.ContainsRune(name, 0) {
		return User{}, Errorf(CodeInvalidRequest, "name must be at most 100 characters")
	}
	if err := auth.CheckPasswordStrength(password, phone); err != nil {
		return User{}, Errorf(CodeWeakPassword, "password must be at least 10 characters and not a common one")
	}
	if _, err := s.Store.UserByPhone(ctx, phone); err == nil {
		return User{}, Errorf(CodePhoneTaken, "this phone number is already registered")
	}
	hash, err := s.Passwords.Hash(ctx, password)
	if err != nil {
		return User{}, err
	}
	id := auth.NewID("usr_")
	u := User{ID: id, WalletID: "wal_" + strings.TrimPrefix(id, "usr_"), Phone: phone, Name: name, PasswordHash: hash,
		Status: StatusPending, KYCTier: 1, CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		return User{}, err
	}
	s.audit(ctx, u.ID, "register", "", c)
	if err := s.sendCode(ctx, phone, purposeVerify); err != nil {
		return User{}, err
	}
	return u, nil
}

// sendCode stores a fresh code for (phone, purpose) and texts it.
func (s *Service) sendCode(ctx context.Context, phone, purpose string) error {
	code := auth.NewCode()
	now := s.now()
	otp := OTP{Phone: phone, Purpose: purpose, CodeHash: auth.HashCode(s.CodeSecret, phone, purpose, code), CreatedAt: now, ExpiresAt: now.Add(s.cfg.CodeTTL)}
	if err := s.Store.PutCode(ctx, otp); err != nil {
		return err
	}
	what := "verification"
	if purpose == purposeUnfreeze {
		what = "unfreeze"
	}
	if err := s.SMS.Send(ctx, phone, fmt.Sprintf("Your ewallet %s code is %s. It expires in %d minutes.", what, code, int(s.cfg.CodeTTL.Minutes()))); err != nil {
		s.log.ErrorContext(ctx, "send SMS", "purpose", purpose, "err", err)
		return Errorf(CodeUnavailable, "the SMS could not be sent; try again later")
	}
	return nil
}

// checkCode checks a code for (phone, purpose); the fifth wrong try kills it.
func (s *Service) checkCode(ctx context.Context, phone, purpose, code string) error {
	otp, err := s.Store.Code(ctx, phone, purpose)
	if ErrorCode(err) == CodeNotFound {
		return Errorf(CodeInvalidCode, "the code is wrong or has expired")
	}
	if err != nil {
		return err
	}
	if otp.Failures >= maxCodeFailures {
		return Errorf(CodeTooManyAttempts, "too many wrong codes; ask for a new one")
	}
	if s.now().Before(otp.ExpiresAt) && auth.CheckCode(s.CodeSecret, phone, purpose, code, otp.CodeHash) {
		return s.Store.DeleteCode(ctx, phone, purpose)
	}
	if _, err := s.Store.RecordCodeFailure(ctx, phone, purpose); err != nil && ErrorCode(err) != CodeNotFound {
		return err
	}
	return Errorf(CodeInvalidCode, "the code is wrong or has expired")
}

// Verify activates a pending user with the code sent by SMS.
func (s *Service) Verify(ctx context.Context, phone, code string, c Client) (User, error) {
	u, err := s.Store.UserByPhone(ctx, phone)
	if ErrorCode(err) == CodeNotFound {
		return User{}, Errorf(CodeInvalidCode, "the code is wrong or has expired")
	}
	if err != nil {
		return User{}, err
	}
	if err := s.checkCode(ctx, phone, purposeVerify, code); err != nil {
		return User{}, err
	}
	if u.Status == StatusPending {
		u.Status = StatusActive
		if err := s.updateUser(ctx, u); err != nil {
			return User{}, err
		}
		s.audit(ctx, u.ID, "verify", "", c)
	}
	return u, nil
}

// Resend replaces the verification code of a pending user, at most five
// times an hour per phone. An unknown or verified phone gets no SMS and no
// error, so the call tells nobody which phones are registered.
func (s *Service) Resend(ctx context.Context, phone string) error {
	if _, err := auth.NormalizePhone(phone); err != nil {
		return Errorf(CodeInvalidPhone, "phone must be in E.164 form")
	}
	n, err := s.Store.Hit(ctx, "resend:"+phone, time.Hour, s.now())
	if err != nil {
		return err
	}
	if n.Count > maxResendsAnHour {
		return Errorf(CodeTooManyAttempts, "at most %d codes an hour; try again later", maxResendsAnHour)
	}
	u, err := s.Store.UserByPhone(ctx, phone)
	if ErrorCode(err) == CodeNotFound || (err == nil && u.Status != StatusPending) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.sendCode(ctx, phone, purposeVerify)
}

// Login checks a phone and password and opens a session. Five failures in
// 15 minutes lock the phone's logins for 15 minutes.
func (s *Service) Login(ctx context.Context, phone, password string, c Client) (token string, sess Session, err error) {
	u, err := s.checkPassword(ctx, phone, password, c)
	if err != nil {
		return "", Session{}, err
	}
	token, hash := auth.NewToken("ewt_")
	now := s.now().UTC().Truncate(time.Microsecond)
	sess = Session{TokenHash: hash, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL), IP: c.IP,
		UserAgent: cutUTF8(c.UserAgent, maxUserAgent)}
	if err := s.Store.CreateSession(ctx, sess); err != nil {
		return "", Session{}, err
	}
	s.audit(ctx, u.ID, "login", "", c)
	return token, sess, nil
}

// checkPassword is the login check shared by Login, SetPIN and Unfreeze:
// a wrong password counts toward the phone's lockout.
func (s *Service) checkPassword(ctx context.Context, phone, password string, c Client) (User, error) {
	key := "login:" + phone
	ctr, err := s.Store.Counter(ctx, key)
	if err != nil {
		return User{}, err
	}
	if s.now().Before(ctr.LockedUntil) {
		return User{}, Errorf(CodeTooManyAttempts, "too many failed logins; try again in 15 minutes")
	}
	u, err := s.Store.UserByPhone(ctx, phone)
	hash := ""
	switch {
	case err == nil:
		hash = u.PasswordHash
	case ErrorCode(err) == CodeNotFound:
		hash = auth.DummyHash() // spend the same time as for a real user
	default:
		return User{}, err
	}
	ok, err := s.Passwords.Check(ctx, hash, password)
	if err != nil {
		return User{}, err
	}
	if ok && u.ID != "" {
		if ctr.Count > 0 {
			if err := s.Store.ResetCounter(ctx, key); err != nil {
				return User{}, err
			}
		}
		return u, nil
	}
	n, err := s.Store.Hit(ctx, key, lockout, s.now())
	if err != nil {
		return User{}, err
	}
	if n.Count >= maxLoginFailures {
		// The window outlives the lock by less than the lock itself, so
		// the first failure after the lock starts a fresh count.
		if err := s.Store.Lock(ctx, key, s.now().Add(lockout)); err != nil {
			return User{}, err
		}
	}
	if u.ID != "" {
		s.audit(ctx, u.ID, "login_failed", "", c)
	}
	return User{}, Errorf(CodeInvalidCredentials, "phone or password is wrong")
}

// Authenticate returns the session and user a bearer token belongs to.
func (s *Service) Authenticate(ctx context.Context, token string) (Session, User, error) {
	hash := auth.HashToken(token)
	now := s.now()
	sess, ok := s.sessions.session(hash, now)
	if !ok {
		var err error
		sess, err = s.Store.Session(ctx, hash)
		if ErrorCode(err) == CodeNotFound {
			return Session{}, User{}, Errorf(CodeUnauthenticated, "the token is not valid")
		}
		if err != nil {
			return Session{}, User{}, err
		}
		s.sessions.putSession(sess, now)
	}
	if !now.Before(sess.ExpiresAt) {
		return Session{}, User{}, Errorf(CodeUnauthenticated, "the session has expired; log in again")
	}
	u, err := s.User(ctx, sess.UserID)
	if err != nil {
		return Session{}, User{}, err
	}
	return sess, u, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, sess Session, c Client) error {
	if err := s.Store.DeleteSession(ctx, sess.TokenHash); err != nil {
		return err
	}
	// Dropped after the delete, so a request racing the logout cannot
	// put the session back in the cache.
	s.sessions.dropSession(sess.TokenHash)
	s.audit(ctx, sess.UserID, "logout", "", c)
	return nil
}

// audit records a security event; a failure to record is logged, not
// returned, because the event already happened.
func (s *Service) audit(ctx context.Context, userID, action, detail string, c Client) {
	e := AuditEvent{UserID: userID, Action: action, Detail: detail, IP: c.IP, RequestID: c.RequestID, Time: s.now().UTC()}
	if err := s.Store.Audit(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "audit", "action", action, "err", err)
	}
}

// cutUTF8 is s cut to at most n bytes without splitting a character;
// invalid UTF-8 is dropped, as a header may carry anything.
func cutUTF8(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}
