package money_test

import (
	"errors"
	"math"
	"testing"

	"github.com/ewallet/ewallet/money"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		cur  money.Currency
		want int64
		err  error
	}{
		{"12.34", money.CNY, 1234, nil},
		{"12.3", money.CNY, 1230, nil},
		{"12", money.CNY, 1200, nil},
		{"0", money.CNY, 0, nil},
		{"0.00", money.CNY, 0, nil},
		{"0.01", money.USD, 1, nil},
		{"1000", money.JPY, 1000, nil},
		{"7", money.PTS, 7, nil},
		{"9999999999999999.99", money.CNY, money.MaxAmount, nil},
		{"999999999999999999", money.JPY, money.MaxAmount, nil},
		{"12.345", money.CNY, 0, money.ErrInvalidAmount},
		{"100.0", money.JPY, 0, money.ErrInvalidAmount},
		{"-1.00", money.CNY, 0, money.ErrInvalidAmount},
		{"+1.00", money.CNY, 0, money.ErrInvalidAmount},
		{"1e3", money.CNY, 0, money.ErrInvalidAmount},
		{"1E3", money.CNY, 0, money.ErrInvalidAmount},
		{"", money.CNY, 0, money.ErrInvalidAmount},
		{" 1", money.CNY, 0, money.ErrInvalidAmount},
		{"1 ", money.CNY, 0, money.ErrInvalidAmount},
		{"1\n", money.CNY, 0, money.ErrInvalidAmount},
		{"1,000", money.CNY, 0, money.ErrInvalidAmount},
		{"1_000", money.CNY, 0, money.ErrInvalidAmount},
		{".5", money.CNY, 0, money.ErrInvalidAmount},
		{"5.", money.CNY, 0, money.ErrInvalidAmount},
		{".", money.CNY, 0, money.ErrInvalidAmount},
		{"1.2.3", money.CNY, 0, money.ErrInvalidAmount},
		{"05", money.CNY, 0, money.ErrInvalidAmount},
		{"00.5", money.CNY, 0, money.ErrInvalidAmount},
		{"0x10", money.CNY, 0, money.ErrInvalidAmount},
		{"NaN", money.CNY, 0, money.ErrInvalidAmount},
		{"١٢", money.CNY, 0, money.ErrInvalidAmount}, // Arabic-Indic digits
		{"1234567890123456789", money.JPY, 0, money.ErrInvalidAmount},
		{"99999999999999999.99", money.CNY, 0, money.ErrInvalidAmount}, // 19 digits
		{"99999999999999999", money.CNY, 0, money.ErrInvalidAmount},    // > MaxAmount once scaled
		{"1.00", money.Currency("XYZ"), 0, money.ErrUnsupportedCurrency},
		{"1.00", money.Currency("cny"), 0, money.ErrUnsupportedCurrency},
	}
	for _, tt := range tests {
		t.Run(string(tt.cur)+"/"+tt.in, func(t *testing.T) {
			got, err := money.Parse(tt.in, tt.cur)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Parse(%q, %s) error = %v, want %v", tt.in, tt.cur, err, tt.err)
			}
			if got != tt.want {
				t.Fatalf("Parse(%q, %s) = %d, want %d", tt.in, tt.cur, got, tt.want)
			}
		})
	}
}

func TestParsePositive(t *testing.T) {
	if _, err := money.ParsePositive("0.00", money.CNY); !errors.Is(err, money.ErrInvalidAmount) {
		t.Fatalf("zero: error = %v, want ErrInvalidAmount", err)
	}
	if v, err := money.ParsePositive("0.01", money.CNY); err != nil || v != 1 {
		t.Fatalf("0.01: got %d, %v", v, err)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		minor int64
		cur   money.Currency
		want  string
	}{
		{1234, money.CNY, "12.34"},
		{0, money.CNY, "0.00"},
		{5, money.CNY, "0.05"},
		{100000, money.CNY, "1000.00"},
		{1000, money.JPY, "1000"},
		{0, money.PTS, "0"},
		{-1234, money.CNY, "-12.34"},
		{-5, money.EUR, "-0.05"},
		{math.MaxInt64, money.CNY, "92233720368547758.07"},
		{math.MinInt64, money.CNY, "-92233720368547758.08"},
		{math.MinInt64, money.JPY, "-9223372036854775808"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := money.Format(tt.minor, tt.cur); got != tt.want {
				t.Fatalf("Format(%d, %s) = %q, want %q", tt.minor, tt.cur, got, tt.want)
			}
		})
	}
}

