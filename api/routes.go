package api

import (
	"net/http"
	"strings"

	"github.com/ewallet/ewallet/bank/bankwire"
	"github.com/ewallet/ewallet/merchant"
)

// authKind says who may call a route.
type authKind int

const (
	public authKind = iota
	userOnly
	adminOnly
	devOnly        // public, but only under --dev; 404 otherwise
	merchantOnly   // a merchant's secret key
	userOrMerchant // a user's session or a merchant's secret key
)

// secured reports whether the route needs a bearer token.
func (rt route) secured() bool { return rt.auth != public && rt.auth != devOnly }

// route is one endpoint: the mux pattern, who may call it, and what it
// takes and gives, from which /v1/openapi.json is generated, so the
// description cannot drift from what is served.
type route struct {
	method, path string
	auth         authKind
	summary      string
	status       int // the success status
	req, resp    any // body types for the OpenAPI description (nil: none)
	query        []string
	handle       func(a *API, c *call)
}

// routes lists the whole API. It is set in init because the OpenAPI
// handler in it reads it.
var routes []route

func init() {
	routes = []route{
		{"GET", "/healthz", public, "Liveness", 200, nil, statusBody{}, nil, (*API).healthz},
		{"GET", "/readyz", public, "Readiness: the database answers", 200, nil, statusBody{}, nil, (*API).readyz},
		{"GET", "/metrics", public, "Prometheus metrics", 200, nil, nil, nil, (*API).metrics},
		{"GET", "/v1/openapi.json", public, "This API's OpenAPI 3.1 description", 200, nil, nil, nil, (*API).openapi},

		{"POST", "/v1/users", public, "Register with phone and password; a code goes out by SMS", 201, registerReq{}, userBody{}, nil, (*API).registerUser},
		{"POST", "/v1/users/verify", public, "Verify the phone with the SMS code", 200, verifyReq{}, userBody{}, nil, (*API).verify},
		{"POST", "/v1/users/verify/resend", public, "Send a new verification code", 204, resendReq{}, nil, nil, (*API).resend},
		{"POST", "/v1/sessions", public, "Log in", 201, loginReq{}, sessionBody{}, nil, (*API).login},
		{"DELETE", "/v1/sessions/current", userOnly, "Log out", 204, nil, nil, nil, (*API).logout},
		{"GET", "/v1/me", userOnly, "The user with wallet ID and limits", 200, nil, userBody{}, nil, (*API).me},
		{"PUT", "/v1/me/pin", userOnly, "Set or change the payment PIN", 204, pinReq{}, nil, nil, (*API).setPIN},
		{"POST", "/v1/me/freeze", userOnly, "Freeze the wallet", 200, nil, userBody{}, nil, (*API).freeze},
		{"POST", "/v1/me/unfreeze/code", userOnly, "Send the unfreeze code by SMS", 204, nil, nil, nil, (*API).unfreezeCode},
		{"POST", "/v1/me/unfreeze", userOnly, "Unfreeze with password and SMS code", 200, unfreezeReq{}, userBody{}, nil, (*API).unfreeze},
		{"PUT", "/v1/me/password", userOnly, "Change the password; every other session ends", 204, passwordReq{}, nil, nil, (*API).changePassword},
		{"GET", "/v1/me/sessions", userOnly, "The user's live sessions", 200, nil, sessionItems{}, nil, (*API).sessions},
		{"DELETE", "/v1/me/sessions", userOnly, "Log out everywhere: every session of the user ends, this one too", 204, nil, nil, nil, (*API).logoutEverywhere},
		{"GET", "/v1/dev/sms", devOnly, "The sandbox SMS outbox (--dev only)", 200, nil, smsList{}, []string{"phone"}, (*API).devSMS},

		{"POST", "/v1/me/cards", userOnly, "Bind a card", 201, cardReq{}, cardBody{}, nil, (*API).addCard},
		{"GET", "/v1/me/cards", userOnly, "List bound cards", 200, nil, cardList{}, nil, (*API).cards},
		{"DELETE", "/v1/me/cards/{id}", userOnly, "Remove a card", 204, nil, nil, nil, (*API).removeCard},
		{"GET", "/v1/me/balances", userOnly, "Balances per currency", 200, nil, balanceList{}, nil, (*API).balances},

		{"POST", "/v1/topups", userOnly, "Top up from a bound card (Idempotency-Key required)", 201, cardMoneyReq{}, bankOpBody{}, nil, (*API).topup},
		{"GET", "/v1/topups/{id}", userOnly, "A top-up", 200, nil, bankOpBody{}, nil, (*API).getTopup},
		{"POST", "/v1/withdrawals", userOnly, "Withdraw to a bound card (Idempotency-Key required)", 201, cardMoneyReq{}, bankOpBody{}, nil, (*API).withdraw},
		{"GET", "/v1/withdrawals/{id}", userOnly, "A withdrawal", 200, nil, bankOpBody{}, nil, (*API).getWithdrawal},
		{"POST", "/v1/transfers", userOnly, "Send money to a phone or wallet (Idempotency-Key required)", 201, transferReq{}, transferBody{}, nil, (*API).transfer},
		{"GET", "/v1/me/transactions", userOnly, "Transaction history, newest first", 200, nil, txnList{}, []string{"type", "currency", "from", "to", "q", "limit", "starting_after"}, (*API).transactions},
		{"GET", "/v1/me/transactions/export", userOnly, "Statement as CSV or PDF", 200, nil, nil, []string{"format", "from", "to"}, (*API).export},

		{"POST", "/v1/merchants", userOnly, "Create a merchant; its secret key and webhook secret are shown once", 201, merchantReq{}, merchantBody{}, nil, (*API).createMerchant},
		{"POST", "/v1/payments", merchantOnly, "Create a payment with its EMVCo QR payload", 201, paymentReq{}, merchant.PaymentView{}, nil, (*API).createPayment},
		{"POST", "/v1/payments/{id}/pay", userOnly, "Pay a payment (Idempotency-Key required)", 200, payReq{}, merchant.PaymentView{}, nil, (*API).pay},
		{"POST", "/v1/payments/{id}/capture", merchantOnly, "Capture an authorized payment, all or part (Idempotency-Key required)", 200, captureReq{}, merchant.PaymentView{}, nil, (*API).capture},
		{"POST", "/v1/payments/{id}/cancel", merchantOnly, "Cancel a payment not captured", 200, nil, merchant.PaymentView{}, nil, (*API).cancel},
		{"GET", "/v1/payments/{id}", userOrMerchant, "A payment, to its merchant or its payer", 200, nil, merchant.PaymentView{}, nil, (*API).getPayment},
		{"GET", "/v1/payments/{id}/qr.png", userOrMerchant, "The payment's QR code as a PNG image", 200, nil, nil, nil, (*API).paymentQR},
		{"GET", "/v1/payments/{id}/receipt", userOrMerchant, "The payment's receipt, signed with the server's Ed25519 key", 200, nil, signedReceiptBody{}, nil, (*API).paymentReceipt},
		{"GET", "/v1/payments/{id}/receipt.pdf", userOrMerchant, "The payment's receipt as a PDF", 200, nil, nil, nil, (*API).paymentReceiptPDF},
		{"GET", "/v1/refunds/{id}/receipt", userOrMerchant, "The refund's receipt, signed", 200, nil, signedReceiptBody{}, nil, (*API).refundReceipt},
		{"GET", "/v1/refunds/{id}/receipt.pdf", userOrMerchant, "The refund's receipt as a PDF", 200, nil, nil, nil, (*API).refundReceiptPDF},
		{"POST", "/v1/receipts/verify", public, "Check a signed receipt as the server handed it out", 200, signedReceiptBody{}, receiptCheck{}, nil, (*API).verifyReceipt},
		{"GET", "/v1/receipt-keys", public, "The public keys receipts are signed with", 200, nil, receiptKeyList{}, nil, (*API).receiptKeys},
		{"POST", "/v1/refunds", merchantOnly, "Refund a payment, all or part (Idempotency-Key required)", 201, refundReq{}, merchant.RefundView{}, nil, (*API).refund},
		{"GET", "/v1/payments", merchantOnly, "The merchant's payments, newest first", 200, nil, paymentList{}, []string{"limit", "starting_after"}, (*API).listPayments},
		{"POST", "/v1/webhook_endpoints", merchantOnly, "Add a webhook endpoint", 201, endpointReq{}, endpointBody{}, nil, (*API).createEndpoint},
		{"GET", "/v1/webhook_endpoints", merchantOnly, "The merchant's webhook endpoints", 200, nil, endpointList{}, nil, (*API).listEndpoints},
		{"DELETE", "/v1/webhook_endpoints/{id}", merchantOnly, "Remove a webhook endpoint (its pending deliveries fail)", 204, nil, nil, nil, (*API).deleteEndpoint},
		{"GET", "/v1/webhook_endpoints/{id}/attempts", merchantOnly, "An endpoint's delivery log, newest first", 200, nil, attemptList{}, []string{"limit"}, (*API).endpointAttempts},
		{"GET", "/v1/events", merchantOnly, "The merchant's events, newest first", 200, nil, eventList{}, []string{"limit", "starting_after"}, (*API).listEvents},
		{"GET", "/v1/events/{id}", merchantOnly, "One event", 200, nil, eventBody{}, nil, (*API).getEvent},
		{"POST", "/v1/events/{id}/redeliver", merchantOnly, "Send an event again to every endpoint that subscribes to it", 200, nil, redeliverBody{}, nil, (*API).redeliverEvent},
		{"GET", "/v1/merchant", merchantOnly, "The merchant the secret key belongs to", 200, nil, merchantBody{}, nil, (*API).getMerchant},
		{"PUT", "/v1/merchant/payout_card", merchantOnly, "Name the owner's card that settlements are paid to", 200, payoutCardReq{}, merchantBody{}, nil, (*API).setPayoutCard},
		{"POST", "/v1/merchant/keys", merchantOnly, "A new secret key; the others keep working for a day, or stop at once with revoke_others", 201, rotateKeyReq{}, rotatedKeyBody{}, nil, (*API).rotateKey},
		{"POST", "/v1/merchant/payouts", merchantOnly, "Pay today's available balances out now (once a day per currency)", 200, nil, payoutList{}, nil, (*API).payoutNow},
		{"GET", "/v1/merchant/payouts", merchantOnly, "The merchant's payouts, newest first", 200, nil, payoutList{}, []string{"limit", "starting_after"}, (*API).listPayouts},
		{"GET", "/v1/merchant/settlements/{day}", merchantOnly, "A day's settlement report as CSV", 200, nil, nil, []string{"currency"}, (*API).settlementReport},
		{"GET", "/v1/merchant/qr", merchantOnly, "The merchant's static QR code (no amount: the payer types it)", 200, nil, staticQRBody{}, []string{"currency"}, (*API).staticQR},
		{"GET", "/v1/merchant/qr.png", merchantOnly, "The static QR code as a PNG image", 200, nil, nil, []string{"currency"}, (*API).staticQR},
		{"POST", "/v1/qr/pay", userOnly, "Pay a scanned QR code: a payment's, or a merchant's static one with an amount (Idempotency-Key required)", 200, qrPayReq{}, merchant.PaymentView{}, nil, (*API).payQR},
		{"GET", "/v1/merchant/balances", merchantOnly, "The merchant's balances per currency", 200, nil, balanceList{}, nil, (*API).merchantBalances},

		{"POST", "/v1/epurse/cards", userOnly, "Issue a stored-value card to the wallet; its chip personalisation is shown once", 201, nil, epurseCardBody{}, nil, (*API).issueEpurseCard},
		{"GET", "/v1/epurse/cards", userOnly, "The wallet's stored-value cards with their cleared balance", 200, nil, epurseCardList{}, nil, (*API).epurseCards},
		{"GET", "/v1/epurse/cards/{id}", userOnly, "A stored-value card", 200, nil, epurseCardBody{}, nil, (*API).epurseCard},
		{"POST", "/v1/epurse/cards/{id}/loads", userOnly, "Load a card, step 1: the card's INITIALIZE FOR LOAD answer in, CREDIT FOR LOAD (MAC2) out (Idempotency-Key required)", 201, epurseLoadReq{}, epurseLoadBody{}, nil, (*API).loadEpurse},
		{"GET", "/v1/epurse/cards/{id}/loads/{load_id}", userOnly, "A load", 200, nil, epurseLoadBody{}, nil, (*API).epurseLoad},
		{"POST", "/v1/epurse/cards/{id}/loads/{load_id}/complete", userOnly, "Load a card, step 2: the card's TAC (or its transaction proof) in", 200, epurseCompleteReq{}, epurseLoadBody{}, nil, (*API).completeEpurseLoad},
		{"POST", "/v1/epurse/cards/{id}/lost", userOnly, "Report a card lost: deny-listed now, its rest refunded after the clearing window", 200, nil, epurseCardBody{}, nil, (*API).reportEpurseLost},
		{"POST", "/v1/epurse/terminals", merchantOnly, "Register a terminal; its SAM key is shown once", 201, terminalReq{}, terminalBody{}, nil, (*API).registerTerminal},
		{"GET", "/v1/epurse/terminals", merchantOnly, "The merchant's terminals", 200, nil, terminalList{}, nil, (*API).terminals},
		{"POST", "/v1/epurse/terminals/{id}/batches", merchantOnly, "Upload a terminal's purchase records for clearing; a result per record", 200, batchReq{}, batchBody{}, nil, (*API).uploadBatch},
		{"GET", "/v1/epurse/denylist", merchantOnly, "Cards terminals must refuse, and since when", 200, nil, denyListBody{}, nil, (*API).denyList},

		{"GET", "/v1/admin/ledger/verify", adminOnly, "Check every ledger invariant", 200, nil, verifyBody{}, nil, (*API).verifyLedger},
		{"POST", "/v1/admin/users/{id}/kyc", adminOnly, "Set a user's KYC tier and limits", 200, kycReq{}, userBody{}, nil, (*API).setKYC},
		{"POST", "/v1/admin/users/{id}/freeze", adminOnly, "Freeze a user's wallet (the holder unfreezes it with password and SMS code)", 200, nil, userBody{}, nil, (*API).adminFreeze},
		{"GET", "/v1/admin/transfers", adminOnly, "The journal's newest transfers", 200, nil, adminTransferList{}, []string{"limit", "before_seq"}, (*API).adminTransfers},
		{"GET", "/v1/admin/users", adminOnly, "Search users by phone prefix", 200, nil, userList{}, []string{"phone", "limit", "starting_after"}, (*API).adminUsers},
		{"GET", "/v1/admin/reconciliations/{date}", adminOnly, "A day's reconciliation against the bank's statements", 200, nil, reconciliationBody{}, nil, (*API).reconciliation},
		{"POST", "/v1/bank/callbacks", public, "The bank's signed callback with a request's outcome (bank/bankwire)", 204, bankwire.Result{}, nil, nil, (*API).bankCallback},
	}
}

