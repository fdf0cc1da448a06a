package receipt_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/receipt"
)

func TestSign(t *testing.T) {
	s := MustSigner(t, "a")
	t.Run("Normalizes", func(t *testing.T) {
		r := NewPayment()
		r.IssuedAt = time.Now().In(time.FixedZone("CST", 8*3600))
		signed := MustSign(t, s, r)
		if signed.Receipt.IssuedAt.Location() != time.UTC || !signed.Receipt.IssuedAt.Equal(r.IssuedAt) {
			t.Fatalf("IssuedAt = %v; want %v in UTC", signed.Receipt.IssuedAt, r.IssuedAt)
		}
		r.Items[0].Name = "changed after signing"
		if signed.Receipt.Items[0].Name == r.Items[0].Name {
			t.Fatal("the signed receipt shares the caller's Items")
		}
		if err := receipt.Verify(s.PublicKey(), signed); err != nil {
			t.Fatal(err)
		}
		empty := NewPayment()
		empty.Items = []receipt.Item{}
		if got := MustSign(t, s, empty).Receipt.Items; got != nil {
			t.Fatalf("empty Items signed as %#v; want nil", got)
		}
	})
	t.Run("Deterministic", func(t *testing.T) {
		a, b := MustSign(t, s, NewPayment()), MustSign(t, s, NewPayment())
		if !bytes.Equal(a.Signature, b.Signature) || a.KeyID != s.KeyID() {
			t.Fatal("Ed25519 signatures of one receipt differ")
		}
	})
	t.Run("RefusesInvalid", func(t *testing.T) {
		r := NewPayment()
		r.Amount++
		if _, err := s.Sign(r); !errors.Is(err, receipt.ErrInvalidReceipt) {
			t.Fatalf("Sign = %v; want ErrInvalidReceipt", err)
		}
	})
	t.Run("FullestFitsMaxJSON", func(t *testing.T) {
		// Every character escaped as \u0001 (6 bytes): the largest JSON a
		// valid receipt has. A third of MaxJSON leaves room for a
		// re-encoding that escapes more, or indents.
		r := NewPayment()
		r.MerchantName = "a" + strings.Repeat("\x01", 199)
		r.Description = strings.Repeat("\x01", 1000)
		r.Items = nil
		for range receipt.MaxItems {
			r.Items = append(r.Items, receipt.Item{Name: "a" + strings.Repeat("\x01", 199), Quantity: 1_000_000, Amount: 1})
		}
		r.Amount = receipt.MaxItems
		data := MustJSON(t, MustSign(t, s, r))
		if len(data) > receipt.MaxJSON/3 {
			t.Fatalf("%d bytes of JSON; MaxJSON is %d", len(data), receipt.MaxJSON)
		}
		if _, err := MustVerifier(t, s).Verify(data); err != nil {
			t.Fatal(err)
		}
	})
}

func TestNewSigner(t *testing.T) {
	key := MustKey(t, "a")
	otherPub := MustKey(t, "b")[32:]
	for _, tt := range []struct {
		name string
		key  ed25519.PrivateKey
	}{
		{"Nil", nil},
		{"SeedOnly", key.Seed()},
		{"WrongPublicHalf", append(key.Seed(), otherPub...)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := receipt.NewSigner(tt.key); err == nil {
				t.Fatal("NewSigner accepted the key")
			}
		})
	}
	t.Run("KeyCopied", func(t *testing.T) {
		k := bytes.Clone(key)
		s, err := receipt.NewSigner(k)
		if err != nil {
			t.Fatal(err)
		}
		clear(k)
		if err := receipt.Verify(key.Public().(ed25519.PublicKey), MustSign(t, s, NewPayment())); err != nil {
			t.Fatalf("signer used the caller's slice: %v", err)
		}
	})
}

