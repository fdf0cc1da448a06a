package banksim

import (
	"context"
	"fmt"

	"github.com/ewallet/ewallet/bank/bankwire"
	"github.com/ewallet/ewallet/ledger"
)

// Failure codes the bank gives.
const (
	failDeclined     = "card_declined"
	failInsufficient = "insufficient_funds_at_bank"
	failProcessing   = "processing_error"
	failRefund       = "refund_exceeds_charge"
)

// process moves a request on as far as it can now. It is idempotent: every
// ledger transfer has an ID fixed by the request (auth:, cap:, void:, pay:,
// ref:), and the ledger remembers a refusal under its ID, so the handler
// and the worker, or a restarted bank, reach the same outcome. force
// processes a Slow request before its due time (its caller gave up).
func (b *Bank) process(ctx context.Context, r Request, force bool) (Request, error) {
	if r.Final() {
		return r, nil
	}
	if r.Behaviour == Slow && r.Status == statusReceived && !force && b.now().Before(r.DueAt) {
		return r, nil
	}
	if r.Status == statusPending && b.now().Before(r.DueAt) {
		return r, nil
	}
	switch r.Kind {
	case bankwire.KindCharge:
		return b.processCharge(ctx, r)
	case bankwire.KindPayout:
		return b.processPayout(ctx, r)
	case bankwire.KindRefund:
		return b.processRefund(ctx, r)
	}
	return r, fmt.Errorf("banksim: request %s of unknown kind %q", r.ID, r.Kind)
}

// refusal is the failure a behaviour forces at once, if any.
func refusal(bh Behaviour) string {
	switch bh {
	case Decline:
		return failDeclined
	case Insufficient:
		return failInsufficient
	}
	return ""
}

// processCharge authorises the amount on the card (a hold), then captures
// it (posts the hold), or for FailAfterAccept answers pending and voids
// the authorisation later.
func (b *Bank) processCharge(ctx context.Context, r Request) (Request, error) {
	if r.Status == statusPending { // FailAfterAccept, now due
		if err := b.resolveHold(ctx, r, ledger.Void, "void:"); err != nil {
			return r, err
		}
		return b.finish(ctx, r, bankwire.StatusFailed, failProcessing)
	}
	if code := refusal(r.Behaviour); code != "" {
		return b.finish(ctx, r, bankwire.StatusFailed, code)
	}
	card, err := b.accountID(ctx, r.Card)
	if err != nil {
		return r, err
	}
	op, err := b.accountID(ctx, operatorAccount(r.Currency))
	if err != nil {
		return r, err
	}
	auth := ledger.Transfer{ID: "auth:" + r.ID, Type: ledger.Hold, Kind: "authorisation",
		Postings: []ledger.Posting{{Account: card, Amount: -r.Amount}, {Account: op, Amount: r.Amount}}, Metadata: meta(r)}
	_, err = b.l.Transfer(ctx, auth)
	if ledger.ErrorCode(err) == ledger.CodeInsufficientFunds {
		return b.finish(ctx, r, bankwire.StatusFailed, failInsufficient)
	}
	if err != nil {
		return r, err
	}
	if r.Behaviour == FailAfterAccept {
		return b.accept(ctx, r, b.now().Add(b.cfg.AsyncDelay))
	}
	if err := b.resolveHold(ctx, r, ledger.Post, "cap:"); err != nil {
		return r, err
	}
	return b.finish(ctx, r, bankwire.StatusSucceeded, "")
}

// resolveHold posts or voids a charge's authorisation.
func (b *Bank) resolveHold(ctx context.Context, r Request, t ledger.Type, prefix string) error {
	_, err := b.l.Transfer(ctx, ledger.Transfer{ID: prefix + r.ID, Type: t, Kind: r.Kind, HoldID: "auth:" + r.ID, Metadata: meta(r)})
	return err
}

// processPayout accepts a payout (pending), and pays it from the
// operator's account to the card when it is due.
func (b *Bank) processPayout(ctx context.Context, r Request) (Request, error) {
	if r.Status == statusReceived {
		if code := refusal(r.Behaviour); code != "" {
			return b.finish(ctx, r, bankwire.StatusFailed, code)
		}
		return b.accept(ctx, r, b.now().Add(b.cfg.AsyncDelay))
	}
	if r.Behaviour == FailAfterAccept {
		return b.finish(ctx, r, bankwire.StatusFailed, failProcessing)
	}
	if err := b.move(ctx, "pay:"+r.ID, operatorAccount(r.Currency), r.Card, r); err != nil {
		return r, err
	}
	return b.finish(ctx, r, bankwire.StatusSucceeded, "")
}

// processRefund gives back part or all of a captured charge.
func (b *Bank) processRefund(ctx context.Context, r Request) (Request, error) {
	b.refunds.Lock()
	defer b.refunds.Unlock()
	charge, err := b.Request(ctx, r.ChargeID)
	if err != nil || charge.Kind != bankwire.KindCharge || charge.Status != bankwire.StatusSucceeded || charge.Currency != r.Currency {
		return b.finish(ctx, r, bankwire.StatusFailed, failRefund)
	}
	refunded, err := b.refunded(ctx, r.ChargeID)
	if err != nil {
		return r, err
	}
	if r.Amount > charge.Amount-refunded {
		return b.finish(ctx, r, bankwire.StatusFailed, failRefund)
	}
	if err := b.move(ctx, "ref:"+r.ID, operatorAccount(r.Currency), charge.Card, r); err != nil {
		return r, err
	}
	return b.finish(ctx, r, bankwire.StatusSucceeded, "")
}

// refunded sums the succeeded refunds of a charge.
func (b *Bank) refunded(ctx context.Context, chargeID string) (int64, error) {
	var sum int64
	err := b.sql.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount), 0) FROM sim_requests WHERE kind = 'refund' AND charge_id = ? AND status = 'succeeded'`, chargeID).Scan(&sum)
	return sum, err
}

// move transfers r's amount between two named accounts under id.
func (b *Bank) move(ctx context.Context, id, from, to string, r Request) error {
	src, err := b.accountID(ctx, from)
	if err != nil {
		return err
	}
	dst, err := b.accountID(ctx, to)
	if err != nil {
		return err
	}
	t := ledger.Move(id, r.Kind, src, dst, r.Amount)
	t.Metadata = meta(r)
	_, err = b.l.Transfer(ctx, t)
	return err
}

// meta is what a statement line needs to know of a transfer.
func meta(r Request) map[string]string {
	return map[string]string{"request": r.ID, "kind": r.Kind, "card": r.Last4}
}
