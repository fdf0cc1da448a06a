// Package wallet is the wallet holder's side of ewallet: users, sessions,
// PINs, cards, balances, top-ups, withdrawals, transfers and history. It
// moves money only through the ledger and keeps its own state in a Store.
package wallet

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ewallet/ewallet/auth"
	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/vault"
)

// SMS sends text messages. The sandbox keeps an outbox instead.
type SMS interface {
	Send(ctx context.Context, to, text string) error
}

// Deps are what a Service is built from.
type Deps struct {
	Store  Store
	Ledger *ledger.Ledger
	Bank   Bank
	SMS    SMS
	Vault  *vault.Vault
	// Passwords hashes and checks passwords with bounded concurrency.
	Passwords *auth.Hasher
	// PINs hashes PINs with the server's pepper.
	PINs *auth.PINHasher
	// CodeSecret keys the hashes of SMS codes.
	CodeSecret []byte
	Log        *slog.Logger
	Now        func() time.Time
}

// Service is safe for concurrent use.
type Service struct {
	Deps
	parties  atomic.Pointer[PartyNamer] // see SetParties
	cfg      Config
	now      func() time.Time
	log      *slog.Logger
	accounts accountCache
	usage    usageBook
	inflight inflight
	sessions sessionCache
	handles  sync.Map // "phone:…" / "wallet:…" → user ID; both never change
}

// New builds a Service.
func New(d Deps, cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Service{Deps: d, cfg: cfg, now: d.Now, log: d.Log}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Config returns the rules the service runs with.
func (s *Service) Config() Config { return s.cfg }

// Idem identifies a money-moving request for idempotency: the principal's
// key and the fingerprint of what was asked (PIN redacted).
type Idem struct {
	Key         string
	Fingerprint [32]byte
}

// keyHash is the stable digest of (principal, key) that names everything a
// request creates, so a retry after a crash lands on the same IDs.
func keyHash(principal, key string) string {
	h := sha256.Sum256([]byte(principal + "\x00" + key))
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h[:15])
}

// keyTransferID is the ledger transfer ID of the money a request with this
// key moves first. Every endpoint uses the same one, so a key reused on
// another endpoint meets the first transfer in the ledger.
func keyTransferID(principal, key string) string { return "k:" + keyHash(principal, key) }

// opID is the operation ID (txn_…, top_…, wdr_…) a request's key names.
func opID(prefix, principal, key string) string {
	return prefix + lower(keyHash(principal, key))
}

// OpID is opID for other services: the ID (pay_…, ref_…) a principal's
// idempotency key names, so a retry lands on the same object.
func OpID(prefix, principal, key string) string { return opID(prefix, principal, key) }

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// inflight remembers the idempotency keys being worked on in this process,
// so a second request with the same key gets request_in_progress.
type inflight struct {
	mu   sync.Mutex
	keys map[string]struct{}
}

// Claim marks (principal, key) as in flight; the returned func releases it.
// It fails with CodeInProgress when the key is already in flight.
func (s *Service) Claim(principal, key string) (func(), error) {
	k := principal + "\x00" + key
	s.inflight.mu.Lock()
	defer s.inflight.mu.Unlock()
	if s.inflight.keys == nil {
		s.inflight.keys = map[string]struct{}{}
	}
	if _, busy := s.inflight.keys[k]; busy {
		return nil, Errorf(CodeInProgress, "a request with this Idempotency-Key is still in progress")
	}
	s.inflight.keys[k] = struct{}{}
	return func() {
		s.inflight.mu.Lock()
		delete(s.inflight.keys, k)
		s.inflight.mu.Unlock()
	}, nil
}

// StoredAnswer returns the answer stored for (principal, key): (answer,
// true) when its fingerprint matches, CodeKeyReused when it does not, and
// false when there is none.
func (s *Service) StoredAnswer(ctx context.Context, principal string, idem Idem) (Answer, bool, error) {
	a, err := s.Store.Answer(ctx, principal, idem.Key)
	if ErrorCode(err) == CodeNotFound {
		return Answer{}, false, nil
	}
	if err != nil {
		return Answer{}, false, err
	}
	if a.Fingerprint != idem.Fingerprint {
		return Answer{}, false, errKeyReused()
	}
	return a, true, nil
}

// SaveAnswer stores an answer for (principal, key) unless one is there.
func (s *Service) SaveAnswer(ctx context.Context, principal string, idem Idem, status int, body []byte) error {
	_, err := s.Store.PutAnswer(ctx, Answer{Principal: principal, Key: idem.Key, Fingerprint: idem.Fingerprint, Status: status, Body: body, CreatedAt: s.now()})
	return err
}

func errKeyReused() *Error {
	return Errorf(CodeKeyReused, "this Idempotency-Key was used with a different request")
}

// counterRetention outlasts every rate-limit window and lockout (the
// longest is an hour), so pruning never resets a live counter.
const counterRetention = 24 * time.Hour

// Prune deletes idempotent answers older than the retention, and expired
// sessions, codes and rate-limit counters.
func (s *Service) Prune(ctx context.Context) (int, error) {
	n, err := s.Store.DeleteAnswersBefore(ctx, s.now().Add(-s.cfg.AnswerTTL))
	if err != nil {
		return n, err
	}
	m, err := s.Store.DeleteExpired(ctx, s.now(), counterRetention)
	return n + m, err
}