// TestVerifyTamper changes each field of a signed receipt's JSON, keeping
// the receipt valid where possible, and checks that it no longer verifies.
func TestVerifyTamper(t *testing.T) {
	s, other := MustSigner(t, "a"), MustSigner(t, "b")
	v := MustVerifier(t, s, other)
	for _, base := range []receipt.Receipt{NewPayment(), NewRefund()} {
		signed := MustSign(t, s, base)
		good := string(MustJSON(t, signed))
		if _, err := v.Verify([]byte(good)); err != nil {
			t.Fatalf("untouched %s receipt: %v", base.Kind, err)
		}
		field := func(name string) string { // the JSON of one receipt field
			var env struct{ Receipt map[string]json.RawMessage }
			if err := json.Unmarshal([]byte(good), &env); err != nil {
				t.Fatal(err)
			}
			return `"` + name + `":` + string(env.Receipt[name])
		}
		tests := []struct {
			name     string
			old, new string
			err      error // the one expected; any error will do when nil
		}{
			{"ID", field("id"), `"id":"rcp_k3j5m7q2w4e6r8t0y2u4i6o9"`, receipt.ErrBadSignature},
			{"PaymentID", field("payment_id"), `"payment_id":"pay_other"`, receipt.ErrBadSignature},
			{"MerchantID", field("merchant_id"), `"merchant_id":"mch_other"`, receipt.ErrBadSignature},
			{"MerchantName", field("merchant_name"), `"merchant_name":"Lucky Noodles 幸运面館"`, receipt.ErrBadSignature},
			{"MerchantNameSpace", field("merchant_name"), `"merchant_name":"Lucky Noodles  幸运面馆"`, receipt.ErrBadSignature},
			{"MerchantCategory", field("merchant_category"), `"merchant_category":"5813"`, receipt.ErrBadSignature},
			{"PayerID", field("payer_id"), `"payer_id":"usr_other"`, receipt.ErrBadSignature},
			{"Description", field("description"), `"description":"Lunch <table 8> & tea"`, receipt.ErrBadSignature},
			{"DescriptionRemoved", field("description") + ",", ``, receipt.ErrBadSignature},
			{"ItemName", `"name":"Jasmine tea"`, `"name":"Green tea"`, receipt.ErrBadSignature},
			{"ItemQuantity", `"quantity":2`, `"quantity":3`, receipt.ErrBadSignature},
			{"ItemAmounts", `"amount":"9.80"},{"name":"Jasmine tea","quantity":2,"amount":"2.50"`,
				`"amount":"9.00"},{"name":"Jasmine tea","quantity":2,"amount":"3.30"`, receipt.ErrBadSignature},
			{"ItemsSwapped", field("items"), `"items":[{"name":"Jasmine tea","quantity":2,"amount":"2.50"},{"name":"牛肉面 Beef noodles","quantity":1,"amount":"9.80"}]`, receipt.ErrBadSignature},
			{"ItemsRemoved", field("items") + ",", ``, receipt.ErrBadSignature},
			{"AmountWithItems", field("amount"), `"amount":"12.31"`, receipt.ErrInvalidReceipt},
			{"AmountAndItems", `"amount":"2.50"}],"amount":"12.30"`, `"amount":"2.51"}],"amount":"12.31"`, receipt.ErrBadSignature},
			{"Currency", field("currency"), `"currency":"HKD"`, receipt.ErrBadSignature},
			{"IssuedAtNanosecond", field("issued_at"), strings.Replace(field("issued_at"), `123456Z`, `123457Z`, 1), receipt.ErrBadSignature},
			{"IssuedAtDay", field("issued_at"), strings.Replace(field("issued_at"), `2026-02-0`, `2026-03-0`, 1), receipt.ErrBadSignature},
			{"KeyIDOfOtherKey", `"key_id":"` + s.KeyID(), `"key_id":"` + other.KeyID(), receipt.ErrBadSignature},
			{"KeyIDUnknown", `"key_id":"` + s.KeyID(), `"key_id":"0000000000000000`, receipt.ErrUnknownKey},
			{"SignatureByte", `"signature":"` + good[len(good)-88:len(good)-86], `"signature":"` + flip(good[len(good)-88:len(good)-86]), receipt.ErrBadSignature},
		}
		if base.Kind == receipt.KindPayment {
			tests = append(tests, []struct {
				name     string
				old, new string
				err      error
			}{
				{"KindRefund", `"kind":"payment"`, `"kind":"refund","refund_id":"ref_x","refund_amount":"1.00"`, receipt.ErrBadSignature},
			}...)
		} else {
			tests = append(tests, []struct {
				name     string
				old, new string
				err      error
			}{
				{"RefundID", field("refund_id"), `"refund_id":"ref_other"`, receipt.ErrBadSignature},
				{"RefundAmount", field("refund_amount"), `"refund_amount":"12.30"`, receipt.ErrBadSignature},
				{"KindPayment", field("refund_id") + ",", ``, receipt.ErrInvalidReceipt},
			}...)
		}
		for _, tt := range tests {
			t.Run(string(base.Kind)+"/"+tt.name, func(t *testing.T) {
				if !strings.Contains(good, tt.old) {
					t.Fatalf("fixture lacks %s", tt.old)
				}
				bad := strings.Replace(good, tt.old, tt.new, 1)
				got, err := v.Verify([]byte(bad))
				if err == nil {
					t.Fatalf("tampered receipt verified: %s", bad)
				}
				if tt.err != nil && !errors.Is(err, tt.err) {
					t.Fatalf("Verify = %v; want %v", err, tt.err)
				}
				if !reflect.DeepEqual(got, receipt.Signed{}) {
					t.Fatalf("Verify returned a receipt with its error: %+v", got)
				}
			})
		}
	}
}

