package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// ErrMalformedHash reports a stored password hash that is not a PHC
// argon2id string this package can verify.
var ErrMalformedHash = errors.New("malformed password hash")

// argonParams are the argon2id cost parameters, kept in every hash so they
// can be raised later without invalidating stored hashes.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

// The OWASP minimum for argon2id (19 MiB, 2 passes, 1 lane): about 64 ms a
// hash on one core, which Hasher bounds in concurrency.
const (
	defaultMemory  = 19 * 1024
	defaultTime    = 2
	defaultThreads = 1
	saltLen        = 16
	keyLen         = 32
)

// Bounds on what a stored hash may ask for, so a corrupted or hostile row
// cannot make one login allocate gigabytes or spin for minutes.
const (
	maxMemory = 256 * 1024
	maxTime   = 16
	minBytes  = 8
	maxBytes  = 64
)

var b64 = base64.RawStdEncoding.Strict()

// HashPassword hashes pw with argon2id and a fresh 16-byte salt and returns
// a PHC string: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
func HashPassword(pw string) (string, error) {
	p := argonParams{memory: defaultMemory, time: defaultTime, threads: defaultThreads, salt: make([]byte, saltLen)}
	if _, err := rand.Read(p.salt); err != nil {
		return "", err
	}
	p.key = argon2.IDKey([]byte(pw), p.salt, p.time, p.memory, p.threads, keyLen)
	return formatPHC(p), nil
}

// CheckPassword reports whether pw matches hash, a PHC argon2id string made
// by HashPassword with any parameters. ErrMalformedHash if hash cannot be
// parsed; a wrong password is (false, nil).
func CheckPassword(hash, pw string) (bool, error) {
	p, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(got, p.key) == 1, nil
}

var dummyHash = sync.OnceValue(func() string {
	pw := make([]byte, 32)
	rand.Read(pw)
	h, err := HashPassword(string(pw))
	if err != nil {
		panic("auth: dummy hash: " + err.Error())
	}
	return h
})

// DummyHash returns a valid hash of a random password nobody knows, made
// once on first use. Checking a login for an unknown phone against it costs
// the same time as for a real user, so timing does not reveal which phones
// have accounts.
func DummyHash() string { return dummyHash() }

func formatPHC(p argonParams) string {
	var b strings.Builder
	b.WriteString("$argon2id$v=19$m=")
	b.WriteString(strconv.FormatUint(uint64(p.memory), 10))
	b.WriteString(",t=")
	b.WriteString(strconv.FormatUint(uint64(p.time), 10))
	b.WriteString(",p=")
	b.WriteString(strconv.FormatUint(uint64(p.threads), 10))
	b.WriteByte('$')
	b.WriteString(b64.EncodeToString(p.salt))
	b.WriteByte('$')
	b.WriteString(b64.EncodeToString(p.key))
	return b.String()
}

// parsePHC accepts exactly the canonical form formatPHC writes (no leading
// zeros, strict base64), so a stored hash has one spelling.
func parsePHC(s string) (argonParams, error) {
	var p argonParams
	f := strings.Split(s, "$")
	if len(f) != 6 || f[0] != "" || f[1] != "argon2id" || f[2] != "v=19" {
		return p, ErrMalformedHash
	}
	ps := strings.Split(f[3], ",")
	if len(ps) != 3 {
		return p, ErrMalformedHash
	}
	m, ok1 := param(ps[0], "m=", maxMemory)
	t, ok2 := param(ps[1], "t=", maxTime)
	th, ok3 := param(ps[2], "p=", 255)
	if !ok1 || !ok2 || !ok3 || t < 1 || th < 1 || m < 8*th {
		return p, ErrMalformedHash
	}
	p.memory, p.time, p.threads = m, t, uint8(th)
	var ok bool
	if p.salt, ok = decodeB64(f[4]); !ok {
		return argonParams{}, ErrMalformedHash
	}
	if p.key, ok = decodeB64(f[5]); !ok {
		return argonParams{}, ErrMalformedHash
	}
	return p, nil
}

// decodeB64 decodes a salt or key of 8 to 64 bytes. The decoder skips
// '\r' and '\n' even in strict mode, so the result is re-encoded and
// compared to keep one spelling per hash.
func decodeB64(s string) ([]byte, bool) {
	b, err := b64.DecodeString(s)
	if err != nil || len(b) < minBytes || len(b) > maxBytes || b64.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}

// param parses "name=<decimal>" with no sign and no leading zero, up to max.
func param(s, name string, max uint32) (uint32, bool) {
	v, ok := strings.CutPrefix(s, name)
	if !ok || v == "" || len(v) > 10 || (v[0] == '0' && len(v) > 1) {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + uint64(v[i]-'0')
	}
	if n > uint64(max) {
		return 0, false
	}
	return uint32(n), true
}
