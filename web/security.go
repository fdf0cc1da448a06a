package web

import (
	"net/http"
	"time"
)

// The holder's security page: PIN, password, freeze and unfreeze, and the
// sessions with "log out everywhere".
//
// Changing the password, listing sessions and ending all of them use
// PUT /v1/me/password and GET and DELETE /v1/me/sessions, which
// shared/API.md does not list; on a server whose API answers them with
// its "no such route" 404, the page says the feature is not available
// instead of failing.

// sessionInfo is one entry of GET /v1/me/sessions.
type sessionInfo struct {
	ID        string    `json:"id"`
	Current   bool      `json:"current"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
}

// missingRoute reports the API's answer to a route it does not have.
func missingRoute(e *apiError) bool {
	return e != nil && e.Status == http.StatusNotFound && e.Code == "not_found" && e.Message == "no such route"
}

func securityPage(q *req) { renderSecurity(q, nil, http.StatusOK) }

// renderSecurity shows the page; forms holds the one that failed.
func renderSecurity(q *req, forms map[string]*form, status int) {
	var me user
	if e := q.call(holder, "GET", "/v1/me", "", nil, &me); e != nil {
		q.fail(e)
		return
	}
	var sessions list[sessionInfo]
	e := q.call(holder, "GET", "/v1/me/sessions", "", nil, &sessions)
	if e != nil && !missingRoute(e) {
		q.fail(e)
		return
	}
	if forms == nil {
		forms = map[string]*form{}
	}
	q.render("security", &view{Nav: "security", Flash: q.flash(), Forms: forms, Status: status, Data: map[string]any{
		"Me": me, "Sessions": sessions.Data, "SessionsAvailable": e == nil,
	}})
}

// securityForm posts one of the page's forms to the API and comes back to
// the page with its confirmation or its error.
func securityForm(q *req, name, method, path string, body any, ok string) {
	securityFormFields(q, name, method, path, body, ok, map[string]string{"invalid_credentials": "password", "unauthenticated": "password"})
}

// securityFormFields is securityForm with the form's own field for codes.
func securityFormFields(q *req, name, method, path string, body any, ok string, overrides map[string]string) {
	e := q.call(holder, method, path, "", body, nil)
	if e == nil {
		q.redirect("/app/security?ok=" + ok)
		return
	}
	if e.unauthenticated() {
		q.fail(e)
		return
	}
	f := retryForm(q)
	if missingRoute(e) {
		f.Error = q.T("err.not_available")
	} else {
		q.formErrors(f, e, overrides)
	}
	renderSecurity(q, map[string]*form{name: f}, e.Status)
}

func setPIN(q *req) {
	securityForm(q, "pin", "PUT", "/v1/me/pin", map[string]string{"password": q.r.PostFormValue("password"), "pin": q.form("pin")}, "pin_set")
}

func changePassword(q *req) {
	securityFormFields(q, "password", "PUT", "/v1/me/password",
		map[string]string{"password": q.r.PostFormValue("password"), "new_password": q.r.PostFormValue("new_password")}, "password_changed",
		map[string]string{"invalid_credentials": "password", "weak_password": "new_password"})
}

func freeze(q *req) { securityForm(q, "freeze", "POST", "/v1/me/freeze", nil, "frozen") }

func unfreezeCode(q *req) {
	securityForm(q, "unfreeze", "POST", "/v1/me/unfreeze/code", nil, "unfreeze_code_sent")
}

func unfreeze(q *req) {
	securityForm(q, "unfreeze", "POST", "/v1/me/unfreeze", map[string]string{"password": q.r.PostFormValue("password"), "code": q.form("code")}, "unfrozen")
}

// logoutEverywhere ends every session of the holder, this one included.
func logoutEverywhere(q *req) {
	e := q.call(holder, "DELETE", "/v1/me/sessions", "", nil, nil)
	if missingRoute(e) {
		f := newForm(nil)
		f.Error = q.T("err.not_available")
		renderSecurity(q, map[string]*form{"sessions": f}, http.StatusNotImplemented)
		return
	}
	if e != nil && !e.unauthenticated() {
		q.fail(e)
		return
	}
	q.forget(holder)
	q.redirect("/app/login?ok=logged_out_everywhere")
}