// flip changes the first of two base64url characters, keeping it valid.
func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

// TestVerifyStruct tampers with a Signed value directly, for callers that
// keep receipts as structs.
func TestVerifyStruct(t *testing.T) {
	s := MustSigner(t, "a")
	pub := s.PublicKey()
	good := MustSign(t, s, NewRefund())
	if err := receipt.Verify(pub, good); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*receipt.Signed)
		err  error
	}{
		{"Amount", func(s *receipt.Signed) { s.Receipt.Amount++; s.Receipt.Items = nil }, receipt.ErrBadSignature},
		{"RefundAmount", func(s *receipt.Signed) { s.Receipt.RefundAmount++ }, receipt.ErrBadSignature},
		{"Currency", func(s *receipt.Signed) { s.Receipt.Currency = money.USD }, receipt.ErrBadSignature},
		{"Merchant", func(s *receipt.Signed) { s.Receipt.MerchantName += "!" }, receipt.ErrBadSignature},
		{"Time", func(s *receipt.Signed) { s.Receipt.IssuedAt = s.Receipt.IssuedAt.Add(-time.Microsecond) }, receipt.ErrBadSignature},
		{"ItemQuantity", func(s *receipt.Signed) { s.Receipt.Items[1].Quantity = 1 }, receipt.ErrBadSignature},
		{"SignatureBit", func(s *receipt.Signed) { s.Signature[63] ^= 1 }, receipt.ErrBadSignature},
		{"SignatureShort", func(s *receipt.Signed) { s.Signature = s.Signature[:63] }, receipt.ErrBadSignature},
		{"SignatureNil", func(s *receipt.Signed) { s.Signature = nil }, receipt.ErrBadSignature},
		{"KeyID", func(s *receipt.Signed) { s.KeyID = "0000000000000000" }, receipt.ErrUnknownKey},
		{"Invalid", func(s *receipt.Signed) { s.Receipt.Kind = "" }, receipt.ErrInvalidReceipt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := good
			bad.Receipt.Items = append([]receipt.Item(nil), good.Receipt.Items...)
			bad.Signature = bytes.Clone(good.Signature)
			tt.edit(&bad)
			if err := receipt.Verify(pub, bad); !errors.Is(err, tt.err) {
				t.Fatalf("Verify = %v; want %v", err, tt.err)
			}
		})
	}
	t.Run("OtherKey", func(t *testing.T) {
		if err := receipt.Verify(MustSigner(t, "b").PublicKey(), good); !errors.Is(err, receipt.ErrUnknownKey) {
			t.Fatalf("Verify = %v; want ErrUnknownKey", err)
		}
	})
	t.Run("BadPublicKey", func(t *testing.T) {
		if err := receipt.Verify(pub[:31], good); !errors.Is(err, receipt.ErrUnknownKey) {
			t.Fatalf("Verify = %v; want ErrUnknownKey", err)
		}
	})
}

// TestVerifyReencoded checks that the same receipt verifies after the ways
// JSON gets re-encoded on its way to a buyer, and comes out the same.
func TestVerifyReencoded(t *testing.T) {
	s := MustSigner(t, "a")
	v := MustVerifier(t, s)
	signed := MustSign(t, s, NewRefund())
	good := MustJSON(t, signed)
	var indented, generic bytes.Buffer
	json.Indent(&indented, good, "", "    ")
	var anyValue any
	json.Unmarshal(good, &anyValue) // Go's maps: keys re-sorted
	enc := json.NewEncoder(&generic)
	enc.SetEscapeHTML(false)
	enc.Encode(anyValue)
	for _, tt := range []struct{ name, in string }{
		{"AsHandedOut", string(good)},
		{"Indented", indented.String()},
		{"KeysSortedNoHTMLEscape", generic.String()},
		{"UnicodeEscapes", strings.Replace(string(good), "幸运", `\u5e78\u8fd0`, 1)},
		{"AmountShortDecimals", strings.Replace(string(good), `"refund_amount":"3.00"`, `"refund_amount":"3"`, 1)},
		{"TimeWithOffset", strings.Replace(string(good), `2026-02-02T10:15:30.123456Z`, `2026-02-02T18:15:30.123456000+08:00`, 1)},
		{"EmbeddedInAnswer", ""}, // below
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			if tt.name == "EmbeddedInAnswer" {
				// How an API handler would send it: inside another object,
				// through encoding/json.
				answer, err := json.Marshal(map[string]any{"receipt": signed})
				if err != nil {
					t.Fatal(err)
				}
				var m map[string]json.RawMessage
				json.Unmarshal(answer, &m)
				in = m["receipt"]
			}
			got, err := v.Verify(in)
			if err != nil {
				t.Fatalf("Verify = %v for %s", err, in)
			}
			if !reflect.DeepEqual(got, signed) {
				t.Fatalf("Verify = %+v; want %+v", got, signed)
			}
		})
	}
}

