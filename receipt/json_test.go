package receipt_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/receipt"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestMarshalJSON(t *testing.T) {
	jpy := NewPayment()
	jpy.Currency, jpy.Amount, jpy.Items, jpy.Description = money.JPY, 1000, nil, ""
	jpy.IssuedAt = time.Date(2026, 2, 1, 16, 0, 0, 0, time.FixedZone("CST", 8*3600))

	tests := []struct {
		name    string
		r       receipt.Receipt
		want    []string // substrings of the JSON
		notWant []string
	}{
		{"Payment", NewPayment(), []string{
			`{"id":"rcp_k3j5m7q2w4e6r8t0y2u4i6o8","kind":"payment","payment_id":"pay_`,
			`"amount":"12.30","currency":"CNY"`, `"issued_at":"2026-02-01T08:15:30.123456Z"}`,
			`"items":[{"name":"牛肉面 Beef noodles","quantity":1,"amount":"9.80"},{"name":"Jasmine tea","quantity":2,"amount":"2.50"}]`,
			`"merchant_category":"5812"`,
		}, []string{`"refund_id"`, `"refund_amount"`}},
		{"Refund", NewRefund(), []string{
			`"kind":"refund"`, `"refund_id":"ref_z2y3x4w5v6u7t2s3r4q5p6o7"`, `"amount":"12.30"`, `"refund_amount":"3.00"`,
		}, nil},
		{"JPYAndLocalTime", jpy, []string{`"amount":"1000","currency":"JPY"`, `"issued_at":"2026-02-01T08:00:00Z"`},
			[]string{`"items"`, `"description"`, `"1000.00"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(MustJSON(t, tt.r))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("JSON lacks %s\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("JSON has %s\n%s", w, got)
				}
			}
		})
	}
	t.Run("Signed", func(t *testing.T) {
		signed := MustSign(t, MustSigner(t, "a"), NewPayment())
		var m map[string]json.RawMessage
		if err := json.Unmarshal(MustJSON(t, signed), &m); err != nil {
			t.Fatal(err)
		}
		if len(m) != 3 || m["receipt"] == nil || string(m["key_id"]) != `"`+signed.KeyID+`"` {
			t.Fatalf("signed JSON = %s", MustJSON(t, signed))
		}
		if sig := string(m["signature"]); len(sig) != 88 || strings.ContainsAny(sig, "+/=") {
			t.Fatalf("signature %s is not 64 bytes of unpadded base64url", sig)
		}
	})
}

func TestJSONRoundTrip(t *testing.T) {
	odd := NewPayment()
	odd.MerchantName = "<script>&\u2028\u00a0\"\\ 😀 \x01"
	odd.Items[0].Name = "\u202eevil"
	odd.Description = strings.Repeat("长", 1000)
	nanos := NewRefund()
	nanos.IssuedAt = time.Date(2099, 12, 31, 23, 59, 59, 999999999, time.UTC)
	big := NewPayment()
	big.Amount, big.Items = money.MaxAmount, nil
	for _, r := range []receipt.Receipt{NewPayment(), NewRefund(), odd, nanos, big} {
		t.Run(r.ID, func(t *testing.T) {
			var back receipt.Receipt
			if err := json.Unmarshal(MustJSON(t, r), &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, r) {
				t.Fatalf("round trip\n got %+v\nwant %+v", back, r)
			}
		})
	}
}

// TestGolden pins the signed JSON of two receipts under fixed keys. If it
// fails, receipts issued before the change would no longer verify: change
// Domain instead of the layout. go test ./receipt -run Golden -update
// rewrites the files.
func TestGolden(t *testing.T) {
	s := MustSigner(t, "golden")
	v := MustVerifier(t, s)
	for _, tt := range []struct {
		file string
		r    receipt.Receipt
	}{{"payment.json", NewPayment()}, {"refund.json", NewRefund()}} {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			got := MustJSON(t, MustSign(t, s, tt.r))
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want = bytes.TrimSuffix(want, []byte("\n"))
			if !bytes.Equal(got, want) {
				t.Fatalf("signed JSON changed:\n got %s\nwant %s", got, want)
			}
			signed, err := v.Verify(want)
			if err != nil {
				t.Fatalf("golden file does not verify: %v", err)
			}
			if !reflect.DeepEqual(signed.Receipt, tt.r) {
				t.Fatalf("golden receipt = %+v", signed.Receipt)
			}
		})
	}
}

func TestParseSignedRefuses(t *testing.T) {
	good := string(MustJSON(t, MustSign(t, MustSigner(t, "a"), NewRefund())))
	sub := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("fixture lacks %s", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	tests := []struct {
		name string
		in   string
		err  error
	}{
		{"Empty", "", receipt.ErrMalformed},
		{"Null", "null", receipt.ErrMalformed},
		{"Array", "[]", receipt.ErrMalformed},
		{"NotJSON", "receipt", receipt.ErrMalformed},
		{"Truncated", good[:len(good)-1], receipt.ErrMalformed},
		{"TrailingData", good + "{}", receipt.ErrMalformed},
		{"TwoDocuments", good + good, receipt.ErrMalformed},
		{"TooLarge", good + strings.Repeat(" ", receipt.MaxJSON), receipt.ErrMalformed},
		{"NoReceipt", sub(`"receipt":`, `"receipt":null,"x":`), receipt.ErrMalformed},
		{"ReceiptNull", `{"receipt":null,"key_id":"0123456789abcdef","signature":""}`, receipt.ErrMalformed},
		{"UnknownEnvelopeField", sub(`{"receipt"`, `{"extra":1,"receipt"`), receipt.ErrMalformed},
		{"UnknownReceiptField", sub(`"kind"`, `"fee":"0.07","kind"`), receipt.ErrMalformed},
		{"UnknownItemField", sub(`"quantity":1`, `"quantity":1,"unit":"bowl"`), receipt.ErrMalformed},
		{"DuplicateAmount", sub(`"amount":"12.30"`, `"amount":"99.00","amount":"12.30"`), receipt.ErrMalformed},
		{"DuplicateSignature", sub(`"signature"`, `"signature":"x","signature"`), receipt.ErrMalformed},
		{"DuplicateItemName", sub(`"name":"Jasmine tea"`, `"name":"Jasmine tea","name":"Jasmine tea"`), receipt.ErrMalformed},
		{"KeyInOtherCase", sub(`"amount":"12.30"`, `"AMOUNT":"12.30"`), receipt.ErrMalformed},
		{"KeyEscaped", sub(`"amount":"12.30"`, `"\u0061mount":"99.00","amount":"12.30"`), receipt.ErrMalformed},
		{"NestedTooDeep", sub(`"quantity":1`, `"quantity":[[[[1]]]]`), receipt.ErrMalformed},
		{"AmountAsNumber", sub(`"amount":"12.30"`, `"amount":12.30`), receipt.ErrMalformed},
		{"QuantityAsString", sub(`"quantity":1`, `"quantity":"1"`), receipt.ErrMalformed},
		{"QuantityFraction", sub(`"quantity":1`, `"quantity":1.0`), receipt.ErrMalformed},
		{"KeyIDUpperCase", strings.Replace(good, `"key_id":"`, `"key_id":"F`, 1), receipt.ErrMalformed},
		{"KeyIDMissing", good[:strings.Index(good, `,"key_id"`)] + good[strings.Index(good, `,"signature"`):], receipt.ErrMalformed},
		{"SignaturePadded", good[:len(good)-2] + `=="}`, receipt.ErrMalformed},
		{"SignatureStdBase64", sub(`"signature":"`, `"signature":"+/`), receipt.ErrMalformed},
		{"SignatureShort", good[:len(good)-4] + `"}`, receipt.ErrMalformed},
		{"AmountTooManyDecimals", sub(`"amount":"12.30"`, `"amount":"12.300"`), receipt.ErrInvalidReceipt},
		{"AmountNegative", sub(`"amount":"12.30"`, `"amount":"-12.30"`), receipt.ErrInvalidReceipt},
		{"AmountExponent", sub(`"amount":"12.30"`, `"amount":"1.23e1"`), receipt.ErrInvalidReceipt},
		{"CurrencyUnknown", sub(`"currency":"CNY"`, `"currency":"XYZ"`), receipt.ErrInvalidReceipt},
		{"CurrencyLowerCase", sub(`"currency":"CNY"`, `"currency":"cny"`), receipt.ErrInvalidReceipt},
		{"TimeNotRFC3339", sub(`"issued_at":"2026-02-02T10:15:30.123456Z"`, `"issued_at":"2026-02-02 10:15:30"`), receipt.ErrInvalidReceipt},
		{"TimeMissing", sub(`,"issued_at":"2026-02-02T10:15:30.123456Z"`, ``), receipt.ErrInvalidReceipt},
		{"RefundOverAmount", sub(`"refund_amount":"3.00"`, `"refund_amount":"12.31"`), receipt.ErrInvalidReceipt},
		{"KindUnknown", sub(`"kind":"refund"`, `"kind":"Refund"`), receipt.ErrInvalidReceipt},
		{"ItemsDoNotAddUp", sub(`"amount":"2.50"`, `"amount":"2.51"`), receipt.ErrInvalidReceipt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := receipt.ParseSigned([]byte(tt.in))
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseSigned = %v; want %v", err, tt.err)
			}
		})
	}
	t.Run("Good", func(t *testing.T) {
		if _, err := receipt.ParseSigned([]byte(good)); err != nil {
			t.Fatal(err)
		}
	})
}
