package wallet

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

// TransferRequest sends money to another wallet. To is resolved first with
// Recipient: the contract answers a missing recipient or a self-transfer
// before it looks at the idempotency key.
type TransferRequest struct {
	To       User
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
	kindPayout     = "payout"

	typeTransfer   = "transfer"
	typeTopup      = "topup"
	typeWithdrawal = "withdrawal"
)

// Recipient finds the user a transfer from u goes to, named by phone or
// wallet ID (exactly one).
func (s *Service) Recipient(ctx context.Context, u User, phone, walletID string) (User, error) {
	var to User
	var err error
	switch {
	case phone != "" && walletID == "":
		to, err = s.userBy(ctx, "phone:"+phone, func() (User, error) { return s.Store.UserByPhone(ctx, phone) })
	case walletID != "" && phone == "":
		to, err = s.userBy(ctx, "wallet:"+walletID, func() (User, error) { return s.Store.UserByWallet(ctx, walletID) })
	default:
		return User{}, Errorf(CodeInvalidRequest, "to needs exactly one of phone and wallet_id")
	}
	if ErrorCode(err) == CodeNotFound {
		return User{}, Errorf(CodeRecipientNotFound, "no wallet with that phone or ID")
	}
	if err == nil && to.ID == u.ID {
		return User{}, Errorf(CodeSelfTransfer, "you cannot send money to yourself")
	}
	return to, err
}

// Transfer sends money from u's wallet to another. The bool is true when
// the key had already sent this same transfer and it is answered again.
func (s *Service) Transfer(ctx context.Context, u User, req TransferRequest, idem Idem, c Client) (TransferResult, bool, error) {
	if req.To.ID == "" || req.To.ID == u.ID {
		return TransferResult{}, false, Errorf(CodeInvalidRequest, "the recipient must be resolved with Recipient first")
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
	t, replayed, err := s.sendP2P(ctx, u, req, idem)
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

func (s *Service) sendP2P(ctx context.Context, from User, req TransferRequest, idem Idem) (ledger.Transfer, bool, error) {
	src, ok, err := s.knownWalletAccount(ctx, from.WalletID, req.Currency)
	if err != nil {
		return ledger.Transfer{}, false, err
	}
	if !ok {
		return ledger.Transfer{}, false, Errorf(CodeInsufficientFunds, "no %s balance", req.Currency)
	}
	dst, err := s.walletAccountID(ctx, req.To.WalletID, req.Currency)
	if err != nil {
		return ledger.Transfer{}, false, err
	}
	t := ledger.Move(keyTransferID(from.ID, idem.Key), kindP2P, src, dst, req.Amount)
	// Metadata holds only what the request decides, so the same request
	// always builds the same transfer and a retry replays it.
	t.Metadata = map[string]string{
		"op": opID("txn_", from.ID, idem.Key), "type": typeTransfer, "from": from.ID, "to": req.To.ID,
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
