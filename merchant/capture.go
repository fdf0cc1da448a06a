package merchant

import (
	"context"
	"strconv"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/wallet"
)

// Capture takes amount (0: all) of an authorized payment's hold: the
// merchant gets it less the fee, the rest of the hold goes back to the
// payer.
func (s *Service) Capture(ctx context.Context, m Merchant, id string, amount int64) (Payment, error) {
	defer s.locks.lock(id)()
	p, err := s.Get(ctx, m, id)
	if err != nil {
		return Payment{}, err
	}
	if p.Status != Authorized {
		return Payment{}, wallet.Errorf(wallet.CodePaymentNotPayable, "only an authorized payment can be captured")
	}
	if amount == 0 {
		amount = p.Amount
	}
	if amount > p.Amount {
		return Payment{}, wallet.Errorf(wallet.CodeExceedsAuthorized, "at most the authorized amount can be captured")
	}
	src, err := s.payerAccount(ctx, p)
	if err != nil {
		return Payment{}, err
	}
	dst, fees, err := s.merchantAccounts(ctx, m, p)
	if err != nil {
		return Payment{}, err
	}
	fee := feeOn(amount, m.FeeBP)
	t := ledger.Transfer{ID: "capture:" + p.ID, Type: ledger.Post, Kind: kindPayment, HoldID: "pay:" + p.ID,
		Postings: []ledger.Posting{{Account: src, Amount: -amount}, {Account: dst, Amount: amount - fee}},
		Metadata: map[string]string{"op": p.ID, "type": kindPayment, "from": p.PayerID, "to": m.ID, "currency": string(p.Currency), "note": p.Description,
			"amount": strconv.FormatInt(amount, 10), "fee": strconv.FormatInt(fee, 10)}}
	if fee > 0 {
		t.Postings = append(t.Postings, ledger.Posting{Account: fees, Amount: fee})
	}
	res, err := s.Ledger.Transfer(ctx, t)
	switch code := ledger.ErrorCode(err); {
	case err == nil:
	case code == ledger.CodeHoldExpired || code == ledger.CodeHoldNotPending:
		return s.afterHold(ctx, p, Succeeded)
	case code == ledger.CodeIdempotencyConflict:
		// The capture's ID was used before: by a capture of another
		// amount that committed (another process), or by one the ledger
		// refused and remembers (the hold had expired).
		if prior, err := s.Ledger.GetTransfer(ctx, t.ID); err == nil {
			if err := s.applyTransfer(ctx, prior); err != nil {
				return Payment{}, err
			}
			return s.Store.Payment(ctx, p.ID)
		}
		return s.afterHold(ctx, p, Succeeded)
	default:
		return Payment{}, fromLedger(err)
	}
	s.kick()
	if amount < p.Amount {
		s.Wallet.ForgetUsage(p.PayerID) // the rest went back
	}
	from := p.Status
	p.Status, p.Captured, p.Fee, p.UpdatedAt = Succeeded, amount, fee, res.Transfer.Time
	if _, err := s.Store.UpdatePayment(ctx, p, from); err != nil {
		return Payment{}, err
	}
	return s.Store.Payment(ctx, p.ID)
}

