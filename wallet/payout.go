package wallet

import (
	"context"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

// PayoutRequest pays money out of an account that is not a holder's own
// wallet (a merchant's) to a card its owner bound.
type PayoutRequest struct {
	ID       string // po_…: the bank's idempotency key and the operation's ID
	WalletID string // the account's owner in the ledger (mch_…)
	CardID   string // one of the owner's cards
	Amount   int64
	Currency money.Currency
}

// Payout holds the amount at once and asks the bank to pay it to the card;
// the hold is posted or voided when the bank answers, and the recovery
// worker settles an answer that never came, as for a withdrawal. The same
// ID again returns the operation as it stands and moves nothing twice.
// The caller decides whether the payout is due: no PIN, and no outflow
// limit, which are a holder's.
func (s *Service) Payout(ctx context.Context, owner User, req PayoutRequest) (BankOp, error) {
	// A payout the bank has already (its card may be gone since): as it
	// stands; the recovery worker settles it.
	if op, err := s.Store.BankOp(ctx, req.ID); err == nil {
		return op, nil
	} else if ErrorCode(err) != CodeNotFound {
		return BankOp{}, err
	}
	card, err := s.Store.Card(ctx, owner.ID, req.CardID)
	if ErrorCode(err) == CodeNotFound {
		// A hold an earlier try placed, which never reached the bank, is
		// released (there is none in the usual case: nothing to void).
		s.Ledger.Transfer(ctx, ledger.Transfer{ID: "void:" + req.ID, Type: ledger.Void, Kind: kindPayout,
			HoldID: keyTransferID(owner.ID, req.ID), Metadata: map[string]string{"op": req.ID, "type": kindPayout, "currency": string(req.Currency)}})
		return BankOp{}, Errorf(CodeCardNotFound, "no such card")
	}
	if err != nil {
		return BankOp{}, err
	}
	src, err := s.walletAccountID(ctx, req.WalletID, req.Currency)
	if err != nil {
		return BankOp{}, err
	}
	bank, err := s.bankAccountID(ctx, req.Currency)
	if err != nil {
		return BankOp{}, err
	}
	idem := Idem{Key: req.ID}
	hold := ledger.Transfer{ID: keyTransferID(owner.ID, idem.Key), Type: ledger.Hold, Kind: kindPayout,
		Postings: []ledger.Posting{{Account: src, Amount: -req.Amount}, {Account: bank, Amount: req.Amount}},
		Metadata: map[string]string{"op": req.ID, "type": kindPayout, "from": req.WalletID, "card": req.CardID, "currency": string(req.Currency)}}
	if _, err := s.Ledger.Transfer(ctx, hold); err != nil {
		return BankOp{}, fromLedger(err)
	}
	cm := CardMoneyRequest{CardID: req.CardID, Amount: req.Amount, Currency: req.Currency}
	op, res, replayed, err := s.startBankOp(ctx, owner, card, req.ID, OpPayout, cm, idem, Client{})
	if err != nil || replayed {
		return op, err
	}
	return s.settleWithdrawal(ctx, op, res)
}
