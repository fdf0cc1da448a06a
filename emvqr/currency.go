package emvqr

import (
	"strconv"

	"github.com/ewallet/ewallet/money"
)

// CurrencyCode returns the ISO 4217 numeric code for c, what ID 53 carries:
// "156" for CNY, "840" USD, "978" EUR, "344" HKD, "392" JPY. PTS (loyalty
// points) has no ISO code, so a points payment cannot be put in an EMVCo
// code: ErrUnsupported. The table lives in package money, next to each
// currency's decimals, so the two cannot drift apart.
func CurrencyCode(c money.Currency) (string, error) {
	if code := c.NumericCode(); code != "" {
		return code, nil
	}
	if c.Valid() {
		return "", fail("53", ErrUnsupported, string(c)+" has no ISO 4217 numeric code")
	}
	return "", fail("53", ErrUnsupported, "unsupported currency "+quoteShort(string(c)))
}

// CurrencyFromCode is CurrencyCode backwards: the wallet currency whose
// ISO 4217 numeric code is code, or ErrUnsupported for a code the wallet
// does not hold (a scanned code may name any ISO currency).
func CurrencyFromCode(code string) (money.Currency, error) {
	for _, c := range money.Currencies() {
		if n := c.NumericCode(); n != "" && n == code {
			return c, nil
		}
	}
	return "", fail("53", ErrUnsupported, "unsupported currency code "+quoteShort(code))
}

// quoteShort quotes s for a message, cut to 16 bytes so a hostile input
// cannot bloat a log line.
func quoteShort(s string) string {
	const max = 16
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}
