package merchant

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/wallet"
	"github.com/ewallet/ewallet/webhook"
)

// The journal follower. The ledger's journal is the record of what
// happened to a payment's money: a payment is paid when "pay:<id>"
// committed, captured when "capture:<id>" did, and so on. The payments
// table and the webhook events follow from it, here, from a cursor kept
// in the database. So a crash between the ledger's commit and the
// payments table's update is repaired at the next pass, and an event is
// published for every money movement that committed, exactly once (its ID
// derives from the transfer's, and publishing it again changes nothing):
// the journal is the outbox, written in the same transaction as the money
// because it is the money.

// journalCursor names this follower's position in the cursors table.
const journalCursor = "merchant.journal"

// journalPage is how many journal sequences one read asks for.
const journalPage = 256

// Publisher takes webhook events (webhook.Service). Publish stores an
// event once per ID.
type Publisher interface {
	Publish(ctx context.Context, e webhook.Event) error
}

// RunJournal follows the journal until ctx ends: every interval, and at
// once when a payment operation of this process asks (kick). Every
// sweepEvery it also expires unpaid payments whose time ran out and moves
// the money of refunds left pending.
func (s *Service) RunJournal(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	var swept time.Time
	for {
		if _, err := s.FollowJournal(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("follow the journal", "err", err)
		}
		if time.Since(swept) >= sweepEvery {
			swept = time.Now()
			if _, err := s.ExpireDue(ctx, 500); err != nil && ctx.Err() == nil {
				s.Log.Error("expire payments", "err", err)
			}
			if _, err := s.RetryRefunds(ctx, 100); err != nil && ctx.Err() == nil {
				s.Log.Error("retry refunds", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.kicks:
		}
	}
}

// kick asks RunJournal for a pass soon, without waiting for it.
func (s *Service) kick() {
	select {
	case s.kicks <- struct{}{}:
	default:
	}
}

// FollowJournal applies the transfers committed since the cursor and
// returns how many it read. It stops at the first that fails, with the
// cursor before it, so that nothing is skipped.
func (s *Service) FollowJournal(ctx context.Context) (int, error) {
	from, err := s.Store.Cursor(ctx, journalCursor)
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		seqs := make([]int64, journalPage)
		for i := range seqs {
			seqs[i] = from + 1 + int64(i)
		}
		ts, err := s.Ledger.TransfersBySeq(ctx, seqs)
		if err != nil || len(ts) == 0 {
			return n, err
		}
		for _, t := range ts {
			if err := s.applyTransfer(ctx, t); err != nil {
				if t.Seq > from+1 {
					err = errors.Join(err, s.Store.AdvanceCursor(ctx, journalCursor, t.Seq-1))
				}
				return n, err
			}
			n++
		}
		from = ts[len(ts)-1].Seq
		if err := s.Store.AdvanceCursor(ctx, journalCursor, from); err != nil {
			return n, err
		}
		if len(ts) < journalPage {
			return n, nil
		}
	}
}

// applyTransfer brings the payments table in line with one committed
// transfer and publishes its event. Transfers that are not a payment's
// are skipped.
func (s *Service) applyTransfer(ctx context.Context, t ledger.Transfer) error {
	verb, id, ok := strings.Cut(strings.TrimPrefix(t.ID, "expire:"), ":")
	if !ok {
		return nil
	}
	if strings.HasPrefix(t.ID, "expire:") {
		if verb != "pay" {
			return nil
		}
		verb = "expire"
	}
	switch {
	case verb == "pay" || verb == "capture" || verb == "cancel" || verb == "expire":
		return s.applyPayment(ctx, verb, id, t)
	case verb == "ref":
		return s.applyRefund(ctx, id, t)
	case (verb == "settle" || verb == "void") && strings.HasPrefix(id, "po_"):
		return s.applyPayout(ctx, t, id)
	}
	return nil
}

func (s *Service) applyPayment(ctx context.Context, verb, id string, t ledger.Transfer) error {
	p, err := s.Store.Payment(ctx, id)
	if wallet.ErrorCode(err) == wallet.CodeNotFound {
		return nil // a transfer whose ID only looks like a payment's
	}
	if err != nil {
		return err
	}
	var typ string
	switch verb {
	case "pay":
		if unpaidEnd(p) {
			if p, err = s.recordPaid(ctx, p, t.Metadata["from"], metaInt(t, "fee"), t.ExpiresAt, t); err != nil {
				return err
			}
		}
		typ = "payment.succeeded"
		if t.Type == ledger.Hold {
			typ = "payment.authorized"
		}
	case "capture":
		if p.Status == Authorized {
			p.Status, p.Captured, p.Fee, p.UpdatedAt = Succeeded, metaInt(t, "amount"), metaInt(t, "fee"), t.Time
			if _, err := s.Store.UpdatePayment(ctx, p, Authorized); err != nil {
				return err
			}
		}
		typ = "payment.succeeded"
	case "cancel", "expire":
		to, event := Canceled, "payment.canceled"
		if verb == "expire" {
			to, event = Expired, "payment.expired"
		}
		if p.Status == Authorized {
			if p, err = s.setStatus(ctx, p, to); err != nil {
				return err
			}
			s.Wallet.ForgetUsage(p.PayerID)
		}
		typ = event
	}
	return s.publishPayment(ctx, typ, t.ID, p)
}

func (s *Service) applyRefund(ctx context.Context, id string, t ledger.Transfer) error {
	r, err := s.Store.Refund(ctx, id)
	if wallet.ErrorCode(err) == wallet.CodeNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if r.Status == "pending" {
		if err := s.Store.FinishRefund(ctx, r.ID, true); err != nil {
			return err
		}
		r.Status = "succeeded"
	}
	p, err := s.Store.Payment(ctx, r.PaymentID)
	if err != nil {
		return err
	}
	return s.publish(ctx, "refund.succeeded", t.ID, p.MerchantID, t.Time, ViewRefund(r))
}

// publishPayment publishes a payment's event, the payment as it is now.
// source names what happened (a transfer ID, or the status change of a
// payment that moved no money), which makes the event's ID.
func (s *Service) publishPayment(ctx context.Context, typ, source string, p Payment) error {
	if s.Events == nil {
		return nil
	}
	e, err := s.paymentEvent(ctx, typ, source, p)
	if err != nil {
		return err
	}
	return s.Events.Publish(ctx, e)
}

// paymentEvent is a payment's event, the payment as it is now.
func (s *Service) paymentEvent(ctx context.Context, typ, source string, p Payment) (webhook.Event, error) {
	m, err := s.Store.Merchant(ctx, p.MerchantID)
	if err != nil {
		return webhook.Event{}, err
	}
	return newEvent(typ, source, m.ID, p.UpdatedAt, s.View(m, p))
}

func (s *Service) publish(ctx context.Context, typ, source, merchantID string, at time.Time, obj any) error {
	if s.Events == nil {
		return nil
	}
	e, err := newEvent(typ, source, merchantID, at, obj)
	if err != nil {
		return err
	}
	return s.Events.Publish(ctx, e)
}

// newEvent is the event of typ about obj; its ID derives from (typ,
// source), so the same happening always makes the same event.
func newEvent(typ, source, merchantID string, at time.Time, obj any) (webhook.Event, error) {
	data, err := json.Marshal(obj)
	return webhook.Event{ID: webhook.EventID(typ, source), MerchantID: merchantID, Type: typ, CreatedAt: at, Data: data}, err
}

// metaInt reads an integer the transfer's metadata carries (0 if absent).
func metaInt(t ledger.Transfer, key string) int64 {
	n, _ := strconv.ParseInt(t.Metadata[key], 10, 64)
	return n
}
