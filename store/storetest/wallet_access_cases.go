package storetest

import (
	"testing"
	"time"

	"github.com/ewallet/ewallet/wallet"
)

// concurrentCalls is how many goroutines race on one counter.
const concurrentCalls = 50

func testPIN(t *testing.T, open walletOpener) {
	t.Run("CountLockReset", func(t *testing.T) {
		s := open(t)
		u := mustCreateUser(t, s, testUser(1))
		lock, later := wat(15*time.Minute), wat(time.Hour)
		fail := func(max int, until time.Time, want wallet.PINState) {
			t.Helper()
			got, err := s.RecordPINFailure(t.Context(), u.ID, max, until)
			must(t, "record pin failure", err)
			same(t, "RecordPINFailure", got, want)
			stored, err := s.User(t.Context(), u.ID)
			must(t, "user", err)
			same(t, "stored PIN state", stored.PIN, want)
		}
		fail(3, lock, wallet.PINState{Failures: 1})
		fail(3, lock, wallet.PINState{Failures: 2})
		fail(3, lock, wallet.PINState{Failures: 0, LockedUntil: lock})  // reaches max: locks, count restarts
		fail(3, later, wallet.PINState{Failures: 1, LockedUntil: lock}) // below max: the lock stays
		must(t, "reset", s.ResetPINFailures(t.Context(), u.ID))
		got, err := s.User(t.Context(), u.ID)
		must(t, "user", err)
		same(t, "after reset", got.PIN, wallet.PINState{LockedUntil: lock})
		u.PIN = wallet.PINState{LockedUntil: lock}
		same(t, "the rest of the user", got, u)
	})

	t.Run("Concurrent", func(t *testing.T) {
		s := open(t)
		u := mustCreateUser(t, s, testUser(1))
		states := concurrently(t, concurrentCalls, func(int) (wallet.PINState, error) {
			return s.RecordPINFailure(t.Context(), u.ID, 1000, wat(time.Hour))
		})
		counts := make([]int, len(states))
		for i, st := range states {
			counts[i] = st.Failures
		}
		wantOneToN(t, "failures", counts)
		got, err := s.User(t.Context(), u.ID)
		must(t, "user", err)
		same(t, "stored", got.PIN, wallet.PINState{Failures: concurrentCalls})
	})

	t.Run("ConcurrentLocks", func(t *testing.T) {
		s := open(t)
		u := mustCreateUser(t, s, testUser(1))
		lock := wat(time.Hour)
		states := concurrently(t, concurrentCalls, func(int) (wallet.PINState, error) {
			return s.RecordPINFailure(t.Context(), u.ID, 10, lock)
		})
		seen := map[int]int{}
		for _, st := range states {
			seen[st.Failures]++
		}
		// 50 failures against a maximum of 10: five locks, and every count
		// from 1 to 9 seen once between them.
		for n := range 10 {
			if seen[n] != concurrentCalls/10 {
				t.Errorf("failure count %d returned %d times, want %d (all: %v)", n, seen[n], concurrentCalls/10, seen)
			}
		}
		got, err := s.User(t.Context(), u.ID)
		must(t, "user", err)
		same(t, "stored", got.PIN, wallet.PINState{LockedUntil: lock})
	})
}

