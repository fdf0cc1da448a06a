package purse

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/ewallet/ewallet/epurse"
	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/wallet"
)

// Config holds the e-purse rules an operator sets.
type Config struct {
	// Currency of every card and terminal: the chip's amounts are minor
	// units of this one currency. Default CNY.
	Currency money.Currency
	// BalanceCap is the most a card may hold (default 1,000.00 CNY).
	BalanceCap int64
	// PurchaseCap is the most one offline purchase may take (200.00 CNY).
	PurchaseCap int64
	// ClearingWindow is how long after a loss report terminals have to
	// upload purchases made before it; the rest is refunded after it.
	// Default 72 hours: gates and tills upload at least nightly.
	ClearingWindow time.Duration
}

func (c Config) withDefaults() Config {
	if c.Currency == "" {
		c.Currency = money.CNY
	}
	if c.BalanceCap == 0 {
		c.BalanceCap = epurse.DefaultBalanceCap
	}
	if c.PurchaseCap == 0 {
		c.PurchaseCap = epurse.DefaultPurchaseCap
	}
	if c.ClearingWindow == 0 {
		c.ClearingWindow = 72 * time.Hour
	}
	return c
}

// Deps are what the service needs.
type Deps struct {
	Store  Store
	Ledger *ledger.Ledger
	Wallet *wallet.Service
	// Seed is the secret the issuer's master keys are derived from.
	Seed []byte
	Log  *slog.Logger
	Now  func() time.Time
}

// Service is safe for concurrent use.
type Service struct {
	Deps
	cfg    Config
	issuer *epurse.Issuer
	now    func() time.Time
	log    *slog.Logger
	// clearing makes one batch's reads and writes of the cleared records
	// one step within this process (epurse.ClearingState's contract);
	// across processes the ledger's transfer IDs are the backstop.
	clearing sync.Mutex
}

// New returns the service.
func New(d Deps, cfg Config) (*Service, error) {
	if len(d.Seed) < 16 {
		return nil, errors.New("purse: the issuer seed must be at least 16 bytes")
	}
	s := &Service{Deps: d, cfg: cfg.withDefaults(), issuer: epurse.NewIssuer(MasterKeys(d.Seed)), now: d.Now, log: d.Log}
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

// MasterKeys derives the issuer's three master keys from a secret seed,
// each as HMAC-SHA-256(seed, label) cut to 128 bits, so one operator secret
// (kept like the vault's master key) stands for all three.
func MasterKeys(seed []byte) epurse.MasterKeys {
	k := func(label string) epurse.Key {
		m := hmac.New(sha256.New, seed)
		m.Write([]byte("ewallet epurse master key " + label))
		var out epurse.Key
		copy(out[:], m.Sum(nil))
		return out
	}
	return epurse.MasterKeys{Load: k("load"), Purchase: k("purchase"), TAC: k("tac")}
}

// cardAccountName is the ledger account of a card's value.
func cardAccountName(n epurse.CardNumber, c money.Currency) string {
	return "epurse:" + n.String() + ":" + string(c)
}

func (s *Service) cardAccount(ctx context.Context, n epurse.CardNumber) (ledger.AccountID, error) {
	a, err := s.Ledger.AccountByName(ctx, cardAccountName(n, s.cfg.Currency))
	if err != nil {
		return 0, err
	}
	return a.ID, nil
}

// cardBalance is the value in a card's account: loaded minus cleared.
func (s *Service) cardBalance(ctx context.Context, n epurse.CardNumber) (int64, error) {
	a, err := s.Ledger.AccountByName(ctx, cardAccountName(n, s.cfg.Currency))
	if err != nil {
		return 0, err
	}
	return a.Posted, nil
}
