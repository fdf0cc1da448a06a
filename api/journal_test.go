package api

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/merchant"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/webhook"
)

// TestJournalRepairsPayments stops a payment where a crash would: its
// ledger transfer committed, the payments table not yet told. The journal
// follower (and, for a payment past its time, reading it) must finish the
// job from the ledger, and publish the payment's event exactly once.
func TestJournalRepairsPayments(t *testing.T) {
	s := newTestServer(t)
	ctx := t.Context()
	newPayment := func(amount string, ttl int) string {
		p := s.mustCall("POST", "/v1/payments", s.merchantKey, "", map[string]any{"amount": amount, "currency": "CNY",
			"reference": "crash", "capture": "automatic", "expires_in_seconds": ttl}, http.StatusCreated)
		return p["id"].(string)
	}
	commitPay := func(id string, amount, fee int64) { s.commitPay(t, id, amount, fee) }
	get := func(id string) map[string]any {
		return s.mustCall("GET", "/v1/payments/"+id, s.merchantKey, "", nil, http.StatusOK)
	}
	events := func(typ, id string) int {
		t.Helper()
		evs, _, err := s.hooks.ListEvents(ctx, s.merchantID, webhook.Page{Limit: 100})
		must(t, err)
		n := 0
		for _, e := range evs {
			if e.Type == typ && (webhook.EventID(typ, "pay:"+id) == e.ID) {
				n++
			}
		}
		return n
	}

	t.Run("Follower", func(t *testing.T) {
		id := newPayment("25.00", 900)
		commitPay(id, 2500, 15)
		if p := get(id); p["status"] != "requires_payment" {
			t.Fatalf("before the follower: %v", p)
		}
		for range 2 {
			_, err := s.merchants.FollowJournal(ctx)
			must(t, err)
		}
		p := get(id)
		if p["status"] != "succeeded" || p["amount_captured"] != "25.00" || p["fee"] != "0.15" || p["net"] != "24.85" {
			t.Fatalf("after the follower: %v", p)
		}
		if n := events("payment.succeeded", id); n != 1 {
			t.Fatalf("%d payment.succeeded events, want 1", n)
		}
		// The payer sees it as theirs.
		s.mustCall("GET", "/v1/payments/"+id, s.payer.token, "", nil, http.StatusOK)
	})

	t.Run("PastItsTime", func(t *testing.T) {
		id := newPayment("5.00", 1)
		commitPay(id, 500, 3)
		time.Sleep(1100 * time.Millisecond)
		// Read before the follower runs: paid in time, so not expired.
		if p := get(id); p["status"] != "succeeded" || p["fee"] != "0.03" {
			t.Fatalf("a paid payment read after its time: %v", p)
		}
		if n, err := s.merchants.ExpireDue(ctx, 100); err != nil || n != 0 {
			t.Fatalf("ExpireDue: %d %v", n, err)
		}
	})

	t.Run("Unpaid", func(t *testing.T) {
		id := newPayment("5.00", 1)
		time.Sleep(1100 * time.Millisecond)
		if n, err := s.merchants.ExpireDue(ctx, 100); err != nil || n < 1 {
			t.Fatalf("ExpireDue: %d %v", n, err)
		}
		if p := get(id); p["status"] != "expired" {
			t.Fatalf("an unpaid payment after its time: %v", p)
		}
		evs, _, err := s.hooks.ListEvents(ctx, s.merchantID, webhook.Page{Limit: 100})
		must(t, err)
		found := 0
		for _, e := range evs {
			if e.ID == webhook.EventID("payment.expired", "unpaid:"+id) {
				found++
			}
		}
		if found != 1 {
			t.Fatalf("%d payment.expired events for %s, want 1", found, id)
		}
	})

	r := s.do("GET", "/v1/admin/ledger/verify", testAdminToken, "", nil)
	if m := r.json(); m["ok"] != true {
		t.Fatalf("verify: %s", r.body)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestPayAnswerLost: the money of a pay committed but its answer was never
// stored (a crash in between). The retry with the same key and body must
// get the success, not "already paid"; another key gets 409.
func TestPayAnswerLost(t *testing.T) {
	s := newTestServer(t)
	ctx := t.Context()
	p := s.mustCall("POST", "/v1/payments", s.merchantKey, "", map[string]any{"amount": "8.00", "currency": "CNY",
		"reference": "lost", "capture": "automatic"}, http.StatusCreated)
	id := p["id"].(string)
	body := mustJSON(map[string]any{"pin": testPIN})
	first := s.do("POST", "/v1/payments/"+id+"/pay", s.payer.token, "lost-answer", body)
	if first.status != http.StatusOK {
		t.Fatalf("pay: %d %s", first.status, first.body)
	}
	if _, err := s.svc.Store.DeleteAnswersBefore(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, err := s.merchants.FollowJournal(ctx)
	must(t, err)
	again := s.do("POST", "/v1/payments/"+id+"/pay", s.payer.token, "lost-answer", body)
	if again.status != http.StatusOK || again.json()["status"] != "succeeded" || again.json()["id"] != id {
		t.Fatalf("the same pay after its answer was lost: %d %s", again.status, again.body)
	}
	if r := s.do("POST", "/v1/payments/"+id+"/pay", s.payer.token, "another-key", body); r.status != http.StatusConflict || r.errorCode() != "payment_not_payable" {
		t.Fatalf("another pay of it: %d %s", r.status, r.body)
	}
}

// commitPay moves a payment's money as Pay does, and stops there: the
// payments table is not told.
func (s *testServer) commitPay(t *testing.T, id string, amount, fee int64) {
	t.Helper()
	ctx := t.Context()
	src, err := s.svc.WalletAccount(ctx, s.payer.walletID, money.CNY)
	must(t, err)
	dst, err := s.svc.WalletAccount(ctx, s.merchantID, money.CNY)
	must(t, err)
	fees, err := s.svc.SystemAccount(ctx, "fees:CNY", money.CNY)
	must(t, err)
	_, err = s.merchants.Ledger.Transfer(ctx, ledger.Transfer{ID: "pay:" + id, Type: ledger.Posted, Kind: "payment",
		Postings: []ledger.Posting{{Account: src, Amount: -amount}, {Account: dst, Amount: amount - fee}, {Account: fees, Amount: fee}},
		Metadata: map[string]string{"op": id, "type": "payment", "from": s.payer.id, "to": s.merchantID, "currency": "CNY",
			"amount": strconv.FormatInt(amount, 10), "fee": strconv.FormatInt(fee, 10)}})
	must(t, err)
}

// TestPayRacingCancel: the merchant cancels an unpaid payment while its
// payer's money commits. The ledger decides: the payment is paid, whatever
// the payments table said first, so the money can be refunded; a cancel
// that comes after the money is refused.
func TestPayRacingCancel(t *testing.T) {
	s := newTestServer(t)
	newPayment := func() string {
		p := s.mustCall("POST", "/v1/payments", s.merchantKey, "", map[string]any{"amount": "25.00", "currency": "CNY",
			"reference": "race", "capture": "automatic"}, http.StatusCreated)
		return p["id"].(string)
	}
	t.Run("CancelFirst", func(t *testing.T) {
		id := newPayment()
		s.mustCall("POST", "/v1/payments/"+id+"/cancel", s.merchantKey, "", nil, http.StatusOK)
		s.commitPay(t, id, 2500, 15)
		_, err := s.merchants.FollowJournal(t.Context())
		must(t, err)
		p := s.mustCall("GET", "/v1/payments/"+id, s.merchantKey, "", nil, http.StatusOK)
		if p["status"] != "succeeded" || p["net"] != "24.85" {
			t.Fatalf("a canceled payment whose money then committed: %v", p)
		}
		s.mustCall("POST", "/v1/refunds", s.merchantKey, "race-refund", map[string]any{"payment_id": id, "amount": "25.00"}, http.StatusCreated)
	})
	t.Run("MoneyFirst", func(t *testing.T) {
		id := newPayment()
		s.commitPay(t, id, 2500, 15)
		r := s.do("POST", "/v1/payments/"+id+"/cancel", s.merchantKey, "", nil)
		if r.status != http.StatusConflict || r.errorCode() != "payment_not_payable" {
			t.Fatalf("cancel after the money: %d %s", r.status, r.body)
		}
		if p := s.mustCall("GET", "/v1/payments/"+id, s.merchantKey, "", nil, http.StatusOK); p["status"] != "succeeded" {
			t.Fatalf("after a refused cancel: %v", p)
		}
	})
}

// TestStuckRefundIsMoved: a refund whose amount was reserved but whose
// money never moved (a crash in between) is moved by the sweeper, once.
func TestStuckRefundIsMoved(t *testing.T) {
	s := newTestServer(t)
	ctx := t.Context()
	p := s.mustCall("POST", "/v1/payments", s.merchantKey, "", map[string]any{"amount": "40.00", "currency": "CNY",
		"reference": "stuck", "capture": "automatic"}, http.StatusCreated)
	id := p["id"].(string)
	s.mustCall("POST", "/v1/payments/"+id+"/pay", s.payer.token, "stuck-pay", map[string]any{"pin": testPIN}, http.StatusOK)
	before := s.balance(t, s.payer.token, "/v1/me/balances")
	pay, err := s.merchants.Store.Payment(ctx, id)
	must(t, err)
	r := merchant.Refund{ID: "ref_stuck", PaymentID: id, Amount: 1000, Fee: 6, Currency: money.CNY, Status: "pending",
		CreatedAt: time.Now().Add(-2 * time.Minute).UTC().Truncate(time.Microsecond)}
	if _, _, err := s.merchants.Store.CreateRefund(ctx, r, pay.Refunded, pay.Captured); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := s.merchants.RetryRefunds(ctx, 10); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.merchants.Store.Refund(ctx, "ref_stuck")
	must(t, err)
	if got.Status != "succeeded" {
		t.Fatalf("refund after the sweeper: %+v", got)
	}
	if after := s.balance(t, s.payer.token, "/v1/me/balances"); after-before != 1000 {
		t.Fatalf("the payer got %d fen back, want 1000", after-before)
	}
}

// balance is the available CNY balance a balances route shows, in fen.
func (s *testServer) balance(t *testing.T, token, path string) int64 {
	t.Helper()
	for _, b := range s.mustCall("GET", path, token, "", nil, http.StatusOK)["data"].([]any) {
		b := b.(map[string]any)
		if b["currency"] == "CNY" {
			n, err := money.Parse(b["available"].(string), money.CNY)
			must(t, err)
			return n
		}
	}
	return 0
}

// TestCancelLosesToCapture: another process captured an authorization (its
// money is posted in the ledger, the payments table not told yet); a
// cancel here must answer 409, not 200 with a released hold it did not
// release.
func TestCancelLosesToCapture(t *testing.T) {
	s := newTestServer(t)
	ctx := t.Context()
	p := s.mustCall("POST", "/v1/payments", s.merchantKey, "", map[string]any{"amount": "20.00", "currency": "CNY",
		"reference": "crossed", "capture": "manual"}, http.StatusCreated)
	id := p["id"].(string)
	s.mustCall("POST", "/v1/payments/"+id+"/pay", s.payer.token, "crossed-pay", map[string]any{"pin": testPIN}, http.StatusOK)
	src, err := s.svc.WalletAccount(ctx, s.payer.walletID, money.CNY)
	must(t, err)
	dst, err := s.svc.WalletAccount(ctx, s.merchantID, money.CNY)
	must(t, err)
	fees, err := s.svc.SystemAccount(ctx, "fees:CNY", money.CNY)
	must(t, err)
	_, err = s.merchants.Ledger.Transfer(ctx, ledger.Transfer{ID: "capture:" + id, Type: ledger.Post, Kind: "payment", HoldID: "pay:" + id,
		Postings: []ledger.Posting{{Account: src, Amount: -2000}, {Account: dst, Amount: 1988}, {Account: fees, Amount: 12}},
		Metadata: map[string]string{"op": id, "type": "payment", "from": s.payer.id, "to": s.merchantID, "currency": "CNY", "amount": "2000", "fee": "12"}})
	must(t, err)
	r := s.do("POST", "/v1/payments/"+id+"/cancel", s.merchantKey, "", nil)
	if r.status != http.StatusConflict || r.errorCode() != "payment_not_payable" {
		t.Fatalf("cancel of a payment captured elsewhere: %d %s", r.status, r.body)
	}
	if got := s.mustCall("GET", "/v1/payments/"+id, s.merchantKey, "", nil, http.StatusOK); got["status"] != "succeeded" || got["net"] != "19.88" {
		t.Fatalf("after the crossed cancel: %v", got)
	}
}
