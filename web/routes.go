package web

import (
	"net/http"
)

// route is one page or form target of the app.
type route struct {
	method, path string
	area         area
	handle       func(q *req)
}

// routes lists the whole app: the wallet, the merchant console and the
// operator console. Every POST is checked for its area's CSRF token before
// its handler runs; every route of a signed-in area needs its credential.
func routes() []route {
	return []route{
		// The wallet: signing up and in.
		{"GET", "/app/register", public, registerPage},
		{"POST", "/app/register", public, register},
		{"GET", "/app/verify", public, verifyPage},
		{"POST", "/app/verify", public, verify},
		{"POST", "/app/verify/resend", public, resendCode},
		{"GET", "/app/login", public, loginPage},
		{"POST", "/app/login", public, login},
		{"POST", "/app/logout", holder, logout},

		// The wallet: money.
		{"GET", "/app/{$}", holder, home},
		{"GET", "/app/topup", holder, topupPage},
		{"POST", "/app/topup", holder, topup},
		{"GET", "/app/withdraw", holder, withdrawPage},
		{"POST", "/app/withdraw", holder, withdraw},
		{"GET", "/app/send", holder, sendPage},
		{"POST", "/app/send", holder, send},
		{"GET", "/app/pay", holder, payPage},
		{"POST", "/app/pay", holder, pay},
		{"GET", "/app/history", holder, history},
		{"GET", "/app/history/{id}", holder, txnDetail},
		{"GET", "/app/receipts/{id}", holder, receiptPDF},
		{"GET", "/app/statement", holder, statement},
		{"GET", "/app/spending", holder, spending},
		{"GET", "/app/cards", holder, cardsPage},
		{"POST", "/app/cards", holder, bindCard},
		{"POST", "/app/cards/{id}/remove", holder, removeCard},
		{"GET", "/app/epurse", holder, epursePage},
		{"POST", "/app/epurse", holder, issueEpurseCard},
		{"POST", "/app/epurse/{id}/chip", holder, chipFile},
		{"POST", "/app/epurse/{id}/lost", holder, reportLost},
		{"GET", "/app/security", holder, securityPage},
		{"POST", "/app/security/pin", holder, setPIN},
		{"POST", "/app/security/password", holder, changePassword},
		{"POST", "/app/security/freeze", holder, freeze},
		{"POST", "/app/security/unfreeze/code", holder, unfreezeCode},
		{"POST", "/app/security/unfreeze", holder, unfreeze},
		{"POST", "/app/security/logout-all", holder, logoutEverywhere},
		{"POST", "/app/merchant/create", holder, createMerchant},

		// The merchant console.
		{"GET", "/app/merchant/signin", public, merchantSignInPage},
		{"POST", "/app/merchant/signin", public, merchantSignIn},
		{"POST", "/app/merchant/signout", merchant, merchantSignOut},
		{"GET", "/app/merchant/{$}", merchant, merchantHome},
		{"POST", "/app/merchant/payments", merchant, createPayment},
		{"GET", "/app/merchant/payments", merchant, paymentsPage},
		{"GET", "/app/merchant/payments/{id}", merchant, paymentPage},
		{"GET", "/app/merchant/payments/{id}/status", merchant, paymentStatus},
		{"GET", "/app/merchant/payments/{id}/qr.png", merchant, paymentQR},
		{"POST", "/app/merchant/payments/{id}/capture", merchant, capturePayment},
		{"POST", "/app/merchant/payments/{id}/cancel", merchant, cancelPayment},
		{"POST", "/app/merchant/payments/{id}/refund", merchant, refundPayment},
		{"GET", "/app/merchant/payouts", merchant, payoutsPage},
		{"POST", "/app/merchant/payouts", merchant, payoutNow},
		{"GET", "/app/merchant/webhooks", merchant, webhooksPage},
		{"POST", "/app/merchant/webhooks", merchant, addEndpoint},
		{"GET", "/app/merchant/webhooks/{id}", merchant, endpointPage},
		{"POST", "/app/merchant/webhooks/{id}/delete", merchant, deleteEndpoint},
		{"POST", "/app/merchant/events/{id}/redeliver", merchant, redeliver},
		{"GET", "/app/merchant/keys", merchant, keysPage},
		{"POST", "/app/merchant/keys", merchant, rotateKey},
		{"GET", "/app/merchant/terminals", merchant, terminalsPage},
		{"POST", "/app/merchant/terminals", merchant, registerTerminal},
		{"POST", "/app/merchant/terminals/{id}/file", merchant, terminalStateFile},

		// The operator console.
		{"GET", "/app/admin/signin", public, adminSignInPage},
		{"POST", "/app/admin/signin", public, adminSignIn},
		{"POST", "/app/admin/signout", operator, adminSignOut},
		{"GET", "/app/admin/{$}", operator, adminHome},
		{"GET", "/app/admin/users", operator, adminUsers},
		{"POST", "/app/admin/users/{id}/kyc", operator, setKYC},
		{"POST", "/app/admin/users/{id}/freeze", operator, adminFreeze},
		{"GET", "/app/admin/reconciliation", operator, reconciliationPage},
	}
}

// maxForm bounds a posted form; the app's forms are a few fields.
const maxForm = 64 << 10

func (s *Server) mount() {
	for _, rt := range routes() {
		s.mux.Handle(rt.method+" "+rt.path, s.guard(rt))
	}
	s.mux.Handle("GET /app/static/", staticHandler())
	s.mux.Handle("/app/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := s.newReq(w, r, public)
		q.render("error", &view{Title: q.T("title.not_found"), Data: q.T("err.page_not_found"), Status: http.StatusNotFound})
	}))
}

// guard checks a request before its handler: the CSRF token of every POST
// (403 without it), then the area's credential (off to sign in without it).
func (s *Server) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := s.newReq(w, r, rt.area)
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if err := r.ParseForm(); err != nil {
				q.render("error", &view{Title: q.T("title.error"), Data: q.T("err.bad_form"), Status: http.StatusBadRequest})
				return
			}
			if !s.checkCSRF(q, rt.area) {
				q.render("error", &view{Title: q.T("title.forbidden"), Data: q.T("err.csrf"), Status: http.StatusForbidden})
				return
			}
		}
		if rt.area != public && q.credential(rt.area) == "" {
			q.toSignIn()
			return
		}
		rt.handle(q)
	})
}

// hasPage reports whether r is one of the routes (not the catch-all 404).
func (s *Server) hasPage(r *http.Request) bool {
	_, pattern := s.mux.Handler(r)
	return pattern != "" && pattern != "/app/"
}