func testSessions(t *testing.T, open walletOpener) {
	s := open(t)
	ctx := t.Context()
	a := wallet.Session{TokenHash: hash32(1), UserID: "usr_a", CreatedAt: wat(0), ExpiresAt: wat(24 * time.Hour)}
	// An expired session is still returned: expiry is the caller's check.
	b := wallet.Session{TokenHash: hash32(2), UserID: "usr_b", CreatedAt: wat(-48 * time.Hour), ExpiresAt: wat(-24 * time.Hour)}
	must(t, "create a", s.CreateSession(ctx, a))
	must(t, "create b", s.CreateSession(ctx, b))
	for _, want := range []wallet.Session{a, b} {
		got, err := s.Session(ctx, want.TokenHash)
		must(t, "session", err)
		same(t, "session "+want.UserID, got, want)
	}
	_, err := s.Session(ctx, hash32(3))
	wantWalletCode(t, "unknown session", err, wallet.CodeNotFound)
	must(t, "delete a", s.DeleteSession(ctx, a.TokenHash))
	_, err = s.Session(ctx, a.TokenHash)
	wantWalletCode(t, "deleted session", err, wallet.CodeNotFound)
	must(t, "delete a again", s.DeleteSession(ctx, a.TokenHash))
	got, err := s.Session(ctx, b.TokenHash)
	must(t, "session b", err)
	same(t, "the other session", got, b)

	b2 := wallet.Session{TokenHash: hash32(4), UserID: "usr_b", CreatedAt: wat(time.Hour), ExpiresAt: wat(25 * time.Hour),
		IP: "2001:db8::7", UserAgent: "Mozilla/5.0 (Linux; Android 15) 微信"}
	must(t, "create b2", s.CreateSession(ctx, b2))
	list, err := s.Sessions(ctx, "usr_b")
	must(t, "sessions of b", err)
	same(t, "sessions of b, newest first, expired included", list, []wallet.Session{b2, b})
	got, err = s.Session(ctx, b2.TokenHash)
	must(t, "session b2", err)
	same(t, "a session with its client", got, b2)
	list, err = s.Sessions(ctx, "usr_a")
	must(t, "sessions of a", err)
	if len(list) != 0 {
		t.Fatalf("sessions of a after its logout: %v", list)
	}
}

func testCodes(t *testing.T, open walletOpener) {
	t.Run("PutReplaceFailDelete", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		const phone = "+8613800000001"
		_, err := s.Code(ctx, phone, "verify")
		wantWalletCode(t, "no code", err, wallet.CodeNotFound)
		_, err = s.RecordCodeFailure(ctx, phone, "verify")
		wantWalletCode(t, "failure without a code", err, wallet.CodeNotFound)
		h1, h2, h3 := hash32(1), hash32(2), hash32(3)
		first := wallet.OTP{Phone: phone, Purpose: "verify", CodeHash: h1[:], CreatedAt: wat(0), ExpiresAt: wat(5 * time.Minute)}
		other := wallet.OTP{Phone: phone, Purpose: "unfreeze", CodeHash: h3[:], Failures: 4, CreatedAt: wat(time.Second), ExpiresAt: wat(time.Hour)}
		must(t, "put", s.PutCode(ctx, first))
		must(t, "put other purpose", s.PutCode(ctx, other))
		got, err := s.Code(ctx, phone, "verify")
		must(t, "code", err)
		same(t, "code", got, first)
		for want := 1; want <= 2; want++ {
			n, err := s.RecordCodeFailure(ctx, phone, "verify")
			must(t, "record code failure", err)
			if n != want {
				t.Errorf("failure %d: count %d", want, n)
			}
		}
		first.Failures = 2
		got, err = s.Code(ctx, phone, "verify")
		must(t, "code", err)
		same(t, "after two failures", got, first)
		second := wallet.OTP{Phone: phone, Purpose: "verify", CodeHash: h2[:], CreatedAt: wat(time.Minute), ExpiresAt: wat(6 * time.Minute)}
		must(t, "replace", s.PutCode(ctx, second))
		got, err = s.Code(ctx, phone, "verify")
		must(t, "code", err)
		same(t, "replaced (failures restart)", got, second)
		must(t, "delete", s.DeleteCode(ctx, phone, "verify"))
		_, err = s.Code(ctx, phone, "verify")
		wantWalletCode(t, "deleted code", err, wallet.CodeNotFound)
		must(t, "delete again", s.DeleteCode(ctx, phone, "verify"))
		got, err = s.Code(ctx, phone, "unfreeze")
		must(t, "code", err)
		same(t, "the other purpose", got, other)
	})

	t.Run("ConcurrentFailures", func(t *testing.T) {
		s := open(t)
		h := hash32(1)
		c := wallet.OTP{Phone: "+8613800000001", Purpose: "verify", CodeHash: h[:], CreatedAt: wat(0), ExpiresAt: wat(time.Hour)}
		must(t, "put", s.PutCode(t.Context(), c))
		counts := concurrently(t, concurrentCalls, func(int) (int, error) {
			return s.RecordCodeFailure(t.Context(), c.Phone, c.Purpose)
		})
		wantOneToN(t, "failures", counts)
		got, err := s.Code(t.Context(), c.Phone, c.Purpose)
		must(t, "code", err)
		if got.Failures != concurrentCalls {
			t.Errorf("stored failures %d, want %d", got.Failures, concurrentCalls)
		}
	})
}

