package purse

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/ewallet/ewallet/epurse"
	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/wallet"
)

// Load statuses beyond those of store.go.
const (
	// LoadFailed: refused before any money moved (funds, limits, PIN).
	LoadFailed = "failed"
	// LoadRefunded: still pending when its card, reported lost, was
	// refunded; its money went back with the card's rest.
	LoadRefunded = "refunded"
)

// Kinds of the ledger transfers, and so the types of the wallet history.
const (
	kindLoad     = "epurse_load"
	kindReversal = "epurse_load_reversal"
	kindPurchase = "epurse_purchase"
	kindRefund   = "epurse_refund"
)

// LoadRequest is the first step of a load: what the holder's device asked
// the card (INITIALIZE FOR LOAD with Amount and Terminal) and what the
// card answered.
type LoadRequest struct {
	Amount   int64
	Currency money.Currency
	Terminal epurse.TerminalID
	Response []byte // the card's INITIALIZE FOR LOAD response, as it came
	PIN      string
}

// Authorized is a load whose money is in the card account: Command is the
// CREDIT FOR LOAD (with MAC2) to send to the card. Settled are earlier
// loads of the card that this contact settled.
type Authorized struct {
	Load    Load
	Command []byte
	Settled []Load
}

func loadTransferID(loadID string) string     { return "epurse:load:" + loadID }
func reversalTransferID(loadID string) string { return "epurse:rev:" + loadID }

// AuthorizeLoad is the server's half of a load: it checks the card's MAC1,
// settles the card's earlier load still pending (the new response proves
// whether the card took it), moves the amount from the wallet into the
// card account with the wallet's checks (frozen, PIN, limits, funds), and
// returns MAC2. The money moves before MAC2 leaves, so a card never holds
// value the float does not.
func (s *Service) AuthorizeLoad(ctx context.Context, u wallet.User, cardID string, req LoadRequest, idem wallet.Idem, cl wallet.Client) (Authorized, error) {
	card, n, err := s.ownCard(ctx, u, cardID)
	if err != nil {
		return Authorized{}, err
	}
	resp, err := epurse.DecodeInitLoadResponse(req.Response)
	if err != nil {
		return Authorized{}, wallet.Errorf(CodeInvalidCardMessage, "card_response: %v", err)
	}
	if resp.Card != n {
		return Authorized{}, wallet.Errorf(CodeInvalidCardMessage, "card_response is from card %s, not %s", resp.Card, n)
	}
	if req.Currency != card.Currency {
		return Authorized{}, wallet.Errorf(wallet.CodeCurrencyMismatch, "the card holds %s", card.Currency)
	}
	if card.Status != CardActive {
		return Authorized{}, wallet.Errorf(CodeCardLost, "the card is on the deny list (%s)", card.Status)
	}
	if req.Amount <= 0 {
		return Authorized{}, wallet.Errorf(wallet.CodeInvalidAmount, "the amount must be positive")
	}
	if resp.Balance > s.cfg.BalanceCap-req.Amount {
		return Authorized{}, wallet.Errorf(wallet.CodeLimitExceeded, "the card may hold at most %d minor units", s.cfg.BalanceCap)
	}
	id := wallet.OpID("epl_", u.ID, idem.Key)
	sess, _, err := s.issuer.AuthorizeLoad(epurse.InitLoadCommand{Amount: req.Amount, Terminal: req.Terminal}, resp, uint32(s.now().Unix()))
	if err != nil {
		return Authorized{}, fromProtocol(err)
	}
	settled, err := s.settlePending(ctx, card, resp, id)
	if err != nil {
		return Authorized{}, err
	}
	l, err := s.startLoad(ctx, u, card, id, sess)
	if err != nil {
		return Authorized{}, err
	}
	if err := s.moveLoad(ctx, u, card, l, req.PIN, idem, cl); err != nil {
		return Authorized{}, err
	}
	// The command is the row's: a retry gets the MAC2 (and its time) the
	// load was stored with, whose TAC CompleteLoad checks.
	b, err := epurse.CreditLoadCommand{Time: l.Time, MAC2: l.MAC2}.Encode()
	if err != nil {
		return Authorized{}, err
	}
	return Authorized{Load: l, Command: b, Settled: settled}, nil
}

