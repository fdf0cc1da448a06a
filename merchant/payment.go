package merchant

import (
	"context"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/wallet"
	"github.com/ewallet/ewallet/webhook"
)

// Ledger kinds, operation types and system accounts of payments.
const (
	kindPayment = "payment"
	kindRefund  = "refund"
	feesAccount = "fees"
)

// PaymentRequest is what a merchant asks for.
type PaymentRequest struct {
	Amount      int64
	Currency    money.Currency
	Reference   string
	Description string
	Manual      bool
	ExpiresIn   time.Duration // 0: the default
}

// CreatePayment creates a payment waiting for its payer. id names it
// (derived by the caller from the merchant's idempotency key, or random).
func (s *Service) CreatePayment(ctx context.Context, m Merchant, id string, req PaymentRequest) (Payment, error) {
	if req.Reference == "" || len([]rune(req.Reference)) > 25 {
		return Payment{}, wallet.Errorf(wallet.CodeInvalidRequest, "reference must be 1-25 characters")
	}
	if len([]rune(req.Description)) > 500 {
		return Payment{}, wallet.Errorf(wallet.CodeInvalidRequest, "description must be at most 500 characters")
	}
	if req.Currency == money.PTS {
		return Payment{}, wallet.Errorf(wallet.CodeUnsupportedCurrency, "payments are in CNY, USD, EUR, HKD or JPY")
	}
	ttl := req.ExpiresIn
	if ttl == 0 {
		ttl = s.cfg.PaymentTTL
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	p := Payment{ID: id, MerchantID: m.ID, Amount: req.Amount, Currency: req.Currency, Reference: req.Reference,
		Description: req.Description, Manual: req.Manual, Status: RequiresPayment, ExpiresAt: now.Add(ttl), CreatedAt: now, UpdatedAt: now}
	if err := s.Store.CreatePayment(ctx, p); err != nil {
		return Payment{}, err
	}
	return p, nil
}

// Get returns a payment as its merchant sees it (or its payer: see
// GetForPayer), expiring it on the way when its time has passed.
func (s *Service) Get(ctx context.Context, m Merchant, id string) (Payment, error) {
	p, err := s.payment(ctx, id)
	if err == nil && p.MerchantID != m.ID {
		err = errNoPayment
	}
	return p, err
}

// GetForPayer returns a payment to the user who paid it.
func (s *Service) GetForPayer(ctx context.Context, u wallet.User, id string) (Payment, error) {
	p, err := s.payment(ctx, id)
	if err == nil && p.PayerID != u.ID {
		err = errNoPayment
	}
	return p, err
}

var errNoPayment = wallet.Errorf(wallet.CodeNotFound, "no such payment")

// payment reads a payment and brings its status up to date with the clock.
func (s *Service) payment(ctx context.Context, id string) (Payment, error) {
	p, err := s.Store.Payment(ctx, id)
	if wallet.ErrorCode(err) == wallet.CodeNotFound {
		return Payment{}, errNoPayment
	}
	if err != nil {
		return Payment{}, err
	}
	if p.Status == RequiresPayment && !s.now().Before(p.ExpiresAt) {
		// Paid in time, but the process stopped before it recorded so:
		// the ledger decides, not the clock.
		t, err := s.Ledger.GetTransfer(ctx, "pay:"+p.ID)
		switch ledger.ErrorCode(err) {
		case "":
			if err != nil {
				return Payment{}, err
			}
			if err := s.applyTransfer(ctx, t); err != nil {
				return Payment{}, err
			}
			return s.Store.Payment(ctx, p.ID)
		case ledger.CodeNotFound:
			return s.setStatus(ctx, p, Expired)
		default:
			return Payment{}, err
		}
	}
	return p, nil
}

// setStatus moves a payment whose money is settled (not yet paid, or its
// hold released). A payment that ends without ever moving money has no
// transfer in the journal for the follower to publish from: its event is
// stored with the status change, in one transaction.
func (s *Service) setStatus(ctx context.Context, p Payment, to Status) (Payment, error) {
	from := p.Status
	p.Status, p.UpdatedAt = to, s.now().UTC().Truncate(time.Microsecond)
	var ok bool
	var err error
	if from == RequiresPayment && (to == Canceled || to == Expired) {
		var e webhook.Event
		if e, err = s.unpaidEvent(ctx, p); err == nil {
			ok, err = s.Store.EndUnpaid(ctx, p, from, e)
		}
	} else {
		ok, err = s.Store.UpdatePayment(ctx, p, from)
	}
	if err != nil {
		return p, err
	}
	if !ok {
		return s.Store.Payment(ctx, p.ID) // it moved on: show what it is now
	}
	return p, nil
}

// unpaidEvent is the event of a payment that ends unpaid.
func (s *Service) unpaidEvent(ctx context.Context, p Payment) (webhook.Event, error) {
	typ := "payment.canceled"
	if p.Status == Expired {
		typ = "payment.expired"
	}
	return s.paymentEvent(ctx, typ, "unpaid:"+p.ID, p)
}

// Pay pays a payment from u's wallet: the whole amount at once (automatic
// capture) or a hold (manual). The wallet runs the checks of any outflow.
func (s *Service) Pay(ctx context.Context, u wallet.User, id, pin string, idem wallet.Idem, c wallet.Client) (Payment, error) {
	p, err := s.payment(ctx, id)
	if err != nil {
		return Payment{}, err
	}
	switch p.Status {
	case Expired:
		return Payment{}, wallet.Errorf(wallet.CodePaymentExpired, "the payment has expired")
	case RequiresPayment:
	default:
		if s.paidBy(ctx, p, u, idem) {
			return p, nil // this very request paid it; its answer was lost
		}
		return Payment{}, wallet.Errorf(wallet.CodePaymentNotPayable, "the payment was already paid or canceled")
	}
	m, err := s.Store.Merchant(ctx, p.MerchantID)
	if err != nil {
		return Payment{}, err
	}
	dst, err := s.Wallet.WalletAccount(ctx, m.ID, p.Currency)
	if err != nil {
		return Payment{}, err
	}
	fees, err := s.Wallet.SystemAccount(ctx, feesAccount+":"+string(p.Currency), p.Currency)
	if err != nil {
		return Payment{}, err
	}
	fee := feeOn(p.Amount, m.FeeBP)
	captureBy := s.now().UTC().Truncate(time.Microsecond).Add(s.cfg.CaptureWithin)
	res, err := s.Wallet.Spend(ctx, u, pin, p.Amount, p.Currency, idem, kindPayment, c, func(src ledger.AccountID) ledger.Transfer {
		// A refusal (insufficient funds) is not remembered under the
		// payment's transfer ID: the payer may top up and pay again.
		t := ledger.Transfer{ID: "pay:" + p.ID, Kind: kindPayment, ForgetRefusal: true, Metadata: map[string]string{
			"op": p.ID, "type": kindPayment, "from": u.ID, "to": m.ID, "currency": string(p.Currency),
			"note": p.Description, "fp": hex.EncodeToString(idem.Fingerprint[:]), "key": idem.Key, "amount": strconv.FormatInt(p.Amount, 10)}}
		if p.Manual {
			t.Type, t.ExpiresAt = ledger.Hold, captureBy
			t.Postings = []ledger.Posting{{Account: src, Amount: -p.Amount}, {Account: dst, Amount: p.Amount}}
		} else {
			t.Type, t.Metadata["fee"] = ledger.Posted, strconv.FormatInt(fee, 10)
			t.Postings = []ledger.Posting{{Account: src, Amount: -p.Amount}, {Account: dst, Amount: p.Amount - fee}}
			if fee > 0 {
				t.Postings = append(t.Postings, ledger.Posting{Account: fees, Amount: fee})
			}
		}
		return t
	})
	switch {
	case err == nil:
	case ledger.ErrorCode(err) == ledger.CodeIdempotencyConflict: // another payment of it committed first
		return Payment{}, wallet.Errorf(wallet.CodePaymentNotPayable, "the payment was already paid")
	default:
		return Payment{}, fromLedger(err)
	}
	s.kick()
	return s.recordPaid(ctx, p, u.ID, fee, res.Transfer.ExpiresAt, res.Transfer)
}

// paidBy reports whether the payment's money moved for this request: the
// same payer, Idempotency-Key and body. The API stores a pay's answer after
// the money commits; when that answer was lost (a crash in between), the
// retry must get the success, not "already paid".
func (s *Service) paidBy(ctx context.Context, p Payment, u wallet.User, idem wallet.Idem) bool {
	t, err := s.Ledger.GetTransfer(ctx, "pay:"+p.ID)
	return err == nil && t.Metadata["from"] == u.ID && t.Metadata["key"] == idem.Key &&
		t.Metadata["fp"] == hex.EncodeToString(idem.Fingerprint[:])
}

// unpaidEnd reports whether p is waiting for its payer or ended without
// ever being paid (expired, or canceled before any money moved). The
// ledger decides: a payment whose money committed is paid, even if a
// cancel or the clock got to the payments table first.
func unpaidEnd(p Payment) bool {
	return p.Status == RequiresPayment || p.Status == Expired || p.Status == Canceled && p.PayerID == ""
}

// recordPaid mirrors a committed payment in the payments table. The ledger
// decided; a concurrent lazy expiry does not win against it.
func (s *Service) recordPaid(ctx context.Context, p Payment, payer string, fee int64, captureBy time.Time, t ledger.Transfer) (Payment, error) {
	for range 5 {
		from := p.Status
		p.PayerID, p.UpdatedAt = payer, t.Time
		if p.Manual {
			p.Status, p.CaptureBy = Authorized, captureBy
		} else {
			p.Status, p.Captured, p.Fee = Succeeded, p.Amount, fee
		}
		ok, err := s.Store.UpdatePayment(ctx, p, from)
		if err != nil || ok {
			return p, err
		}
		if p, err = s.Store.Payment(ctx, p.ID); err != nil {
			return Payment{}, err
		}
		if !unpaidEnd(p) {
			return p, nil // recorded already (the same request again)
		}
	}
	return Payment{}, wallet.Errorf(wallet.CodeInProgress, "the payment is changing; retry")
}

// fromLedger maps the ledger's refusals of payment transfers.
func fromLedger(err error) error {
	switch ledger.ErrorCode(err) {
	case "":
		var we *wallet.Error
		if err == nil || errors.As(err, &we) {
			return err // the wallet's refusal
		}
		// The caller's context ended while the transfer waited: it may
		// still commit.
		return wallet.Errorf(wallet.CodeUnavailable, "the outcome is not known yet; retry with the same Idempotency-Key")
	case ledger.CodeInsufficientFunds:
		return wallet.Errorf(wallet.CodeInsufficientFunds, "the available balance is too low")
	case ledger.CodeOverflow:
		return wallet.Errorf(wallet.CodeLimitExceeded, "a balance would exceed what a wallet can hold")
	case ledger.CodeUnavailable, ledger.CodeClosed:
		return wallet.Errorf(wallet.CodeUnavailable, "the ledger is not available; retry with the same Idempotency-Key")
	}
	return err
}

func fmtAmount(n int64, p Payment) string {
	return money.Format(n, p.Currency) + " " + string(p.Currency)
}
