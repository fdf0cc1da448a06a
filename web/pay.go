package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/ewallet/ewallet/emvqr"
)

// Paying a merchant: the payment's link (/app/pay?qr=<payload>), a code
// scanned with the camera (static/app.js, BarcodeDetector) or a payload
// pasted; all three end on the same confirmation page, which pays through
// POST /v1/qr/pay.

// scanned is what the confirmation page shows of a code before paying:
// read from the code itself, because the API shows a payment to its payer
// only once paid. The API checks the code again when it is paid.
type scanned struct {
	Payload   string
	Merchant  string
	City      string
	Amount    string // empty for a static code: the payer types it
	Currency  string
	Reference string
	PaymentID string
}

func decodeScanned(payload string) (scanned, bool) {
	p, err := emvqr.Decode(payload)
	if err != nil {
		return scanned{}, false
	}
	cur, err := emvqr.CurrencyFromCode(p.Currency)
	if err != nil {
		return scanned{}, false
	}
	return scanned{Payload: payload, Merchant: p.MerchantName, City: p.MerchantCity, Amount: p.Amount,
		Currency: string(cur), Reference: p.Reference, PaymentID: p.MerchantAccount.PaymentID}, true
}

func payPage(q *req) {
	payload := strings.TrimSpace(q.r.URL.Query().Get("qr"))
	if payload == "" {
		q.render("scan", &view{Nav: "pay", Forms: map[string]*form{"scan": newForm(nil)}})
		return
	}
	renderPay(q, payload, newForm(nil), http.StatusOK)
}

// renderPay shows the confirmation of a code, or the scan page with the
// error when the code is not one of this wallet's.
func renderPay(q *req, payload string, f *form, status int) {
	sc, ok := decodeScanned(payload)
	if !ok {
		scan := newForm(url.Values{"qr": {payload}})
		scan.Errors = map[string]string{"qr": q.T("err.bad_qr")}
		q.render("scan", &view{Nav: "pay", Forms: map[string]*form{"scan": scan}, Status: http.StatusBadRequest})
		return
	}
	q.render("pay", &view{Nav: "pay", Data: sc, Forms: map[string]*form{"pay": f}, Status: status})
}

func pay(q *req) {
	payload := q.form("qr")
	body := map[string]string{"qr_payload": payload, "pin": q.form("pin")}
	if a := q.form("amount"); a != "" {
		body["amount"] = a
	}
	var p payment
	if e := q.move("/v1/qr/pay", body, &p); e != nil {
		f := retryForm(q)
		q.formErrors(f, e, nil)
		renderPay(q, payload, f, e.Status)
		return
	}
	q.redirect("/app/history/" + url.PathEscape(p.ID) + "?ok=paid_" + p.Status)
}