// Cancel cancels a payment not yet captured: one waiting for its payer
// simply ends; an authorized one has its hold released.
func (s *Service) Cancel(ctx context.Context, m Merchant, id string) (Payment, error) {
	defer s.locks.lock(id)()
	p, err := s.Get(ctx, m, id)
	if err != nil {
		return Payment{}, err
	}
	switch p.Status {
	case Canceled:
		return p, nil
	case RequiresPayment:
		// A pay racing this cancel wins if its money commits, before or
		// after this update: the ledger decides (see unpaidEnd). Money that
		// moved already is found here, and the cancel is refused.
		if p, err = s.setStatus(ctx, p, Canceled); err != nil {
			return Payment{}, err
		}
		if p.Status != Canceled { // moved on first: paid, or expired
			return Payment{}, wallet.Errorf(wallet.CodePaymentNotPayable, "a %s payment cannot be canceled", p.Status)
		}
		if t, err := s.Ledger.GetTransfer(ctx, "pay:"+p.ID); err == nil {
			if err := s.applyTransfer(ctx, t); err != nil {
				return Payment{}, err
			}
			return Payment{}, wallet.Errorf(wallet.CodePaymentNotPayable, "the payment was paid before it could be canceled")
		}
		return p, nil
	case Authorized:
	default:
		return Payment{}, wallet.Errorf(wallet.CodePaymentNotPayable, "a %s payment cannot be canceled", p.Status)
	}
	_, err = s.Ledger.Transfer(ctx, ledger.Transfer{ID: "cancel:" + p.ID, Type: ledger.Void, Kind: kindPayment, HoldID: "pay:" + p.ID,
		Metadata: map[string]string{"op": p.ID, "type": kindPayment, "from": p.PayerID, "to": m.ID, "currency": string(p.Currency)}})
	switch code := ledger.ErrorCode(err); {
	case err == nil, code == ledger.CodeIdempotencyConflict:
	case code == ledger.CodeHoldExpired || code == ledger.CodeHoldNotPending:
		return s.afterHold(ctx, p, Canceled)
	default:
		return Payment{}, fromLedger(err)
	}
	s.kick()
	s.Wallet.ForgetUsage(p.PayerID)
	return s.setStatus(ctx, p, Canceled)
}

// afterHold brings an authorized payment in line with its hold, which is
// no longer pending: posted (captured elsewhere), voided, or expired. want
// is what the caller asked for (a capture: Succeeded; a cancel: Canceled);
// another outcome, decided first by another request, is a 409.
func (s *Service) afterHold(ctx context.Context, p Payment, want Status) (Payment, error) {
	p, err := s.heldOutcome(ctx, p)
	if err == nil && p.Status != want {
		err = wallet.Errorf(wallet.CodePaymentNotPayable, "the payment is %s", p.Status)
	}
	return p, err
}

// heldOutcome is afterHold without the caller's wish.
func (s *Service) heldOutcome(ctx context.Context, p Payment) (Payment, error) {
	hs, err := s.Ledger.Holds(ctx, []string{"pay:" + p.ID})
	if err != nil {
		return Payment{}, err
	}
	h := hs["pay:"+p.ID]
	switch {
	case h.Status == ledger.HoldPending && !h.ExpiresAt.IsZero() && !s.now().Before(h.ExpiresAt):
		// Past its deadline, not yet released by the sweeper.
		return Payment{}, wallet.Errorf(wallet.CodePaymentExpired, "the authorization has expired")
	case h.Status == ledger.HoldExpired:
		s.Wallet.ForgetUsage(p.PayerID)
		p, err = s.setStatus(ctx, p, Expired)
		if err == nil && p.Status == Expired {
			err = wallet.Errorf(wallet.CodePaymentExpired, "the authorization has expired")
		}
		return p, err
	case h.Status == ledger.HoldVoided:
		return s.setStatus(ctx, p, Canceled)
	case h.Status == ledger.HoldPosted:
		// Captured by another request, perhaps in another process that
		// has not recorded it yet: record it from the ledger.
		if t, err := s.Ledger.GetTransfer(ctx, "capture:"+p.ID); err == nil {
			if err := s.applyTransfer(ctx, t); err != nil {
				return Payment{}, err
			}
		}
	}
	return s.Store.Payment(ctx, p.ID)
}

func (s *Service) payerAccount(ctx context.Context, p Payment) (ledger.AccountID, error) {
	u, err := s.Wallet.User(ctx, p.PayerID)
	if err != nil {
		return 0, err
	}
	return s.Wallet.WalletAccount(ctx, u.WalletID, p.Currency)
}

func (s *Service) merchantAccounts(ctx context.Context, m Merchant, p Payment) (dst, fees ledger.AccountID, err error) {
	if dst, err = s.Wallet.WalletAccount(ctx, m.ID, p.Currency); err != nil {
		return 0, 0, err
	}
	fees, err = s.Wallet.SystemAccount(ctx, feesAccount+":"+string(p.Currency), p.Currency)
	return dst, fees, err
}
