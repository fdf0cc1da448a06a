package vault

import (
	"errors"
	"time"
)

// Errors about card details. None of them, nor anything that wraps them,
// carries the card number.
var (
	// ErrInvalidNumber reports a card number that is not 12 to 19 digits
	// (spaces and dashes aside) or fails the Luhn check.
	ErrInvalidNumber = errors.New("invalid card number")
	// ErrInvalidExpiry reports an expiry month outside 1-12 or a year
	// outside 2000-2099.
	ErrInvalidExpiry = errors.New("invalid card expiry date")
	// ErrCardExpired reports a card whose expiry month has ended.
	ErrCardExpired = errors.New("card has expired")
)

// Luhn reports whether number is all ASCII digits, non-empty, and passes
// the Luhn (mod 10) check that catches mistyped card numbers.
func Luhn(number string) bool {
	if number == "" {
		return false
	}
	sum := 0
	double := false
	for i := len(number) - 1; i >= 0; i-- {
		c := number[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// NormalizeNumber strips the spaces and dashes people type in a card number
// and returns its digits; ErrInvalidNumber unless 12 to 19 digits remain
// and they pass Luhn.
func NormalizeNumber(s string) (string, error) {
	if len(s) > 64 {
		return "", ErrInvalidNumber
	}
	b := make([]byte, 0, 19)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '-':
		case c >= '0' && c <= '9' && len(b) < 19:
			b = append(b, c)
		default:
			return "", ErrInvalidNumber
		}
	}
	if len(b) < 12 || !Luhn(string(b)) {
		return "", ErrInvalidNumber
	}
	return string(b), nil
}

// Brand names the card network from the number's leading digits (IIN
// ranges): "visa", "mastercard", "amex", "unionpay", "jcb", "discover",
// "diners", or "unknown".
func Brand(number string) string {
	p := func(n int) int { // the first n digits as a number, -1 if absent
		if len(number) < n {
			return -1
		}
		v := 0
		for i := 0; i < n; i++ {
			if number[i] < '0' || number[i] > '9' {
				return -1
			}
			v = v*10 + int(number[i]-'0')
		}
		return v
	}
	in := func(v, lo, hi int) bool { return v >= lo && v <= hi }
	switch p2, p3, p4 := p(2), p(3), p(4); {
	case p(1) == 4:
		return "visa"
	case in(p2, 51, 55), in(p4, 2221, 2720):
		return "mastercard"
	case p2 == 34, p2 == 37:
		return "amex"
	case p2 == 62:
		return "unionpay"
	case in(p4, 3528, 3589):
		return "jcb"
	case p4 == 6011, p2 == 65, in(p3, 644, 649):
		return "discover"
	case in(p3, 300, 305), p2 == 36, p2 == 38:
		return "diners"
	}
	return "unknown"
}

// CheckExpiry checks a card's expiry month and year against now: a card
// is good through the last day of its expiry month, in UTC. ErrInvalidExpiry
// for a month outside 1-12 or a year outside 2000-2099, ErrCardExpired once
// the month has ended.
func CheckExpiry(month, year int, now time.Time) error {
	if month < 1 || month > 12 || year < 2000 || year > 2099 {
		return ErrInvalidExpiry
	}
	// time.Date normalises month 13 to January of the next year.
	end := time.Date(year, time.Month(month)+1, 1, 0, 0, 0, 0, time.UTC)
	if !now.UTC().Before(end) {
		return ErrCardExpired
	}
	return nil
}
