package main

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"
)

// TestAPISettlement walks a merchant's day: payments, a refund, the payout
// of what is left to the owner's card (pending at the sandbox bank, then
// paid), the payout.paid event, and a settlement report that adds up to
// the ledger.
func TestAPISettlement(t *testing.T) {
	backends(t, func(t *testing.T, c *client) {
		owner, alice := c.mustUser("Owner"), c.mustUser("Alice")
		c.topup(alice, "500.00")
		s := c.mustMerchant(owner, "Bakery")
		rcv := newReceiver(t, s.whsec)
		want(t, c.do("POST", "/v1/webhook_endpoints", s.sk, "", map[string]any{"url": rcv.srv.URL, "events": []string{"payout.paid"}}), 201, "")

		want(t, c.do("POST", "/v1/merchant/payouts", s.sk, "", nil), 400, "invalid_request") // no payout card yet
		want(t, c.do("PUT", "/v1/merchant/payout_card", s.sk, "", map[string]any{"card_id": alice.card}), 404, "card_not_found")
		r := c.do("PUT", "/v1/merchant/payout_card", s.sk, "", map[string]any{"card_id": owner.card})
		want(t, r, 200, "")
		if r.str("payout_card") != owner.card {
			t.Fatalf("%s", r.raw)
		}

		var pays []string
		for _, amount := range []string{"100.00", "33.33", "0.83"} {
			id := c.newPayment(s, amount, "automatic")
			want(t, c.do("POST", "/v1/payments/"+id+"/pay", alice.token, c.key(), map[string]any{"pin": alice.pin}), 200, "")
			pays = append(pays, id)
		}
		want(t, c.do("POST", "/v1/refunds", s.sk, c.key(), map[string]any{"payment_id": pays[0], "amount": "40.00"}), 201, "")
		// 134.16 paid, fees 0.60 + 0.20 + 0.00 (0.6% of 0.83 rounds to 0),
		// 40.00 refunded with 0.24 of the fee back: 134.16 - 0.80 - 39.76.
		if got := c.merchantBalance(s); got != "93.60" {
			t.Fatalf("merchant balance %s, want 93.60", got)
		}

		r = c.do("POST", "/v1/merchant/payouts", s.sk, "", nil)
		want(t, r, 200, "")
		list, _ := r.body["data"].([]any)
		if len(list) != 1 {
			t.Fatalf("payouts: %s", r.raw)
		}
		po, _ := list[0].(map[string]any)
		if po["amount"] != "93.60" || po["currency"] != "CNY" || po["card_id"] != owner.card {
			t.Fatalf("payout: %v", po)
		}
		id, _ := po["id"].(string)
		if d := rcv.wait("payout.paid", id); d["status"] != "paid" {
			t.Fatalf("payout.paid: %v", d)
		}
		if got := c.merchantBalance(s); got != "0.00" {
			t.Fatalf("merchant balance after the payout %s, want 0.00", got)
		}
		// Again the same day: the same payout, nothing paid twice.
		again := c.do("POST", "/v1/merchant/payouts", s.sk, "", nil)
		want(t, again, 200, "")
		if l, _ := again.body["data"].([]any); len(l) != 0 {
			t.Fatalf("a second payout the same day: %s", again.raw)
		}
		listed := c.do("GET", "/v1/merchant/payouts", s.sk, "", nil)
		if l, _ := listed.body["data"].([]any); len(l) != 1 || l[0].(map[string]any)["status"] != "paid" {
			t.Fatalf("payouts list: %s", listed.raw)
		}

		day := time.Now().In(shanghai(t)).Format(time.DateOnly)
		rep := c.do("GET", "/v1/merchant/settlements/"+day+"?currency=CNY", s.sk, "", nil)
		if rep.status != 200 {
			t.Fatalf("report: %d %s", rep.status, rep.raw)
		}
		rd := csv.NewReader(bytes.NewReader(rep.raw))
		rd.FieldsPerRecord = -1
		rows, err := rd.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		// Header rows, then 3 payments, the refund and the payout, then
		// the totals: gross 134.16 - 40.00 - 93.60 = 0.56, which is the fees
		// kept (0.80 - 0.24); net 0.00, from 0.00 to 0.00.
		lines := rows[3 : len(rows)-1]
		types := ""
		for _, l := range lines {
			types += l[1] + " "
		}
		if types != "payment payment payment refund payout " {
			t.Fatalf("report lines %q:\n%s", types, rep.raw)
		}
		total := rows[len(rows)-1]
		if rows[1][1] != "0.00" || rows[1][3] != "0.00" || total[3] != "0.56" || total[4] != "0.56" || total[5] != "0.00" {
			t.Fatalf("report:\n%s", rep.raw)
		}
		if refund := lines[3]; refund[3] != "-40.00" || refund[4] != "-0.24" || refund[5] != "-39.76" {
			t.Fatalf("refund line %v", refund)
		}
		want(t, c.do("GET", "/v1/merchant/settlements/2026-13-01", s.sk, "", nil), 400, "invalid_request")
		if v := c.do("GET", "/v1/admin/ledger/verify", c.admin, "", nil); v.body["ok"] != true {
			t.Fatalf("verify: %s", v.raw)
		}
	})
}

func shanghai(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}
