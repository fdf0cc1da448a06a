package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
)

// Errors from ValidatePIN; neither carries the PIN.
var (
	// ErrInvalidPIN reports a PIN that is not exactly 6 ASCII digits.
	ErrInvalidPIN = errors.New("PIN must be exactly 6 digits")
	// ErrWeakPIN reports a well-formed PIN that is too easy to guess.
	ErrWeakPIN = errors.New("PIN is too easy to guess")
)

// minPepper is the pepper's minimum length: the pepper is what keeps a
// stolen table of PIN hashes from being brute-forced over a million PINs.
const minPepper = 32

// PINHasher hashes payment PINs with a server-side secret (the pepper).
//
// A 6-digit PIN has only 10^6 values, so a slow hash would not protect it;
// keeping the pepper out of the database does. The wrong-PIN lockout limits
// online guessing.
type PINHasher struct {
	pepper []byte
}

// NewPINHasher returns a PINHasher keyed by pepper, which must be at least
// 32 bytes and stay out of the database.
func NewPINHasher(pepper []byte) (*PINHasher, error) {
	if len(pepper) < minPepper {
		return nil, errors.New("auth: PIN pepper must be at least 32 bytes")
	}
	return &PINHasher{pepper: slices.Clone(pepper)}, nil
}

func (h *PINHasher) mac(label, userID, pin string) []byte {
	m := hmac.New(sha256.New, h.pepper)
	// The user id is bound in so that users with the same PIN store
	// different hashes; the label keeps Hash and Redact apart.
	m.Write([]byte(label + "\x00" + userID + "\x00" + pin))
	return m.Sum(nil)
}

// Hash returns the value to store for userID's PIN:
// HMAC-SHA-256(pepper, "pin\x00"+userID+"\x00"+pin).
func (h *PINHasher) Hash(userID, pin string) []byte { return h.mac("pin", userID, pin) }

// Check reports, in constant time, whether pin is userID's PIN whose
// Hash is stored.
func (h *PINHasher) Check(userID, pin string, stored []byte) bool {
	return hmac.Equal(h.Hash(userID, pin), stored)
}

// Redact returns a hex keyed hash of the PIN, distinct from Hash, to put in
// place of the PIN in a request body kept for idempotency comparisons, so
// the stored copy never holds the PIN in clear.
func (h *PINHasher) Redact(userID, pin string) string {
	return hex.EncodeToString(h.mac("pin-redact", userID, pin))
}

// ValidatePIN checks a new payment PIN: ErrInvalidPIN unless it is exactly
// 6 ASCII digits, ErrWeakPIN if it is one digit repeated, a run up or down
// (wrapping 9 to 0), repeated pairs or triples ("121212", "123123",
// "112233"), or on the list of the most common PINs.
func ValidatePIN(pin string) error {
	if len(pin) != 6 {
		return ErrInvalidPIN
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return ErrInvalidPIN
		}
	}
	if trivialPIN(pin) || commonPINs[pin] {
		return ErrWeakPIN
	}
	return nil
}

func trivialPIN(p string) bool {
	up, down := true, true
	for i := 1; i < 6; i++ {
		d := (int(p[i]) - int(p[i-1]) + 10) % 10
		up = up && d == 1
		down = down && d == 9
	}
	return up || down ||
		p[0:2] == p[2:4] && p[2:4] == p[4:6] || // 000000, 121212
		p[0:3] == p[3:6] || // 123123, 520520
		p[0] == p[1] && p[2] == p[3] && p[4] == p[5] || // 112233
		p[0] == p[1] && p[1] == p[2] && p[3] == p[4] && p[4] == p[5] // 111222
}

// commonPINs are the most used 6-digit PINs in published analyses of
// leaked PIN and password sets (including the Chinese "520"/"1314" love
// numbers and keypad shapes) that the patterns above do not already catch.
var commonPINs = map[string]bool{
	"123321": true, "654456": true, "112211": true, "121121": true, "100200": true,
	"520131": true, "521521": true, "131420": true, "201314": true, "584520": true,
	"147258": true, "258369": true, "369258": true, "852741": true, "741852": true,
	"159753": true, "357951": true, "753951": true, "951753": true, "159357": true,
	"147369": true, "963741": true, "789456": true, "456123": true, "123789": true,
	"789123": true, "321654": true, "987456": true, "123654": true, "147852": true,
	"258456": true, "852456": true, "963852": true, "456852": true, "102030": true,
	"666888": true, "888666": true, "888999": true, "010203": true, "112358": true,
	"314159": true, "200000": true, "100000": true, "123000": true, "000123": true,
	"110120": true, "123987": true, "135790": true, "246810": true, "135246": true,
	"142536": true, "520000": true, "131452": true, "520123": true, "123520": true,
}
