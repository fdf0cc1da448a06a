package wallet

import (
	"context"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

// Spend is an outflow another service (a merchant payment) builds: the
// ledger transfer is theirs, the checks are the wallet's, in the contract's
// order: frozen, PIN, limits, then the ledger decides funds. build gets the
// payer's account in cur and returns the transfer to submit. The ledger's
// own refusals come back as they are (ledger codes), except insufficient
// funds, which is the wallet's CodeInsufficientFunds, so the caller can
// tell "already done" (a conflict on its transfer ID) from a refusal.
func (s *Service) Spend(ctx context.Context, u User, pin string, amount int64, cur money.Currency, idem Idem, opType string, c Client,
	build func(src ledger.AccountID) ledger.Transfer) (ledger.Result, error) {
	if p, err := s.checkSender(ctx, u, pin, idem, opType, c); err != nil || p.found {
		if p.found {
			return ledger.Result{}, errKeyReused() // the key already moved money elsewhere
		}
		return ledger.Result{}, err
	}
	fen, err := s.outflowFen(amount, cur)
	if err != nil {
		return ledger.Result{}, err
	}
	done, err := s.checkLimits(ctx, u, fen)
	if err != nil {
		return ledger.Result{}, err
	}
	src, ok, err := s.knownWalletAccount(ctx, u.WalletID, cur)
	if err != nil || !ok {
		done(false, s.now(), err)
		if err == nil {
			err = Errorf(CodeInsufficientFunds, "no %s balance", cur)
		}
		return ledger.Result{}, err
	}
	res, err := s.Ledger.Transfer(ctx, build(src))
	done(err == nil && !res.Replayed, res.Transfer.Time, fromLedgerUnknown(err))
	if ledger.ErrorCode(err) == ledger.CodeInsufficientFunds {
		return res, Errorf(CodeInsufficientFunds, "the available balance is too low")
	}
	return res, err
}

// fromLedgerUnknown tells checkLimits' done whether the outcome is unknown.
func fromLedgerUnknown(err error) error {
	switch ledger.ErrorCode(err) {
	case ledger.CodeUnavailable, ledger.CodeClosed:
		return Errorf(CodeUnavailable, "the ledger is not available")
	}
	return nil
}

// ForgetUsage makes the user's next outflow reload its limit usage from
// the ledger: after money held for them was released or taken in part.
func (s *Service) ForgetUsage(userID string) { s.usage.get(userID).forget() }

// WalletAccount returns the ledger account of a wallet in cur, creating it.
func (s *Service) WalletAccount(ctx context.Context, walletID string, cur money.Currency) (ledger.AccountID, error) {
	return s.walletAccountID(ctx, walletID, cur)
}

// SystemAccount returns a system account (fees:CNY, …) that may go either
// way, creating it.
func (s *Service) SystemAccount(ctx context.Context, name string, cur money.Currency) (ledger.AccountID, error) {
	return s.ensureAccount(ctx, name, cur, 0)
}

// BalancesOf returns the balances of the accounts an owner (a wallet ID, a
// merchant ID) holds, as Balances does for a user.
func (s *Service) BalancesOf(ctx context.Context, owner string) ([]Balance, error) {
	return s.Balances(ctx, User{WalletID: owner})
}
