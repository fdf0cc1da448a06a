package bankwire_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/ewallet/ewallet/bank/bankwire"
)

func TestDecodeResult(t *testing.T) {
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		{"Succeeded", `{"id":"top_a","kind":"charge","status":"succeeded","amount":"12.34","currency":"CNY","seq":2}`, true},
		{"Failed", `{"id":"wdr_a","kind":"payout","status":"failed","failure_code":"card_declined","amount":"1","currency":"JPY","seq":1}`, true},
		{"FailedWithoutCode", `{"id":"wdr_a","kind":"payout","status":"failed","amount":"1.00","currency":"CNY","seq":1}`, false},
		{"CodeWithoutFailure", `{"id":"a","kind":"charge","status":"succeeded","failure_code":"x","amount":"1.00","currency":"CNY","seq":1}`, false},
		{"UnknownField", `{"id":"a","kind":"charge","status":"pending","amount":"1.00","currency":"CNY","seq":1,"x":1}`, false},
		{"NumberAmount", `{"id":"a","kind":"charge","status":"pending","amount":1,"currency":"CNY","seq":1}`, false},
		{"TooManyDecimals", `{"id":"a","kind":"charge","status":"pending","amount":"1.001","currency":"CNY","seq":1}`, false},
		{"ZeroAmount", `{"id":"a","kind":"charge","status":"pending","amount":"0.00","currency":"CNY","seq":1}`, false},
		{"BadKind", `{"id":"a","kind":"loan","status":"pending","amount":"1.00","currency":"CNY","seq":1}`, false},
		{"SlashInID", `{"id":"a/b","kind":"charge","status":"pending","amount":"1.00","currency":"CNY","seq":1}`, false},
		{"ZeroSeq", `{"id":"a","kind":"charge","status":"pending","amount":"1.00","currency":"CNY","seq":0}`, false},
		{"Trailing", `{"id":"a","kind":"charge","status":"pending","amount":"1.00","currency":"CNY","seq":1}{}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := bankwire.DecodeResult([]byte(tt.body))
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, bankwire.ErrMalformed) {
				t.Fatalf("err %v is not ErrMalformed", err)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	secret := []byte("s3cret")
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"a"}`)
	signed := func(at time.Time, method, path string) http.Header {
		r, _ := http.NewRequest(method, "http://bank"+path, nil)
		bankwire.SignRequest(r, secret, at, body)
		return r.Header
	}
	tests := []struct {
		name string
		h    http.Header
		key  []byte
		ok   bool
	}{
		{"Good", signed(now, "POST", "/v1/charges"), secret, true},
		{"WrongSecret", signed(now, "POST", "/v1/charges"), []byte("other"), false},
		{"OtherPath", signed(now, "POST", "/v1/payouts"), secret, false},
		{"OtherMethod", signed(now, "GET", "/v1/charges"), secret, false},
		{"Stale", signed(now.Add(-bankwire.MaxSkew-time.Second), "POST", "/v1/charges"), secret, false},
		{"Future", signed(now.Add(bankwire.MaxSkew+time.Second), "POST", "/v1/charges"), secret, false},
		{"NoHeaders", http.Header{}, secret, false},
		{"EmptySecret", signed(now, "POST", "/v1/charges"), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := bankwire.Verify(tt.key, tt.h, "POST", "/v1/charges", body, now)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// FuzzDecodeResult checks that the callback decoder never panics and that
// whatever it accepts encodes back to an equal, acceptable result.
func FuzzDecodeResult(f *testing.F) {
	f.Add([]byte(`{"id":"top_a","kind":"charge","status":"succeeded","amount":"12.34","currency":"CNY","seq":2}`))
	f.Add([]byte(`{"event_id":"e1","id":"wdr_a","kind":"payout","status":"failed","failure_code":"card_declined","amount":"5","currency":"JPY","seq":3}`))
	f.Add([]byte(`{"id":"r","kind":"refund","status":"pending","amount":"0.01","currency":"USD","seq":1}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := bankwire.DecodeResult(body)
		if err != nil {
			return
		}
		if d.Amount <= 0 || d.Seq < 1 || !bankwire.ValidID(d.ID) {
			t.Fatalf("accepted an invalid result %+v", d)
		}
		again, err := json.Marshal(d.Encode())
		if err != nil {
			t.Fatal(err)
		}
		d2, err := bankwire.DecodeResult(again)
		if err != nil || d2 != d {
			t.Fatalf("round trip: %+v, %v; want %+v", d2, err, d)
		}
	})
}
