package wallet

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

// Money-moving requests pass the contract's checks in its order: frozen,
// then PIN, then limits, then funds. A request whose key already did
// something must get that first answer instead of a new refusal, so every
// refusal first looks for what the key did (prior) before it is given.

// prior is what an idempotency key already did in the ledger.
type prior struct {
	found bool
	t     ledger.Transfer
}

// priorOf looks up the first money a key moved. A transfer made from a
// different request (another body, or another endpoint) → CodeKeyReused.
func (s *Service) priorOf(ctx context.Context, u User, idem Idem, opType string) (prior, error) {
	t, err := s.Ledger.GetTransfer(ctx, keyTransferID(u.ID, idem.Key))
	if ledger.ErrorCode(err) == ledger.CodeNotFound {
		return prior{}, nil
	}
	if err != nil {
		return prior{}, err
	}
	if t.Metadata["fp"] != hex.EncodeToString(idem.Fingerprint[:]) || t.Metadata["type"] != opType {
		return prior{}, errKeyReused()
	}
	return prior{found: true, t: t}, nil
}

// checkSender runs the frozen and PIN checks. When one refuses and the key
// already moved money, it returns that prior instead.
func (s *Service) checkSender(ctx context.Context, u User, pin string, idem Idem, opType string, c Client) (prior, error) {
	var refusal error
	switch {
	case u.Status == StatusPending:
		refusal = Errorf(CodeForbidden, "verify your phone number first")
	case u.Status == StatusFrozen:
		refusal = Errorf(CodeWalletFrozen, "the wallet is frozen")
	case u.PINHash == nil:
		refusal = Errorf(CodePINNotSet, "set a payment PIN first")
	case s.now().Before(u.PIN.LockedUntil):
		refusal = Errorf(CodePINLocked, "the PIN is locked after too many wrong tries; try again later")
	case !s.PINs.Check(u.ID, pin, u.PINHash):
		refusal = errWrongPIN
	}
	if refusal == nil {
		if u.PIN.Failures > 0 {
			s.sessions.dropUser(u.ID)
			return prior{}, s.Store.ResetPINFailures(ctx, u.ID)
		}
		return prior{}, nil
	}
	if p, err := s.priorOf(ctx, u, idem, opType); err != nil || p.found {
		return p, err
	}
	if refusal == errWrongPIN {
		return prior{}, s.checkPIN(ctx, u, pin, c) // counts the failure
	}
	return prior{}, refusal
}

var errWrongPIN = Errorf(CodeInvalidPIN, "the PIN is wrong")

// refuse returns a prior for the key if there is one, else the refusal.
func (s *Service) refuse(ctx context.Context, u User, idem Idem, opType string, refusal error) (prior, error) {
	if p, err := s.priorOf(ctx, u, idem, opType); err != nil || p.found {
		return p, err
	}
	return prior{}, refusal
}

// fromLedger turns a ledger refusal into the wallet's.
func fromLedger(err error) error {
	switch ledger.ErrorCode(err) {
	case "":
		if err == nil {
			return nil
		}
		// The caller's context ended while the transfer waited: it may
		// still commit.
		return Errorf(CodeUnavailable, "the outcome is not known yet; retry with the same Idempotency-Key")
	case ledger.CodeInsufficientFunds:
		return Errorf(CodeInsufficientFunds, "the available balance is too low")
	case ledger.CodeIdempotencyConflict:
		return errKeyReused()
	case ledger.CodeOverflow:
		return Errorf(CodeLimitExceeded, "a balance would exceed what a wallet can hold")
	case ledger.CodeUnavailable, ledger.CodeClosed:
		return Errorf(CodeUnavailable, "the ledger is not available; retry with the same Idempotency-Key")
	}
	return err
}

// moveMoney submits a transfer for a request and resolves what its key
// already did: the same request again → the first transfer, replayed.
func (s *Service) moveMoney(ctx context.Context, u User, idem Idem, opType string, t ledger.Transfer) (ledger.Transfer, bool, error) {
	res, err := s.Ledger.Transfer(ctx, t)
	if err == nil {
		return res.Transfer, res.Replayed, nil
	}
	switch ledger.ErrorCode(err) {
	case ledger.CodeIdempotencyConflict:
		p, perr := s.priorOf(ctx, u, idem, opType)
		if perr != nil {
			return ledger.Transfer{}, false, perr
		}
		if p.found {
			return p.t, true, nil
		}
	}
	return ledger.Transfer{}, false, fromLedger(err)
}

// outflowFen converts an outflow to CNY fen for limits.
func (s *Service) outflowFen(amount int64, c money.Currency) (int64, error) {
	fen, err := s.cfg.toCNY(amount, c)
	if err != nil {
		return 0, Errorf(CodeInvalidAmount, "amount too large")
	}
	return fen, nil
}

// checkLimits locks the user's outflows and checks one more of fen. When
// it passes, the caller must call done with what became of the money:
// counted when it moved, and when the outcome is unknown (a timeout) the
// usage is reloaded from the ledger next time.
func (s *Service) checkLimits(ctx context.Context, u User, fen int64) (done func(moved bool, at time.Time, err error), err error) {
	uu, err := s.lockUsage(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	day, year := s.dayYear(s.now())
	if err := s.checkOutflow(u, uu.u.current(day, year), fen); err != nil {
		uu.mu.Unlock()
		return nil, err
	}
	return func(moved bool, at time.Time, err error) {
		switch c := ErrorCode(err); {
		case moved:
			d, y := s.dayYear(at)
			uu.u.add(d, y, fen)
		case c == CodeInternal || c == CodeUnavailable:
			uu.loaded = false
		}
		uu.mu.Unlock()
	}, nil
}
