package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The operator console: signed in with the admin token, it shows the
// metrics at a glance and the ledger's verification, finds users by phone,
// sets their KYC tier and freezes them.
//
// Freezing a user and listing recent transfers use
// POST /v1/admin/users/{id}/freeze and GET /v1/admin/transfers, which
// shared/API.md does not list; where the API answers them with "no such
// route" the console says "not available".

func adminSignInPage(q *req) {
	f := newForm(url.Values{"next": {q.r.URL.Query().Get("next")}})
	q.render("admin_signin", &view{Nav: "admin", Flash: q.flash(), Forms: map[string]*form{"signin": f}})
}

func adminSignIn(q *req) {
	q.admin = q.r.PostFormValue("token") // try it before keeping it
	if e := q.call(operator, "GET", "/v1/admin/users?limit=1", "", nil, nil); e != nil {
		q.admin = ""
		f := newForm(url.Values{"next": {q.form("next")}})
		f.Errors = map[string]string{"token": q.signInError(e)}
		q.render("admin_signin", &view{Nav: "admin", Forms: map[string]*form{"signin": f}, Status: e.Status})
		return
	}
	q.setAdmin(q.admin)
	q.redirect(safeNext(q.form("next"), "/app/admin/"))
}

func adminSignOut(q *req) {
	q.forget(operator)
	q.redirect("/app/admin/signin?ok=signed_out")
}

// adminTransfer is one entry of GET /v1/admin/transfers.
type adminTransfer struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Amount    string    `json:"amount"`
	Currency  string    `json:"currency"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

func adminHome(q *req) {
	var rep verifyReport
	if e := q.call(operator, "GET", "/v1/admin/ledger/verify", "", nil, &rep); e != nil {
		q.fail(e)
		return
	}
	var transfers list[adminTransfer]
	te := q.call(operator, "GET", "/v1/admin/transfers?limit=20", "", nil, &transfers)
	if te != nil && !missingRoute(te) {
		q.fail(te)
		return
	}
	glance := metricsAtAGlance(q)
	q.render("admin_home", &view{Nav: "admin", Data: map[string]any{
		"Verify": rep, "Metrics": glance, "Transfers": transfers.Data, "TransfersAvailable": te == nil,
		"Uptime": time.Since(q.s.started).Round(time.Second).String(),
	}})
}

func adminUsers(q *req) { renderAdminUsers(q, nil, http.StatusOK) }

func renderAdminUsers(q *req, forms map[string]*form, status int) {
	phone := q.r.URL.Query().Get("phone")
	if q.r.Method == http.MethodPost {
		phone = q.form("phone")
	}
	var users list[user]
	if phone != "" {
		if e := q.call(operator, "GET", "/v1/admin/users?limit=50&phone="+url.QueryEscape(normalizePhone(phone)), "", nil, &users); e != nil {
			q.fail(e)
			return
		}
	}
	if forms == nil {
		forms = map[string]*form{}
	}
	q.render("admin_users", &view{Nav: "users", Flash: q.flash(), Forms: forms, Status: status,
		Data: map[string]any{"Phone": phone, "Users": users.Data, "Searched": phone != ""}})
}

// backToUsers returns to the search the action was taken from.
func backToUsers(q *req, ok string) {
	q.redirect("/app/admin/users?" + url.Values{"phone": {q.form("phone")}, "ok": {ok}}.Encode())
}

func setKYC(q *req) {
	tier, err := strconv.Atoi(q.form("tier"))
	if err != nil {
		tier = 0 // the API refuses it with its own words
	}
	id := q.r.PathValue("id")
	if e := q.call(operator, "POST", "/v1/admin/users/"+url.PathEscape(id)+"/kyc", "", map[string]int{"tier": tier}, nil); e != nil {
		if e.unauthenticated() {
			q.fail(e)
			return
		}
		f := retryForm(q)
		q.formErrors(f, e, map[string]string{"invalid_request": "tier"})
		renderAdminUsers(q, map[string]*form{"kyc-" + id: f}, e.Status)
		return
	}
	backToUsers(q, "kyc_set")
}

func adminFreeze(q *req) {
	id := q.r.PathValue("id")
	e := q.call(operator, "POST", "/v1/admin/users/"+url.PathEscape(id)+"/freeze", "", nil, nil)
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
		renderAdminUsers(q, map[string]*form{"freeze-" + id: f}, e.Status)
		return
	}
	backToUsers(q, "user_frozen")
}
