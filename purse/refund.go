package purse

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ewallet/ewallet/ledger"
)

func refundTransferID(cardID string) string { return "epurse:refund:" + cardID }

// RefundDue refunds every lost card whose clearing window has closed: the
// rest of its account (loaded minus cleared) goes back to its wallet in
// one transfer whose ID is the card's, so it happens once. It returns how
// many cards it refunded.
func (s *Service) RefundDue(ctx context.Context, limit int) (int, error) {
	cs, err := s.Store.EpurseCardsDue(ctx, s.now().UTC(), limit)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cs {
		if err := s.refund(ctx, c); err != nil {
			return n, fmt.Errorf("refund e-purse card %s: %w", c.ID, err)
		}
		n++
	}
	return n, nil
}

// refund pays a lost card's rest back. The clearing lock keeps a batch of
// the card from clearing between reading the balance and moving it; across
// processes, the card account may not go negative, so a late clearing
// fails (its record is denied) or this transfer does and is tried again.
func (s *Service) refund(ctx context.Context, c Card) error {
	s.clearing.Lock()
	defer s.clearing.Unlock()
	amount, err := s.refundAmount(ctx, c)
	if err != nil {
		return err
	}
	// A load still pending is settled by the refund: its money was in the
	// card account, taken by the chip or not, and went back with the rest.
	if l, ok, err := s.Store.PendingEpurseLoad(ctx, c.ID); err != nil {
		return err
	} else if ok {
		if _, err := s.Store.FinishEpurseLoad(ctx, l.ID, LoadRefunded, s.now().UTC()); err != nil {
			return err
		}
	}
	if err := s.Store.MarkEpurseCardRefunded(ctx, c.ID, amount, s.now().UTC()); err != nil {
		return err
	}
	s.log.Info("e-purse card refunded", "card", c.ID, "amount", amount)
	return nil
}

// refundAmount moves the rest, or finds what an earlier attempt moved.
func (s *Service) refundAmount(ctx context.Context, c Card) (int64, error) {
	if t, err := s.Ledger.GetTransfer(ctx, refundTransferID(c.ID)); err == nil {
		return strconv.ParseInt(t.Metadata["amount"], 10, 64)
	} else if ledger.ErrorCode(err) != ledger.CodeNotFound {
		return 0, err
	}
	n, err := ParseCardID(c.ID)
	if err != nil {
		return 0, err
	}
	a, err := s.Ledger.AccountByName(ctx, cardAccountName(n, c.Currency))
	if err != nil || a.Posted == 0 {
		return 0, err
	}
	dst, err := s.Wallet.WalletAccount(ctx, c.WalletID, c.Currency)
	if err != nil {
		return 0, err
	}
	_, err = s.Ledger.Transfer(ctx, ledger.Transfer{ID: refundTransferID(c.ID), Kind: kindRefund, Type: ledger.Posted, ForgetRefusal: true,
		Postings: []ledger.Posting{{Account: a.ID, Amount: -a.Posted}, {Account: dst, Amount: a.Posted}},
		Metadata: map[string]string{"op": c.ID, "type": kindRefund, "to": c.UserID, "card": c.ID,
			"amount": strconv.FormatInt(a.Posted, 10), "note": "rest of a lost e-purse card"}})
	return a.Posted, err
}

// RunRefunds refunds due cards every interval until ctx ends.
func (s *Service) RunRefunds(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.RefundDue(ctx, 100); err != nil && ctx.Err() == nil {
			s.log.Error("e-purse refunds", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
