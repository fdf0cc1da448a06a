package emvqr_test

import (
	"errors"
	"testing"

	"github.com/ewallet/ewallet/emvqr"
	"github.com/ewallet/ewallet/money"
)

func TestCurrencyCode(t *testing.T) {
	for _, tc := range []struct {
		currency money.Currency
		code     string
	}{
		{money.CNY, "156"},
		{money.USD, "840"},
		{money.EUR, "978"},
		{money.HKD, "344"},
		{money.JPY, "392"},
	} {
		t.Run(string(tc.currency), func(t *testing.T) {
			code, err := emvqr.CurrencyCode(tc.currency)
			if err != nil || code != tc.code {
				t.Errorf("CurrencyCode(%s) = %q, %v; want %q", tc.currency, code, err, tc.code)
			}
			c, err := emvqr.CurrencyFromCode(tc.code)
			if err != nil || c != tc.currency {
				t.Errorf("CurrencyFromCode(%s) = %q, %v; want %s", tc.code, c, err, tc.currency)
			}
		})
	}
}

func TestCurrencyCodeErrors(t *testing.T) {
	for _, c := range []money.Currency{money.PTS, "GBP", "", "cny"} {
		t.Run("To"+string(c), func(t *testing.T) {
			if code, err := emvqr.CurrencyCode(c); !errors.Is(err, emvqr.ErrUnsupported) || code != "" {
				t.Errorf("CurrencyCode(%q) = %q, %v; want ErrUnsupported", c, code, err)
			}
		})
	}
	// 826 is GBP: a real ISO code the wallet does not hold; "" must not
	// match PTS's empty code.
	for _, code := range []string{"826", "", "CNY", "0156", "15"} {
		t.Run("From"+code, func(t *testing.T) {
			if c, err := emvqr.CurrencyFromCode(code); !errors.Is(err, emvqr.ErrUnsupported) || c != "" {
				t.Errorf("CurrencyFromCode(%q) = %q, %v; want ErrUnsupported", code, c, err)
			}
		})
	}
}
