package wallet

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

// CardMoneyRequest is a top-up from, or a withdrawal to, a bound card.
type CardMoneyRequest struct {
	CardID   string
	Amount   int64
	Currency money.Currency
	PIN      string
}

// Topup charges a bound card and credits the wallet. A card the bank
// declines gives a failed top-up (no money moves), not an error. The bool
// is true when the key had already made this top-up.
func (s *Service) Topup(ctx context.Context, u User, req CardMoneyRequest, idem Idem, c Client) (BankOp, bool, error) {
	id := opID("top_", u.ID, idem.Key)
	card, op, ok, err := s.cardAndPrior(ctx, u, id, req)
	if err != nil || ok {
		return op, ok, err
	}
	// Money coming in is allowed into a frozen wallet, but a pending
	// (unverified) one and a wrong PIN stop it like any other movement.
	frozen := u
	if frozen.Status == StatusFrozen {
		frozen.Status = StatusActive
	}
	if _, err := s.checkSender(ctx, frozen, req.PIN, idem, typeTopup, c); err != nil {
		return BankOp{}, false, err
	}
	if err := s.checkBalanceCap(ctx, u, req.Amount, req.Currency); err != nil {
		return BankOp{}, false, err
	}
	op, res, replayed, err := s.startBankOp(ctx, u, card, id, OpTopup, req, idem, c)
	if err != nil || replayed {
		return op, replayed, err
	}
	op, err = s.settleTopup(ctx, op, res)
	return op, false, err
}

// cardAndPrior finds the card a request names and the operation its key
// already created (ok), in the contract's order: an unknown card first.
func (s *Service) cardAndPrior(ctx context.Context, u User, id string, req CardMoneyRequest) (Card, BankOp, bool, error) {
	card, err := s.Store.Card(ctx, u.ID, req.CardID)
	if ErrorCode(err) == CodeNotFound {
		return Card{}, BankOp{}, false, Errorf(CodeCardNotFound, "no such card")
	}
	if err != nil {
		return Card{}, BankOp{}, false, err
	}
	op, ok, err := s.priorOp(ctx, id, req)
	return card, op, ok, err
}

// startBankOp stores a new operation and sends it to the bank. When the
// key's operation is already stored it returns that one as a replay. A
// bank that does not answer leaves the outcome pending.
func (s *Service) startBankOp(ctx context.Context, u User, card Card, id string, kind OpKind, req CardMoneyRequest, idem Idem, c Client) (BankOp, BankResult, bool, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	op := BankOp{ID: id, Kind: kind, UserID: u.ID, CardID: card.ID, Amount: req.Amount, Currency: string(req.Currency),
		Status: OpCreated, IdemKey: idem.Key, RequestID: c.RequestID, CreatedAt: now, UpdatedAt: now}
	if existing, created, err := s.Store.CreateBankOp(ctx, op); err != nil || !created {
		return existing, BankResult{}, !created, err
	}
	res, err := s.sendToBank(ctx, op, card)
	if err != nil {
		s.log.WarnContext(ctx, "bank outcome unknown", "op", op.ID, "kind", kind, "err", err)
		return op, BankResult{Status: BankPending}, false, nil
	}
	return op, res, false, nil
}

// sendToBank charges (top-up) or pays (withdrawal) the card under the
// operation's ID, which the bank treats as its idempotency key.
func (s *Service) sendToBank(ctx context.Context, op BankOp, card Card) (BankResult, error) {
	number, err := s.cardNumber(card)
	if err != nil {
		return BankResult{}, err
	}
	req := BankRequest{ID: op.ID, CardNumber: number, Amount: op.Amount, Currency: op.Currency}
	if op.Kind == OpTopup {
		return s.Bank.Charge(ctx, req)
	}
	return s.Bank.Payout(ctx, req)
}

// priorOp returns the operation a key already created, if any. One made
// from a different request → CodeKeyReused.
func (s *Service) priorOp(ctx context.Context, id string, req CardMoneyRequest) (BankOp, bool, error) {
	op, err := s.Store.BankOp(ctx, id)
	if ErrorCode(err) == CodeNotFound {
		return BankOp{}, false, nil
	}
	if err != nil {
		return BankOp{}, false, err
	}
	if op.CardID != req.CardID || op.Amount != req.Amount || op.Currency != string(req.Currency) {
		return BankOp{}, false, errKeyReused()
	}
	return op, true, nil
}

