package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/ewallet/ewallet/money"
)

// The holder's money forms: top up from a card, withdraw to a card, send
// to a phone number or wallet. Amounts go to the API exactly as typed, so
// "12.345" CNY earns the contract's invalid_amount, shown by the field.

// currencyChoices lists the currencies for the forms' selects, CNY first.
func currencyChoices() []string {
	out := []string{string(money.CNY)}
	for _, c := range money.Currencies() {
		if c != money.CNY {
			out = append(out, string(c))
		}
	}
	return out
}

// cardMoneyData is what the top-up and withdrawal pages show besides the form.
func cardMoneyData(q *req) (map[string]any, *apiError) {
	var cards list[card]
	if e := q.call(holder, "GET", "/v1/me/cards", "", nil, &cards); e != nil {
		return nil, e
	}
	var bs list[balance]
	if e := q.call(holder, "GET", "/v1/me/balances", "", nil, &bs); e != nil {
		return nil, e
	}
	return map[string]any{"Cards": cards.Data, "Balances": bs.Data, "Currencies": currencyChoices()}, nil
}

func topupPage(q *req)    { cardMoneyPage(q, "topup", nil) }
func withdrawPage(q *req) { cardMoneyPage(q, "withdraw", nil) }

// cardMoneyPage shows the top-up or withdrawal form (f: after an error).
func cardMoneyPage(q *req, name string, f *form) {
	data, e := cardMoneyData(q)
	if e != nil {
		q.fail(e)
		return
	}
	data["Name"] = name
	status := http.StatusOK
	if f == nil {
		f = newForm(nil)
		f.Values.Set("currency", "CNY")
	} else {
		status = http.StatusUnprocessableEntity
	}
	q.render(name, &view{Nav: "home", Data: data, Forms: map[string]*form{name: f}, Status: status})
}

func topup(q *req)    { cardMoney(q, "topup", "/v1/topups") }
func withdraw(q *req) { cardMoney(q, "withdraw", "/v1/withdrawals") }

// cardMoney posts a top-up or withdrawal with the form's idempotency key.
func cardMoney(q *req, name, path string) {
	body := map[string]string{"card_id": q.form("card_id"), "amount": q.form("amount"), "currency": q.form("currency"), "pin": q.form("pin")}
	var op bankOp
	e := q.move(path, body, &op)
	if e == nil && op.Status == "failed" {
		e = &apiError{Status: http.StatusPaymentRequired, Code: op.FailureCode}
	}
	if e != nil {
		f := retryForm(q)
		q.formErrors(f, e, nil)
		cardMoneyPage(q, name, f)
		return
	}
	q.redirect("/app/?ok=" + name + "_" + op.Status)
}

func sendPage(q *req) {
	f := newForm(nil)
	f.Values.Set("currency", "CNY")
	f.Values.Set("to", q.r.URL.Query().Get("to"))
	renderSend(q, f, http.StatusOK)
}

func renderSend(q *req, f *form, status int) {
	var bs list[balance]
	if e := q.call(holder, "GET", "/v1/me/balances", "", nil, &bs); e != nil {
		q.fail(e)
		return
	}
	q.render("send", &view{Nav: "send", Data: map[string]any{"Balances": bs.Data, "Currencies": currencyChoices()},
		Forms: map[string]*form{"send": f}, Status: status})
}

func send(q *req) {
	to := q.form("to")
	recipient := map[string]string{"phone": normalizePhone(to)}
	if strings.HasPrefix(to, "wal_") {
		recipient = map[string]string{"wallet_id": to}
	}
	body := map[string]any{"to": recipient, "amount": q.form("amount"), "currency": q.form("currency"), "pin": q.form("pin")}
	if note := q.form("note"); note != "" {
		body["note"] = note
	}
	var t transfer
	if e := q.move("/v1/transfers", body, &t); e != nil {
		f := retryForm(q)
		q.formErrors(f, e, nil)
		renderSend(q, f, http.StatusUnprocessableEntity)
		return
	}
	q.redirect("/app/?ok=sent_" + t.Status)
}

// move posts a money movement with the idempotency key of the form's
// nonce. A second submit of the same form that arrives while the first is
// still running waits for it and gets its answer (the API replays it), so
// the browser shows the outcome, not "in progress".
func (q *req) move(path string, body, out any) *apiError {
	return q.moveAs(holder, path, body, out)
}

// moveAs is move acting in area a (a merchant's capture or refund).
func (q *req) moveAs(a area, path string, body, out any) *apiError {
	key := q.s.idempotencyKey(q, q.form("nonce"))
	for i := 0; ; i++ {
		e := q.call(a, "POST", path, key, body, out)
		if e == nil || e.Code != "request_in_progress" || i == 20 {
			return e
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// retryForm is the posted form again after an error: the values stay
// (but never the PIN) and the nonce is new, because the API may have
// stored the refusal under the old key and a corrected form is another
// request.
func retryForm(q *req) *form {
	vals := make(map[string][]string, len(q.r.PostForm))
	for k, v := range q.r.PostForm {
		if k != "pin" && k != "password" && k != "csrf" && k != "nonce" {
			vals[k] = v
		}
	}
	return newForm(vals)
}
