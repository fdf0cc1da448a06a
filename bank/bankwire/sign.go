// Package bankwire is what ewallet's bank connector (bank/httpbank) and the
// sandbox bank (banksim) say to each other over HTTP: the JSON bodies, the
// request signature, and the callback the bank sends when a request ends.
// Both sides import it, so the two can never disagree on the format.
package bankwire

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a signed message, in both directions.
const (
	HeaderTimestamp = "X-Bank-Timestamp" // Unix seconds
	HeaderSignature = "X-Bank-Signature" // "v1=" + hex HMAC-SHA256
	HeaderIdemKey   = "Idempotency-Key"  // the caller's operation ID
	// HeaderBehaviour names a misbehaviour the sandbox bank should show for
	// this one request (see banksim); a real bank ignores it.
	HeaderBehaviour = "X-Sim-Behaviour"
)

// MaxSkew is how far a message's timestamp may be from the receiver's
// clock. An older message is refused, so a captured one cannot be replayed
// later (within the window, replays are harmless: every request and
// callback is idempotent).
const MaxSkew = 5 * time.Minute

// ErrBadSignature is a message whose signature, or timestamp, is wrong.
var ErrBadSignature = errors.New("bankwire: bad or stale signature")

// Sign returns the signature header value of a message: HMAC-SHA256 under
// the shared secret over the timestamp, the method, the path and the body,
// one per line. The method and path are covered so that the signature of a
// bodiless GET cannot be moved to another path.
func Sign(secret []byte, ts int64, method, path string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10) + "\n" + method + "\n" + path + "\n"))
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// SignRequest sets the timestamp and signature headers of r, whose body is
// body.
func SignRequest(r *http.Request, secret []byte, now time.Time, body []byte) {
	ts := now.Unix()
	r.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	r.Header.Set(HeaderSignature, Sign(secret, ts, r.Method, r.URL.Path, body))
}

// Verify checks a message's signature and that its timestamp is within
// MaxSkew of now. It compares in constant time.
func Verify(secret []byte, h http.Header, method, path string, body []byte, now time.Time) error {
	ts, err := strconv.ParseInt(strings.TrimSpace(h.Get(HeaderTimestamp)), 10, 64)
	if err != nil || len(secret) == 0 {
		return ErrBadSignature
	}
	skew := now.Sub(time.Unix(ts, 0))
	if skew > MaxSkew || skew < -MaxSkew {
		return ErrBadSignature
	}
	want := Sign(secret, ts, method, path, body)
	if !hmac.Equal([]byte(want), []byte(h.Get(HeaderSignature))) {
		return ErrBadSignature
	}
	return nil
}