// settleTopup applies the bank's answer to a top-up: credit the wallet
// exactly once (the credit's ID is fixed by the key), or fail it, or leave
// it pending for the recovery worker.
func (s *Service) settleTopup(ctx context.Context, op BankOp, res BankResult) (BankOp, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	switch res.Status {
	case BankSucceeded:
		if err := s.creditTopup(ctx, op); err != nil {
			return op, err
		}
		return s.moveOp(ctx, op, OpSucceeded, "", now)
	case BankFailed:
		return s.moveOp(ctx, op, OpFailed, res.FailureCode, now)
	default:
		if op.Status == OpCreated {
			return s.moveOp(ctx, op, OpPending, "", now)
		}
		return op, nil
	}
}

func (s *Service) creditTopup(ctx context.Context, op BankOp) error {
	cur := money.Currency(op.Currency)
	u, err := s.User(ctx, op.UserID)
	if err != nil {
		return err
	}
	bank, err := s.bankAccountID(ctx, cur)
	if err != nil {
		return err
	}
	dst, err := s.walletAccountID(ctx, u.WalletID, cur)
	if err != nil {
		return err
	}
	t := ledger.Move(keyTransferID(op.UserID, op.IdemKey), kindTopup, bank, dst, op.Amount)
	t.Metadata = map[string]string{"op": op.ID, "type": typeTopup, "to": op.UserID, "card": op.CardID, "currency": op.Currency}
	_, err = s.Ledger.Transfer(ctx, t)
	return fromLedger(err)
}

// moveOp records an operation's new status (compare-and-set, so the
// request and the recovery worker never both move it).
func (s *Service) moveOp(ctx context.Context, op BankOp, to OpStatus, failure string, now time.Time) (BankOp, error) {
	if op.Status == to {
		return op, nil
	}
	ok, err := s.Store.SetBankOpStatus(ctx, op.ID, op.Status, to, failure, now)
	if err != nil {
		return op, err
	}
	if !ok {
		return s.Store.BankOp(ctx, op.ID)
	}
	op.Status, op.FailureCode, op.UpdatedAt = to, failure, now
	return op, nil
}

// checkBalanceCap refuses money in that would lift the user's total
// balance above a cap set for the tier or the user.
func (s *Service) checkBalanceCap(ctx context.Context, u User, amount int64, c money.Currency) error {
	a, _, err := s.existingWalletAccount(ctx, u.WalletID, c)
	if err != nil {
		return err
	}
	if amount > MaxBalance-a.Posted {
		return Errorf(CodeLimitExceeded, "a wallet holds at most %s %s", money.Format(MaxBalance, c), c)
	}
	limit := s.effectiveTier(u).BalanceCap
	if limit == Unlimited {
		return nil
	}
	total, err := s.totalCNY(ctx, u)
	if err != nil {
		return err
	}
	fen, err := s.cfg.toCNY(amount, c)
	if err != nil || total+fen > limit {
		return Errorf(CodeLimitExceeded, "the balance cap of %s CNY would be exceeded", money.Format(limit, money.CNY))
	}
	return nil
}

// MaxBalance bounds any wallet's balance in one currency, in minor units,
// whatever its tier: a top-up the bank has charged must always fit into
// the ledger's int64 balances (ten trillion yuan leaves room for 900,000
// such wallets before the bank's settlement account could overflow).
const MaxBalance int64 = 1_000_000_000_000_000

// Withdraw holds the amount at once and asks the bank to pay it to the
// card; the hold is posted or voided when the bank answers.
func (s *Service) Withdraw(ctx context.Context, u User, req CardMoneyRequest, idem Idem, c Client) (BankOp, bool, error) {
	id := opID("wdr_", u.ID, idem.Key)
	card, op, ok, err := s.cardAndPrior(ctx, u, id, req)
	if err != nil || ok {
		return op, ok, err
	}
	// A hold the key already placed (a crash before the operation was
	// stored) is resumed instead of refused or placed again.
	p, err := s.checkSender(ctx, u, req.PIN, idem, typeWithdrawal, c)
	if err != nil {
		return BankOp{}, false, err
	}
	if !p.found {
		if err := s.placeWithdrawalHold(ctx, u, id, req, idem); err != nil {
			return BankOp{}, false, err
		}
	}
	op, res, replayed, err := s.startBankOp(ctx, u, card, id, OpWithdrawal, req, idem, c)
	if err != nil || replayed {
		return op, replayed, err
	}
	op, err = s.settleWithdrawal(ctx, op, res)
	return op, false, err
}

// placeWithdrawalHold checks the limits and holds the amount.
func (s *Service) placeWithdrawalHold(ctx context.Context, u User, id string, req CardMoneyRequest, idem Idem) error {
	fen, err := s.outflowFen(req.Amount, req.Currency)
	if err != nil {
		return err
	}
	done, err := s.checkLimits(ctx, u, fen)
	if err != nil {
		_, err := s.refuse(ctx, u, idem, typeWithdrawal, err)
		return err
	}
	hold, replayed, err := s.holdWithdrawal(ctx, u, id, req, idem)
	done(err == nil && !replayed, hold.Time, err)
	return err
}