// startLoad records the load as pending, the card's only one. A retry of
// the same request finds its own row and goes on with it, but only for
// the very session the row was made for: the key's stored answer does not
// guard a retry whose first try kept none (it died, or ran in another
// process), and a CREDIT for another amount or session than the money
// that moved would put value on the chip that the ledger does not hold.
func (s *Service) startLoad(ctx context.Context, u wallet.User, card Card, id string, sess epurse.LoadSession) (Load, error) {
	now := s.now().UTC()
	l := Load{ID: id, CardID: card.ID, UserID: u.ID, OnlineCounter: sess.OnlineCounter, Random: sess.Random, Amount: sess.Amount,
		BalanceBefore: sess.BalanceBefore, Terminal: sess.Terminal, Time: sess.Time, MAC2: sess.MAC2,
		TransferID: loadTransferID(id), Status: LoadPending, CreatedAt: now, UpdatedAt: now}
	ok, err := s.Store.CreateEpurseLoad(ctx, l)
	if err != nil || ok {
		return l, err
	}
	prior, err := s.Store.EpurseLoad(ctx, id)
	switch {
	case wallet.ErrorCode(err) == wallet.CodeNotFound:
		return Load{}, wallet.Errorf(wallet.CodeInProgress, "another load of this card is in progress")
	case err != nil:
		return Load{}, err
	case prior.CardID != card.ID || prior.OnlineCounter != l.OnlineCounter || prior.Random != l.Random ||
		prior.Amount != l.Amount || prior.BalanceBefore != l.BalanceBefore || prior.Terminal != l.Terminal:
		return Load{}, wallet.Errorf(wallet.CodeKeyReused, "the idempotency key was used for another load")
	case prior.Status != LoadPending:
		return Load{}, wallet.Errorf(CodeLoadNotPending, "load %s is %s", prior.ID, prior.Status)
	}
	return prior, nil
}

// moveLoad moves the load's money, or marks it failed when the wallet
// refuses it for good.
func (s *Service) moveLoad(ctx context.Context, u wallet.User, card Card, l Load, pin string, idem wallet.Idem, cl wallet.Client) error {
	n, _ := ParseCardID(card.ID)
	dst, err := s.cardAccount(ctx, n)
	if err != nil {
		return err
	}
	_, err = s.Wallet.Spend(ctx, u, pin, l.Amount, card.Currency, idem, kindLoad, cl, func(src ledger.AccountID) ledger.Transfer {
		return ledger.Transfer{ID: l.TransferID, Kind: kindLoad, Type: ledger.Posted, ForgetRefusal: true,
			Postings: []ledger.Posting{{Account: src, Amount: -l.Amount}, {Account: dst, Amount: l.Amount}},
			Metadata: map[string]string{"op": l.ID, "type": kindLoad, "from": u.ID, "card": card.ID,
				"counter": strconv.Itoa(int(l.OnlineCounter)), "amount": strconv.FormatInt(l.Amount, 10)}}
	})
	if err == nil {
		return s.fenceLoad(ctx, card, l)
	}
	var we *wallet.Error
	if errors.As(err, &we) && we.Code != wallet.CodeUnavailable && we.Code != wallet.CodeInternal {
		// A retry refused (frozen since, limits now counting the first
		// try, another PIN) whose first try moved the money: the load
		// stays pending, and the card's next contact settles it.
		_, terr := s.Ledger.GetTransfer(ctx, l.TransferID)
		if terr == nil {
			return err
		}
		if ledger.ErrorCode(terr) != ledger.CodeNotFound {
			return errors.Join(err, terr)
		}
		if _, ferr := s.Store.FinishEpurseLoad(ctx, l.ID, LoadFailed, s.now().UTC()); ferr != nil {
			return errors.Join(err, ferr)
		}
	}
	return err
}

