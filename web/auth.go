package web

import (
	"net/url"
	"strings"
)

// The holder's sign-up and sign-in: register, verify the phone with the
// SMS code, log in, log out.

func registerPage(q *req) {
	q.render("register", &view{Forms: map[string]*form{"register": newForm(nil)}})
}

func register(q *req) {
	f := newForm(q.r.PostForm)
	phone := normalizePhone(q.form("phone"))
	var u user
	e := q.call(public, "POST", "/v1/users", "", map[string]string{"phone": phone, "password": q.r.PostFormValue("password"), "name": q.form("name")}, &u)
	if e != nil {
		q.formErrors(f, e, nil)
		q.render("register", &view{Forms: map[string]*form{"register": f}, Status: e.Status})
		return
	}
	q.redirect("/app/verify?phone=" + url.QueryEscape(phone) + "&ok=code_sent")
}

func verifyPage(q *req) {
	f := newForm(url.Values{"phone": {q.r.URL.Query().Get("phone")}})
	q.render("verify", &view{Flash: q.flash(), Forms: map[string]*form{"verify": f}})
}

func verify(q *req) {
	f := newForm(q.r.PostForm)
	phone := normalizePhone(q.form("phone"))
	e := q.call(public, "POST", "/v1/users/verify", "", map[string]string{"phone": phone, "code": q.form("code")}, nil)
	if e != nil {
		q.formErrors(f, e, nil)
		q.render("verify", &view{Forms: map[string]*form{"verify": f}, Status: e.Status})
		return
	}
	q.redirect("/app/login?phone=" + url.QueryEscape(phone) + "&ok=verified")
}

func resendCode(q *req) {
	phone := normalizePhone(q.form("phone"))
	if e := q.call(public, "POST", "/v1/users/verify/resend", "", map[string]string{"phone": phone}, nil); e != nil {
		f := newForm(url.Values{"phone": {phone}})
		q.formErrors(f, e, nil)
		q.render("verify", &view{Forms: map[string]*form{"verify": f}, Status: e.Status})
		return
	}
	q.redirect("/app/verify?phone=" + url.QueryEscape(phone) + "&ok=code_sent")
}

func loginPage(q *req) {
	qs := q.r.URL.Query()
	f := newForm(url.Values{"phone": {qs.Get("phone")}, "next": {qs.Get("next")}})
	q.render("login", &view{Flash: q.flash(), Forms: map[string]*form{"login": f}})
}

func login(q *req) {
	f := newForm(q.r.PostForm)
	var s session
	e := q.call(public, "POST", "/v1/sessions", "", map[string]string{"phone": normalizePhone(q.form("phone")), "password": q.r.PostFormValue("password")}, &s)
	if e != nil {
		q.formErrors(f, e, nil)
		q.render("login", &view{Forms: map[string]*form{"login": f}, Status: e.Status})
		return
	}
	q.setUser(s.Token, s.ExpiresAt)
	q.redirect(safeNext(q.form("next"), "/app/"))
}

func logout(q *req) {
	q.call(holder, "DELETE", "/v1/sessions/current", "", nil, nil) // an expired session is logged out already
	q.forget(holder)
	q.redirect("/app/login?ok=logged_out")
}

// normalizePhone lets a holder type a mainland mobile number as people
// write it ("138 0000 0001"): separators go, and eleven digits starting
// with 1 get +86. Anything else goes to the API as typed, which judges it.
func normalizePhone(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '(' || r == ')' {
			return -1
		}
		return r
	}, s)
	if len(s) == 11 && s[0] == '1' && strings.Trim(s, "0123456789") == "" {
		return "+86" + s
	}
	return s
}

// flash is the confirmation named by ?ok=, if the catalog has it: only
// known messages show, so a link cannot put words on the page.
func (q *req) flash() string {
	k := q.r.URL.Query().Get("ok")
	if k == "" {
		return ""
	}
	if _, ok := q.s.msgs[q.lang]["flash."+k]; !ok {
		return ""
	}
	return q.T("flash." + k)
}
