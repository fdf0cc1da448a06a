package web

import (
	"strings"

	"github.com/ewallet/ewallet/money"
)

// symbols are the currency signs shown before amounts. JPY takes "JP¥" so
// that it never reads as yuan; points have a suffix instead.
var symbols = map[money.Currency]string{
	money.CNY: "¥", money.USD: "$", money.EUR: "€", money.HKD: "HK$", money.JPY: "JP¥",
}

// formatMoney shows an API amount ("1234.5" is never sent; "1234.50" is)
// with its currency's sign, thousands separators and exactly the
// currency's decimals: "¥1,234.50", "JP¥1,000", "1,200 PTS". The amount is
// parsed into minor units and formatted by the money package, never
// through float64; what cannot be parsed is shown as it came.
func formatMoney(amount, currency string) string {
	cur, err := money.ParseCurrency(currency)
	if err != nil {
		return strings.TrimSpace(amount + " " + currency)
	}
	neg := strings.HasPrefix(amount, "-")
	minor, err := money.Parse(strings.TrimPrefix(amount, "-"), cur)
	if err != nil {
		return amount + " " + currency
	}
	s := groupThousands(money.Format(minor, cur))
	sign := ""
	if neg && minor != 0 {
		sign = "-"
	}
	if sym, ok := symbols[cur]; ok {
		return sign + sym + s
	}
	return sign + s + " " + string(cur)
}

// formatMinor shows minor units of currency as formatMoney does.
func formatMinor(minor int64, cur money.Currency) string {
	return formatMoney(money.Format(minor, cur), string(cur))
}

// groupThousands puts commas between groups of three digits of the whole
// part: "1234567.89" is "1,234,567.89".
func groupThousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}