func testCounters(t *testing.T, open walletOpener) {
	t.Run("HitWindow", func(t *testing.T) {
		s := open(t)
		const key = "login:+8613800000001"
		hit := func(now time.Time, want wallet.Counter) {
			t.Helper()
			got, err := s.Hit(t.Context(), key, time.Minute, now)
			must(t, "hit", err)
			same(t, "Hit at "+now.Sub(wepoch).String(), got, want)
		}
		got, err := s.Counter(t.Context(), key)
		must(t, "counter", err)
		same(t, "absent counter", got, wallet.Counter{})
		hit(wat(0), wallet.Counter{Count: 1, WindowStart: wat(0)})
		hit(wat(30*time.Second), wallet.Counter{Count: 2, WindowStart: wat(0)})
		// now-window equals the start: the window has not ended yet.
		hit(wat(time.Minute), wallet.Counter{Count: 3, WindowStart: wat(0)})
		hit(wat(time.Minute+1), wallet.Counter{Count: 1, WindowStart: wat(time.Minute + 1)})
		got, err = s.Counter(t.Context(), key)
		must(t, "counter", err)
		same(t, "stored", got, wallet.Counter{Count: 1, WindowStart: wat(time.Minute + 1)})
	})

	t.Run("ConcurrentHits", func(t *testing.T) {
		s := open(t)
		cs := concurrently(t, concurrentCalls, func(int) (wallet.Counter, error) {
			return s.Hit(t.Context(), "resend", time.Hour, wat(0))
		})
		counts := make([]int, len(cs))
		for i, c := range cs {
			counts[i] = c.Count
			if !c.WindowStart.Equal(wat(0)) {
				t.Errorf("hit %d: window start %v", i, c.WindowStart)
			}
		}
		wantOneToN(t, "hits", counts)
		got, err := s.Counter(t.Context(), "resend")
		must(t, "counter", err)
		same(t, "stored", got, wallet.Counter{Count: concurrentCalls, WindowStart: wat(0)})
	})

	t.Run("LockAndReset", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		counter := func(key string, want wallet.Counter) {
			t.Helper()
			got, err := s.Counter(ctx, key)
			must(t, "counter", err)
			same(t, "counter "+key, got, want)
		}
		must(t, "lock", s.Lock(ctx, "a", wat(time.Hour)))
		counter("a", wallet.Counter{LockedUntil: wat(time.Hour)})
		got, err := s.Hit(ctx, "a", time.Minute, wat(time.Second))
		must(t, "hit", err)
		same(t, "hit on a locked key", got, wallet.Counter{Count: 1, WindowStart: wat(time.Second), LockedUntil: wat(time.Hour)})
		must(t, "relock", s.Lock(ctx, "a", wat(2*time.Hour)))
		counter("a", wallet.Counter{Count: 1, WindowStart: wat(time.Second), LockedUntil: wat(2 * time.Hour)})
		_, err = s.Hit(ctx, "b", time.Minute, wat(0))
		must(t, "hit b", err)
		must(t, "reset", s.ResetCounter(ctx, "a"))
		counter("a", wallet.Counter{})
		must(t, "reset again", s.ResetCounter(ctx, "a"))
		counter("b", wallet.Counter{Count: 1, WindowStart: wat(0)})
	})
}
