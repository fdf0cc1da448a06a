package receipt_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"reflect"
	"testing"
	"time"

	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/receipt"
)

// TestCanonicalLayout builds the canonical bytes of a small receipt by hand
// from the layout in Canonical's doc comment, so that the documentation a
// verifier in another language follows is the one the code implements.
func TestCanonicalLayout(t *testing.T) {
	r := receipt.Receipt{
		ID: "rcp_1", Kind: receipt.KindRefund, PaymentID: "pay_2", RefundID: "ref_3",
		MerchantID: "mch_4", MerchantName: "店", MerchantCategory: "5812", PayerID: "usr_5",
		Description: "", Items: []receipt.Item{{Name: "a", Quantity: 2, Amount: 1000}},
		Amount: 1000, Currency: money.JPY, RefundAmount: 400,
		IssuedAt: time.Date(2026, 2, 1, 0, 0, 0, 7, time.UTC),
	}
	var want bytes.Buffer
	want.WriteString("ewallet-receipt-v1\n")
	str := func(s string) {
		binary.Write(&want, binary.BigEndian, uint32(len(s)))
		want.WriteString(s)
	}
	i64 := func(v int64) { binary.Write(&want, binary.BigEndian, v) }
	for _, s := range []string{"0123456789abcdef", "rcp_1", "refund", "pay_2", "ref_3", "mch_4", "店", "5812", "usr_5", ""} {
		str(s)
	}
	binary.Write(&want, binary.BigEndian, uint32(1))
	str("a")
	i64(2)
	i64(1000)
	i64(1000)
	str("JPY")
	i64(400)
	i64(r.IssuedAt.Unix())
	binary.Write(&want, binary.BigEndian, uint32(7))

	if got := receipt.Canonical(r, "0123456789abcdef"); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("Canonical =\n%x\nwant\n%x", got, want.Bytes())
	}
}

// TestCanonicalCoversEveryField changes each field of Receipt and of Item in
// turn, found by reflection, and checks that the canonical bytes change.
// A field added to Receipt but left out of Canonical fails here.
func TestCanonicalCoversEveryField(t *testing.T) {
	base := NewRefund()
	const keyID = "0123456789abcdef"
	want := receipt.Canonical(base, keyID)
	check := func(t *testing.T, r receipt.Receipt) {
		t.Helper()
		if bytes.Equal(receipt.Canonical(r, keyID), want) {
			t.Fatal("canonical bytes did not change")
		}
	}
	rt := reflect.TypeFor[receipt.Receipt]()
	for i := range rt.NumField() {
		f := rt.Field(i)
		t.Run(f.Name, func(t *testing.T) {
			switch v := f.Type; {
			case v == reflect.TypeFor[time.Time]():
				r := base
				r.IssuedAt = r.IssuedAt.Add(time.Nanosecond)
				check(t, r)
				r.IssuedAt = base.IssuedAt.Add(time.Second)
				check(t, r)
			case v == reflect.TypeFor[[]receipt.Item]():
				r := base
				r.Items = r.Items[:1]
				check(t, r)
				it := reflect.TypeFor[receipt.Item]()
				for j := range it.NumField() {
					r := base
					r.Items = append([]receipt.Item(nil), base.Items...)
					changeField(t, reflect.ValueOf(&r.Items[1]).Elem().Field(j))
					check(t, r)
				}
			default:
				r := base
				changeField(t, reflect.ValueOf(&r).Elem().Field(i))
				check(t, r)
			}
		})
	}
	t.Run("KeyID", func(t *testing.T) {
		if bytes.Equal(receipt.Canonical(base, "fedcba9876543210"), want) {
			t.Fatal("canonical bytes do not depend on the key id")
		}
	})
	t.Run("FieldBoundaries", func(t *testing.T) {
		// Moving a byte from one string to the next keeps the
		// concatenation; the length prefixes must tell them apart.
		r := base
		r.MerchantName, r.Description = base.MerchantName+"x", base.Description[1:]
		r2 := base
		r2.Description = "x" + base.Description[1:]
		if bytes.Equal(receipt.Canonical(r, keyID), receipt.Canonical(r2, keyID)) {
			t.Fatal("a byte moved across a field boundary went unnoticed")
		}
	})
}

// changeField gives a string, int or int64 field another value.
func changeField(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 1)
	default:
		t.Fatalf("field of kind %s: teach this test and Canonical about it", v.Kind())
	}
}

func TestKeyID(t *testing.T) {
	pub := MustKey(t, "a").Public().(ed25519.PublicKey)
	h := sha256.Sum256(pub)
	if got, want := receipt.KeyID(pub), hex.EncodeToString(h[:8]); got != want {
		t.Fatalf("KeyID = %s; want %s", got, want)
	}
	if s := MustSigner(t, "a"); s.KeyID() != receipt.KeyID(pub) || !bytes.Equal(s.PublicKey(), pub) {
		t.Fatalf("Signer.KeyID() = %s, want %s", s.KeyID(), receipt.KeyID(pub))
	}
	if receipt.KeyID(MustKey(t, "b").Public().(ed25519.PublicKey)) == receipt.KeyID(pub) {
		t.Fatal("two keys share an id")
	}
}
