package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestIPLimiter(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	type step struct {
		ip   string
		at   time.Duration // after t0
		ok   bool
		wait time.Duration // when refused
	}
	for _, tc := range []struct {
		name  string
		limit RateLimit
		steps []step
	}{
		{"BurstThenRefused", RateLimit{PerMinute: 60, Burst: 3}, []step{
			{"a", 0, true, 0}, {"a", 0, true, 0}, {"a", 0, true, 0},
			{"a", 0, false, time.Second},
			{"a", 500 * time.Millisecond, false, 500 * time.Millisecond},
			{"a", time.Second, true, 0},
			{"a", time.Second, false, time.Second},
		}},
		{"IPsAreSeparate", RateLimit{PerMinute: 60, Burst: 1}, []step{
			{"a", 0, true, 0}, {"a", 0, false, time.Second}, {"b", 0, true, 0}, {"b", 0, false, time.Second},
		}},
		{"RefusalsDoNotCount", RateLimit{PerMinute: 60, Burst: 1}, []step{
			{"a", 0, true, 0}, {"a", 0, false, time.Second}, {"a", 0, false, time.Second}, {"a", time.Second, true, 0},
		}},
		{"RefillsToBurstOnly", RateLimit{PerMinute: 60, Burst: 2}, []step{
			{"a", time.Hour, true, 0}, {"a", time.Hour, true, 0}, {"a", time.Hour, false, time.Second},
		}},
		{"ZeroBurstMeansOne", RateLimit{PerMinute: 6, Burst: 0}, []step{
			{"a", 0, true, 0}, {"a", 9 * time.Second, false, time.Second}, {"a", 10 * time.Second, true, 0},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newIPLimiter(tc.limit)
			for i, s := range tc.steps {
				ok, wait := l.allow(s.ip, t0.Add(s.at))
				if ok != s.ok || (!ok && wait != s.wait) {
					t.Fatalf("step %d (%s at %v): allowed %v wait %v; want %v wait %v", i, s.ip, s.at, ok, wait, s.ok, s.wait)
				}
			}
		})
	}
	t.Run("NoLimit", func(t *testing.T) {
		l := newIPLimiter(RateLimit{})
		for range 1000 {
			if ok, _ := l.allow("a", t0); !ok {
				t.Fatal("refused without a limit")
			}
		}
	})
	t.Run("SweepForgetsIdleIPs", func(t *testing.T) {
		l := newIPLimiter(RateLimit{PerMinute: 60, Burst: 5})
		l.allow("a", t0)
		l.allow("b", t0)
		l.allow("c", t0.Add(2*time.Minute))
		if len(l.tat) != 1 {
			t.Fatalf("%d IPs remembered after a sweep, want 1", len(l.tat))
		}
	})
}

// TestAdminTokenGuessing: ten wrong admin tokens from one address, then
// that address gets 429 even with the right token (a right guess cannot be
// told from a wrong one); another address is not affected, and right
// tokens never count.
func TestAdminTokenGuessing(t *testing.T) {
	s := newTestServer(t)
	call := func(ip, token string) int {
		req := httptest.NewRequest("GET", "/v1/admin/ledger/verify", nil)
		req.RemoteAddr = ip + ":40000"
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, req)
		return rec.Code
	}
	for range 20 {
		if got := call("192.0.2.1", testAdminToken); got != http.StatusOK {
			t.Fatalf("the right token: %d", got)
		}
	}
	for i := range 10 {
		if got := call("192.0.2.2", fmt.Sprintf("guess-%d", i)); got != http.StatusUnauthorized {
			t.Fatalf("wrong token %d: %d, want 401", i, got)
		}
	}
	for _, tok := range []string{"guess-10", testAdminToken} {
		if got := call("192.0.2.2", tok); got != http.StatusTooManyRequests {
			t.Fatalf("after ten wrong tokens, %q: %d, want 429", tok, got)
		}
	}
	if got := call("192.0.2.3", testAdminToken); got != http.StatusOK {
		t.Fatalf("another address: %d", got)
	}
}
