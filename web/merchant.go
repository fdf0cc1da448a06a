package web

import (
	"net/http"
	"net/url"
	"strings"
)

// The merchant console's sign-in: a holder creates a merchant from the
// wallet (its secret key is shown once and kept in an HttpOnly cookie), or
// anyone with a secret key pastes it. The console then acts with that key,
// as the merchant's own server would.

func merchantSignInPage(q *req) {
	f := newForm(url.Values{"next": {q.r.URL.Query().Get("next")}})
	q.render("merchant_signin", &view{Nav: "merchant", Flash: q.flash(), Forms: map[string]*form{"signin": f, "create": newForm(nil)}})
}

func merchantSignIn(q *req) {
	key := q.form("key")
	f := newForm(url.Values{"next": {q.form("next")}})
	if !strings.HasPrefix(key, "sk_") {
		f.Errors = map[string]string{"key": q.T("err.bad_key")}
		q.render("merchant_signin", &view{Nav: "merchant", Forms: map[string]*form{"signin": f}, Status: http.StatusBadRequest})
		return
	}
	q.merchant = key // try it before keeping it
	if e := q.call(merchant, "GET", "/v1/merchant", "", nil, nil); e != nil {
		q.merchant = ""
		f.Errors = map[string]string{"key": q.signInError(e)}
		q.render("merchant_signin", &view{Nav: "merchant", Forms: map[string]*form{"signin": f}, Status: e.Status})
		return
	}
	q.setMerchant(key)
	q.redirect(safeNext(q.form("next"), "/app/merchant/"))
}

func merchantSignOut(q *req) {
	q.forget(merchant)
	q.redirect("/app/merchant/signin?ok=signed_out")
}

// createMerchant makes the signed-in holder a merchant and signs the
// console in with the new secret key, showing both secrets this once.
func createMerchant(q *req) {
	var m merchantInfo
	e := q.call(holder, "POST", "/v1/merchants", "", map[string]string{"name": q.form("name"), "category": q.form("category")}, &m)
	if e != nil {
		if e.unauthenticated() {
			q.fail(e)
			return
		}
		f := retryForm(q)
		q.formErrors(f, e, map[string]string{"invalid_request": "name"})
		q.area = public // the page is the console's sign-in page
		q.render("merchant_signin", &view{Nav: "merchant", Forms: map[string]*form{"create": f}, Status: e.Status})
		return
	}
	q.setMerchant(m.SecretKey)
	q.area = merchant
	q.render("merchant_created", &view{Nav: "merchant", Data: m})
}

// merchantHome is the console's first screen: balances, a new payment and
// the latest payments.
func merchantHome(q *req) { renderMerchantHome(q, nil, http.StatusOK) }

func renderMerchantHome(q *req, f *form, status int) {
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
	var ps list[payment]
	if e := q.call(merchant, "GET", "/v1/payments?limit=5", "", nil, &ps); e != nil {
		q.fail(e)
		return
	}
	if f == nil {
		f = newForm(url.Values{"currency": {"CNY"}, "capture": {"automatic"}})
	}
	q.render("merchant_home", &view{Nav: "merchant", Flash: q.flash(), Status: status, Forms: map[string]*form{"payment": f},
		Data: map[string]any{"Merchant": m, "Balances": bs.Data, "Payments": ps.Data, "Currencies": currencyChoices()}})
}

func keysPage(q *req) {
	q.render("merchant_keys", &view{Nav: "keys", Flash: q.flash()})
}

// rotateKey asks for a new secret key, keeps it in the console's cookie
// and shows it once for the merchant's own servers.
func rotateKey(q *req) {
	var k struct {
		SecretKey string `json:"secret_key"`
	}
	body := map[string]bool{}
	if q.form("revoke_others") != "" {
		body["revoke_others"] = true
	}
	if e := q.call(merchant, "POST", "/v1/merchant/keys", "", body, &k); e != nil {
		q.fail(e)
		return
	}
	q.setMerchant(k.SecretKey)
	q.render("merchant_keys", &view{Nav: "keys", Flash: q.T("flash.key_rotated"), Data: k.SecretKey})
}

// signInError is the words for a key or token the API refused at sign-in:
// its 401 means "not accepted" here, not "sign in again".
func (q *req) signInError(e *apiError) string {
	if e.Status == http.StatusUnauthorized {
		return q.T("err.token_rejected")
	}
	return q.errorText(e)
}
