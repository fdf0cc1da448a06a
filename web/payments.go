package web

import (
	"encoding/json"
	"net/http"
	"net/url"
)

// The merchant console's payments: create one and show its QR big enough
// to scan from a phone, watch it turn paid (static/app.js polls
// paymentStatus), capture, cancel, refund, and the list.

func createPayment(q *req) {
	body := map[string]any{"amount": q.form("amount"), "currency": q.form("currency"), "reference": q.form("reference"), "capture": q.form("capture")}
	if d := q.form("description"); d != "" {
		body["description"] = d
	}
	var p payment
	if e := q.moveAs(merchant, "/v1/payments", body, &p); e != nil {
		if e.unauthenticated() {
			q.fail(e)
			return
		}
		f := retryForm(q)
		q.formErrors(f, e, map[string]string{"invalid_request": "reference"})
		renderMerchantHome(q, f, e.Status)
		return
	}
	q.redirect("/app/merchant/payments/" + url.PathEscape(p.ID))
}

func paymentsPage(q *req) {
	path := "/v1/payments?limit=20"
	if after := q.r.URL.Query().Get("starting_after"); after != "" {
		path += "&starting_after=" + url.QueryEscape(after)
	}
	var ps list[payment]
	if e := q.call(merchant, "GET", path, "", nil, &ps); e != nil {
		q.fail(e)
		return
	}
	older := ""
	if ps.HasMore && len(ps.Data) > 0 {
		older = "/app/merchant/payments?starting_after=" + url.QueryEscape(ps.Data[len(ps.Data)-1].ID)
	}
	q.render("merchant_payments", &view{Nav: "payments", Data: map[string]any{"Payments": ps.Data, "Older": older}})
}

func (q *req) getPayment() (payment, *apiError) {
	var p payment
	e := q.call(merchant, "GET", "/v1/payments/"+url.PathEscape(q.r.PathValue("id")), "", nil, &p)
	return p, e
}

func paymentPage(q *req) { renderPayment(q, nil, http.StatusOK) }

// renderPayment shows a payment with its QR, live status and the actions
// its status allows; forms holds the action that failed.
func renderPayment(q *req, forms map[string]*form, status int) {
	p, e := q.getPayment()
	if e != nil {
		q.fail(e)
		return
	}
	if forms == nil {
		forms = map[string]*form{}
	}
	link := (&url.URL{Scheme: scheme(q.r), Host: q.r.Host, Path: "/app/pay", RawQuery: url.Values{"qr": {p.QRPayload}}.Encode()}).String()
	q.render("merchant_payment", &view{Nav: "payments", Flash: q.flash(), Forms: forms, Status: status, Data: map[string]any{
		"Payment": p, "Link": link, "StatusText": q.T("status." + p.Status),
	}})
}

func scheme(r *http.Request) string {
	if overTLS(r) {
		return "https"
	}
	return "http"
}

// paymentStatus is what the payment page polls: the status and its words,
// so the page can flip to "paid" without a reload.
func paymentStatus(q *req) {
	p, e := q.getPayment()
	w := q.w
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if e != nil {
		w.WriteHeader(e.Status)
		json.NewEncoder(w).Encode(map[string]string{"error": e.Code})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{
		"status": p.Status, "label": q.T("status." + p.Status), "final": p.Status != "requires_payment",
		"amount_refunded": formatMoney(orZero(p.AmountRefunded), p.Currency),
	})
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// paymentQR hands on the payment's QR code (512 px PNG from the API).
func paymentQR(q *req) {
	q.sendFile(merchant, "/v1/payments/"+url.PathEscape(q.r.PathValue("id"))+"/qr.png", "inline", q.r.PathValue("id")+".png")
}

func capturePayment(q *req) {
	body := map[string]string{}
	if a := q.form("amount"); a != "" {
		body["amount"] = a
	}
	paymentAction(q, "capture", "/v1/payments/"+url.PathEscape(q.r.PathValue("id"))+"/capture", body, true, "captured")
}

func cancelPayment(q *req) {
	paymentAction(q, "cancel", "/v1/payments/"+url.PathEscape(q.r.PathValue("id"))+"/cancel", nil, false, "canceled")
}

func refundPayment(q *req) {
	body := map[string]string{"payment_id": q.r.PathValue("id"), "amount": q.form("amount")}
	paymentAction(q, "refund", "/v1/refunds", body, true, "refunded")
}

// paymentAction posts one of the payment page's forms; money movements
// carry the form's idempotency key.
func paymentAction(q *req, name, path string, body any, moves bool, ok string) {
	var e *apiError
	if moves {
		e = q.moveAs(merchant, path, body, nil)
	} else {
		e = q.call(merchant, "POST", path, "", body, nil)
	}
	if e != nil {
		if e.unauthenticated() {
			q.fail(e)
			return
		}
		f := retryForm(q)
		q.formErrors(f, e, nil)
		renderPayment(q, map[string]*form{name: f}, e.Status)
		return
	}
	q.redirect("/app/merchant/payments/" + url.PathEscape(q.r.PathValue("id")) + "?ok=" + ok)
}