func (s *Service) holdWithdrawal(ctx context.Context, u User, id string, req CardMoneyRequest, idem Idem) (ledger.Transfer, bool, error) {
	src, ok, err := s.existingWalletAccount(ctx, u.WalletID, req.Currency)
	if err != nil {
		return ledger.Transfer{}, false, err
	}
	if !ok {
		_, err := s.refuse(ctx, u, idem, typeWithdrawal, Errorf(CodeInsufficientFunds, "no %s balance", req.Currency))
		return ledger.Transfer{}, false, err
	}
	bank, err := s.bankAccountID(ctx, req.Currency)
	if err != nil {
		return ledger.Transfer{}, false, err
	}
	t := ledger.Transfer{ID: keyTransferID(u.ID, idem.Key), Type: ledger.Hold, Kind: kindWithdrawal,
		Postings: []ledger.Posting{{Account: src.ID, Amount: -req.Amount}, {Account: bank, Amount: req.Amount}},
		Metadata: map[string]string{"op": id, "type": typeWithdrawal, "from": u.ID, "card": req.CardID, "currency": string(req.Currency),
			"fp": hex.EncodeToString(idem.Fingerprint[:])}}
	return s.moveMoney(ctx, u, idem, typeWithdrawal, t)
}

// settleWithdrawal posts the hold when the bank paid, voids it when the
// bank refused, and leaves it pending otherwise.
func (s *Service) settleWithdrawal(ctx context.Context, op BankOp, res BankResult) (BankOp, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	holdID := keyTransferID(op.UserID, op.IdemKey)
	kind := kindWithdrawal
	if op.Kind == OpPayout {
		kind = kindPayout
	}
	meta := map[string]string{"op": op.ID, "type": kind, "from": op.UserID, "currency": op.Currency}
	switch res.Status {
	case BankSucceeded:
		_, err := s.Ledger.Transfer(ctx, ledger.Transfer{ID: "settle:" + op.ID, Type: ledger.Post, Kind: kind, HoldID: holdID, Metadata: meta})
		if err := fromLedger(err); err != nil {
			return op, err
		}
		return s.moveOp(ctx, op, OpSucceeded, "", now)
	case BankFailed:
		_, err := s.Ledger.Transfer(ctx, ledger.Transfer{ID: "void:" + op.ID, Type: ledger.Void, Kind: kind, HoldID: holdID, Metadata: meta})
		if err := fromLedger(err); err != nil {
			return op, err
		}
		s.usage.get(op.UserID).forget()
		return s.moveOp(ctx, op, OpFailed, res.FailureCode, now)
	default:
		if op.Status == OpCreated {
			return s.moveOp(ctx, op, OpPending, "", now)
		}
		return op, nil
	}
}

// GetBankOp returns one of the user's top-ups or withdrawals.
func (s *Service) GetBankOp(ctx context.Context, u User, kind OpKind, id string) (BankOp, error) {
	op, err := s.Store.BankOp(ctx, id)
	if err == nil && (op.UserID != u.ID || op.Kind != kind) {
		err = Errorf(CodeNotFound, "no such %s", kind)
	}
	return op, err
}

// RecoverBankOps asks the bank about operations whose outcome is not known
// yet and settles them. Operations younger than minAge are left to the
// request that is still working on them.
func (s *Service) RecoverBankOps(ctx context.Context, minAge time.Duration) error {
	ops, err := s.Store.OpenBankOps(ctx, 200)
	if err != nil {
		return err
	}
	for _, op := range ops {
		if s.now().Sub(op.UpdatedAt) < minAge {
			continue
		}
		if err := s.recoverOp(ctx, op); err != nil {
			s.log.WarnContext(ctx, "recover bank operation", "op", op.ID, "err", err)
		}
	}
	return nil
}

func (s *Service) recoverOp(ctx context.Context, op BankOp) error {
	res, err := s.Bank.Status(ctx, op.ID)
	if err != nil {
		return err
	}
	if res.Status == BankUnknown {
		// The bank never got it: ask again under the same ID.
		card, err := s.Store.Card(ctx, op.UserID, op.CardID)
		if err != nil {
			return err
		}
		if res, err = s.sendToBank(ctx, op, card); err != nil {
			return err
		}
	}
	_, err = s.settleOp(ctx, op, res)
	return err
}

// RunRecovery calls RecoverBankOps every interval until ctx ends.
func (s *Service) RunRecovery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.RecoverBankOps(ctx, interval); err != nil && ctx.Err() == nil {
				s.log.ErrorContext(ctx, "bank recovery", "err", err)
			}
		}
	}
}
