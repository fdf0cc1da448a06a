package api

import (
	"encoding/json"
	"math/big"
	"regexp"
	"strings"
	"testing"

	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/wallet"
)

// ---- amounts ---------------------------------------------------------------

type verdict int

const (
	amountUnsure verdict = iota // the contract leaves it open: leading zeros, 16+ digits
	amountOK
	amountBad
)

var amountRE = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]+))?$`)

// amountVerdict judges an amount string where a payment is meant, by the
// Conventions alone: a decimal string in major units; more decimals than
// the currency allows, a sign, an exponent or zero is invalid. When OK it
// also returns the amount in minor units.
func amountVerdict(s string, decimals int) (verdict, int64) {
	m := amountRE.FindStringSubmatch(s)
	switch {
	case m == nil, len(m[2]) > decimals, isZero(s):
		return amountBad, 0
	case len(m[1]) > 1 && m[1][0] == '0', len(m[1])+decimals > 15:
		return amountUnsure, 0
	}
	minor := m[1] + m[2] + strings.Repeat("0", decimals-len(m[2]))
	n, _ := new(big.Int).SetString(minor, 10)
	return amountOK, n.Int64()
}

// isZero reports whether a decimal string has no digit but zeros.
func isZero(s string) bool {
	return strings.Trim(s, "0.") == "" && strings.ContainsAny(s, "0")
}

func FuzzAmount(f *testing.F) {
	for _, a := range junkAmounts {
		for _, c := range []string{"CNY", "JPY", "USD", "PTS", "cny", "XXX", ""} {
			f.Add(strings.Trim(a, `"`), c)
		}
	}
	f.Fuzz(func(t *testing.T, amount, currency string) {
		raw, _ := json.Marshal(amount)
		var a Amount
		if err := a.UnmarshalJSON(raw); err != nil {
			t.Fatalf("UnmarshalJSON(%s): %v", raw, err)
		}
		amount = a.s // invalid UTF-8 came back as U+FFFD
		n, cur, err := parseMoney(a, currency)
		code := wallet.ErrorCode(err)
		if _, curErr := money.ParseCurrency(currency); curErr != nil {
			v, _ := amountVerdict(amount, 2)
			switch {
			case !amountRE.MatchString(amount) || isZero(amount):
				if code != wallet.CodeInvalidAmount {
					t.Fatalf("%q %q: %v, want invalid_amount", amount, currency, err)
				}
			case v == amountOK:
				if code != wallet.CodeUnsupportedCurrency {
					t.Fatalf("%q %q: %v, want unsupported_currency", amount, currency, err)
				}
			case code != wallet.CodeInvalidAmount && code != wallet.CodeUnsupportedCurrency:
				t.Fatalf("%q %q: %v", amount, currency, err)
			}
			return
		}
		switch v, want := amountVerdict(amount, money.Currency(currency).Decimals()); v {
		case amountOK:
			if err != nil || n != want || string(cur) != currency {
				t.Fatalf("%q %q: %d %s %v, want %d", amount, currency, n, cur, err, want)
			}
		case amountBad:
			if code != wallet.CodeInvalidAmount {
				t.Fatalf("%q %q: %d %v, want invalid_amount", amount, currency, n, err)
			}
		default:
			if err != nil && code != wallet.CodeInvalidAmount {
				t.Fatalf("%q %q: %v", amount, currency, err)
			}
			if err == nil && (n <= 0 || n > money.MaxAmount) {
				t.Fatalf("%q %q: %d", amount, currency, n)
			}
		}
	})
}
