package wallet

import (
	"context"
	"time"
)

// Store keeps the wallet's own state: users, sessions, codes, cards,
// attempt counters, bank operations and stored idempotent answers. It never
// holds money: balances live in the ledger. Implementations are in
// store/walletsql (SQLite and PostgreSQL) and pass storetest.RunWallet.
//
// Errors: methods return *Error with CodeNotFound for a missing row and
// CodePhoneTaken for a duplicate phone; anything else is an internal error.
type Store interface {
	// CreateUser inserts a user. A phone already registered → CodePhoneTaken.
	CreateUser(ctx context.Context, u User) error
	// User returns a user by ID, or CodeNotFound.
	User(ctx context.Context, id string) (User, error)
	// UserByPhone returns a user by phone, or CodeNotFound.
	UserByPhone(ctx context.Context, phone string) (User, error)
	// UserByWallet returns a user by wallet ID, or CodeNotFound.
	UserByWallet(ctx context.Context, walletID string) (User, error)
	// UpdateUser stores a user's mutable fields (Name, PasswordHash, Status,
	// KYCTier, Limits, PINHash) as given; CodeNotFound if absent. PIN
	// attempt state is changed only by RecordPINFailure and ResetPINFailures.
	UpdateUser(ctx context.Context, u User) error
	// RecordPINFailure atomically adds one failed PIN try. When the count
	// reaches maxFailures it sets PINLockedUntil = lockUntil and resets the
	// count to 0. It returns the user's attempt state after the change.
	RecordPINFailure(ctx context.Context, userID string, maxFailures int, lockUntil time.Time) (PINState, error)
	// ResetPINFailures sets the failure count to 0 (after a right PIN).
	ResetPINFailures(ctx context.Context, userID string) error
	// SearchUsers lists users whose phone starts with phonePrefix (all when
	// empty), newest first, at most limit, created before the user
	// startingAfter (when not empty).
	SearchUsers(ctx context.Context, phonePrefix, startingAfter string, limit int) ([]User, error)

	// CreateSession stores a session (the token only as its hash).
	CreateSession(ctx context.Context, s Session) error
	// Session returns a session by token hash, or CodeNotFound.
	Session(ctx context.Context, tokenHash [32]byte) (Session, error)
	// DeleteSession removes a session; absent is not an error.
	DeleteSession(ctx context.Context, tokenHash [32]byte) error
	// Sessions lists a user's sessions, expired ones too, newest first.
	Sessions(ctx context.Context, userID string) ([]Session, error)

	// PutCode stores (replacing) the one-time code for (phone, purpose).
	PutCode(ctx context.Context, c OTP) error
	// Code returns the code for (phone, purpose), or CodeNotFound.
	Code(ctx context.Context, phone, purpose string) (OTP, error)
	// RecordCodeFailure atomically adds one wrong try to (phone, purpose)
	// and returns the new count; CodeNotFound if there is no code.
	RecordCodeFailure(ctx context.Context, phone, purpose string) (int, error)
	// DeleteCode removes the code for (phone, purpose); absent is fine.
	DeleteCode(ctx context.Context, phone, purpose string) error

	// Hit atomically counts one event under key in a fixed window: if the
	// stored window started before now-window, the count restarts at 1 with
	// the window starting now. It returns the count and the window's start.
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (Counter, error)
	// Counter returns the counter under key (zero Counter if absent).
	Counter(ctx context.Context, key string) (Counter, error)
	// Lock sets a counter's LockedUntil (creating it if needed).
	Lock(ctx context.Context, key string, until time.Time) error
	// ResetCounter deletes a counter.
	ResetCounter(ctx context.Context, key string) error

	// CreateCard stores a card.
	CreateCard(ctx context.Context, c Card) error
	// Cards lists a user's cards that are not deleted, newest first.
	Cards(ctx context.Context, userID string) ([]Card, error)
	// Card returns one of a user's cards (not deleted), or CodeNotFound.
	Card(ctx context.Context, userID, cardID string) (Card, error)
	// DeleteCard marks a user's card deleted; CodeNotFound if absent.
	DeleteCard(ctx context.Context, userID, cardID string) error

	// CreateBankOp inserts a top-up or withdrawal. If (UserID, IdemKey) is
	// already taken it inserts nothing and returns the existing operation
	// and created=false.
	CreateBankOp(ctx context.Context, op BankOp) (existing BankOp, created bool, err error)
	// BankOp returns an operation by ID, or CodeNotFound.
	BankOp(ctx context.Context, id string) (BankOp, error)
	// SetBankOpStatus moves an operation from status `from` to `to` (with a
	// failure code); it reports false when the operation was not in `from`.
	SetBankOpStatus(ctx context.Context, id string, from, to OpStatus, failureCode string, now time.Time) (bool, error)
	// OpenBankOps lists operations in status created or pending, oldest
	// first, at most limit (for the recovery worker).
	OpenBankOps(ctx context.Context, limit int) ([]BankOp, error)

	// PutAnswer stores an idempotent answer if (Principal, Key) has none and
	// returns what is stored afterwards (the given one or the older one).
	PutAnswer(ctx context.Context, a Answer) (Answer, error)
	// Answer returns the stored answer for (principal, key), or CodeNotFound.
	Answer(ctx context.Context, principal, key string) (Answer, error)
	// DeleteAnswersBefore removes answers created before t (24 h retention).
	DeleteAnswersBefore(ctx context.Context, t time.Time) (int, error)
	// DeleteExpired removes sessions and codes expired at now, and counters
	// whose window started before now-window and that are not locked at
	// now. It returns how many rows it removed.
	DeleteExpired(ctx context.Context, now time.Time, window time.Duration) (int, error)

	// Audit appends a security event to the append-only audit log.
	Audit(ctx context.Context, e AuditEvent) error
	// AuditEvents lists a user's audit events, newest first, at most limit.
	AuditEvents(ctx context.Context, userID string, limit int) ([]AuditEvent, error)
}

