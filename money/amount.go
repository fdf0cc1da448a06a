package money

import (
	"errors"
	"math"
	"strconv"
)

// Errors returned by this package. They are stable: callers map them to API codes.
var (
	ErrInvalidAmount       = errors.New("invalid amount")
	ErrUnsupportedCurrency = errors.New("unsupported currency")
	ErrOverflow            = errors.New("amount overflow")
)

// MaxAmount is the largest amount, in minor units, that Parse accepts: 18 nines.
// Keeping amounts below 10^18 leaves headroom in int64 for sums of a few of them.
const MaxAmount int64 = 999_999_999_999_999_999

// maxDigits bounds the digits a decimal string may carry.
const maxDigits = 18

var pow10 = [...]int64{1, 10, 100, 1000, 10000}

// Parse reads a non-negative decimal string in major units ("12.34") exactly into
// minor units of c (1234). It accepts only ASCII digits with at most one '.',
// no sign, exponent, whitespace or separators, no leading zeros ("0.5" is fine,
// "05" is not), a digit on both sides of the point, at most c.Decimals()
// fraction digits, at most 18 digits in all, and a result no larger than
// MaxAmount. Zero parses; callers that need a positive amount use ParsePositive.
func Parse(s string, c Currency) (int64, error) {
	info, ok := currencies[c]
	if !ok {
		return 0, ErrUnsupportedCurrency
	}
	if len(s) == 0 || len(s) > maxDigits+1 {
		return 0, ErrInvalidAmount
	}
	var v int64
	digits, frac, seenPoint := 0, 0, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '.':
			// A point needs digits on both sides and may appear once.
			if seenPoint || i == 0 || i == len(s)-1 {
				return 0, ErrInvalidAmount
			}
			seenPoint = true
		case ch >= '0' && ch <= '9':
			if ch == '0' && i == 0 && len(s) > 1 && s[1] != '.' {
				return 0, ErrInvalidAmount // leading zero
			}
			digits++
			if seenPoint {
				frac++
			}
			// Cannot overflow: at most 18 digits.
			v = v*10 + int64(ch-'0')
		default:
			return 0, ErrInvalidAmount
		}
	}
	if digits > maxDigits || frac > info.decimals {
		return 0, ErrInvalidAmount
	}
	scale := pow10[info.decimals-frac]
	if v > MaxAmount/scale {
		return 0, ErrInvalidAmount
	}
	return v * scale, nil
}

// ParsePositive is Parse that also refuses zero, for amounts that move money.
func ParsePositive(s string, c Currency) (int64, error) {
	v, err := Parse(s, c)
	if err != nil {
		return 0, err
	}
	if v == 0 {
		return 0, ErrInvalidAmount
	}
	return v, nil
}

// Format writes minor units of c as a decimal string with all of c's decimals:
// 1234 CNY is "12.34", 0 CNY is "0.00", 1000 JPY is "1000". Negative amounts
// (system accounts' balances) get a leading '-'.
func Format(minor int64, c Currency) string {
	var buf [24]byte
	return string(AppendFormat(buf[:0], minor, c))
}

// AppendFormat appends Format(minor, c) to dst.
func AppendFormat(dst []byte, minor int64, c Currency) []byte {
	dec := currencies[c].decimals
	var u uint64
	if minor < 0 {
		dst = append(dst, '-')
		u = uint64(-(minor + 1)) + 1 // safe for math.MinInt64
	} else {
		u = uint64(minor)
	}
	if dec == 0 {
		return strconv.AppendUint(dst, u, 10)
	}
	p := uint64(pow10[dec])
	dst = strconv.AppendUint(dst, u/p, 10)
	dst = append(dst, '.')
	fracPart := strconv.AppendUint(nil, u%p, 10)
	for i := len(fracPart); i < dec; i++ {
		dst = append(dst, '0')
	}
	return append(dst, fracPart...)
}

// Add returns a+b, or ErrOverflow when the sum does not fit in int64.
func Add(a, b int64) (int64, error) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, ErrOverflow
	}
	return s, nil
}

// Sub returns a-b, or ErrOverflow when the difference does not fit in int64.
func Sub(a, b int64) (int64, error) {
	if b == math.MinInt64 {
		if a >= 0 {
			return 0, ErrOverflow
		}
		return a - b, nil
	}
	return Add(a, -b)
}

// Neg returns -a, or ErrOverflow for math.MinInt64.
func Neg(a int64) (int64, error) {
	if a == math.MinInt64 {
		return 0, ErrOverflow
	}
	return -a, nil
}
