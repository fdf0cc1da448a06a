// Package merchant is the shops' side of ewallet: merchants and their
// secret keys, payments (pay, capture, cancel, expiry), refunds and fees.
// Money moves only through the ledger; the payer's checks (frozen, PIN,
// limits) are the wallet's (wallet.Service.Spend).
//
// Every payment's money has a ledger transfer ID derived from the payment,
// not from a request: "pay:<id>" (the payment or its hold), "capture:<id>",
// "cancel:<id>" and "ref:<refund id>". The ledger lets an ID be used once,
// so a payment is paid at most once and captured at most once whatever
// the requests race to do, and the payments table only mirrors what the
// ledger decided (Sync repairs it after a crash between the two).
package merchant

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/receipt"
	"github.com/ewallet/ewallet/vault"
	"github.com/ewallet/ewallet/wallet"
)

// Merchant is a shop that takes payments.
type Merchant struct {
	ID         string // mch_…
	OwnerID    string // the user who created it
	Name       string
	MCC        string // ISO 18245 category, 4 digits
	FeeBP      int64  // merchant discount rate in basis points (60 = 0.60%)
	WebhookKey []byte // whsec_… sealed by the vault
	CreatedAt  time.Time
	PayoutCard string // the owner's card settlements go to ("" none yet)
}

// Key is one of a merchant's secret keys, kept as its SHA-256 (the key is
// 256 random bits: a fast hash is enough). A rotated key keeps working
// until ExpiresAt.
type Key struct {
	Hash       [32]byte
	MerchantID string
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: no end
}

// Deps are what a Service is built from.
type Deps struct {
	Store    Store
	Ledger   *ledger.Ledger
	Wallet   *wallet.Service
	Vault    *vault.Vault
	Events   Publisher       // webhook events; nil: none
	Receipts *receipt.Signer // signs receipts; nil: none
	Log      *slog.Logger
	Now      func() time.Time
}

// Config are the merchant rules.
type Config struct {
	FeeBP         int64         // default merchant discount rate (60 = 0.60%)
	PaymentTTL    time.Duration // default time to pay (contract: 900 s)
	CaptureWithin time.Duration // an authorized hold is released after this (7 days)
	KeyOverlap    time.Duration // a rotated key keeps working this long
	Country, City string        // for the QR
}

// DefaultConfig is the contract's defaults.
func DefaultConfig() Config {
	return Config{FeeBP: 60, PaymentTTL: 900 * time.Second, CaptureWithin: 7 * 24 * time.Hour, KeyOverlap: 24 * time.Hour,
		Country: "CN", City: "Shanghai"}
}

// Service is safe for concurrent use.
type Service struct {
	Deps
	cfg   Config
	now   func() time.Time
	locks keyedMutex // one payment's captures, cancels and refunds at a time
	kicks chan struct{}
	names sync.Map // merchant ID → wallet.Counterparty
}

// New builds a Service.
func New(d Deps, cfg Config) *Service {
	s := &Service{Deps: d, cfg: cfg, now: d.Now, kicks: make(chan struct{}, 1)}
	if s.now == nil {
		s.now = time.Now
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.Wallet != nil {
		s.Wallet.SetParties(s.Counterparty) // holders' histories name the shops they paid
	}
	return s
}

// Counterparty names a merchant as a holder's history shows it.
func (s *Service) Counterparty(ctx context.Context, id string) (wallet.Counterparty, bool) {
	if v, ok := s.names.Load(id); ok {
		return v.(wallet.Counterparty), true
	}
	m, err := s.Store.Merchant(ctx, id)
	if err != nil {
		return wallet.Counterparty{}, false
	}
	cp := wallet.Counterparty{Type: "merchant", Name: m.Name}
	s.names.Store(id, cp) // a merchant's name does not change
	return cp, true
}

// Create registers a merchant for a user and returns it with its secret
// key and webhook secret, shown this once.
func (s *Service) Create(ctx context.Context, owner wallet.User, name, mcc string) (Merchant, string, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 100 {
		return Merchant{}, "", "", wallet.Errorf(wallet.CodeInvalidRequest, "name must be 1-100 characters")
	}
	if !validMCC(mcc) {
		return Merchant{}, "", "", wallet.Errorf(wallet.CodeInvalidRequest, "category must be a 4-digit ISO 18245 merchant category code")
	}
	if owner.Status != wallet.StatusActive {
		return Merchant{}, "", "", wallet.Errorf(wallet.CodeForbidden, "verify your phone number first")
	}
	sk, hash := newSecretKey()
	whsec := "whsec_" + base64.StdEncoding.EncodeToString(random(32))
	sealed, err := s.Vault.SealSecret([]byte(whsec))
	if err != nil {
		return Merchant{}, "", "", err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	m := Merchant{ID: "mch_" + randomID(), OwnerID: owner.ID, Name: name, MCC: mcc, FeeBP: s.cfg.FeeBP, WebhookKey: sealed, CreatedAt: now}
	if err := s.Store.CreateMerchant(ctx, m, Key{Hash: hash, MerchantID: m.ID, CreatedAt: now}); err != nil {
		return Merchant{}, "", "", err
	}
	return m, sk, whsec, nil
}

// Authenticate resolves a secret key to its merchant.
func (s *Service) Authenticate(ctx context.Context, sk string) (Merchant, error) {
	if !strings.HasPrefix(sk, "sk_") {
		return Merchant{}, wallet.Errorf(wallet.CodeUnauthenticated, "invalid secret key")
	}
	k, err := s.Store.Key(ctx, sha256.Sum256([]byte(sk)))
	if err == nil && !k.ExpiresAt.IsZero() && !s.now().Before(k.ExpiresAt) {
		err = wallet.Errorf(wallet.CodeNotFound, "expired")
	}
	if err != nil {
		if wallet.ErrorCode(err) == wallet.CodeNotFound {
			return Merchant{}, wallet.Errorf(wallet.CodeUnauthenticated, "invalid secret key")
		}
		return Merchant{}, err
	}
	return s.Store.Merchant(ctx, k.MerchantID)
}

// RotateKey gives the merchant a new secret key; the others keep working
// for the overlap window.
//
// With revokeOthers the other keys stop at once: for a key that leaked.
func (s *Service) RotateKey(ctx context.Context, m Merchant, revokeOthers bool) (string, error) {
	sk, hash := newSecretKey()
	now := s.now().UTC().Truncate(time.Microsecond)
	until := now.Add(s.cfg.KeyOverlap)
	if revokeOthers {
		until = now
	}
	err := s.Store.RotateKey(ctx, Key{Hash: hash, MerchantID: m.ID, CreatedAt: now}, until)
	return sk, err
}

// Balances are the merchant's balances per currency.
func (s *Service) Balances(ctx context.Context, m Merchant) ([]wallet.Balance, error) {
	return s.Wallet.BalancesOf(ctx, m.ID)
}

func validMCC(s string) bool {
	if len(s) != 4 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func newSecretKey() (string, [32]byte) {
	sk := "sk_" + base64.RawURLEncoding.EncodeToString(random(32))
	return sk, sha256.Sum256([]byte(sk))
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return b
}

// randomID is 24 lower-case base32 characters (120 bits).
func randomID() string {
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(random(15)))
}

// WebhookSecret is the merchant's webhook signing secret (whsec_…), for
// the webhook relay.
func (s *Service) WebhookSecret(ctx context.Context, merchantID string) (string, error) {
	m, err := s.Store.Merchant(ctx, merchantID)
	if err != nil {
		return "", err
	}
	secret, err := s.Vault.OpenSecret(m.WebhookKey)
	return string(secret), err
}