// TestVerifierRotation: receipts signed before a key rotation still verify
// with a Verifier that holds both keys, and with no other.
func TestVerifierRotation(t *testing.T) {
	oldKey, newKey := MustSigner(t, "2025"), MustSigner(t, "2026")
	before := MustJSON(t, MustSign(t, oldKey, NewPayment()))
	after := MustJSON(t, MustSign(t, newKey, NewRefund()))
	both := MustVerifier(t, newKey, oldKey)
	for _, data := range [][]byte{before, after} {
		if _, err := both.Verify(data); err != nil {
			t.Fatalf("Verify with both keys: %v", err)
		}
	}
	if got, want := both.KeyIDs(), []string{oldKey.KeyID(), newKey.KeyID()}; !sameSet(got, want) {
		t.Fatalf("KeyIDs = %v; want %v", got, want)
	}
	if _, err := MustVerifier(t, newKey).Verify(before); !errors.Is(err, receipt.ErrUnknownKey) {
		t.Fatalf("Verify with the new key only = %v; want ErrUnknownKey", err)
	}
	if _, err := MustVerifier(t).Verify(after); !errors.Is(err, receipt.ErrUnknownKey) {
		t.Fatalf("Verify with no keys = %v; want ErrUnknownKey", err)
	}
}

func sameSet(a, b []string) bool {
	m := map[string]bool{}
	for _, s := range a {
		m[s] = true
	}
	for _, s := range b {
		if !m[s] {
			return false
		}
	}
	return len(a) == len(b)
}

func TestNewVerifier(t *testing.T) {
	pub := MustSigner(t, "a").PublicKey()
	if _, err := receipt.NewVerifier(pub, pub); err != nil {
		t.Fatalf("the same key twice: %v", err)
	}
	if _, err := receipt.NewVerifier(pub, pub[:16]); err == nil {
		t.Fatal("a 16-byte key was accepted")
	}
	k := bytes.Clone(pub)
	v, err := receipt.NewVerifier(k)
	if err != nil {
		t.Fatal(err)
	}
	clear(k)
	if _, err := v.Verify(MustJSON(t, MustSign(t, MustSigner(t, "a"), NewPayment()))); err != nil {
		t.Fatalf("verifier used the caller's slice: %v", err)
	}
}

// TestSignVerifyRandom signs many random valid receipts and checks that
// each survives JSON and verifies as itself: Sign's promise.
func TestSignVerifyRandom(t *testing.T) {
	s := MustSigner(t, "a")
	v := MustVerifier(t, s)
	rng := rand.New(rand.NewPCG(1, 2))
	runes := []rune("aZ 9_-<>&\"\\/\n\t\x00\x7f\u00e9\u2028\u202e\ufeff\ufffd长😀")
	text := func(n int) string {
		var b strings.Builder
		b.WriteRune('x')
		for range rng.IntN(n) {
			b.WriteRune(runes[rng.IntN(len(runes))])
		}
		return b.String()
	}
	curs := money.Currencies()
	for i := range 300 {
		r := NewPayment()
		r.ID, r.MerchantName, r.Description = receipt.NewID(), text(199), text(999)[1:]
		r.Currency = curs[rng.IntN(len(curs))]
		r.Amount = 1 + rng.Int64N(money.MaxAmount)
		r.Items = nil
		if n := rng.IntN(5); n > 0 {
			left := r.Amount
			for j := range n {
				a := rng.Int64N(left + 1)
				if j == n-1 {
					a = left
				}
				left -= a
				r.Items = append(r.Items, receipt.Item{Name: text(199), Quantity: 1 + rng.IntN(1000), Amount: a})
			}
		}
		if i%2 == 1 {
			r.Kind, r.RefundID, r.RefundAmount = receipt.KindRefund, "ref_x", 1+rng.Int64N(r.Amount)
		}
		r.IssuedAt = time.Unix(946684800+rng.Int64N(8e9), rng.Int64N(1e9))
		signed := MustSign(t, s, r)
		got, err := v.Verify(MustJSON(t, signed))
		if err != nil {
			t.Fatalf("receipt %d: %v\n%+v", i, err, r)
		}
		if !reflect.DeepEqual(got, signed) {
			t.Fatalf("receipt %d changed on the way:\n got %+v\nwant %+v", i, got, signed)
		}
	}
}
