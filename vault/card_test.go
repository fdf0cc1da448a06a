package vault_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ewallet/ewallet/vault"
)

func TestLuhn(t *testing.T) {
	for _, tt := range []struct {
		number string
		want   bool
	}{
		{"4242424242424242", true},
		{"4000000000000002", true},
		{"4000000000009995", true},
		{"4000000000000119", true},
		{"5555555555554444", true},
		{"378282246310005", true},
		{"6200000000000005", true},
		{"0", true},
		{"4242424242424241", false}, // last digit off by one
		{"4242424242424224", false}, // two digits swapped
		{"5555555555554445", false},
		{"378282246310006", false},
		{"6200000000000006", false},
		{"", false},
		{"4242 4242 4242 4242", false}, // Luhn takes digits only
		{"424242424242424a", false},
		{"１", false},
	} {
		t.Run(tt.number, func(t *testing.T) {
			if got := vault.Luhn(tt.number); got != tt.want {
				t.Fatalf("Luhn(%q) = %v; want %v", tt.number, got, tt.want)
			}
		})
	}
}

func TestNormalizeNumber(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"Plain", "4242424242424242", "4242424242424242"},
		{"Spaces", "4242 4242 4242 4242", "4242424242424242"},
		{"Dashes", "4242-4242-4242-4242", "4242424242424242"},
		{"Amex", "3782 822463 10005", "378282246310005"},
		{"Twelve", "000000000000", "000000000000"},
		{"Nineteen", "6200000000000000000", "6200000000000000000"},
		{"BadLuhn", "4242424242424241", ""},
		{"Eleven", "00000000000", ""},
		{"Twenty", "00000000000000000000", ""},
		{"Letter", "4242424242424a42", ""},
		{"Tab", "4242\t4242424242424242", ""},
		{"Dot", "4242.4242.4242.4242", ""},
		{"Fullwidth", "４２４２424242424242", ""},
		{"Empty", "", ""},
		{"OnlySeparators", " - - ", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := vault.NormalizeNumber(tt.in)
			if tt.want == "" {
				if !errors.Is(err, vault.ErrInvalidNumber) {
					t.Fatalf("NormalizeNumber = %q, %v; want ErrInvalidNumber", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("NormalizeNumber = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestBrand(t *testing.T) {
	for _, tt := range []struct{ number, want string }{
		{"4242424242424242", "visa"},
		{"5105105105105100", "mastercard"},
		{"5555555555554444", "mastercard"},
		{"2221000000000009", "mastercard"},
		{"2720990000000000", "mastercard"},
		{"2220990000000000", "unknown"},
		{"2721000000000000", "unknown"},
		{"5655555555554444", "unknown"},
		{"340000000000009", "amex"},
		{"378282246310005", "amex"},
		{"6200000000000005", "unionpay"},
		{"6212345678901232", "unionpay"},
		{"3528000000000000", "jcb"},
		{"3589000000000000", "jcb"},
		{"3527000000000000", "unknown"},
		{"3590000000000000", "unknown"},
		{"6011111111111117", "discover"},
		{"6500000000000000", "discover"},
		{"6440000000000000", "discover"},
		{"6490000000000000", "discover"},
		{"6430000000000000", "unknown"},
		{"30000000000004", "diners"},
		{"30500000000000", "diners"},
		{"30600000000000", "unknown"},
		{"36227206271667", "diners"},
		{"38000000000000", "diners"},
		{"1000000000000000", "unknown"},
		{"", "unknown"},
		{"4", "visa"},
		{"x242424242424242", "unknown"},
	} {
		t.Run(tt.number, func(t *testing.T) {
			if got := vault.Brand(tt.number); got != tt.want {
				t.Fatalf("Brand(%q) = %q; want %q", tt.number, got, tt.want)
			}
		})
	}
}

func TestCheckExpiry(t *testing.T) {
	now := time.Date(2026, time.March, 15, 12, 0, 0, 0, time.UTC)
	shanghai := time.FixedZone("CST", 8*3600)
	for _, tt := range []struct {
		name        string
		month, year int
		now         time.Time
		want        error
	}{
		{"ThisMonth", 3, 2026, now, nil},
		{"LastMonth", 2, 2026, now, vault.ErrCardExpired},
		{"NextYear", 1, 2027, now, nil},
		{"LastYear", 12, 2025, now, vault.ErrCardExpired},
		{"LastSecondOfMonth", 3, 2026, time.Date(2026, 3, 31, 23, 59, 59, 0, time.UTC), nil},
		{"FirstSecondAfter", 3, 2026, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), vault.ErrCardExpired},
		// 1 April 07:00 in Shanghai is still 31 March in UTC.
		{"ComparedInUTC", 3, 2026, time.Date(2026, 4, 1, 7, 0, 0, 0, shanghai), nil},
		{"December", 12, 2026, time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), nil},
		{"Month13", 13, 2026, now, vault.ErrInvalidExpiry},
		{"Month0", 0, 2027, now, vault.ErrInvalidExpiry},
		{"TwoDigitYear", 3, 27, now, vault.ErrInvalidExpiry},
		{"Year2100", 3, 2100, now, vault.ErrInvalidExpiry},
		{"Year2099", 12, 2099, now, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := vault.CheckExpiry(tt.month, tt.year, tt.now); !errors.Is(err, tt.want) {
				t.Fatalf("CheckExpiry(%d, %d) = %v; want %v", tt.month, tt.year, err, tt.want)
			}
		})
	}
}

func FuzzNormalizeNumber(f *testing.F) {
	for _, s := range []string{"4242424242424242", "4242 4242 4242 4242", "3782-822463-10005", "", "4242424242424241", "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := vault.NormalizeNumber(s)
		if err != nil {
			if !errors.Is(err, vault.ErrInvalidNumber) {
				t.Fatalf("NormalizeNumber(%q) error %v; want ErrInvalidNumber", s, err)
			}
			return
		}
		if len(n) < 12 || len(n) > 19 || !vault.Luhn(n) {
			t.Fatalf("NormalizeNumber(%q) = %q: wrong length or bad Luhn", s, n)
		}
		for _, c := range []byte(n) {
			if c < '0' || c > '9' {
				t.Fatalf("NormalizeNumber(%q) = %q: not only digits", s, n)
			}
		}
		if again, err := vault.NormalizeNumber(n); err != nil || again != n {
			t.Fatalf("NormalizeNumber(%q) = %q, %v; want it unchanged", n, again, err)
		}
	})
}