// mount mounts every route and answers everything else, a known path with
// another method included, with the JSON 404 (the contract: an unknown
// route is a 404 not_found).
func (a *API) mount() {
	paths := map[string]bool{}
	for _, rt := range routes {
		rt := rt
		a.mux.Handle(rt.method+" "+rt.path, a.guard(rt))
		paths[rt.path] = true
	}
	for p := range paths {
		pattern := p
		a.mux.Handle(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			setRoute(r, pattern)
			a.fail(&call{w: w, r: r}, errNoRoute)
		}))
	}
	a.mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setRoute(r, "unknown")
		a.fail(&call{w: w, r: r}, errNoRoute)
	}))
}

func setRoute(r *http.Request, name string) {
	if p, ok := r.Context().Value(keyRoute).(*string); ok {
		*p = name
	}
}

// guard authenticates a route's caller before its handler runs.
func (a *API) guard(rt route) http.Handler {
	name := rt.method + " " + rt.path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setRoute(r, name)
		c := &call{w: w, r: r}
		switch rt.auth {
		case devOnly:
			if !a.Dev {
				a.fail(c, errNoRoute)
				return
			}
		case adminOnly:
			if !a.admitAdmin(c) {
				return
			}
		case userOnly:
			s, u, err := a.authUser(r)
			if err != nil {
				a.fail(c, err)
				return
			}
			c.user, c.session = u, s
		case merchantOnly, userOrMerchant:
			if !a.authMerchantOrUser(c, rt.auth == userOrMerchant) {
				return
			}
		}
		if !a.limitIP(c, name) {
			return
		}
		rt.handle(a, c)
	})
}

// authMerchantOrUser authenticates a secret key (sk_…), or when userOK a
// user's session, and reports whether the request may go on.
func (a *API) authMerchantOrUser(c *call, userOK bool) bool {
	tok, _ := bearer(c.r)
	if a.Merchants == nil {
		a.fail(c, errNoRoute)
		return false
	}
	if strings.HasPrefix(tok, "sk_") || !userOK {
		m, err := a.Merchants.Authenticate(c.ctx(), tok)
		if err != nil {
			a.fail(c, err)
			return false
		}
		c.merchant = m
		return true
	}
	s, u, err := a.authUser(c.r)
	if err != nil {
		a.fail(c, err)
		return false
	}
	c.user, c.session = u, s
	return true
}

// principal names who owns an idempotency key.
func (c *call) principal() string {
	if c.merchant.ID != "" {
		return c.merchant.ID
	}
	if c.user.ID != "" {
		return c.user.ID
	}
	return "public"
}
