package emvqr_test

import (
	"errors"
	"testing"

	"github.com/ewallet/ewallet/emvqr"
)

// FuzzDecode: Decode never panics, refuses only with an *Error, and
// whatever it accepts re-encodes to a string that decodes to the same
// payload and re-encodes to itself.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		dynamicString, staticString, emvcoSample,
		trimCRC(dynamicString) + "f944",
		"", "0002", "000201", "00020163", "6304FFFF", "0002016304", "\xff\xfe",
	} {
		f.Add(s)
	}
	for i := range roundTrips {
		s, err := emvqr.Encode(roundTripPayload(i))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := emvqr.Decode(s)
		if err != nil {
			var e *emvqr.Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode error %v is a %T, want *emvqr.Error", err, err)
			}
			return
		}
		s2, err := emvqr.Encode(p)
		if err != nil {
			t.Fatalf("Decode(%q) = %+v, which Encode refuses: %v", s, p, err)
		}
		p2, err := emvqr.Decode(s2)
		if err != nil {
			t.Fatalf("Decode(Encode(%+v)) = %v", p, err)
		}
		if p2 != p {
			t.Fatalf("Decode(Encode(p)) =\n %+v\nwant\n %+v", p2, p)
		}
		if s3, _ := emvqr.Encode(p2); s3 != s2 {
			t.Fatalf("Encode not stable: %q then %q", s2, s3)
		}
	})
}

// FuzzRoundTrip: for any field values, Encode either refuses with an
// *Error or produces a string that decodes to exactly the same payload
// and re-encodes to itself.
func FuzzRoundTrip(f *testing.F) {
	add := func(p emvqr.Payload) {
		ma := p.MerchantAccount
		f.Add(p.Dynamic, ma.GUID, ma.MerchantID, ma.PaymentID, p.MCC, p.Currency, p.Amount,
			p.Country, p.MerchantName, p.MerchantCity, p.Reference)
	}
	for i := range roundTrips {
		add(roundTripPayload(i))
	}
	add(emvqr.Payload{})
	f.Fuzz(func(t *testing.T, dynamic bool, guid, merchantID, paymentID, mcc, currency, amount,
		country, name, city, reference string) {
		p := emvqr.Payload{
			Dynamic:         dynamic,
			MerchantAccount: emvqr.MerchantAccount{GUID: guid, MerchantID: merchantID, PaymentID: paymentID},
			MCC:             mcc, Currency: currency, Amount: amount, Country: country,
			MerchantName: name, MerchantCity: city, Reference: reference,
		}
		s, err := emvqr.Encode(p)
		if err != nil {
			var e *emvqr.Error
			if !errors.As(err, &e) {
				t.Fatalf("Encode error %v is a %T, want *emvqr.Error", err, err)
			}
			return
		}
		got, err := emvqr.Decode(s)
		if err != nil {
			t.Fatalf("Decode(Encode(%+v)) = %v\n%q", p, err, s)
		}
		if got != p {
			t.Fatalf("Decode(Encode(p)) =\n %+v\nwant\n %+v", got, p)
		}
		if s2, err := emvqr.Encode(got); err != nil || s2 != s {
			t.Fatalf("Encode(Decode(s)) = %q, %v; want %q", s2, err, s)
		}
	})
}

func trimCRC(s string) string { return s[:len(s)-4] }
