package web

import "net/http"

// The merchant console's money out: balances, the payouts so far, paying
// out now, and the owner's card the payouts go to.

func payoutsPage(q *req) { renderPayouts(q, nil, http.StatusOK) }

func renderPayouts(q *req, f *form, status int) {
	var m merchantInfo
	if e := q.call(merchant, "GET", "/v1/merchant", "", nil, &m); e != nil {
		q.fail(e)
		return
	}
	var bs list[balance]
	if e := q.call(merchant, "GET", "/v1/merchant/balances", "", nil, &bs); e != nil {
		q.fail(e)
		return
	}
	var ps list[payout]
	if e := q.call(merchant, "GET", "/v1/merchant/payouts?limit=20", "", nil, &ps); e != nil {
		q.fail(e)
		return
	}
	// The owner's cards, when the owner is signed in to the wallet in this
	// browser too: the payout card is picked from them.
	var cards list[card]
	if q.user != "" {
		q.call(holder, "GET", "/v1/me/cards", "", nil, &cards)
	}
	if f == nil {
		f = newForm(nil)
	}
	q.render("merchant_payouts", &view{Nav: "payouts", Flash: q.flash(), Status: status, Forms: map[string]*form{"payout": f},
		Data: map[string]any{"Merchant": m, "Balances": bs.Data, "Payouts": ps.Data, "Cards": cards.Data}})
}

// payoutNow sets the payout card when one is chosen, then pays today's
// available balances out.
func payoutNow(q *req) {
	if id := q.form("card_id"); id != "" {
		if e := q.call(merchant, "PUT", "/v1/merchant/payout_card", "", map[string]string{"card_id": id}, nil); e != nil {
			f := retryForm(q)
			q.formErrors(f, e, map[string]string{"invalid_request": "card_id", "not_found": "card_id"})
			renderPayouts(q, f, e.Status)
			return
		}
		if q.form("set_only") != "" {
			q.redirect("/app/merchant/payouts?ok=payout_card_set")
			return
		}
	}
	if e := q.call(merchant, "POST", "/v1/merchant/payouts", "", nil, nil); e != nil {
		f := retryForm(q)
		q.formErrors(f, e, map[string]string{"invalid_request": "card_id"})
		renderPayouts(q, f, e.Status)
		return
	}
	q.redirect("/app/merchant/payouts?ok=payout_started")
}
