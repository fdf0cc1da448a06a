package merchant

import (
	"context"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/wallet"
)

// Payout is a settlement: a merchant's available balance in one currency
// paid to its owner's card, once per day. The money is a ledger hold from
// the merchant's account to the bank's, posted when the bank pays and
// voided when it refuses (wallet.Service.Payout).
type Payout struct {
	ID         string // po_…, derived from (merchant, day, currency)
	MerchantID string
	Day        string // YYYY-MM-DD in the operator's zone
	Currency   money.Currency
	Amount     int64
	CardID     string
	Status     string // pending, paid, failed
	Failure    string // why it failed
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Payout statuses.
const (
	PayoutPending = "pending"
	PayoutPaid    = "paid"
	PayoutFailed  = "failed"
)

// SetPayoutCard names the owner's card that settlements go to.
func (s *Service) SetPayoutCard(ctx context.Context, m Merchant, cardID string) (Merchant, error) {
	owner, err := s.Wallet.User(ctx, m.OwnerID)
	if err != nil {
		return Merchant{}, err
	}
	if err := s.Wallet.CheckCard(ctx, owner, cardID); err != nil {
		return Merchant{}, err
	}
	if err := s.Store.SetPayoutCard(ctx, m.ID, cardID); err != nil {
		return Merchant{}, err
	}
	m.PayoutCard = cardID
	return m, nil
}

// Settle pays the merchant's available balances out for day, one payout
// per currency, and returns them. Settling the same day again pays
// nothing twice: a payout's ID is fixed by (merchant, day, currency), and
// one that is pending is only resumed.
func (s *Service) Settle(ctx context.Context, m Merchant, day string) ([]Payout, error) {
	if m.PayoutCard == "" {
		return nil, wallet.Errorf(wallet.CodeInvalidRequest, "set a payout card first")
	}
	bs, err := s.Wallet.BalancesOf(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	var out []Payout
	for _, b := range bs {
		if b.Available <= 0 {
			continue
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		p := Payout{ID: wallet.OpID("po_", m.ID, "settle:"+day+":"+string(b.Currency)), MerchantID: m.ID, Day: day, Currency: b.Currency,
			Amount: b.Available, CardID: m.PayoutCard, Status: PayoutPending, CreatedAt: now, UpdatedAt: now}
		p, _, err := s.Store.CreatePayout(ctx, p)
		if err != nil {
			return out, err
		}
		if p.Status == PayoutPending {
			if p, err = s.pay(ctx, m, p); err != nil {
				return out, err
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// pay sends a pending payout to the bank (again: the bank and the ledger
// know it by its ID) and records what is known of it.
func (s *Service) pay(ctx context.Context, m Merchant, p Payout) (Payout, error) {
	owner, err := s.Wallet.User(ctx, m.OwnerID)
	if err != nil {
		return p, err
	}
	op, err := s.Wallet.Payout(ctx, owner, wallet.PayoutRequest{ID: p.ID, WalletID: m.ID, CardID: p.CardID, Amount: p.Amount, Currency: p.Currency})
	s.kick()
	switch code := wallet.ErrorCode(err); {
	case err == nil:
	case code == wallet.CodeInsufficientFunds || code == wallet.CodeCardNotFound:
		// Refunds took the money first, or the card was removed: nothing
		// was held, so nothing moved.
		return s.finishPayout(ctx, p, PayoutFailed, string(code))
	default:
		return p, err
	}
	switch op.Status {
	case wallet.OpSucceeded:
		return s.finishPayout(ctx, p, PayoutPaid, "")
	case wallet.OpFailed:
		return s.finishPayout(ctx, p, PayoutFailed, op.FailureCode)
	}
	return p, nil // the bank has not answered: the recovery worker settles it
}

// finishPayout records a payout's end and publishes its event. A payout
// ends once, whichever path saw it end first (the request, the journal
// follower): the event's ID derives from the payout alone, so every path
// publishes the same event.
func (s *Service) finishPayout(ctx context.Context, p Payout, status, failure string) (Payout, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	if _, err := s.Store.FinishPayout(ctx, p.ID, status, failure, now); err != nil {
		return p, err
	}
	p, err := s.Store.Payout(ctx, p.ID)
	if err != nil {
		return p, err
	}
	typ := "payout.paid"
	if p.Status == PayoutFailed {
		typ = "payout.failed"
	}
	return p, s.publish(ctx, typ, "payout:"+p.ID, p.MerchantID, p.UpdatedAt, ViewPayout(p))
}

// applyPayout follows a payout's hold being posted (the bank paid) or
// voided (it refused), whichever process saw the bank's answer.
func (s *Service) applyPayout(ctx context.Context, t ledger.Transfer, id string) error {
	p, err := s.Store.Payout(ctx, id)
	if wallet.ErrorCode(err) == wallet.CodeNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	status, failure := PayoutPaid, ""
	if t.Type == ledger.Void {
		status, failure = PayoutFailed, "bank_refused"
		if op, err := s.Wallet.Store.BankOp(ctx, id); err == nil && op.FailureCode != "" {
			failure = op.FailureCode
		}
	}
	_, err = s.finishPayout(ctx, p, status, failure)
	return err
}

// SettleAll settles every merchant with a payout card for day.
func (s *Service) SettleAll(ctx context.Context, day string) (int, error) {
	n, after := 0, ""
	for {
		ms, err := s.Store.SettledMerchants(ctx, after, 100)
		if err != nil || len(ms) == 0 {
			return n, err
		}
		for _, m := range ms {
			ps, err := s.Settle(ctx, m, day)
			if err != nil {
				s.Log.Error("settle merchant", "merchant", m.ID, "day", day, "err", err)
				continue
			}
			n += len(ps)
		}
		after = ms[len(ms)-1].ID
	}
}

// Payouts lists the merchant's payouts, newest first.
func (s *Service) Payouts(ctx context.Context, m Merchant, startingAfter string, limit int) ([]Payout, bool, error) {
	ps, err := s.Store.Payouts(ctx, m.ID, startingAfter, limit+1)
	if wallet.ErrorCode(err) == wallet.CodeNotFound {
		return nil, false, wallet.Errorf(wallet.CodeInvalidRequest, "starting_after is not one of your payouts")
	}
	if len(ps) > limit {
		return ps[:limit], true, err
	}
	return ps, false, err
}

// RunSettlement settles the previous day, in the operator's zone, once
// the day is over: it checks every interval whether a day ended that has
// not been settled (a cursor in the database remembers the last), so a
// server that was down at midnight catches up when it starts.
func (s *Service) RunSettlement(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if err := s.settleDue(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("settlement", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// settlementCursor remembers the last day settled, as YYYYMMDD.
const settlementCursor = "merchant.settlement"

func (s *Service) settleDue(ctx context.Context) error {
	yesterday := s.now().In(s.Wallet.Config().Zone).AddDate(0, 0, -1).Format(time.DateOnly)
	done, err := s.Store.Cursor(ctx, settlementCursor)
	if err != nil {
		return err
	}
	key := dayKey(yesterday)
	if done >= key {
		return nil
	}
	if _, err := s.SettleAll(ctx, yesterday); err != nil {
		return err
	}
	return s.Store.AdvanceCursor(ctx, settlementCursor, key)
}

// dayKey is YYYY-MM-DD as the number YYYYMMDD.
func dayKey(day string) int64 {
	t, _ := time.Parse(time.DateOnly, day)
	return int64(t.Year()*10000 + int(t.Month())*100 + t.Day())
}

// PayoutView is a payout as the API and webhooks show it.
type PayoutView struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	Day       string    `json:"day"`
	Amount    string    `json:"amount"`
	Currency  string    `json:"currency"`
	CardID    string    `json:"card_id"`
	Failure   string    `json:"failure_code,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// ViewPayout renders a payout.
func ViewPayout(p Payout) PayoutView {
	return PayoutView{ID: p.ID, Status: p.Status, Day: p.Day, Amount: money.Format(p.Amount, p.Currency), Currency: string(p.Currency),
		CardID: p.CardID, Failure: p.Failure, CreatedAt: p.CreatedAt}
}
