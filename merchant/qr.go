package merchant

import (
	"context"

	"github.com/ewallet/ewallet/emvqr"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/wallet"
)

// qrGUID names this wallet in the QR's merchant account template.
const qrGUID = "com.ewallet"

// QRPayload is the payment's dynamic EMVCo merchant-presented QR: the
// payer's app finds the payment by its id in template 26 and shows the
// amount of ID 54. It is "" only for what cannot be encoded (loyalty
// points have no ISO 4217 code); payments in PTS are refused at creation.
func (s *Service) QRPayload(m Merchant, p Payment) string {
	qr, err := emvqr.Encode(s.qr(m, p.Currency, p.Amount, p.ID, p.Reference))
	if err != nil {
		s.Log.Error("encode payment QR", "payment", p.ID, "err", err)
		return ""
	}
	return qr
}

// StaticQR is the merchant's printed till code in cur: no amount and no
// payment; the payer's app asks for the amount.
func (s *Service) StaticQR(m Merchant, cur money.Currency) (string, error) {
	return emvqr.Encode(s.qr(m, cur, 0, "", ""))
}

func (s *Service) qr(m Merchant, cur money.Currency, amount int64, paymentID, ref string) emvqr.Payload {
	code, _ := emvqr.CurrencyCode(cur) // an unknown currency fails Encode
	q := emvqr.Payload{Dynamic: paymentID != "", MerchantAccount: emvqr.MerchantAccount{GUID: qrGUID, MerchantID: m.ID, PaymentID: paymentID},
		MCC: m.MCC, Currency: code, Country: s.cfg.Country, MerchantName: cut(m.Name, 25), MerchantCity: cut(s.cfg.City, 15), Reference: cut(ref, 25)}
	if q.Dynamic {
		q.Amount = money.Format(amount, cur)
	}
	return q
}

// ScannedCurrency is the currency of a scanned code of this wallet;
// CodeInvalidRequest for another scheme's code.
func ScannedCurrency(q emvqr.Payload) (money.Currency, error) {
	if q.MerchantAccount.GUID != qrGUID {
		return "", wallet.Errorf(wallet.CodeInvalidRequest, "qr_payload is not a payment code of this wallet")
	}
	cur, err := emvqr.CurrencyFromCode(q.Currency)
	if err != nil {
		return "", wallet.Errorf(wallet.CodeUnsupportedCurrency, "the code's currency is not supported")
	}
	return cur, nil
}

// cut keeps the first n characters of s.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// PayQR pays what a scanned QR code asks for. A dynamic code names its
// payment, which is paid as it is (the code's amount must be the
// payment's: a code whose amount was changed is refused). A static code
// names only the merchant: the payer gives the amount, and a payment of
// the merchant is made for it and paid at once; its ID derives from the
// payer's Idempotency-Key, so a retry pays the same payment.
func (s *Service) PayQR(ctx context.Context, u wallet.User, q emvqr.Payload, amount int64, pin string, idem wallet.Idem, c wallet.Client) (Payment, error) {
	cur, err := ScannedCurrency(q)
	if err != nil {
		return Payment{}, err
	}
	if q.Dynamic {
		p, err := s.payment(ctx, q.MerchantAccount.PaymentID)
		if err != nil {
			return Payment{}, err
		}
		if p.MerchantID != q.MerchantAccount.MerchantID || money.Format(p.Amount, p.Currency) != q.Amount || p.Currency != cur {
			return Payment{}, wallet.Errorf(wallet.CodeInvalidRequest, "the code does not match its payment")
		}
		if amount != 0 && amount != p.Amount {
			return Payment{}, wallet.Errorf(wallet.CodeInvalidAmount, "the code fixes the amount")
		}
		return s.Pay(ctx, u, p.ID, pin, idem, c)
	}
	if amount <= 0 {
		return Payment{}, wallet.Errorf(wallet.CodeInvalidAmount, "a static code needs the amount to pay")
	}
	m, err := s.Store.Merchant(ctx, q.MerchantAccount.MerchantID)
	if wallet.ErrorCode(err) == wallet.CodeNotFound {
		return Payment{}, wallet.Errorf(wallet.CodeNotFound, "no such merchant")
	}
	if err != nil {
		return Payment{}, err
	}
	id := wallet.OpID("pay_", u.ID, "qr:"+idem.Key)
	_, err = s.CreatePayment(ctx, m, id, PaymentRequest{Amount: amount, Currency: cur, Reference: "static-qr", Description: "QR at " + cut(m.Name, 80)})
	if wallet.ErrorCode(err) == wallet.CodeKeyReused {
		// Made by an earlier try with this key: the same request only.
		p, perr := s.Store.Payment(ctx, id)
		if perr != nil {
			return Payment{}, perr
		}
		if p.MerchantID != m.ID || p.Amount != amount || p.Currency != cur {
			return Payment{}, wallet.Errorf(wallet.CodeKeyReused, "this Idempotency-Key was used with a different request")
		}
	} else if err != nil {
		return Payment{}, err
	}
	return s.Pay(ctx, u, id, pin, idem, c)
}
