package auth_test

import (
	"errors"
	"regexp"
	"testing"

	"github.com/ewallet/ewallet/auth"
)

func TestNormalizePhone(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		ok       bool
	}{
		{"China", "+8613800000001", true},
		{"US", "+14155550100", true},
		{"Shortest", "+12345678", true},
		{"Longest", "+123456789012345", true},
		{"TooShort", "+1234567", false},
		{"TooLong", "+1234567890123456", false},
		{"NoPlus", "8613800000001", false},
		{"LeadingZero", "+0613800000001", false},
		{"Spaces", "+86 138 0000 0001", false},
		{"Dashes", "+86-138-0000-0001", false},
		{"TrailingNewline", "+8613800000001\n", false},
		{"Letters", "+86138000000O1", false},
		{"FullwidthDigits", "+８６13800000001", false},
		{"Empty", "", false},
		{"PlusOnly", "+", false},
		{"DoublePlus", "++8613800000001", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := auth.NormalizePhone(tt.in)
			if !tt.ok {
				if !errors.Is(err, auth.ErrInvalidPhone) {
					t.Fatalf("NormalizePhone(%q) = %q, %v; want ErrInvalidPhone", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.in {
				t.Fatalf("NormalizePhone(%q) = %q, %v; want it back", tt.in, got, err)
			}
		})
	}
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+8613800000001", "+12345678", "+0123", "+86 138", "", "+١٢٣٤٥٦٧٨٩"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := auth.NormalizePhone(s)
		if e164.MatchString(s) != (err == nil) {
			t.Fatalf("NormalizePhone(%q) err = %v; regexp match = %v", s, err, e164.MatchString(s))
		}
		if err != nil {
			return
		}
		if got != s {
			t.Fatalf("NormalizePhone(%q) = %q; want it unchanged", s, got)
		}
		if again, err := auth.NormalizePhone(got); err != nil || again != got {
			t.Fatalf("NormalizePhone(%q) again = %q, %v", got, again, err)
		}
	})
}
