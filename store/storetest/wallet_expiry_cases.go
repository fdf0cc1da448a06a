package storetest

import (
	"testing"
	"time"

	"github.com/ewallet/ewallet/wallet"
)

// testExpiry checks that DeleteExpired removes exactly what is over: expired
// sessions and codes, and counters whose window is past and that are not
// locked; everything live stays.
func testExpiry(t *testing.T, open walletOpener) {
	s := open(t)
	ctx := t.Context()
	now := wat(48 * time.Hour)
	const window = 24 * time.Hour
	h := func(b byte) []byte { x := hash32(b); return x[:] }

	sessions := []struct {
		s    wallet.Session
		kept bool
	}{
		{wallet.Session{TokenHash: hash32(1), UserID: "usr_a", CreatedAt: wat(0), ExpiresAt: now.Add(-time.Second)}, false},
		{wallet.Session{TokenHash: hash32(2), UserID: "usr_a", CreatedAt: wat(0), ExpiresAt: now}, true},
		{wallet.Session{TokenHash: hash32(3), UserID: "usr_b", CreatedAt: wat(0), ExpiresAt: now.Add(time.Hour)}, true},
	}
	codes := []struct {
		c    wallet.OTP
		kept bool
	}{
		{wallet.OTP{Phone: "+8613800000001", Purpose: "verify", CodeHash: h(1), CreatedAt: wat(0), ExpiresAt: now.Add(-time.Minute)}, false},
		{wallet.OTP{Phone: "+8613800000001", Purpose: "unfreeze", CodeHash: h(2), CreatedAt: wat(0), ExpiresAt: now.Add(time.Minute)}, true},
	}
	for _, x := range sessions {
		must(t, "create session", s.CreateSession(ctx, x.s))
	}
	for _, x := range codes {
		must(t, "put code", s.PutCode(ctx, x.c))
	}
	// old: window over, not locked → gone; fresh: window live → kept;
	// locked: window over but still locked → kept.
	_, err := s.Hit(ctx, "old", time.Hour, now.Add(-window-time.Minute))
	must(t, "hit old", err)
	_, err = s.Hit(ctx, "fresh", time.Hour, now.Add(-time.Hour))
	must(t, "hit fresh", err)
	_, err = s.Hit(ctx, "locked", time.Hour, now.Add(-window-time.Hour))
	must(t, "hit locked", err)
	must(t, "lock", s.Lock(ctx, "locked", now.Add(time.Minute)))

	n, err := s.DeleteExpired(ctx, now, window)
	must(t, "delete expired", err)
	if n != 3 {
		t.Errorf("deleted %d rows, want 3 (a session, a code, a counter)", n)
	}
	for _, x := range sessions {
		_, err := s.Session(ctx, x.s.TokenHash)
		if kept := err == nil; kept != x.kept {
			t.Errorf("session expiring %v: kept %v, want %v (%v)", x.s.ExpiresAt, kept, x.kept, err)
		}
	}
	for _, x := range codes {
		_, err := s.Code(ctx, x.c.Phone, x.c.Purpose)
		if kept := err == nil; kept != x.kept {
			t.Errorf("code %s: kept %v, want %v (%v)", x.c.Purpose, kept, x.kept, err)
		}
	}
	for key, kept := range map[string]bool{"old": false, "fresh": true, "locked": true} {
		c, err := s.Counter(ctx, key)
		must(t, "counter", err)
		if got := c.Count > 0 || !c.LockedUntil.IsZero(); got != kept {
			t.Errorf("counter %s: %+v, kept %v, want %v", key, c, got, kept)
		}
	}
	if n, err := s.DeleteExpired(ctx, now, window); err != nil || n != 0 {
		t.Errorf("delete again: %d, %v; want 0", n, err)
	}
}
