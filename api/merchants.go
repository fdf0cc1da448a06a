package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/ewallet/ewallet/emvqr"
	"github.com/ewallet/ewallet/merchant"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/wallet"
)

type merchantReq struct {
	Name     string `json:"name"`
	Category string `json:"category"`
}

type merchantBody struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Category      string    `json:"category"`
	SecretKey     string    `json:"secret_key,omitempty"`
	WebhookSecret string    `json:"webhook_secret,omitempty"`
	PayoutCard    string    `json:"payout_card,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

type paymentReq struct {
	Amount           Amount `json:"amount"`
	Currency         string `json:"currency"`
	Reference        string `json:"reference"`
	Description      string `json:"description,omitempty"`
	Capture          string `json:"capture"`
	ExpiresInSeconds *int64 `json:"expires_in_seconds,omitempty"`
}

type payReq struct {
	PIN string `json:"pin"`
}

type captureReq struct {
	Amount Amount `json:"amount"`
}

type refundReq struct {
	PaymentID string `json:"payment_id"`
	Amount    Amount `json:"amount"`
}

func (a *API) createMerchant(c *call) {
	var req merchantReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	m, sk, whsec, err := a.Merchants.Create(c.ctx(), c.user, req.Name, req.Category)
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusCreated, merchantBody{ID: m.ID, Name: m.Name, Category: m.MCC, SecretKey: sk, WebhookSecret: whsec, CreatedAt: m.CreatedAt})
}

func (a *API) createPayment(c *call) {
	var req paymentReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	n, cur, err := parseMoney(req.Amount, req.Currency)
	if err != nil {
		a.fail(c, err)
		return
	}
	pr := merchant.PaymentRequest{Amount: n, Currency: cur, Reference: req.Reference, Description: req.Description}
	switch req.Capture {
	case "automatic":
	case "manual":
		pr.Manual = true
	default:
		a.fail(c, wallet.Errorf(wallet.CodeInvalidRequest, `capture must be "automatic" or "manual"`))
		return
	}
	if s := req.ExpiresInSeconds; s != nil {
		if *s < 1 || *s > 30*24*3600 {
			a.fail(c, wallet.Errorf(wallet.CodeInvalidRequest, "expires_in_seconds must be 1 to 2592000"))
			return
		}
		pr.ExpiresIn = time.Duration(*s) * time.Second
	}
	key, err := idempotencyKey(c.r)
	if err != nil {
		a.fail(c, err)
		return
	}
	id := "pay_" + newID()
	if key != "" {
		id = wallet.OpID("pay_", c.merchant.ID, key)
	}
	a.idempotent(c, key, fingerprint(c, req), func(wallet.Idem) (answer, error) {
		p, err := a.Merchants.CreatePayment(c.ctx(), c.merchant, id, pr)
		return answer{status: http.StatusCreated, body: a.Merchants.View(c.merchant, p), keep: key != ""}, err
	})
}

func (a *API) pay(c *call) {
	var req payReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	key, err := requireKey(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	// 404 before the key's 409 (the contract's order).
	if _, err := a.Merchants.Store.Payment(c.ctx(), c.r.PathValue("id")); err != nil {
		a.fail(c, err)
		return
	}
	pin := req.PIN
	req.PIN = a.Wallet.PINs.Redact(c.user.ID, pin)
	a.idempotent(c, key, fingerprint(c, req), func(idem wallet.Idem) (answer, error) {
		p, err := a.Merchants.Pay(c.ctx(), c.user, c.r.PathValue("id"), pin, idem, c.client())
		return answer{status: http.StatusOK, body: a.toPaymentByID(c, p), keep: true}, err
	})
}

func (a *API) capture(c *call) {
	var req captureReq
	if err := decode(c.r, &req, true); err != nil {
		a.fail(c, err)
		return
	}
	// The contract's order: 400 (the amount, then the key), 404, then
	// the key's 409. The amount's decimals depend on the payment's
	// currency, known after the look-up.
	if req.Amount.set && !plausibleAmount(req.Amount) {
		a.fail(c, errBadAmount)
		return
	}
	key, err := requireKey(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	p, err := a.Merchants.Get(c.ctx(), c.merchant, c.r.PathValue("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	var n int64
	if req.Amount.set {
		if n, _, err = parseMoney(req.Amount, string(p.Currency)); err != nil {
			a.fail(c, err)
			return
		}
	}
	a.idempotent(c, key, fingerprint(c, req), func(wallet.Idem) (answer, error) {
		p, err := a.Merchants.Capture(c.ctx(), c.merchant, c.r.PathValue("id"), n)
		return answer{status: http.StatusOK, body: a.Merchants.View(c.merchant, p), keep: true}, err
	})
}

func (a *API) cancel(c *call) {
	if err := decode(c.r, &struct{}{}, true); err != nil {
		a.fail(c, err)
		return
	}
	p, err := a.Merchants.Cancel(c.ctx(), c.merchant, c.r.PathValue("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, a.Merchants.View(c.merchant, p))
}

func (a *API) getPayment(c *call) {
	p, err := a.paymentFor(c, c.r.PathValue("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, a.toPaymentByID(c, p))
}

func (a *API) refund(c *call) {
	var req refundReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	if !plausibleAmount(req.Amount) {
		a.fail(c, errBadAmount)
		return
	}
	key, err := requireKey(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	p, err := a.Merchants.Get(c.ctx(), c.merchant, req.PaymentID)
	if err != nil {
		a.fail(c, err)
		return
	}
	n, _, err := parseMoney(req.Amount, string(p.Currency))
	if err != nil {
		a.fail(c, err)
		return
	}
	id := wallet.OpID("ref_", c.merchant.ID, key)
	a.idempotent(c, key, fingerprint(c, req), func(wallet.Idem) (answer, error) {
		r, err := a.Merchants.Refund(c.ctx(), c.merchant, id, p.ID, n)
		return answer{status: http.StatusCreated, body: merchant.ViewRefund(r), keep: true}, err
	})
}

func (a *API) merchantBalances(c *call) {
	bs, err := a.Merchants.Balances(c.ctx(), c.merchant)
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, toBalances(bs))
}

var errBadAmount = wallet.Errorf(wallet.CodeInvalidAmount, "amount must be a positive decimal string, like \"12.34\"")

// plausibleAmount reports whether a is an amount in some currency, before
// the currency is known: a string, positive, with at most two decimals.
func plausibleAmount(a Amount) bool {
	return a.set && !a.num && a.s != "" && plausible(a.s)
}

// toPaymentByID renders a payment for whoever asked, its merchant or its
// payer.
func (a *API) toPaymentByID(c *call, p merchant.Payment) merchant.PaymentView {
	m, _ := a.merchantOf(c, p)
	return a.Merchants.View(m, p)
}

// paymentQR serves a payment's QR as a PNG a phone can scan from a screen.
func (a *API) paymentQR(c *call) {
	p, m, err := a.paymentAndMerchant(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	png, err := emvqr.PNG(a.Merchants.QRPayload(m, p), 512)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.w.Header().Set("Content-Type", "image/png")
	c.w.Header().Set("Cache-Control", "private, max-age=60")
	c.w.Write(png)
}

// paymentFor reads a payment for its merchant or its payer.
func (a *API) paymentFor(c *call, id string) (merchant.Payment, error) {
	if c.merchant.ID != "" {
		return a.Merchants.Get(c.ctx(), c.merchant, id)
	}
	return a.Merchants.GetForPayer(c.ctx(), c.user, id)
}

// paymentAndMerchant reads the payment of the path's {id} for its merchant
// or its payer, with its merchant.
func (a *API) paymentAndMerchant(c *call) (merchant.Payment, merchant.Merchant, error) {
	p, err := a.paymentFor(c, c.r.PathValue("id"))
	if err != nil {
		return p, merchant.Merchant{}, err
	}
	m, err := a.merchantOf(c, p)
	return p, m, err
}

// merchantOf is the merchant of p: the caller, or the one its payer paid.
func (a *API) merchantOf(c *call, p merchant.Payment) (merchant.Merchant, error) {
	if c.merchant.ID != "" || p.ID == "" {
		return c.merchant, nil
	}
	return a.Merchants.Store.Merchant(c.ctx(), p.MerchantID)
}

type qrPayReq struct {
	QRPayload string `json:"qr_payload"`
	Amount    Amount `json:"amount,omitempty"`
	PIN       string `json:"pin"`
}

type staticQRBody struct {
	QRPayload string `json:"qr_payload"`
	Currency  string `json:"currency"`
}

// payQR pays a scanned code: a dynamic one's payment, or a static one's
// merchant the amount the payer typed.
func (a *API) payQR(c *call) {
	var req qrPayReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	q, err := emvqr.Decode(req.QRPayload)
	if err != nil {
		a.fail(c, wallet.Errorf(wallet.CodeInvalidRequest, "qr_payload is not a payment code of this wallet"))
		return
	}
	cur, err := merchant.ScannedCurrency(q)
	if err != nil {
		a.fail(c, err)
		return
	}
	var n int64
	if req.Amount.set {
		if n, _, err = parseMoney(req.Amount, string(cur)); err != nil {
			a.fail(c, err)
			return
		}
	}
	key, err := requireKey(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	pin := req.PIN
	req.PIN = a.Wallet.PINs.Redact(c.user.ID, pin)
	a.idempotent(c, key, fingerprint(c, req), func(idem wallet.Idem) (answer, error) {
		p, err := a.Merchants.PayQR(c.ctx(), c.user, q, n, pin, idem, c.client())
		return answer{status: http.StatusOK, body: a.toPaymentByID(c, p), keep: true}, err
	})
}

// staticQR is the merchant's printed till code for a currency.
func (a *API) staticQR(c *call) {
	cur, err := queryCurrency(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	qr, err := a.Merchants.StaticQR(c.merchant, cur)
	if err != nil {
		a.fail(c, wallet.Errorf(wallet.CodeUnsupportedCurrency, "no QR code for %s", cur))
		return
	}
	if strings.HasSuffix(c.r.URL.Path, ".png") {
		png, err := emvqr.PNG(qr, 512)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.w.Header().Set("Content-Type", "image/png")
		c.w.Write(png)
		return
	}
	writeJSON(c.w, http.StatusOK, staticQRBody{QRPayload: qr, Currency: string(cur)})
}

// queryCurrency is ?currency= (default CNY).
func queryCurrency(c *call) (money.Currency, error) {
	s := c.r.URL.Query().Get("currency")
	if s == "" {
		return money.CNY, nil
	}
	cur, err := money.ParseCurrency(s)
	if err != nil {
		return "", wallet.Errorf(wallet.CodeUnsupportedCurrency, "unknown currency %q", s)
	}
	return cur, nil
}
