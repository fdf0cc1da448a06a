package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// secretPrefix starts a webhook secret; the rest is the key in standard
// base64, which is what the spec's reference libraries HMAC with.
const secretPrefix = "whsec_"

// Errors of Verify.
var (
	ErrBadSecret     = errors.New("webhook: the secret is not whsec_<base64>")
	ErrMissingHeader = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature")
	ErrBadTimestamp  = errors.New("webhook: webhook-timestamp is not Unix seconds")
	ErrTooOld        = errors.New("webhook: message timestamp too old")
	ErrTooNew        = errors.New("webhook: message timestamp too new")
	ErrNoSignature   = errors.New("webhook: no matching signature")
)

// key is the HMAC key of a whsec_ secret.
func key(secret string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil || len(k) == 0 {
		return nil, ErrBadSecret
	}
	return k, nil
}

// Sign returns the webhook-signature of a message: "v1," and the standard
// base64 of HMAC-SHA256(key, id + "." + unix seconds + "." + body), where
// key is the base64-decoded part of secret ("whsec_<base64>").
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	k, err := key(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(k, id, ts.Unix(), body)), nil
}

func mac(key []byte, id string, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write(strconv.AppendInt(nil, ts, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a received webhook as a receiver should: the headers are
// there, webhook-timestamp is within tolerance of now (either way: an old
// message may be a replay), and one of the space-separated v1 signatures
// of webhook-signature is the body's under secret. Signatures of other
// versions are skipped, as the spec asks.
func Verify(secret string, headers http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	k, err := key(secret)
	if err != nil {
		return err
	}
	id, tsText, sigs := headers.Get(HeaderID), headers.Get(HeaderTimestamp), headers.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return ErrMissingHeader
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	sent := time.Unix(ts, 0)
	if now.Sub(sent) > tolerance {
		return ErrTooOld
	}
	if sent.Sub(now) > tolerance {
		return ErrTooNew
	}
	want := mac(k, id, ts, body)
	for _, s := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrNoSignature
}
