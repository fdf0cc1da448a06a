// Package bank holds the connectors to banks. Sandbox is the in-process
// test bank of `ewallet serve --dev` with the test cards of shared/API.md.
package bank

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ewallet/ewallet/wallet"
)

// The sandbox's test cards.
const (
	CardApproves     = "4242424242424242"
	CardDeclined     = "4000000000000002"
	CardInsufficient = "4000000000009995"
	CardTimesOut     = "4000000000000119"
)

// ErrTimeout is what a caller sees when the sandbox pretends the bank did
// not answer in time (it still processed the request).
var ErrTimeout = errors.New("bank: timed out waiting for the answer")

// Sandbox is a bank in memory. Charges answer at once, except on the
// timeout card, where the caller gets ErrTimeout while the bank succeeds
// and reports it through Status after ChargeDelay. Payouts are accepted
// as pending and settle after PayoutDelay. Every request is idempotent by
// its ID.
type Sandbox struct {
	ChargeDelay time.Duration // default 2s
	PayoutDelay time.Duration // default 1s
	Now         func() time.Time

	mu   sync.Mutex
	reqs map[string]*sandboxReq
}

type sandboxReq struct {
	result  wallet.BankResult
	visible time.Time // Status reports result from then on; pending before
}

var _ wallet.Bank = (*Sandbox)(nil)

func (b *Sandbox) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

func (b *Sandbox) record(id string, res wallet.BankResult, delay time.Duration) *sandboxReq {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.reqs == nil {
		b.reqs = map[string]*sandboxReq{}
	}
	if r, ok := b.reqs[id]; ok {
		return r
	}
	r := &sandboxReq{result: res, visible: b.now().Add(delay)}
	b.reqs[id] = r
	return r
}

// outcome is what the bank does with a card.
func outcome(number string) wallet.BankResult {
	switch number {
	case CardDeclined:
		return wallet.BankResult{Status: wallet.BankFailed, FailureCode: "card_declined"}
	case CardInsufficient:
		return wallet.BankResult{Status: wallet.BankFailed, FailureCode: "insufficient_funds_at_bank"}
	}
	return wallet.BankResult{Status: wallet.BankSucceeded}
}

// Charge implements wallet.Bank.
func (b *Sandbox) Charge(ctx context.Context, req wallet.BankRequest) (wallet.BankResult, error) {
	if req.CardNumber == CardTimesOut {
		delay := b.ChargeDelay
		if delay == 0 {
			delay = 2 * time.Second
		}
		b.record(req.ID, wallet.BankResult{Status: wallet.BankSucceeded}, delay)
		return wallet.BankResult{}, ErrTimeout
	}
	r := b.record(req.ID, outcome(req.CardNumber), 0)
	return b.status(r), nil
}

// Payout implements wallet.Bank.
func (b *Sandbox) Payout(ctx context.Context, req wallet.BankRequest) (wallet.BankResult, error) {
	delay := b.PayoutDelay
	if delay == 0 {
		delay = time.Second
	}
	r := b.record(req.ID, outcome(req.CardNumber), delay)
	return b.status(r), nil
}

// Status implements wallet.Bank.
func (b *Sandbox) Status(ctx context.Context, id string) (wallet.BankResult, error) {
	b.mu.Lock()
	r, ok := b.reqs[id]
	b.mu.Unlock()
	if !ok {
		return wallet.BankResult{Status: wallet.BankUnknown}, nil
	}
	return b.status(r), nil
}

func (b *Sandbox) status(r *sandboxReq) wallet.BankResult {
	if b.now().Before(r.visible) {
		return wallet.BankResult{Status: wallet.BankPending}
	}
	return r.result
}

// None is the bank connector when none is configured (outside --dev, until
// a real connector is set up): every request fails cleanly, moving nothing.
type None struct{}

var _ wallet.Bank = None{}

func (None) fail() wallet.BankResult {
	return wallet.BankResult{Status: wallet.BankFailed, FailureCode: "bank_unavailable"}
}

// Charge implements wallet.Bank.
func (n None) Charge(context.Context, wallet.BankRequest) (wallet.BankResult, error) {
	return n.fail(), nil
}

// Payout implements wallet.Bank.
func (n None) Payout(context.Context, wallet.BankRequest) (wallet.BankResult, error) {
	return n.fail(), nil
}

// Status implements wallet.Bank.
func (n None) Status(context.Context, string) (wallet.BankResult, error) { return n.fail(), nil }
