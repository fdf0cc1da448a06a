package wallet

import (
	"context"
	"sync"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

// Ledger account names. A wallet has one account per currency it has held;
// the bank settlement account per currency is where card money enters and
// leaves, so it runs negative by design.
func walletAccount(walletID string, c money.Currency) string { return walletID + ":" + string(c) }
func bankAccount(c money.Currency) string                    { return "bank:" + string(c) }

// accountCache maps account names to IDs. Names never change their ID, so
// entries never go stale.
type accountCache struct {
	mu  sync.RWMutex
	ids map[string]ledger.AccountID
}

func (c *accountCache) get(name string) (ledger.AccountID, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	id, ok := c.ids[name]
	return id, ok
}

func (c *accountCache) put(name string, id ledger.AccountID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil {
		c.ids = map[string]ledger.AccountID{}
	}
	c.ids[name] = id
}

// ensureAccount returns the ID of the named account, creating it with the
// given flags if needed.
func (s *Service) ensureAccount(ctx context.Context, name string, c money.Currency, flags ledger.AccountFlags) (ledger.AccountID, error) {
	if id, ok := s.accounts.get(name); ok {
		return id, nil
	}
	a, err := s.Ledger.CreateAccount(ctx, ledger.AccountSpec{Name: name, Currency: c, Flags: flags})
	if err != nil {
		return 0, err
	}
	s.accounts.put(name, a.ID)
	return a.ID, nil
}

// walletAccountID returns the user's account in c, creating it on first use.
func (s *Service) walletAccountID(ctx context.Context, walletID string, c money.Currency) (ledger.AccountID, error) {
	return s.ensureAccount(ctx, walletAccount(walletID, c), c, ledger.NoNegative)
}

func (s *Service) bankAccountID(ctx context.Context, c money.Currency) (ledger.AccountID, error) {
	return s.ensureAccount(ctx, bankAccount(c), c, 0)
}

// existingWalletAccount returns the user's account in c if it exists.
func (s *Service) existingWalletAccount(ctx context.Context, walletID string, c money.Currency) (ledger.Account, bool, error) {
	a, err := s.Ledger.AccountByName(ctx, walletAccount(walletID, c))
	if ledger.ErrorCode(err) == ledger.CodeNotFound {
		return ledger.Account{}, false, nil
	}
	if err != nil {
		return ledger.Account{}, false, err
	}
	s.accounts.put(a.Name, a.ID)
	return a, true, nil
}

// Balance is one currency's balances of a wallet.
type Balance struct {
	Currency  money.Currency
	Available int64 // can be spent now
	Pending   int64 // held: withdrawals in flight, authorised payments, reviews
	Total     int64 // Available + Pending
}

// Balances lists every currency the user holds (CNY always).
func (s *Service) Balances(ctx context.Context, u User) ([]Balance, error) {
	var out []Balance
	for _, c := range money.Currencies() {
		a, ok, err := s.existingWalletAccount(ctx, u.WalletID, c)
		if err != nil {
			return nil, err
		}
		if !ok && c != money.CNY {
			continue
		}
		out = append(out, Balance{Currency: c, Available: a.Posted - a.Held, Pending: a.Held, Total: a.Posted})
	}
	return out, nil
}

// totalCNY is the user's total balance in CNY fen (for the balance cap).
func (s *Service) totalCNY(ctx context.Context, u User) (int64, error) {
	bs, err := s.Balances(ctx, u)
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, b := range bs {
		fen, err := s.cfg.toCNY(b.Total, b.Currency)
		if err != nil {
			return 0, err
		}
		sum += fen
	}
	return sum, nil
}

// knownWalletAccount returns the ID of the user's account in c if it
// exists, from the cache when it can (IDs never change).
func (s *Service) knownWalletAccount(ctx context.Context, walletID string, c money.Currency) (ledger.AccountID, bool, error) {
	if id, ok := s.accounts.get(walletAccount(walletID, c)); ok {
		return id, true, nil
	}
	a, ok, err := s.existingWalletAccount(ctx, walletID, c)
	return a.ID, ok, err
}
