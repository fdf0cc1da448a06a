package api

import (
	"net/http"
	"testing"
	"time"
)

// TestMerchantKeyRotation: a rotated key keeps working for the overlap
// window (a day), so a shop can roll its servers over, and then stops.
func TestMerchantKeyRotation(t *testing.T) {
	clock := &testClock{}
	s := newTestServer(t, withClock(clock.Now))
	clock.freeze()
	old := s.merchantKey
	fresh := s.mustCall("POST", "/v1/merchant/keys", old, "", nil, http.StatusCreated)["secret_key"].(string)
	status := func(key string) int { return s.do("GET", "/v1/merchant", key, "", nil).status }
	for _, tc := range []struct {
		after         time.Duration
		old, newStill int
	}{
		{0, http.StatusOK, http.StatusOK},
		{23 * time.Hour, http.StatusOK, http.StatusOK},
		{time.Hour, http.StatusUnauthorized, http.StatusOK}, // 24 h after the rotation
	} {
		clock.advance(tc.after)
		if got := status(old); got != tc.old {
			t.Errorf("old key %v later: %d, want %d", tc.after, got, tc.old)
		}
		if got := status(fresh); got != tc.newStill {
			t.Errorf("new key %v later: %d, want %d", tc.after, got, tc.newStill)
		}
	}
}

// TestMerchantKeyRevoke: a key that leaked is replaced and every other key
// stops at once.
func TestMerchantKeyRevoke(t *testing.T) {
	s := newTestServer(t)
	old := s.merchantKey
	fresh := s.mustCall("POST", "/v1/merchant/keys", old, "", map[string]any{"revoke_others": true}, http.StatusCreated)["secret_key"].(string)
	if r := s.do("GET", "/v1/merchant", old, "", nil); r.status != http.StatusUnauthorized || r.errorCode() != "unauthenticated" {
		t.Fatalf("the revoked key: %d %s", r.status, r.body)
	}
	s.mustCall("GET", "/v1/merchant", fresh, "", nil, http.StatusOK)
}