func TestCheckedArithmetic(t *testing.T) {
	tests := []struct {
		name    string
		op      func(a, b int64) (int64, error)
		a, b    int64
		want    int64
		wantErr bool
	}{
		{"AddSimple", money.Add, 2, 3, 5, false},
		{"AddMaxOverflow", money.Add, math.MaxInt64, 1, 0, true},
		{"AddMinOverflow", money.Add, math.MinInt64, -1, 0, true},
		{"AddToMax", money.Add, math.MaxInt64 - 1, 1, math.MaxInt64, false},
		{"SubSimple", money.Sub, 2, 3, -1, false},
		{"SubMinOverflow", money.Sub, math.MinInt64, 1, 0, true},
		{"SubOfMinInt", money.Sub, 0, math.MinInt64, 0, true},
		{"SubOfMinIntFromNegative", money.Sub, -1, math.MinInt64, math.MaxInt64, false},
		{"SubMaxOverflow", money.Sub, math.MaxInt64, -1, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.op(tt.a, tt.b)
			if tt.wantErr {
				if !errors.Is(err, money.ErrOverflow) {
					t.Fatalf("got %d, %v; want ErrOverflow", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %d, %v; want %d", got, err, tt.want)
			}
		})
	}
	if _, err := money.Neg(math.MinInt64); !errors.Is(err, money.ErrOverflow) {
		t.Fatalf("Neg(MinInt64) error = %v, want ErrOverflow", err)
	}
}

func TestCurrencies(t *testing.T) {
	want := map[money.Currency]int{"CNY": 2, "USD": 2, "EUR": 2, "HKD": 2, "JPY": 0, "PTS": 0}
	got := money.Currencies()
	if len(got) != len(want) {
		t.Fatalf("Currencies() = %v", got)
	}
	for _, c := range got {
		if c.Decimals() != want[c] {
			t.Errorf("%s.Decimals() = %d, want %d", c, c.Decimals(), want[c])
		}
		if p, err := money.ParseCurrency(string(c)); err != nil || p != c {
			t.Errorf("ParseCurrency(%s) = %s, %v", c, p, err)
		}
	}
	if money.CNY.NumericCode() != "156" || money.JPY.NumericCode() != "392" {
		t.Errorf("numeric codes wrong")
	}
}

// FuzzParse checks that Parse never panics, that every accepted string is a
// canonical amount once formatted (format(parse(s)) parses back to the same
// value and is a fixed point of format∘parse), and that accepted values are in range.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"12.34", "0", "0.00", "1e3", "-1", "99999999999999999.99", "05", ".5", "5.", "1.2.3", "１２"} {
		f.Add(s, uint8(0))
	}
	curs := money.Currencies()
	f.Fuzz(func(t *testing.T, s string, ci uint8) {
		cur := curs[int(ci)%len(curs)]
		v, err := money.Parse(s, cur)
		if err != nil {
			if !errors.Is(err, money.ErrInvalidAmount) {
				t.Fatalf("Parse(%q) unexpected error %v", s, err)
			}
			return
		}
		if v < 0 || v > money.MaxAmount {
			t.Fatalf("Parse(%q) = %d out of range", s, v)
		}
		formatted := money.Format(v, cur)
		back, err := money.Parse(formatted, cur)
		if err != nil || back != v {
			t.Fatalf("Parse(Format(%d)) = %d, %v (formatted %q from %q)", v, back, err, formatted, s)
		}
		if again := money.Format(back, cur); again != formatted {
			t.Fatalf("format not canonical: %q then %q", formatted, again)
		}
	})
}
