package purse

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ewallet/ewallet/epurse"
	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/wallet"
)

// Upload is the answer to one terminal batch: a result per record, what
// moved, and the counter gaps it leaves.
type Upload struct {
	Terminal Terminal
	Results  []epurse.RecordResult
	Accepted int
	Rejected int
	Total    int64 // moved to the merchant by this upload
	Gaps     []epurse.Gap
}

func clearTransferID(r epurse.Record) string {
	return "epurse:clr:" + r.Card.String() + ":" + strconv.Itoa(int(r.OfflineCounter))
}

// UploadBatch clears a batch a merchant's terminal uploaded: records of
// epurse.RecordSize bytes back to back. epurse.Clearer decides each record;
// each accepted one moves its amount from the card account to the
// merchant in its own ledger transfer, named by (card, counter), so that
// uploading a batch again, or two terminals racing with copies of one
// record, moves the money once. The ledger can still refuse an accepted
// record: another of the card's counter committed first elsewhere
// (replayed), or the card account is empty because its rest was refunded
// after the clearing window (denied).
func (s *Service) UploadBatch(ctx context.Context, merchantID, terminalID string, batch []byte) (Upload, error) {
	t, err := s.Store.Terminal(ctx, terminalID)
	if err == nil && t.MerchantID != merchantID {
		err = wallet.Errorf(wallet.CodeNotFound, "terminal not found")
	}
	if err != nil {
		return Upload{}, err
	}
	tid, err := ParseTerminalID(terminalID)
	if err != nil {
		return Upload{}, err
	}
	s.clearing.Lock()
	defer s.clearing.Unlock()
	res, err := epurse.NewClearer(s.issuer, newClearingState(ctx, s)).ClearBatch(tid, batch)
	if err != nil {
		return Upload{}, fromProtocol(err)
	}
	if err := s.book(ctx, t, &res); err != nil {
		return Upload{}, err
	}
	up := Upload{Terminal: t, Results: res.Results, Gaps: res.Gaps}
	for _, r := range res.Results {
		if r.Reason == epurse.ReasonReplayed || r.Reason == epurse.ReasonCounterRollback {
			if err := s.block(ctx, r, t); err != nil {
				return Upload{}, err
			}
		}
		if r.Reason == epurse.ReasonAccepted {
			up.Accepted++
			up.Total += r.Record.Amount
		} else {
			up.Rejected++
		}
	}
	if up.Accepted > 0 || up.Rejected > 0 {
		s.log.Info("e-purse batch cleared", "terminal", t.ID, "accepted", up.Accepted, "rejected", up.Rejected, "total", up.Total)
	}
	return up, nil
}

// block deny-lists a card whose record shows a cloned or rolled-back chip
// and keeps its rest from being refunded until a person has looked at it:
// the holder who copied the chip must not get the copy's value back too.
func (s *Service) block(ctx context.Context, r epurse.RecordResult, t Terminal) error {
	changed, err := s.Store.BlockEpurseCard(ctx, CardID(r.Record.Card), s.now().UTC().Truncate(time.Second))
	if err != nil {
		return err
	}
	if changed {
		s.log.Warn("e-purse card blocked: a cloned or rolled-back chip", "card", CardID(r.Record.Card),
			"counter", r.Record.OfflineCounter, "terminal", t.ID, "reason", string(r.Reason))
	}
	return nil
}

// book moves the money of the accepted records and keeps them as cleared;
// a record the ledger refuses gets its reason changed in res.
func (s *Service) book(ctx context.Context, t Terminal, res *epurse.BatchResult) error {
	dst, err := s.Wallet.WalletAccount(ctx, t.MerchantID, t.Currency)
	if err != nil {
		return err
	}
	var idx []int
	var ts []ledger.Transfer
	accounts := map[epurse.CardNumber]ledger.AccountID{} // a card taps many times a day
	for i, r := range res.Results {
		if r.Reason != epurse.ReasonAccepted {
			continue
		}
		src, ok := accounts[r.Record.Card]
		if !ok {
			if src, err = s.cardAccount(ctx, r.Record.Card); err != nil {
				return fmt.Errorf("account of card %s: %w", r.Record.Card, err)
			}
			accounts[r.Record.Card] = src
		}
		idx = append(idx, i)
		ts = append(ts, purchaseTransfer(r.Record, src, dst, t))
	}
	if len(ts) == 0 {
		return nil
	}
	now := s.now().UTC()
	var cleared []Cleared
	refused := map[epurse.Record]epurse.RecordResult{}
	for k, o := range s.Ledger.Submit(ctx, ts) {
		rr := &res.Results[idx[k]]
		switch ledger.ErrorCode(o.Err) {
		case "":
			r := rr.Record
			cleared = append(cleared, Cleared{CardID: CardID(r.Card), Counter: r.OfflineCounter, Terminal: r.Terminal,
				TerminalSeq: r.TerminalSeq, Amount: r.Amount, Time: r.Time, TAC: r.TAC, TransferID: ts[k].ID, ClearedAt: now})
			if o.Result.Replayed {
				// Cleared before, by an upload that died before listing
				// it or one racing in another process: this upload moved
				// nothing, and does not say it did.
				rr.Reason, rr.Detail, rr.Late = epurse.ReasonDuplicate, "already cleared", false
			}
			continue
		case ledger.CodeIdempotencyConflict:
			rr.Reason, rr.Detail = epurse.ReasonReplayed, "the card's counter was cleared with another record"
		case ledger.CodeInsufficientFunds:
			rr.Reason, rr.Detail = epurse.ReasonDenied, "the card's rest was already refunded to its wallet"
		default:
			return fmt.Errorf("clear record of card %s counter %d: %w", rr.Record.Card, rr.Record.OfflineCounter, o.Err)
		}
		refused[rr.Record] = *rr
	}
	sameRefusal(res, refused)
	return s.Store.PutCleared(ctx, cleared)
}

