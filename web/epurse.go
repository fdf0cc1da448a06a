package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The holder's stored-value cards (the e-purse): the list with each
// card's balance as the issuer knows it, issuing a card with its chip file,
// and reporting a card lost.
//
// Loading is not here: the chip itself answers each load (its MAC1 and
// TAC), so a load needs the card at a reader, which is `ewallet card load`
// with the chip file. The page explains that and shows a load the card has
// not finished.

// epurseCard is a card of GET /v1/epurse/cards.
type epurseCard struct {
	ID              string       `json:"id"`
	Number          string       `json:"number"`
	Status          string       `json:"status"`
	Balance         string       `json:"balance"` // loaded minus cleared
	Currency        string       `json:"currency"`
	BalanceCap      string       `json:"balance_cap"`
	PurchaseCap     string       `json:"purchase_cap"`
	PendingLoad     *epurseLoad  `json:"pending_load"`
	MissingCounters []counterGap `json:"missing_counters"`
	DeniedAt        *time.Time   `json:"denied_at"`
	RefundAt        *time.Time   `json:"refund_at"`
	Refunded        string       `json:"refunded"`
	CreatedAt       time.Time    `json:"created_at"`
	// Personalization is in the answer that issues the card, only.
	Personalization *struct {
		LoadKey     string `json:"load_key"`
		PurchaseKey string `json:"purchase_key"`
		TACKey      string `json:"tac_key"`
	} `json:"personalization"`
}

type epurseLoad struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	Amount    string    `json:"amount"`
	Currency  string    `json:"currency"`
	CreatedAt time.Time `json:"created_at"`
}

// counterGap is a run of offline counters no cleared record holds yet:
// purchases made on the chip that no terminal has uploaded.
type counterGap struct {
	From uint16 `json:"from"`
	To   uint16 `json:"to"`
}

// Printed is the number as a card shows it, in groups of four.
func (c epurseCard) Printed() string { return groupFours(c.Number) }

// Gaps lists the missing counters: "3–5, 9".
func (c epurseCard) Gaps() string {
	parts := make([]string, 0, len(c.MissingCounters))
	for _, g := range c.MissingCounters {
		if g.From == g.To {
			parts = append(parts, fmt.Sprint(g.From))
		} else {
			parts = append(parts, fmt.Sprintf("%d–%d", g.From, g.To))
		}
	}
	return strings.Join(parts, ", ")
}

// groupFours writes hex digits in groups of four.
func groupFours(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// origin is this server's address as the browser reached it, for the
// commands the pages suggest (--server).
func (q *req) origin() string {
	return scheme(q.r) + "://" + q.r.Host
}

func epursePage(q *req) { renderEpurse(q, nil, http.StatusOK) }

// renderEpurse shows the cards; f is the issue form after an error. A
// server without the e-purse says so instead of failing.
func renderEpurse(q *req, f *form, status int) {
	var cards list[epurseCard]
	e := q.call(holder, "GET", "/v1/epurse/cards", "", nil, &cards)
	if e != nil && !missingRoute(e) {
		q.fail(e)
		return
	}
	if f == nil {
		f = newForm(nil)
	}
	q.render("epurse", &view{Nav: "epurse", Flash: q.flash(), Status: status, Forms: map[string]*form{"issue": f},
		Data: map[string]any{"Cards": cards.Data, "Available": e == nil, "Server": q.origin()}})
}

// issueEpurseCard issues a card and shows its keys this once, inside the
// form that downloads its chip file.
func issueEpurseCard(q *req) {
	var c epurseCard
	e := q.call(holder, "POST", "/v1/epurse/cards", "", struct{}{}, &c)
	if e == nil && c.Personalization == nil {
		e = &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "no personalization in the answer"}
	}
	if e != nil {
		if e.unauthenticated() {
			q.fail(e)
			return
		}
		f := retryForm(q)
		if missingRoute(e) {
			f.Error = q.T("err.not_available")
		} else {
			q.formErrors(f, e, nil)
		}
		renderEpurse(q, f, e.Status)
		return
	}
	q.render("epurse_issued", &view{Nav: "epurse", Data: map[string]any{"Card": c, "Server": q.origin()}})
}

// chipFile answers with the card's chip file, card.json: the keys posted
// by the page that showed them, the rest as the API has the card now.
func chipFile(q *req) {
	var c epurseCard
	if e := q.call(holder, "GET", "/v1/epurse/cards/"+url.PathEscape(q.r.PathValue("id")), "", nil, &c); e != nil {
		q.fail(e)
		return
	}
	b, err := newCardFile(c, q.form("load_key"), q.form("purchase_key"), q.form("tac_key"))
	if err != nil {
		q.s.Log.Info("web: chip file refused", "card", c.ID, "err", err)
		q.render("error", &view{Title: q.T("title.error"), Data: q.T("err.bad_state_keys"), Status: http.StatusBadRequest})
		return
	}
	q.attachment("card.json", b)
}

// reportLost puts the card on the deny list; the list then shows since
// when, and when the rest goes back to the wallet.
func reportLost(q *req) {
	if e := q.call(holder, "POST", "/v1/epurse/cards/"+url.PathEscape(q.r.PathValue("id"))+"/lost", "", nil, nil); e != nil {
		q.fail(e)
		return
	}
	q.redirect("/app/epurse?ok=epurse_lost")
}
