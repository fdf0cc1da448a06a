package wallet

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

// TransferRequest sends money to another wallet, named by phone or ID.
type TransferRequest struct {
	ToPhone  string
	ToWallet string
	Amount   int64
	Currency money.Currency
	Note     string
	PIN      string
}

// TransferResult is a person-to-person transfer as the contract shows it.
type TransferResult struct {
	ID        string // txn_…
	Status    string // completed
	Amount    int64
	Currency  money.Currency
	From, To  string // user IDs
	Note      string
	CreatedAt time.Time
}

// Ledger kinds and operation types of what the wallet moves.
const (
	kindP2P        = "p2p"
	kindTopup      = "topup"
	kindWithdrawal = "withdrawal"

	typeTransfer   = "transfer"
	typeTopup      = "topup"
	typeWithdrawal = "withdrawal"
)

// recipient finds the user a transfer goes to.
func (s *Service) recipient(ctx context.Context, req TransferRequest) (User, error) {
	var u User
	var err error
	switch {
	case req.ToPhone != "":
		u, err = s.userBy(ctx, "phone:"+req.ToPhone, func() (User, error) { return s.Store.UserByPhone(ctx, req.ToPhone) })
	case req.ToWallet != "":
		u, err = s.userBy(ctx, "wallet:"+req.ToWallet, func() (User, error) { return s.Store.UserByWallet(ctx, req.ToWallet) })
	default:
		return User{}, Errorf(CodeInvalidRequest, "to needs a phone or a wallet_id")
	}
	if ErrorCode(err) == CodeNotFound {
		return User{}, Errorf(CodeRecipientNotFound, "no wallet with that phone or ID")
	}
	return u, err
}

// Transfer sends money from u's wallet to another. The bool is true when
// the key had already sent this same transfer and it is answered again.
func (s *Service) Transfer(ctx context.Context, u User, req TransferRequest, idem Idem, c Client) (TransferResult, bool, error) {
	to, err := s.recipient(ctx, req)
	if err != nil {
		return TransferResult{}, false, err
	}
	if to.ID == u.ID {
		return TransferResult{}, false, Errorf(CodeSelfTransfer, "you cannot send money to yourself")
	}
	p, err := s.checkSender(ctx, u, req.PIN, idem, typeTransfer, c)
	if err != nil || p.found {
		return transferResult(p.t), p.found, err
	}
	fen, err := s.outflowFen(req.Amount, req.Currency)
	if err != nil {
		return TransferResult{}, false, err
	}
	done, err := s.checkLimits(ctx, u, fen)
	if err != nil {
		p, err := s.refuse(ctx, u, idem, typeTransfer, err)
		return transferResult(p.t), p.found, err
	}
	t, replayed, err := s.sendP2P(ctx, u, to, req, idem)
	done(err == nil && !replayed, t.Time, err)
	if err != nil {
		if ErrorCode(err) == CodeInsufficientFunds {
			p, err := s.refuse(ctx, u, idem, typeTransfer, err)
			return transferResult(p.t), p.found, err
		}
		return TransferResult{}, false, err
	}
	return transferResult(t), replayed, nil
}

func (s *Service) sendP2P(ctx context.Context, from, to User, req TransferRequest, idem Idem) (ledger.Transfer, bool, error) {
	src, ok, err := s.knownWalletAccount(ctx, from.WalletID, req.Currency)
	if err != nil {
		return ledger.Transfer{}, false, err
	}
	if !ok {
		return ledger.Transfer{}, false, Errorf(CodeInsufficientFunds, "no %s balance", req.Currency)
	}
	dst, err := s.walletAccountID(ctx, to.WalletID, req.Currency)
	if err != nil {
		return ledger.Transfer{}, false, err
	}
	t := ledger.Move(keyTransferID(from.ID, idem.Key), kindP2P, src, dst, req.Amount)
	// Metadata holds only what the request decides, so the same request
	// always builds the same transfer and a retry replays it.
	t.Metadata = map[string]string{
		"op": opID("txn_", from.ID, idem.Key), "type": typeTransfer, "from": from.ID, "to": to.ID,
		"note": req.Note, "currency": string(req.Currency), "fp": hex.EncodeToString(idem.Fingerprint[:]),
	}
	return s.moveMoney(ctx, from, idem, typeTransfer, t)
}

// transferResult renders a committed p2p transfer.
func transferResult(t ledger.Transfer) TransferResult {
	if t.ID == "" {
		return TransferResult{}
	}
	var amount int64
	for _, p := range t.Postings {
		if p.Amount > 0 {
			amount = p.Amount
		}
	}
	return TransferResult{ID: t.Metadata["op"], Status: "completed", Amount: amount, Currency: money.Currency(t.Metadata["currency"]),
		From: t.Metadata["from"], To: t.Metadata["to"], Note: t.Metadata["note"], CreatedAt: t.Time}
}
