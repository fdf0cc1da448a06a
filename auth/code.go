package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"strconv"
)

// NewCode returns a uniformly random 6-digit one-time code for SMS
// verification, leading zeros kept.
func NewCode() string {
	// Reject the top of the uint32 range that would make low codes more
	// likely than high ones under the modulo.
	const n = 1_000_000
	const limit = (1 << 32) / n * n
	var b [4]byte
	for {
		rand.Read(b[:])
		if v := binary.BigEndian.Uint32(b[:]); v < limit {
			s := strconv.Itoa(int(v % n))
			return "000000"[len(s):] + s
		}
	}
}

// HashCode returns the keyed hash stored for a one-time code, bound to the
// phone and purpose ("verify", "unfreeze", …) so a code sent for one cannot
// be used for another. secret stays out of the database: a 6-digit code
// would fall to brute force from its hash alone.
func HashCode(secret []byte, phone, purpose, code string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("otp\x00" + phone + "\x00" + purpose + "\x00" + code))
	return m.Sum(nil)
}

// CheckCode reports, in constant time, whether code matches stored, a
// HashCode for the same secret, phone and purpose.
func CheckCode(secret []byte, phone, purpose, code string, stored []byte) bool {
	return hmac.Equal(HashCode(secret, phone, purpose, code), stored)
}
