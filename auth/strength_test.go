package auth_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ewallet/ewallet/auth"
)

const phone = "+8613812345678"

func TestCheckPasswordStrength(t *testing.T) {
	for _, tt := range []struct {
		name, pw string
		why      string // "" when the password is acceptable
	}{
		{"Good", "tulip-Orbit-92-canoe", ""},
		{"GoodUnicode", "月光下的小猫咪在跳舞呢", ""},
		{"TenRunes", "kx7#mQ2vLp", ""},
		{"NineRunes", "kx7#mQ2vL", "at least 10"},
		{"NineMultibyteRunes", "月光下的小猫咪在跳", "at least 10"},
		{"Empty", "", "at least 10"},
		{"TooLong", strings.Repeat("kx7#mQ2vLp", 13), "too long"},
		{"MaxLength", strings.Repeat("kx7#mQ2vLp", 12) + "zy8$nR3w", ""},
		{"Digits", "1234567890", "too common"},
		{"Qwertyuiop", "qwertyuiop", "too common"},
		{"Password123", "password123", "too common"},
		{"MixedCase", "PassWord123", "too common"},
		{"Iloveyou12", "iloveyou12", "too common"},
		{"Qwerty123456", "qwerty123456", "too common"},
		{"Walk", "1q2w3e4r5t", "too common"},
		{"Abc", "abc1234567", "too common"},
		{"Woaini", "woaini1314", "too common"},
		{"A123456789", "a123456789", "too common"},
		{"Symbols", "1234qwer!@#$", "too common"},
		{"PasswordYear", "Password1987", "too common"},
		{"SameChar", "zzzzzzzzzzzzzzzzzzzzzzzz", "repeats"},
		{"SameSymbol", "%%%%%%%%%%%", "repeats"},
		{"Pairs", "xyxyxyxyxyxyxyxy", "repeats"},
		{"Triples", "k9!k9!k9!k9!", "repeats"},
		{"Ascending", "defghijklmnop", "sequence"},
		{"Descending", "ponmlkjihgfe", "sequence"},
		{"DigitsWrap", "6789012345678", "sequence"},
		{"PhoneE164", "x8613812345678y", "phone"},
		{"PhoneNational", "me13812345678!", "phone"},
		{"PhoneUnrelated", "me13899999999!", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := auth.CheckPasswordStrength(tt.pw, phone)
			if tt.why == "" {
				if err != nil {
					t.Fatalf("CheckPasswordStrength: %v; want accepted", err)
				}
				return
			}
			if !errors.Is(err, auth.ErrWeakPassword) || !strings.Contains(err.Error(), tt.why) {
				t.Fatalf("CheckPasswordStrength: %v; want ErrWeakPassword saying %q", err, tt.why)
			}
			if tt.pw != "" && strings.Contains(err.Error(), tt.pw) {
				t.Fatalf("error %q reveals the password", err)
			}
		})
	}
}

func TestCommonPasswordList(t *testing.T) {
	lines := auth.CommonPasswordLines()
	if len(lines) < 1000 {
		t.Fatalf("list has %d entries; want at least 1000", len(lines))
	}
	seen := make(map[string]bool, len(lines))
	for _, l := range lines {
		switch {
		case seen[l]:
			t.Errorf("duplicate entry %q", l)
		case l != strings.ToLower(l):
			t.Errorf("entry %q is not lower-case", l)
		case utf8.RuneCountInString(l) < 10 || len(l) > 128:
			t.Errorf("entry %q cannot pass the length rules, so it is dead weight", l)
		case strings.TrimSpace(l) != l:
			t.Errorf("entry %q has surrounding space", l)
		}
		seen[l] = true
	}
	for _, famous := range []string{"1234567890", "qwertyuiop", "password123", "iloveyou12", "qwerty123456", "1q2w3e4r5t", "abc1234567", "woaini1314", "a123456789", "1234qwer!@#$", "password1950", "password2030"} {
		if !seen[famous] {
			t.Errorf("list misses %q", famous)
		}
	}
}
