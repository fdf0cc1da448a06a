package webhook_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/ewallet/ewallet/webhook"
)

// TestSignKnownAnswers checks Sign against answers computed elsewhere: the
// Standard Webhooks reference libraries' test vector, and one computed
// with openssl for an ewallet event:
//
//	key=$(printf '%s' AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= | base64 -d | xxd -p -c 64)
//	printf '%s' 'evt_test.1773480413.{…}' | openssl dgst -sha256 -mac HMAC -macopt hexkey:$key -binary | base64
func TestSignKnownAnswers(t *testing.T) {
	for _, c := range []struct {
		name, secret, id string
		ts               int64
		body, want       string
	}{
		{"StandardWebhooksVector", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
			`{"test": 2432232314}`, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
		{"EwalletEvent", "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "evt_test", 1773480413,
			`{"id":"evt_test","type":"payment.succeeded","created_at":"2026-03-14T09:26:53Z","data":{"id":"pay_1","amount":"12.34"}}`,
			"v1,HdlobB0OHiGT5b7Y7CYL2A6d6zUPNexXqySgwMxPT08="},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := webhook.Sign(c.secret, c.id, time.Unix(c.ts, 0), []byte(c.body))
			if err != nil || got != c.want {
				t.Fatalf("Sign: %q, %v; want %q", got, err, c.want)
			}
			h := http.Header{}
			h.Set(webhook.HeaderID, c.id)
			h.Set(webhook.HeaderTimestamp, strconv.FormatInt(c.ts, 10))
			h.Set(webhook.HeaderSignature, got)
			if err := webhook.Verify(c.secret, h, []byte(c.body), 5*time.Minute, time.Unix(c.ts, 0)); err != nil {
				t.Errorf("Verify of its own signature: %v", err)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		id     = "evt_2ubq3gvhmyd7dc4rp7ojdmrw"
		body   = `{"id":"evt_2ubq3gvhmyd7dc4rp7ojdmrw","type":"refund.succeeded","created_at":"2026-03-14T09:26:53Z","data":{}}`
	)
	const tolerance = 5 * time.Minute
	sent := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	headers := func() http.Header {
		sig, err := webhook.Sign(secret, id, sent, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return http.Header{
			"Webhook-Id":        {id},
			"Webhook-Timestamp": {strconv.FormatInt(sent.Unix(), 10)},
			"Webhook-Signature": {sig},
		}
	}
	for _, c := range []struct {
		name   string
		secret string
		edit   func(h http.Header) // nil: as sent
		body   string              // "": as sent
		now    time.Time           // zero: sent
		want   error
	}{
		{name: "Valid"},
		{name: "ValidWithoutPrefix", secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		{name: "JustWithinTolerance", now: sent.Add(tolerance)},
		{name: "TamperedBody", body: body[:len(body)-3] + `{"amount":"1"}}`, want: webhook.ErrNoSignature},
		{name: "TamperedID", edit: func(h http.Header) { h.Set(webhook.HeaderID, "evt_other") }, want: webhook.ErrNoSignature},
		{name: "TamperedTimestamp", edit: func(h http.Header) { h.Set(webhook.HeaderTimestamp, strconv.FormatInt(sent.Unix()+1, 10)) },
			want: webhook.ErrNoSignature},
		{name: "WrongSecret", secret: "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", want: webhook.ErrNoSignature},
		{name: "OldTimestamp", now: sent.Add(tolerance + time.Second), want: webhook.ErrTooOld},
		{name: "FutureTimestamp", now: sent.Add(-tolerance - time.Second), want: webhook.ErrTooNew},
		{name: "MissingID", edit: func(h http.Header) { h.Del(webhook.HeaderID) }, want: webhook.ErrMissingHeader},
		{name: "MissingSignature", edit: func(h http.Header) { h.Del(webhook.HeaderSignature) }, want: webhook.ErrMissingHeader},
		{name: "TimestampNotANumber", edit: func(h http.Header) { h.Set(webhook.HeaderTimestamp, "2026-03-14T09:26:53Z") },
			want: webhook.ErrBadTimestamp},
		{name: "OneOfSeveralSignatures", edit: func(h http.Header) {
			h.Set(webhook.HeaderSignature, "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1a,xyz "+h.Get(webhook.HeaderSignature))
		}},
		{name: "OtherVersionOnly", edit: func(h http.Header) {
			h.Set(webhook.HeaderSignature, "v2,"+h.Get(webhook.HeaderSignature)[3:])
		}, want: webhook.ErrNoSignature},
		{name: "SignatureNotBase64", edit: func(h http.Header) { h.Set(webhook.HeaderSignature, "v1,!!!") }, want: webhook.ErrNoSignature},
		{name: "SecretNotBase64", secret: "whsec_not base64!", want: webhook.ErrBadSecret},
		{name: "EmptySecret", secret: "whsec_", want: webhook.ErrBadSecret},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := headers()
			if c.edit != nil {
				c.edit(h)
			}
			b, s, now := body, secret, sent
			if c.body != "" {
				b = c.body
			}
			if c.secret != "" {
				s = c.secret
			}
			if !c.now.IsZero() {
				now = c.now
			}
			if err := webhook.Verify(s, h, []byte(b), tolerance, now); !errors.Is(err, c.want) {
				t.Errorf("Verify: %v, want %v", err, c.want)
			}
		})
	}
}
