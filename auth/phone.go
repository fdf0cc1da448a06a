package auth

import "errors"

// ErrInvalidPhone reports a phone number that is not in E.164 form.
var ErrInvalidPhone = errors.New("phone number must be in E.164 form, e.g. +8613800000001")

// NormalizePhone checks that s is an E.164 number ("+" then 8 to 15 digits,
// the first 1-9) and returns it unchanged; otherwise ErrInvalidPhone.
//
// It deliberately accepts nothing looser (spaces, dashes, a missing "+"):
// the phone is the login name and the key of per-phone lockouts, so two
// spellings of one number must never become two accounts or two counters.
func NormalizePhone(s string) (string, error) {
	if len(s) < 1+8 || len(s) > 1+15 || s[0] != '+' || s[1] < '1' || s[1] > '9' {
		return "", ErrInvalidPhone
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", ErrInvalidPhone
		}
	}
	return s, nil
}
