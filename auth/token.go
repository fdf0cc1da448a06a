package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// NewToken returns a bearer token, prefix followed by 32 random bytes in
// unpadded base64url, and the SHA-256 hash to store in its place.
func NewToken(prefix string) (token string, hash [32]byte) {
	b := make([]byte, 32)
	rand.Read(b) // never fails since Go 1.24; it crashes the program instead
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken returns the SHA-256 of token, the form in which tokens are
// stored and looked up. A fast hash is right here, unlike for passwords:
// 256 random bits cannot be guessed, so slowing guesses buys nothing.
func HashToken(token string) [32]byte { return sha256.Sum256([]byte(token)) }

const idAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// NewID returns prefix followed by 20 random characters of lower-case
// base32 (100 bits), e.g. "usr_" + "k3j5...": opaque, unguessable, and
// safe in URLs and file names.
func NewID(prefix string) string {
	var b [20]byte
	rand.Read(b[:])
	out := make([]byte, len(prefix)+len(b))
	copy(out, prefix)
	for i, c := range b {
		// 256 is a multiple of 32, so the low five bits are uniform.
		out[len(prefix)+i] = idAlphabet[c&31]
	}
	return string(out)
}