// settlePending settles the card's pending load other than the one this
// request makes, with the card's fresh INITIALIZE FOR LOAD response, whose
// MAC1 has verified and so whose counter is the card's: a counter past the
// pending load's means the card took it; the same counter means it never
// did, and it never can, since this INITIALIZE replaced the session MAC2
// was made for.
func (s *Service) settlePending(ctx context.Context, card Card, resp epurse.InitLoadResponse, newID string) ([]Load, error) {
	p, ok, err := s.Store.PendingEpurseLoad(ctx, card.ID)
	if err != nil || !ok || p.ID == newID {
		return nil, err
	}
	switch {
	case resp.OnlineCounter > p.OnlineCounter:
		p, err = s.finish(ctx, p, LoadCompleted)
	case resp.OnlineCounter == p.OnlineCounter && resp.Balance <= p.BalanceBefore:
		// Offline purchases since may have lowered the balance; only a
		// load raises it.
		p, err = s.reverse(ctx, card, p)
	default:
		return nil, wallet.Errorf(CodeCardCounterMismatch,
			"the card answers online counter %d balance %d, but load %s was made at counter %d balance %d",
			resp.OnlineCounter, resp.Balance, p.ID, p.OnlineCounter, p.BalanceBefore)
	}
	if err != nil {
		return nil, err
	}
	return []Load{p}, nil
}

// finish moves a pending load to status; a load already there is fine.
func (s *Service) finish(ctx context.Context, l Load, status string) (Load, error) {
	if _, err := s.Store.FinishEpurseLoad(ctx, l.ID, status, s.now().UTC()); err != nil {
		return Load{}, err
	}
	got, err := s.Store.EpurseLoad(ctx, l.ID)
	if err != nil {
		return Load{}, err
	}
	if got.Status != status {
		return got, wallet.Errorf(CodeLoadNotPending, "load %s is %s", l.ID, got.Status)
	}
	return got, nil
}

// reverse returns a load the card never took to the wallet, if its money
// moved at all, and marks it reversed.
func (s *Service) reverse(ctx context.Context, card Card, l Load) (Load, error) {
	_, err := s.Ledger.GetTransfer(ctx, l.TransferID)
	switch {
	case ledger.ErrorCode(err) == ledger.CodeNotFound:
		return s.failLoad(ctx, card, l)
	case err != nil:
		return Load{}, err
	}
	if err := s.returnLoad(ctx, card, l); err != nil {
		return Load{}, err
	}
	return s.finish(ctx, l, LoadReversed)
}

// failLoad settles a load whose money had not moved when looked for. The
// load's own request may still be moving it, and fenceLoad reads the
// status after that: so the status is written first and the ledger read
// again after it (each side writes, then reads the other's write). Money
// found then goes back at once; the load stays failed, its transfers
// showing the money moved and returned.
func (s *Service) failLoad(ctx context.Context, card Card, l Load) (Load, error) {
	got, err := s.finish(ctx, l, LoadFailed)
	if err != nil {
		return got, err
	}
	switch _, err := s.Ledger.GetTransfer(ctx, l.TransferID); {
	case ledger.ErrorCode(err) == ledger.CodeNotFound:
		return got, nil
	case err != nil:
		return Load{}, err
	}
	return got, s.returnLoad(ctx, card, l)
}

// returnLoad moves a load's money back from the card account to the
// wallet, once whoever calls it (the reversal's transfer ID is fixed).
func (s *Service) returnLoad(ctx context.Context, card Card, l Load) error {
	n, _ := ParseCardID(card.ID)
	src, err := s.cardAccount(ctx, n)
	if err != nil {
		return err
	}
	dst, err := s.Wallet.WalletAccount(ctx, card.WalletID, card.Currency)
	if err != nil {
		return err
	}
	rev := ledger.Transfer{ID: reversalTransferID(l.ID), Kind: kindReversal, Type: ledger.Posted,
		Postings: []ledger.Posting{{Account: src, Amount: -l.Amount}, {Account: dst, Amount: l.Amount}},
		Metadata: map[string]string{"op": l.ID, "type": kindReversal, "to": l.UserID, "card": l.CardID,
			"amount": strconv.FormatInt(l.Amount, 10), "note": "load not taken by the card"}}
	if _, err := s.Ledger.Transfer(ctx, rev); err != nil {
		return fmt.Errorf("reverse e-purse load %s: %w", l.ID, err)
	}
	s.Wallet.ForgetUsage(l.UserID)
	return nil
}

