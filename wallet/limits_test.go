package wallet

import (
	"errors"
	"testing"
	"time"

	"github.com/ewallet/ewallet/money"
)

func TestToCNY(t *testing.T) {
	cfg := DefaultConfig()
	for _, tc := range []struct {
		amount int64
		cur    money.Currency
		want   int64
		err    error
	}{
		{12345, money.CNY, 12345, nil},
		{100, money.USD, 710, nil}, // 1.00 USD = 7.10 CNY
		{1, money.USD, 8, nil},     // 7.1 fen rounds up
		{1, money.HKD, 1, nil},     // 0.91 fen rounds up
		{100, money.HKD, 91, nil},
		{1000, money.JPY, 4700, nil}, // 1,000 yen = 47.00 CNY
		{7, money.JPY, 33, nil},      // 32.9 fen rounds up
		{0, money.EUR, 0, nil},
		{1 << 62, money.USD, 0, money.ErrOverflow},
		{(1 << 62) / 71, money.USD, ((1<<62)/71*71 + 9) / 10, nil},
	} {
		got, err := cfg.toCNY(tc.amount, tc.cur)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("toCNY(%d %s) = %d, %v; want %d, %v", tc.amount, tc.cur, got, err, tc.want, tc.err)
		}
	}
	if _, err := (Config{Rates: map[money.Currency]Rate{}}).toCNY(1, money.USD); err == nil {
		t.Error("a currency without a rate converted")
	}
}

func TestCheckOutflow(t *testing.T) {
	s, err := New(Deps{}, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	const yuan = 100
	tier1 := User{KYCTier: 1}
	tier3 := User{KYCTier: 3}
	raised := User{KYCTier: 3, Limits: map[string]int64{"daily": 20000 * yuan, "per_transaction": Unlimited}}
	for _, tc := range []struct {
		name string
		u    User
		used usage
		fen  int64
		ok   bool
	}{
		{"PerTransactionEdge", tier3, usage{}, 5000 * yuan, true},
		{"PerTransactionOver", tier3, usage{}, 5000*yuan + 1, false},
		{"DailyEdge", tier3, usage{daily: 4000 * yuan}, 1000 * yuan, true},
		{"DailyOver", tier3, usage{daily: 4000 * yuan}, 1000*yuan + 1, false},
		{"YearlyOver", tier3, usage{yearly: 199999 * yuan}, 1000 * yuan, false},
		{"LifetimeTier1", tier1, usage{lifetime: 900 * yuan}, 100*yuan + 1, false},
		{"LifetimeTier1Edge", tier1, usage{lifetime: 900 * yuan}, 100 * yuan, true},
		{"LifetimeNotForTier3", tier3, usage{lifetime: 1 << 40}, 1, true},
		{"OverrideRaisesDaily", raised, usage{daily: 10000 * yuan}, 10000 * yuan, true},
		{"OverrideStillBounds", raised, usage{daily: 10000 * yuan}, 10000*yuan + 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.checkOutflow(tc.u, tc.used, tc.fen)
			if (err == nil) != tc.ok || (err != nil && ErrorCode(err) != CodeLimitExceeded) {
				t.Fatalf("checkOutflow = %v, want ok %v (else limit_exceeded)", err, tc.ok)
			}
		})
	}
}

// TestUsagePeriods checks that daily and yearly usage restart where the
// operator's day and year begin (Asia/Shanghai, UTC+8), not at UTC midnight.
func TestUsagePeriods(t *testing.T) {
	s, err := New(Deps{}, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var u usage
	at := func(utc string) (string, string) {
		tm, err := time.Parse(time.RFC3339, utc)
		if err != nil {
			t.Fatal(err)
		}
		return s.dayYear(tm)
	}
	d, y := at("2026-12-31T15:59:00Z") // 23:59 in Shanghai
	u.add(d, y, 300)
	d2, y2 := at("2026-12-31T16:00:00Z") // 00:00 on 1 January in Shanghai
	if d2 != "2027-01-01" || y2 != "2027" {
		t.Fatalf("day %s year %s", d2, y2)
	}
	same := u.current(d, y)
	if same.daily != 300 || same.yearly != 300 {
		t.Errorf("same day: %+v", same)
	}
	next := u.current(d2, y2)
	if next.daily != 0 || next.yearly != 0 || next.lifetime != 300 {
		t.Errorf("next day and year: %+v, want daily 0 yearly 0 lifetime 300", next)
	}
	u.add(d2, y2, 50)
	if u.daily != 50 || u.yearly != 50 || u.lifetime != 350 {
		t.Errorf("after a new-year outflow: %+v", u)
	}
}

func TestCutUTF8(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"微信微信", 7, "微信"}, // 12 bytes; a character is never split
		{"a\xffb", 10, "ab"},
		{"", 5, ""},
	} {
		if got := cutUTF8(tc.in, tc.n); got != tc.want {
			t.Errorf("cutUTF8(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
