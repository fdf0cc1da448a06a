package web

import (
	"net/http"
	"time"
)

// The merchant console's stored-value terminals: the list, registering
// one with its terminal file, and the deny list terminals download.
// Purchases happen offline at the terminal and are uploaded with
// `ewallet terminal upload`; the console shows where they come from.

// terminal is one of GET /v1/epurse/terminals.
type terminal struct {
	ID         string    `json:"id"`
	TerminalID string    `json:"terminal_id"`
	Name       string    `json:"name"`
	Currency   string    `json:"currency"`
	CreatedAt  time.Time `json:"created_at"`
	SAMKey     string    `json:"sam_key"` // in the answer that registers it, only
}

// denied is one card of the deny list.
type denied struct {
	CardID string    `json:"card_id"`
	Since  time.Time `json:"since"`
}

// maxDenyShown bounds the deny list on the page.
const maxDenyShown = 50

func terminalsPage(q *req) { renderTerminals(q, nil, http.StatusOK) }

// renderTerminals shows the terminals and the deny list; f is the
// register form after an error. A server without the e-purse says so.
func renderTerminals(q *req, f *form, status int) {
	var ts list[terminal]
	e := q.call(merchant, "GET", "/v1/epurse/terminals", "", nil, &ts)
	if e != nil && !missingRoute(e) {
		q.fail(e)
		return
	}
	var deny list[denied]
	if e == nil {
		if de := q.call(merchant, "GET", "/v1/epurse/denylist", "", nil, &deny); de != nil {
			q.fail(de)
			return
		}
	}
	// The deny list is every lost card of the issuer; the page shows the
	// first of it, the terminals download it whole.
	more := 0
	if len(deny.Data) > maxDenyShown {
		more = len(deny.Data) - maxDenyShown
		deny.Data = deny.Data[:maxDenyShown]
	}
	if f == nil {
		f = newForm(nil)
	}
	q.render("merchant_terminals", &view{Nav: "terminals", Flash: q.flash(), Status: status, Forms: map[string]*form{"terminal": f},
		Data: map[string]any{"Terminals": ts.Data, "DenyList": deny.Data, "DenyMore": more, "Available": e == nil}})
}

// registerTerminal registers a terminal and shows its SAM key this once,
// inside the form that downloads its terminal file.
func registerTerminal(q *req) {
	var t terminal
	e := q.call(merchant, "POST", "/v1/epurse/terminals", "", map[string]string{"name": q.form("name")}, &t)
	if e == nil && t.SAMKey == "" {
		e = &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "no sam_key in the answer"}
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
			q.formErrors(f, e, map[string]string{"invalid_request": "name"})
		}
		renderTerminals(q, f, e.Status)
		return
	}
	q.render("merchant_terminal_new", &view{Nav: "terminals", Data: t})
}

// terminalStateFile answers with the terminal's file, terminal.json: the
// SAM key posted by the page that showed it, the rest as the API has the
// terminal now. The API lists a merchant's terminals but has no route for
// one, so it is found in the list.
func terminalStateFile(q *req) {
	id := q.r.PathValue("id")
	var ts list[terminal]
	if e := q.call(merchant, "GET", "/v1/epurse/terminals", "", nil, &ts); e != nil {
		q.fail(e)
		return
	}
	var found *terminal
	for i := range ts.Data {
		if ts.Data[i].ID == id {
			found = &ts.Data[i]
		}
	}
	if found == nil {
		q.fail(&apiError{Status: http.StatusNotFound, Code: "not_found"})
		return
	}
	b, err := newTerminalFile(*found, q.form("sam_key"))
	if err != nil {
		q.s.Log.Info("web: terminal file refused", "terminal", id, "err", err)
		q.render("error", &view{Title: q.T("title.error"), Data: q.T("err.bad_state_keys"), Status: http.StatusBadRequest})
		return
	}
	q.attachment("terminal.json", b)
}
