package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A form sent twice (a double click, a re-post) reaches the API with one
// Idempotency-Key, so money moves once; a fresh form has a fresh key.
func TestFormIdempotencyKey(t *testing.T) {
	a := newApp(t)
	b := a.loggedIn()
	csrf, nonce := b.formTokens("/app/send")
	form := url.Values{"csrf": {csrf}, "nonce": {nonce}, "to": {"13800000002"}, "amount": {"1.00"}, "currency": {"CNY"}, "pin": {"730194"}}
	for range 2 {
		if resp, body := b.post("/app/send", form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	}
	_, nonce2 := b.formTokens("/app/send")
	form.Set("nonce", nonce2)
	b.post("/app/send", form)

	sent := a.api.requests("POST /v1/transfers")
	if len(sent) != 3 {
		t.Fatalf("%d transfers sent", len(sent))
	}
	if sent[0].key == "" || sent[0].key != sent[1].key {
		t.Errorf("a double submit used keys %q and %q", sent[0].key, sent[1].key)
	}
	if sent[2].key == sent[0].key {
		t.Error("a new form reused the key")
	}
	if sent[0].auth != "Bearer tok_secret" {
		t.Errorf("Authorization %q", sent[0].auth)
	}
	if !strings.Contains(sent[0].body, `"phone":"+8613800000002"`) || !strings.Contains(sent[0].body, `"amount":"1.00"`) {
		t.Errorf("body %s", sent[0].body)
	}
}

// After a refusal the API may keep under the key, the page's new form has
// a new nonce, so the corrected form is a new request, not a 409.
func TestErrorGivesFreshNonce(t *testing.T) {
	a := newApp(t)
	b := a.loggedIn()
	a.api.set("POST /v1/transfers", 422, `{"error":{"code":"insufficient_funds","message":"not enough","request_id":"r"}}`)
	csrf, nonce := b.formTokens("/app/send")
	_, html := b.post("/app/send", url.Values{"csrf": {csrf}, "nonce": {nonce}, "to": {"+8613800000002"}, "amount": {"9999.00"}, "currency": {"CNY"}, "pin": {"730194"}})
	m := nonceRE.FindStringSubmatch(html)
	if m == nil || m[1] == nonce {
		t.Fatalf("the form after the error keeps nonce %q", nonce)
	}
	if strings.Contains(html, "730194") {
		t.Error("the PIN is echoed back into the page")
	}
}