// sameRefusal gives a later copy of a refused record in the batch the
// refusal: the clearer called it a duplicate of the copy it had accepted,
// but the ledger refused that one, so nothing was cleared to duplicate.
// (A copy of a record cleared in an earlier batch makes the first copy a
// duplicate too, never a refusal, so no real duplicate is changed.)
func sameRefusal(res *epurse.BatchResult, refused map[epurse.Record]epurse.RecordResult) {
	for i := range res.Results {
		rr := &res.Results[i]
		if f, ok := refused[rr.Record]; ok && rr.Reason == epurse.ReasonDuplicate {
			rr.Reason, rr.Detail = f.Reason, f.Detail
		}
	}
}

func purchaseTransfer(r epurse.Record, src, dst ledger.AccountID, t Terminal) ledger.Transfer {
	return ledger.Transfer{ID: clearTransferID(r), Kind: kindPurchase, Type: ledger.Posted, ForgetRefusal: true,
		Postings: []ledger.Posting{{Account: src, Amount: -r.Amount}, {Account: dst, Amount: r.Amount}},
		Metadata: map[string]string{"op": clearTransferID(r), "type": kindPurchase, "from": CardID(r.Card), "to": t.MerchantID,
			"terminal": t.ID, "counter": strconv.Itoa(int(r.OfflineCounter)), "seq": strconv.FormatUint(uint64(r.TerminalSeq), 10),
			"time": strconv.FormatUint(uint64(r.Time), 10), "tac": hexOf(r.TAC[:]), "amount": strconv.FormatInt(r.Amount, 10)}}
}

// clearingState is epurse.ClearingState over the store, for one batch.
// Nothing of the batch is written before it is decided, so what the store
// says of a card stays true for the whole batch: the per-card answers are
// read once (the clearer asks for each record, and a card may have
// hundreds in a gate's day).
type clearingState struct {
	ctx     context.Context
	s       *Service
	highest map[epurse.CardNumber]highestAnswer
	last    map[cardAtTerminal]lastAnswer
	denied  map[epurse.CardNumber]deniedAnswer
}

type highestAnswer struct {
	ctr uint16
	ok  bool
}

type cardAtTerminal struct {
	card epurse.CardNumber
	term epurse.TerminalID
}

type lastAnswer struct {
	rec epurse.Record
	ok  bool
}

type deniedAnswer struct {
	since time.Time
	ok    bool
}

func newClearingState(ctx context.Context, s *Service) *clearingState {
	return &clearingState{ctx: ctx, s: s, highest: map[epurse.CardNumber]highestAnswer{},
		last: map[cardAtTerminal]lastAnswer{}, denied: map[epurse.CardNumber]deniedAnswer{}}
}

func (c *clearingState) Cleared(card epurse.CardNumber, ctr uint16) (epurse.Record, bool, error) {
	r, ok, err := c.s.Store.ClearedRecord(c.ctx, CardID(card), ctr)
	return r.record(card), ok, err
}

func (c *clearingState) Highest(card epurse.CardNumber) (uint16, bool, error) {
	if a, ok := c.highest[card]; ok {
		return a.ctr, a.ok, nil
	}
	h, ok, err := c.s.Store.HighestCleared(c.ctx, CardID(card))
	if err == nil {
		c.highest[card] = highestAnswer{h, ok}
	}
	return h, ok, err
}

func (c *clearingState) LastAt(card epurse.CardNumber, t epurse.TerminalID) (epurse.Record, bool, error) {
	k := cardAtTerminal{card, t}
	if a, ok := c.last[k]; ok {
		return a.rec, a.ok, nil
	}
	r, ok, err := c.s.Store.LastClearedAt(c.ctx, CardID(card), t)
	if err == nil {
		c.last[k] = lastAnswer{r.record(card), ok}
	}
	return r.record(card), ok, err
}

// Denied is the card's listing time. A card never issued here is not
// listed; its records cannot carry a TAC that verifies anyway.
func (c *clearingState) Denied(card epurse.CardNumber) (time.Time, bool, error) {
	if a, ok := c.denied[card]; ok {
		return a.since, a.ok, nil
	}
	var a deniedAnswer
	got, err := c.s.Store.EpurseCard(c.ctx, CardID(card))
	switch {
	case wallet.ErrorCode(err) == wallet.CodeNotFound, err == nil && got.Status == CardActive:
	case err != nil:
		return time.Time{}, false, err
	default:
		a = deniedAnswer{got.DeniedAt, true}
	}
	c.denied[card] = a
	return a.since, a.ok, nil
}

func (c Cleared) record(card epurse.CardNumber) epurse.Record {
	if c.CardID == "" {
		return epurse.Record{}
	}
	return epurse.Record{Card: card, OfflineCounter: c.Counter, Amount: c.Amount, Terminal: c.Terminal,
		TerminalSeq: c.TerminalSeq, Time: c.Time, TAC: c.TAC}
}
