package merchant

import (
	"github.com/ewallet/ewallet/emvqr"
	"github.com/ewallet/ewallet/money"
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

// cut keeps the first n characters of s.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