// fenceLoad runs after a load's money moved: if a later contact of the
// card settled the load as failed meanwhile (it found no money yet, and
// the card's session for this MAC2 is gone), the money goes back at once
// and no MAC2 is given out. Each side writes, then reads the other's
// write, so one of them always sees the race.
func (s *Service) fenceLoad(ctx context.Context, card Card, l Load) error {
	got, err := s.Store.EpurseLoad(ctx, l.ID)
	if err != nil {
		return err
	}
	if got.Status == LoadPending || got.Status == LoadCompleted {
		return nil
	}
	if err := s.returnLoad(ctx, card, l); err != nil {
		return err
	}
	return wallet.Errorf(CodeLoadNotPending, "load %s was settled by a later contact of the card", l.ID)
}

// CompleteLoad takes the card's answer to CREDIT FOR LOAD (its TAC) or to
// GET LAST TRANSACTION PROOF for the load (MAC2 and TAC): a TAC that
// verifies completes the load. Completing again is fine.
func (s *Service) CompleteLoad(ctx context.Context, u wallet.User, cardID, loadID string, cardResponse []byte) (Load, error) {
	l, err := s.Load(ctx, u, cardID, loadID)
	if err != nil {
		return Load{}, err
	}
	tac, err := loadTAC(cardResponse)
	if err != nil {
		return Load{}, err
	}
	n, _ := ParseCardID(cardID)
	sess := epurse.LoadSession{Card: n, OnlineCounter: l.OnlineCounter, Random: l.Random, Amount: l.Amount,
		BalanceBefore: l.BalanceBefore, Terminal: l.Terminal, Time: l.Time, MAC2: l.MAC2}
	if err := s.issuer.VerifyLoad(sess, tac); err != nil {
		return Load{}, fromProtocol(err)
	}
	if l.Status == LoadCompleted || l.Status == LoadRefunded {
		return l, nil // a refunded card's load needs nothing more
	}
	if l.Status == LoadReversed || l.Status == LoadFailed {
		// A genuine chip cannot answer this: the contact that settled the
		// load replaced its session. A copy of the chip from before did.
		s.log.Warn("e-purse load TAC for a load settled as not taken: cloned or rolled-back chip", "card", cardID, "load", l.ID,
			"status", l.Status)
	}
	return s.finish(ctx, l, LoadCompleted)
}

// loadTAC is the TAC of a CREDIT FOR LOAD response (10 bytes) or of a
// GET LAST TRANSACTION PROOF response (18 bytes).
func loadTAC(b []byte) (epurse.MAC, error) {
	if r, err := epurse.DecodeCreditLoadResponse(b); err == nil {
		return r.TAC, nil
	}
	if r, err := epurse.DecodeProofResponse(b); err == nil {
		return r.TAC, nil
	}
	return epurse.MAC{}, wallet.Errorf(CodeInvalidCardMessage, "card_response is neither a CREDIT FOR LOAD nor a transaction proof response")
}

// Load is one of the user's loads.
func (s *Service) Load(ctx context.Context, u wallet.User, cardID, loadID string) (Load, error) {
	if _, _, err := s.ownCard(ctx, u, cardID); err != nil {
		return Load{}, err
	}
	l, err := s.Store.EpurseLoad(ctx, loadID)
	if err == nil && l.CardID != cardID {
		err = wallet.Errorf(wallet.CodeNotFound, "load not found")
	}
	return l, err
}
