package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestAPIReceipts: the payer and the merchant get the same signed receipt
// for a payment and for a refund; the server's verify call accepts it as
// handed out and refuses it with any field changed; the PDF is a PDF.
func TestAPIReceipts(t *testing.T) {
	backends(t, func(t *testing.T, c *client) {
		owner, alice, bob := c.mustUser("Owner"), c.mustUser("Alice"), c.mustUser("Bob")
		c.topup(alice, "100.00")
		s := c.mustMerchant(owner, "Book Shop")
		id := c.newPayment(s, "42.50", "automatic")
		want(t, c.do("GET", "/v1/payments/"+id+"/receipt", s.sk, "", nil), 409, "payment_not_payable") // not paid yet
		want(t, c.do("POST", "/v1/payments/"+id+"/pay", alice.token, c.key(), map[string]any{"pin": alice.pin}), 200, "")

		byPayer := c.do("GET", "/v1/payments/"+id+"/receipt", alice.token, "", nil)
		want(t, byPayer, 200, "")
		byMerchant := c.do("GET", "/v1/payments/"+id+"/receipt", s.sk, "", nil)
		if !bytes.Equal(byPayer.raw, byMerchant.raw) {
			t.Fatalf("the payer's and the merchant's receipts differ:\n%s\n%s", byPayer.raw, byMerchant.raw)
		}
		rcp, _ := byPayer.body["receipt"].(map[string]any)
		if rcp["amount"] != "42.50" || rcp["currency"] != "CNY" || rcp["payment_id"] != id || rcp["merchant_name"] != "Book Shop" ||
			rcp["payer_id"] != alice.id || !strings.HasPrefix(rcp["id"].(string), "rcp_") {
			t.Fatalf("receipt: %s", byPayer.raw)
		}
		want(t, c.do("GET", "/v1/payments/"+id+"/receipt", bob.token, "", nil), 404, "not_found")

		v := c.do("POST", "/v1/receipts/verify", "", "", string(byPayer.raw))
		if v.status != 200 || v.body["valid"] != true {
			t.Fatalf("verify: %d %s", v.status, v.raw)
		}
		forged := strings.Replace(string(byPayer.raw), `"amount":"42.50"`, `"amount":"4.25"`, 1)
		if forged == string(byPayer.raw) {
			t.Fatalf("no amount to change in %s", byPayer.raw)
		}
		if v := c.do("POST", "/v1/receipts/verify", "", "", forged); v.status != 200 || v.body["valid"] != false {
			t.Fatalf("verify of a forged receipt: %d %s", v.status, v.raw)
		}
		want(t, c.do("POST", "/v1/receipts/verify", "", "", `{"receipt":1}`), 400, "invalid_request")

		keys := c.do("GET", "/v1/receipt-keys", "", "", nil)
		list, _ := keys.body["data"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["key_id"] != byPayer.body["key_id"] {
			t.Fatalf("receipt keys: %s", keys.raw)
		}

		pdf := c.do("GET", "/v1/payments/"+id+"/receipt.pdf", alice.token, "", nil)
		if pdf.status != 200 || pdf.header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf.raw, []byte("%PDF-")) {
			t.Fatalf("receipt.pdf: %d %s %.20q", pdf.status, pdf.header.Get("Content-Type"), pdf.raw)
		}

		ref := c.do("POST", "/v1/refunds", s.sk, c.key(), map[string]any{"payment_id": id, "amount": "2.50"})
		want(t, ref, 201, "")
		rr := c.do("GET", "/v1/refunds/"+ref.str("id")+"/receipt", alice.token, "", nil)
		want(t, rr, 200, "")
		var signed struct {
			Receipt map[string]any `json:"receipt"`
		}
		json.Unmarshal(rr.raw, &signed)
		if signed.Receipt["kind"] != "refund" || signed.Receipt["refund_amount"] != "2.50" || signed.Receipt["refund_id"] != ref.str("id") {
			t.Fatalf("refund receipt: %s", rr.raw)
		}
		if v := c.do("POST", "/v1/receipts/verify", "", "", string(rr.raw)); v.body["valid"] != true {
			t.Fatalf("verify refund receipt: %s", v.raw)
		}
		want(t, c.do("GET", "/v1/refunds/"+ref.str("id")+"/receipt", bob.token, "", nil), 404, "not_found")
	})
}