// User statuses.
const (
	StatusPending = "pending"
	StatusActive  = "active"
	StatusFrozen  = "frozen"
)

// User is a wallet holder.
type User struct {
	ID           string // usr_…
	WalletID     string // wal_…
	Phone        string // E.164
	Name         string
	PasswordHash string // argon2id PHC string
	Status       string
	KYCTier      int
	// Limits overrides the tier's limits by name ("per_transaction",
	// "daily", "yearly", "balance_cap") in CNY minor units; Unlimited
	// (-1) lifts one.
	Limits    map[string]int64
	PINHash   []byte // nil: no PIN set
	PIN       PINState
	CreatedAt time.Time
}

// Unlimited marks a lifted limit in User.Limits.
const Unlimited int64 = -1

// PINState is a user's PIN attempt state.
type PINState struct {
	Failures    int
	LockedUntil time.Time // zero: not locked
}

// Session is a logged-in token. The token itself is never stored.
type Session struct {
	TokenHash [32]byte
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
	IP        string // where it was opened from
	UserAgent string // what opened it, cut to maxUserAgent bytes
}

// OTP is a one-time code sent by SMS, stored as a keyed hash.
type OTP struct {
	Phone     string
	Purpose   string // "verify", "unfreeze"
	CodeHash  []byte
	Failures  int
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Counter counts events in a window and may lock a key (login lockouts,
// resend limits).
type Counter struct {
	Count       int
	WindowStart time.Time
	LockedUntil time.Time
}

// Card is a bound bank card. Only Brand and Last4 ever leave the vault.
type Card struct {
	ID          string // crd_…
	UserID      string
	Brand       string
	Last4       string
	ExpMonth    int
	ExpYear     int
	Holder      string
	Fingerprint []byte // keyed hash of the number
	Ciphertext  []byte // the number, sealed by the vault
	WrappedKey  []byte
	KeyID       string
	CreatedAt   time.Time
}

// OpKind says what a bank operation is.
type OpKind string

const (
	OpTopup      OpKind = "topup"
	OpWithdrawal OpKind = "withdrawal"
	OpPayout     OpKind = "payout" // a merchant's settlement to its owner's card
)

// OpStatus is where a bank operation is in its life.
type OpStatus string

const (
	OpCreated   OpStatus = "created"   // stored, bank not yet answered
	OpPending   OpStatus = "pending"   // bank outcome not known yet
	OpSucceeded OpStatus = "succeeded" // money moved
	OpFailed    OpStatus = "failed"    // bank refused; no money moved
)

// BankOp is a top-up from a card or a withdrawal to one.
type BankOp struct {
	ID          string // top_… or wdr_…
	Kind        OpKind
	UserID      string
	CardID      string
	Amount      int64
	Currency    string
	Status      OpStatus
	FailureCode string
	IdemKey     string
	RequestID   string // of the request that created it
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Answer is a stored idempotent response: the status and body the first
// request with this key got, and the fingerprint of that request.
type Answer struct {
	Principal   string
	Key         string
	Fingerprint [32]byte
	Status      int
	Body        []byte
	CreatedAt   time.Time
}

// AuditEvent is one security-relevant event.
type AuditEvent struct {
	ID        int64
	UserID    string
	Action    string // login, login_failed, pin_failed, pin_locked, freeze, …
	Detail    string // no secrets
	IP        string
	RequestID string
	Time      time.Time
}
