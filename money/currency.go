// Package money holds currencies and exact amounts in integer minor units.
// It does no I/O and never uses floating point.
package money

import "slices"

// Currency is an ISO 4217 code, or PTS for loyalty points.
type Currency string

// The currencies ewallet supports.
const (
	CNY Currency = "CNY"
	USD Currency = "USD"
	EUR Currency = "EUR"
	HKD Currency = "HKD"
	JPY Currency = "JPY"
	PTS Currency = "PTS"
)

type currencyInfo struct {
	decimals int
	numeric  string // ISO 4217 numeric code; empty for PTS
}

var currencies = map[Currency]currencyInfo{
	CNY: {2, "156"},
	USD: {2, "840"},
	EUR: {2, "978"},
	HKD: {2, "344"},
	JPY: {0, "392"},
	PTS: {0, ""},
}

// ParseCurrency returns the supported currency named by code (exact, upper case).
// It returns ErrUnsupportedCurrency for anything else.
func ParseCurrency(code string) (Currency, error) {
	c := Currency(code)
	if _, ok := currencies[c]; !ok {
		return "", ErrUnsupportedCurrency
	}
	return c, nil
}

// Valid reports whether c is a supported currency.
func (c Currency) Valid() bool {
	_, ok := currencies[c]
	return ok
}

// Decimals is the number of minor-unit digits: 2 for CNY, 0 for JPY and PTS.
// It is 0 for an unsupported currency.
func (c Currency) Decimals() int { return currencies[c].decimals }

// NumericCode is the ISO 4217 numeric code ("156" for CNY); empty for PTS.
func (c Currency) NumericCode() string { return currencies[c].numeric }

// Currencies lists the supported currencies in a stable order.
func Currencies() []Currency {
	out := make([]Currency, 0, len(currencies))
	for c := range currencies {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}
