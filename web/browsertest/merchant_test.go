package browsertest

import (
	"net/url"
	"strings"
	"testing"
)

// TestMerchantPayment: a holder creates a merchant from the wallet, the
// console creates a payment and shows its QR; the payer opens the
// payment's link and pays it; the console's page flips to paid without a
// reload; the merchant refunds part and the payer's balance shows it.
func TestMerchantPayment(t *testing.T) {
	needBrowser(t)
	owner := apiHolder(t, "Dana", "")
	payer := apiHolder(t, "Eve", "100.00")
	m := newTab(t)
	p := newTab(t)
	var link string

	t.Run("CreateMerchant", func(t *testing.T) {
		m.t = t
		m.login(owner)
		m.open("/app/merchant/")
		m.wantText("h1", "Merchant console") // the sign-in page: no key yet
		m.fill("#m-name", "Tea House")
		m.fill("#m-category", "5812")
		m.submit("#create-merchant-submit")
		m.wantText("#secret-key", "sk_")
		if evalIn[bool](m, `document.cookie.includes("sk_")`) {
			t.Error("the secret key cookie is readable from script")
		}
		m.submit("#open-console")
		m.wantText(".hello", "Tea House")
	})
	t.Run("CreatePayment", func(t *testing.T) {
		m.t = t
		m.fill("#amount", "25.00")
		m.fill("#reference", "T-1001")
		m.submit("#payment-submit")
		m.wantText("#payment-amount", "¥25.00")
		m.wantText("#payment-status", "Waiting for payment")
		// The QR image loaded, big enough to scan from a phone.
		m.do(pollTrue(`document.querySelector("#payment-qr").complete && document.querySelector("#payment-qr").naturalWidth >= 256`))
		if w := evalIn[int](m, `document.querySelector("#payment-qr").getBoundingClientRect().width`); w < 250 {
			t.Errorf("QR shows %d px wide, want at least 250", w)
		}
		link = evalIn[string](m, `document.querySelector("#payment-link").href`)
		if !strings.Contains(link, "/app/pay?qr=") {
			t.Fatalf("payment link %q", link)
		}
		m.shot("06-merchant-payment")
	})
	t.Run("PayerPaysFromLink", func(t *testing.T) {
		p.t = t
		p.login(payer)
		u, _ := url.Parse(link)
		p.open(u.RequestURI())
		p.wantText("#pay-merchant", "Tea House")
		p.wantText("#pay-amount", "¥25.00")
		p.shot("08-pay-confirm")
		p.fill("#pin", "000001") // wrong first: the error sits by the PIN
		p.submit("#pay-submit")
		p.wantText("#pin-err", "Wrong PIN")
		p.fill("#pin", payer.pin)
		p.submit("#pay-submit")
		p.wantText("#flash", "Paid.")
		p.wantText("#txn-amount", "−¥25.00")
		p.wantText("#receipt-link", "receipt")
	})
	t.Run("ConsoleFlipsToPaid", func(t *testing.T) {
		m.t = t
		// No navigation: the page polls and changes in place.
		m.wantText("#payment-status", "Paid")
		m.do(pollTrue(`!document.querySelector("#refund-form").closest("section").hidden`))
		m.shot("07-merchant-paid")
	})
	t.Run("Refund", func(t *testing.T) {
		m.t = t
		m.fill("#refund-amount", "30.00") // more than paid: the contract's error
		m.submit("#refund-submit")
		m.wantText("#amount-err", "More than is left to refund")
		m.fill("#refund-amount", "5.00")
		m.submit("#refund-submit")
		m.wantText("#flash", "Refund sent.")
		m.wantText("#payment-refunded", "¥5.00")
		p.t = t
		p.open("/app/")
		p.wantText("#balance-CNY", "¥80.00") // 100.00 − 25.00 + 5.00
		p.wantText(".txns", "Refund")
	})
}
