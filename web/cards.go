package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The holder's bank cards: the list, binding one, removing one.

func cardsPage(q *req) { renderCards(q, newForm(nil), http.StatusOK) }

func renderCards(q *req, f *form, status int) {
	var cards list[card]
	if e := q.call(holder, "GET", "/v1/me/cards", "", nil, &cards); e != nil {
		q.fail(e)
		return
	}
	q.render("cards", &view{Nav: "cards", Flash: q.flash(), Data: cards.Data, Forms: map[string]*form{"card": f}, Status: status})
}

func bindCard(q *req) {
	month, year, ok := parseExpiry(q.form("exp"))
	if !ok {
		f := retryForm(q)
		f.Errors = map[string]string{"exp": q.T("err.bad_expiry")}
		renderCards(q, f, http.StatusBadRequest)
		return
	}
	number := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, q.form("number"))
	body := map[string]any{"number": number, "exp_month": month, "exp_year": year, "holder": q.form("holder")}
	if e := q.call(holder, "POST", "/v1/me/cards", "", body, nil); e != nil {
		if e.unauthenticated() {
			q.fail(e)
			return
		}
		f := retryForm(q)
		f.Values.Del("number") // a card number is not echoed back into the page
		q.formErrors(f, e, map[string]string{"invalid_request": "number"})
		renderCards(q, f, e.Status)
		return
	}
	q.redirect("/app/cards?ok=card_bound")
}

// parseExpiry reads the expiry as cards print it, "MM/YY" (or MM/YYYY).
// Whether it has passed is the API's to say (card_expired).
func parseExpiry(s string) (month, year int, ok bool) {
	m, y, found := strings.Cut(strings.ReplaceAll(s, " ", ""), "/")
	if !found {
		return 0, 0, false
	}
	month, err1 := strconv.Atoi(m)
	year, err2 := strconv.Atoi(y)
	if err1 != nil || err2 != nil || month < 1 || month > 12 || year < 0 {
		return 0, 0, false
	}
	if len(y) == 2 {
		year += 2000
	}
	return month, year, true
}

func removeCard(q *req) {
	if e := q.call(holder, "DELETE", "/v1/me/cards/"+url.PathEscape(q.r.PathValue("id")), "", nil, nil); e != nil {
		q.fail(e)
		return
	}
	q.redirect("/app/cards?ok=card_removed")
}
