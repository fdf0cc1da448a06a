package storetest

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ewallet/ewallet/wallet"
)

// walletOpener is RunWallet's open: a fresh, empty store whose cleanup is
// registered.
type walletOpener = func(t *testing.T) wallet.Store

// RunWallet runs the conformance cases of wallet.Store; open returns a
// fresh, empty store per subtest (and registers its cleanup). Times are
// expected back exactly, to the nanosecond, and in UTC.
func RunWallet(t *testing.T, open func(t *testing.T) wallet.Store) {
	t.Run("Users", func(t *testing.T) { testWalletUsers(t, open) })
	t.Run("SearchUsers", func(t *testing.T) { testSearchUsers(t, open) })
	t.Run("PIN", func(t *testing.T) { testPIN(t, open) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open) })
	t.Run("Codes", func(t *testing.T) { testCodes(t, open) })
	t.Run("Counters", func(t *testing.T) { testCounters(t, open) })
	t.Run("Cards", func(t *testing.T) { testCards(t, open) })
	t.Run("BankOps", func(t *testing.T) { testBankOps(t, open) })
	t.Run("Answers", func(t *testing.T) { testAnswers(t, open) })
	t.Run("Expiry", func(t *testing.T) { testExpiry(t, open) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, open) })
	t.Run("Times", func(t *testing.T) { testWalletTimes(t, open) })
	t.Run("Webhooks", func(t *testing.T) { testWebhooks(t, open) })
	t.Run("Cursors", func(t *testing.T) { testCursors(t, open) })
	t.Run("Epurse", func(t *testing.T) { testEpurse(t, open) })
}

// wepoch is where the wallet cases' times start; unlike the ledger's epoch
// it has nanoseconds, which the wallet store keeps.
var wepoch = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.UTC)

// wat is wepoch plus d.
func wat(d time.Duration) time.Time { return wepoch.Add(d) }

// hash32 is a recognisable 32-byte hash.
func hash32(b byte) [32]byte {
	var h [32]byte
	for i := range h {
		h[i] = b + byte(i)
	}
	return h
}

// testUser is the nth user of a case, created n seconds after wepoch.
func testUser(n int) wallet.User {
	return wallet.User{
		ID:           fmt.Sprintf("usr_%04d", n),
		WalletID:     fmt.Sprintf("wal_%04d", n),
		Phone:        fmt.Sprintf("+861380000%04d", n),
		Name:         fmt.Sprintf("User %d", n),
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g",
		Status:       wallet.StatusPending,
		KYCTier:      1,
		CreatedAt:    wat(time.Duration(n) * time.Second),
	}
}

// mustCreateUser stores u and returns it.
func mustCreateUser(t *testing.T, s wallet.Store, u wallet.User) wallet.User {
	t.Helper()
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("create user %s: %v", u.ID, err)
	}
	return u
}

