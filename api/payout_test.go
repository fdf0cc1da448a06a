package api

import (
	"net/http"
	"testing"
	"time"
)

// TestPayoutSurvivesCardRemoval: a payout the bank is working on stays
// that payout when its card is removed meanwhile: settling again resumes
// it instead of marking it failed, and the bank's answer pays it.
func TestPayoutSurvivesCardRemoval(t *testing.T) {
	s := newTestServer(t)
	ctx := t.Context()
	p := s.mustCall("POST", "/v1/payments", s.merchantKey, "", map[string]any{"amount": "50.00", "currency": "CNY",
		"reference": "payout", "capture": "automatic"}, http.StatusCreated)
	s.mustCall("POST", "/v1/payments/"+p["id"].(string)+"/pay", s.payer.token, "payout-pay", map[string]any{"pin": testPIN}, http.StatusOK)
	s.mustCall("PUT", "/v1/merchant/payout_card", s.merchantKey, "", map[string]any{"card_id": s.payer.card}, http.StatusOK)
	list := s.mustCall("POST", "/v1/merchant/payouts", s.merchantKey, "", nil, http.StatusOK)["data"].([]any)
	po := list[0].(map[string]any)
	if po["status"] != "pending" || po["amount"] != "49.70" {
		t.Fatalf("payout: %v", po)
	}
	s.mustCall("DELETE", "/v1/me/cards/"+s.payer.card, s.payer.token, "", nil, http.StatusNoContent)

	// More money comes in the same day, and the day is settled again: the
	// day's payout is the one the bank has, resumed, not a failed one.
	p = s.mustCall("POST", "/v1/payments", s.merchantKey, "", map[string]any{"amount": "10.00", "currency": "CNY",
		"reference": "payout-2", "capture": "automatic"}, http.StatusCreated)
	s.mustCall("POST", "/v1/payments/"+p["id"].(string)+"/pay", s.payer.token, "payout-pay-2", map[string]any{"pin": testPIN}, http.StatusOK)
	m, err := s.merchants.Store.Merchant(ctx, s.merchantID)
	must(t, err)
	again, err := s.merchants.Settle(ctx, m, po["day"].(string))
	must(t, err)
	if len(again) != 1 || again[0].ID != po["id"] || again[0].Status != "pending" {
		t.Fatalf("settling again: %+v", again)
	}
	got, err := s.merchants.Store.Payout(ctx, po["id"].(string))
	must(t, err)
	if got.Status != "pending" {
		t.Fatalf("after the card was removed: %+v", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for got.Status == "pending" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		_, err = s.merchants.FollowJournal(ctx)
		must(t, err)
		got, err = s.merchants.Store.Payout(ctx, po["id"].(string))
		must(t, err)
	}
	if got.Status != "paid" {
		t.Fatalf("the bank paid it, but the payout is %+v", got)
	}
}
