package receipt_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/ewallet/ewallet/receipt"
)

// FuzzVerify feeds arbitrary bytes to Verifier.Verify. It must never
// panic, and must accept only the receipts that were signed (the fuzzer
// cannot forge Ed25519): whatever it accepts is, field for field, one of
// the signed originals, however its JSON was re-encoded, and encodes back
// to the original's JSON exactly.
func FuzzVerify(f *testing.F) {
	s := MustSigner(f, "fuzz")
	v := MustVerifier(f, s, MustSigner(f, "other"))
	odd := NewPayment()
	odd.MerchantName, odd.Items = "\x00<&>\u2028\"\\", nil
	var originals []receipt.Signed
	var originalJSON [][]byte
	for _, r := range []receipt.Receipt{NewPayment(), NewRefund(), odd} {
		signed := MustSign(f, s, r)
		originals = append(originals, signed)
		originalJSON = append(originalJSON, MustJSON(f, signed))
	}
	for _, good := range originalJSON {
		var indented bytes.Buffer
		json.Indent(&indented, good, "", "\t")
		f.Add(good)
		f.Add(indented.Bytes())
		f.Add(bytes.Replace(good, []byte(`"amount":"12.30"`), []byte(`"amount":"12.31"`), 1))
		f.Add(bytes.Replace(good, []byte(`"amount":"12.30"`), []byte(`"amount":"99.00","amount":"12.30"`), 1))
		f.Add(bytes.Replace(good, []byte(`"kind"`), []byte(`"Kind"`), 1))
		f.Add(good[:len(good)/2])
	}
	for _, seed := range []string{"", "{}", "null", "[[[[[[[[[[", `{"receipt":{}}`, strings.Repeat("{", 5000),
		`{"receipt":{"items":[{"amount":"1e400"}]},"key_id":"0","signature":"` + strings.Repeat("A", 86) + `"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := v.Verify(data)
		if err != nil {
			if !reflect.DeepEqual(got, receipt.Signed{}) {
				t.Fatalf("Verify returned a receipt with error %v", err)
			}
			return
		}
		for i, o := range originals {
			if reflect.DeepEqual(got, o) {
				if again := MustJSON(t, got); !bytes.Equal(again, originalJSON[i]) {
					t.Fatalf("verified receipt encodes as\n%s\nnot as the original\n%s", again, originalJSON[i])
				}
				return
			}
		}
		t.Fatalf("Verify accepted a receipt that was never signed:\n%s\n%+v", data, got)
	})
}

// FuzzPDF renders receipts with arbitrary text: every receipt that Sign
// accepts must render, without error or panic, as one structurally valid
// page.
func FuzzPDF(f *testing.F) {
	for _, seed := range [][3]string{
		{"Lucky Noodles 幸运面馆", "Lunch", "tea"},
		{"(unbalanced", `back\slash) and (parens`, "%%EOF\nxref"},
		{"😀\u202e\u200b", "\ufeff\ufffd", "\x00\x7f\r\n\t"},
		{strings.Repeat("W", 200), strings.Repeat("word ", 200), strings.Repeat("长", 200)},
		{strings.Repeat("﷽", 200), strings.Repeat("\u2e3b", 1000), strings.Repeat("ǅ", 200)},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	s := MustSigner(f, "fuzz")
	f.Fuzz(func(t *testing.T, name, desc, item string) {
		r := NewPayment()
		r.MerchantName, r.Description = name, desc
		r.Items = nil
		for range receipt.MaxItems {
			r.Items = append(r.Items, receipt.Item{Name: item, Quantity: 1, Amount: 0})
		}
		r.Items[0].Amount = r.Amount
		signed, err := s.Sign(r)
		if err != nil {
			return // not a receipt we would issue
		}
		MustPDF(t, signed)
	})
}
