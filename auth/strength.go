package auth

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// ErrWeakPassword reports a password refused by CheckPasswordStrength; the
// wrapped message says why, never what the password was.
var ErrWeakPassword = errors.New("weak password")

// Length bounds: 10 characters is the contract's floor; 128 bytes caps the
// work one request can hand to argon2 and to the list look-up.
const (
	minPasswordRunes = 10
	maxPasswordBytes = 128
)

// common_passwords.txt holds lower-cased leaked passwords of 10 or more
// characters (shorter ones fail the length rule anyway); "#" starts a comment.
//
//go:embed common_passwords.txt
var commonPasswordsText string

var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 4096)
	for line := range strings.Lines(commonPasswordsText) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		m[line] = struct{}{}
	}
	return m
})

func weak(why string) error { return fmt.Errorf("%w: %s", ErrWeakPassword, why) }

// CheckPasswordStrength refuses, with an error wrapping ErrWeakPassword,
// a password that is shorter than 10 characters or longer than 128 bytes,
// on the common-password list (ignoring case), one repeated character or a
// short repeated pattern, a plain ascending or descending run, or that
// contains the user's phone number. phone is E.164 ("+86...").
func CheckPasswordStrength(pw, phone string) error {
	if len(pw) > maxPasswordBytes {
		return weak("too long")
	}
	if utf8.RuneCountInString(pw) < minPasswordRunes {
		return weak("must be at least 10 characters")
	}
	lower := strings.ToLower(pw)
	if _, ok := commonPasswords()[lower]; ok {
		return weak("too common")
	}
	if isRepeated(lower) {
		return weak("repeats a short pattern")
	}
	if isSequence(lower) {
		return weak("is a simple sequence")
	}
	if containsPhone(pw, phone) {
		return weak("contains your phone number")
	}
	return nil
}

// isRepeated reports whether s is one unit of 1 to 3 runes repeated
// ("aaaaaaaaaa", "ababababab", "123123123123"), the tail may be partial.
func isRepeated(s string) bool {
	r := []rune(s)
	for unit := 1; unit <= 3 && unit < len(r); unit++ {
		same := true
		for i := unit; i < len(r) && same; i++ {
			same = r[i] == r[i-unit]
		}
		if same {
			return true
		}
	}
	return false
}

// isSequence reports whether every rune is one more (or every one less)
// than the one before; digits wrap, so "7890123456" counts.
func isSequence(s string) bool {
	r := []rune(s)
	for _, step := range []rune{1, -1} {
		ok := true
		for i := 1; i < len(r) && ok; i++ {
			ok = next(r[i-1], step) == r[i]
		}
		if ok {
			return true
		}
	}
	return false
}

func next(c, step rune) rune {
	if c >= '0' && c <= '9' {
		return '0' + (c-'0'+step+10)%10
	}
	return c + step
}

// containsPhone reports whether pw holds the phone's digits, either whole
// or without a 1- to 3-digit country code: people type their national
// number ("13800000001"), not the E.164 form.
func containsPhone(pw, phone string) bool {
	digits := strings.TrimPrefix(phone, "+")
	if digits == "" {
		return false
	}
	if strings.Contains(pw, digits) {
		return true
	}
	for cc := 1; cc <= 3; cc++ {
		// Seven digits is the shortest national number worth matching;
		// shorter tails would refuse passwords by coincidence.
		if len(digits)-cc >= 7 && strings.Contains(pw, digits[cc:]) {
			return true
		}
	}
	return false
}