// wantWalletCode fails the test unless err carries the wallet code.
func wantWalletCode(t *testing.T, what string, err error, code wallet.Code) {
	t.Helper()
	if got := wallet.ErrorCode(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

// same fails the test unless got and want are deeply equal (so times must
// be the same instant in UTC, and nil and empty differ).
func same[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// must fails the test if err is not nil.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// concurrently runs fn(0) … fn(n-1) at once and returns their results.
func concurrently[T any](t *testing.T, n int, fn func(i int) (T, error)) []T {
	t.Helper()
	out, errs := make([]T, n), make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			out[i], errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	return out
}

// wantOneToN fails the test unless counts are 1 … n in some order: no two
// concurrent increments saw the same value.
func wantOneToN(t *testing.T, what string, counts []int) {
	t.Helper()
	seen := make([]bool, len(counts)+1)
	for _, c := range counts {
		if c < 1 || c > len(counts) || seen[c] {
			t.Fatalf("%s: counts %v, want each of 1…%d once", what, counts, len(counts))
		}
		seen[c] = true
	}
}

func testWalletUsers(t *testing.T, open walletOpener) {
	t.Run("CreateAndRead", func(t *testing.T) {
		s := open(t)
		full := testUser(1)
		full.Status, full.KYCTier = wallet.StatusActive, 2
		full.Limits = map[string]int64{"daily": 500000, "yearly": wallet.Unlimited}
		h := hash32(7)
		full.PINHash = h[:]
		full.PIN = wallet.PINState{Failures: 2, LockedUntil: wat(time.Hour)}
		bare := testUser(2) // nil Limits, no PIN, zero lock
		for _, u := range []wallet.User{full, bare} {
			mustCreateUser(t, s, u)
			got, err := s.User(t.Context(), u.ID)
			must(t, "user", err)
			same(t, "User("+u.ID+")", got, u)
			got, err = s.UserByPhone(t.Context(), u.Phone)
			must(t, "user by phone", err)
			same(t, "UserByPhone("+u.Phone+")", got, u)
			got, err = s.UserByWallet(t.Context(), u.WalletID)
			must(t, "user by wallet", err)
			same(t, "UserByWallet("+u.WalletID+")", got, u)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		u := mustCreateUser(t, s, testUser(1))
		ctx := t.Context()
		_, err := s.User(ctx, "usr_none")
		wantWalletCode(t, "User", err, wallet.CodeNotFound)
		_, err = s.UserByPhone(ctx, "+8613999999999")
		wantWalletCode(t, "UserByPhone", err, wallet.CodeNotFound)
		_, err = s.UserByWallet(ctx, "wal_none")
		wantWalletCode(t, "UserByWallet", err, wallet.CodeNotFound)
		absent := u
		absent.ID = "usr_none"
		wantWalletCode(t, "UpdateUser", s.UpdateUser(ctx, absent), wallet.CodeNotFound)
		_, err = s.RecordPINFailure(ctx, "usr_none", 5, wat(time.Hour))
		wantWalletCode(t, "RecordPINFailure", err, wallet.CodeNotFound)
		wantWalletCode(t, "ResetPINFailures", s.ResetPINFailures(ctx, "usr_none"), wallet.CodeNotFound)
	})

	t.Run("PhoneTaken", func(t *testing.T) {
		s := open(t)
		first := mustCreateUser(t, s, testUser(1))
		dup := testUser(2)
		dup.Phone = first.Phone
		wantWalletCode(t, "CreateUser with a taken phone", s.CreateUser(t.Context(), dup), wallet.CodePhoneTaken)
		_, err := s.User(t.Context(), dup.ID)
		wantWalletCode(t, "the refused user", err, wallet.CodeNotFound)
		got, err := s.UserByPhone(t.Context(), first.Phone)
		must(t, "user by phone", err)
		same(t, "the first user", got, first)
	})

	t.Run("UpdateUser", func(t *testing.T) {
		s := open(t)
		orig := testUser(1)
		orig.PIN = wallet.PINState{Failures: 3, LockedUntil: wat(time.Minute)}
		mustCreateUser(t, s, orig)
		h := hash32(9)
		want := orig
		want.Name, want.PasswordHash, want.Status, want.KYCTier = "Renamed", "$argon2id$new", wallet.StatusFrozen, 3
		want.Limits = map[string]int64{"per_transaction": 100, "balance_cap": wallet.Unlimited}
		want.PINHash = h[:]
		upd := want
		// Not mutable through UpdateUser: these must keep their stored values.
		upd.Phone, upd.WalletID, upd.CreatedAt = "+8613999999999", "wal_other", wat(time.Hour)
		upd.PIN = wallet.PINState{}
		steps := []struct {
			name string
			edit func(u *wallet.User)
		}{
			{"AllFields", func(*wallet.User) {}},
			{"EmptyLimits", func(u *wallet.User) { u.Limits = map[string]int64{} }},
			{"NoLimitsNoPIN", func(u *wallet.User) { u.Limits, u.PINHash = nil, nil }},
			{"PINAgain", func(u *wallet.User) { u.PINHash = h[:16] }},
		}
		for _, step := range steps {
			step.edit(&want)
			step.edit(&upd)
			must(t, "update user "+step.name, s.UpdateUser(t.Context(), upd))
			got, err := s.User(t.Context(), orig.ID)
			must(t, "user", err)
			same(t, step.name, got, want)
		}
	})
}

func testSearchUsers(t *testing.T, open walletOpener) {
	s := open(t)
	var us []wallet.User
	for i, phone := range []string{"+8613800000001", "+8613900000002", "+8613800000003", "+8613800000004", "+8613900000005"} {
		u := testUser(i + 1)
		u.Phone = phone
		us = append(us, mustCreateUser(t, s, u))
	}
	// Same created_at as user 4: the ID orders them.
	tie := testUser(6)
	tie.Phone, tie.CreatedAt = "+8613800000006", us[3].CreatedAt
	us = append(us, mustCreateUser(t, s, tie))
	ids := func(us []wallet.User) []string {
		out := []string{}
		for _, u := range us {
			out = append(out, u.ID)
		}
		return out
	}
	search := func(prefix, after string, limit int) []string {
		t.Helper()
		got, err := s.SearchUsers(t.Context(), prefix, after, limit)
		must(t, fmt.Sprintf("search %q after %q", prefix, after), err)
		return ids(got)
	}
	same(t, "all", search("", "", 10), ids([]wallet.User{us[4], tie, us[3], us[2], us[1], us[0]}))
	same(t, "+86138 page 1", search("+86138", "", 2), []string{tie.ID, us[3].ID})
	same(t, "+86138 page 2", search("+86138", us[3].ID, 2), []string{us[2].ID, us[0].ID})
	same(t, "+86138 page 3", search("+86138", us[0].ID, 2), []string{})
	same(t, "+86139", search("+86139", "", 10), []string{us[4].ID, us[1].ID})
	same(t, "whole phone", search("+8613900000002", "", 10), []string{us[1].ID})
	same(t, "no match", search("+8614", "", 10), []string{})
	same(t, "LIKE wildcards are literal", search("+86_38", "", 10), []string{})
	same(t, "percent is literal", search("+86%", "", 10), []string{})
	same(t, "limit 0", search("", "", 0), []string{})
	full, err := s.SearchUsers(t.Context(), "+86139", "", 1)
	must(t, "search", err)
	same(t, "full rows", full, []wallet.User{us[4]})
	_, err = s.SearchUsers(t.Context(), "", "usr_none", 10)
	wantWalletCode(t, "unknown starting_after", err, wallet.CodeNotFound)
}
