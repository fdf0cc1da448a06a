// Package emvqr encodes and decodes EMVCo Merchant-Presented Mode QR
// payloads (EMV QRCPS-MPM), the qr_payload string of a payment, and renders
// them as PNG images.
//
// A payload is a string of fields, each ID (2 digits) + length (2 digits) +
// value, ending with a CRC-16 in ID 63. Lengths count characters (runes),
// not bytes, as the payments contract says, so a Chinese merchant name of
// four characters has length 04.
//
// The package is pure: no I/O, no clock. It knows only the fields this
// wallet writes (see Payload); others that the spec allows are skipped on
// decoding.
package emvqr

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Field limits from the EMVCo MPM data object table, in characters.
const (
	maxValue     = 99 // a length is two digits
	maxGUID      = 32
	maxAmount    = 13
	maxName      = 25
	maxCity      = 15
	maxReference = 25
)

// Payload is one merchant-presented QR code: what a till shows and a
// payer's app scans. All fields are strings exactly as they travel, so a
// decoded payload re-encodes to the same characters.
type Payload struct {
	// Dynamic is true for a one-off code carrying an amount (ID 01 = "12")
	// and false for a static code printed once at a till, where the payer
	// types the amount (ID 01 = "11").
	Dynamic bool
	// MerchantAccount is template 26, which says whom to pay.
	MerchantAccount MerchantAccount
	// MCC is the merchant category code (ID 52): 4 digits.
	MCC string
	// Currency is the ISO 4217 numeric code (ID 53), 3 digits, "156" for
	// CNY; see CurrencyCode and CurrencyFromCode.
	Currency string
	// Amount (ID 54) is a decimal in major units, "23.50": digits, at most
	// one '.' with digits on both sides, no sign, not zero, no leading zero,
	// at most 13 characters. Required when Dynamic, forbidden otherwise.
	Amount string
	// Country is the merchant's ISO 3166-1 alpha-2 code (ID 58), upper
	// case, "CN".
	Country string
	// MerchantName (ID 59) is what the payer sees: at most 25 characters.
	MerchantName string
	// MerchantCity (ID 60): at most 15 characters.
	MerchantCity string
	// Reference is the reference label (sub-ID 05 of the additional data
	// template 62), the merchant's order number: optional, at most 25
	// characters.
	Reference string
}

// MerchantAccount is the merchant account information template, written
// in ID 26 (the first of the IDs 26–51 the spec leaves to payment systems
// other than the card schemes).
type MerchantAccount struct {
	// GUID (sub-ID 00) names the payment system that reads the rest, in
	// reverse domain form: "com.ewallet". At most 32 characters.
	GUID string
	// MerchantID (sub-ID 01) is our merchant id, "mch_…". Required.
	MerchantID string
	// PaymentID (sub-ID 02) is the payment being paid, "pay_…". Required
	// in a dynamic code (the wallet pays a dynamic code by its payment) and
	// forbidden in a static one (a static code is paid by many payers, each
	// making a payment of their own).
	PaymentID string
}

// Point of initiation values (ID 01).
const (
	staticCode  = "11"
	dynamicCode = "12"
)

// Validate reports why Encode would refuse p, or nil. It is exported so a
// caller can check a merchant's name and city when the merchant is created
// rather than when its first code is drawn. Decode applies the same rules,
// which is what makes every decoded payload encodable.
func (p Payload) Validate() error {
	ma := p.MerchantAccount
	if err := checkText("26.00", "GUID", ma.GUID, maxGUID); err != nil {
		return err
	}
	if err := checkText("26.01", "merchant id", ma.MerchantID, maxValue); err != nil {
		return err
	}
	switch {
	case p.Dynamic && ma.PaymentID == "":
		return fail("26.02", ErrMissing, "payment id is required in a dynamic code")
	case !p.Dynamic && ma.PaymentID != "":
		return fail("26.02", ErrInvalid, "payment id is only allowed in a dynamic code")
	case ma.PaymentID != "":
		if err := checkText("26.02", "payment id", ma.PaymentID, maxValue); err != nil {
			return err
		}
	}
	if n := utf8.RuneCountInString(ma.encode()); n > maxValue {
		return fail("26", ErrInvalid, "merchant account template is "+strconv.Itoa(n)+" characters, at most 99")
	}
	if err := checkDigits("52", "MCC", p.MCC, 4); err != nil {
		return err
	}
	if err := checkDigits("53", "currency", p.Currency, 3); err != nil {
		return err
	}
	switch {
	case p.Dynamic && p.Amount == "":
		return fail("54", ErrMissing, "amount is required in a dynamic code")
	case !p.Dynamic && p.Amount != "":
		return fail("54", ErrInvalid, "amount is only allowed in a dynamic code; a static code's payer enters it")
	case p.Amount != "":
		if err := checkAmount(p.Amount); err != nil {
			return err
		}
	}
	if err := checkCountry(p.Country); err != nil {
		return err
	}
	if err := checkText("59", "merchant name", p.MerchantName, maxName); err != nil {
		return err
	}
	if err := checkText("60", "merchant city", p.MerchantCity, maxCity); err != nil {
		return err
	}
	if p.Reference != "" {
		if err := checkText("62.05", "reference", p.Reference, maxReference); err != nil {
			return err
		}
	}
	return nil
}

// Encode returns p as an EMVCo MPM string, fields in ascending ID order
// with the CRC last, or the first rule p breaks (see Validate).
func Encode(p Payload) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	var b strings.Builder
	put(&b, "00", "01")
	if p.Dynamic {
		put(&b, "01", dynamicCode)
	} else {
		put(&b, "01", staticCode)
	}
	put(&b, "26", p.MerchantAccount.encode())
	put(&b, "52", p.MCC)
	put(&b, "53", p.Currency)
	if p.Amount != "" {
		put(&b, "54", p.Amount)
	}
	put(&b, "58", p.Country)
	put(&b, "59", p.MerchantName)
	put(&b, "60", p.MerchantCity)
	if p.Reference != "" {
		var sub strings.Builder
		put(&sub, "05", p.Reference)
		put(&b, "62", sub.String())
	}
	// The CRC covers its own ID and length, so they are written first.
	b.WriteString("6304")
	b.WriteString(hex4(crc16([]byte(b.String()))))
	return b.String(), nil
}

func (ma MerchantAccount) encode() string {
	var b strings.Builder
	put(&b, "00", ma.GUID)
	put(&b, "01", ma.MerchantID)
	if ma.PaymentID != "" {
		put(&b, "02", ma.PaymentID)
	}
	return b.String()
}

// put writes one field. Callers have validated v: 1–99 characters.
func put(b *strings.Builder, id, v string) {
	n := utf8.RuneCountInString(v)
	b.WriteString(id)
	b.WriteByte(byte('0' + n/10))
	b.WriteByte(byte('0' + n%10))
	b.WriteString(v)
}

func hex4(v uint16) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[v>>12], digits[v>>8&0xF], digits[v>>4&0xF], digits[v&0xF]})
}

// checkText enforces a required text field: valid UTF-8, 1..max
// characters, no control characters (they have no business on a receipt
// and some scanners end a read at one).
func checkText(field, name, v string, max int) error {
	if v == "" {
		return fail(field, ErrMissing, name+" is required")
	}
	if !utf8.ValidString(v) {
		return fail(field, ErrInvalid, name+" is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(v); n > max {
		return fail(field, ErrInvalid, name+" is "+strconv.Itoa(n)+" characters, at most "+strconv.Itoa(max))
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return fail(field, ErrInvalid, name+" contains a control character")
		}
	}
	return nil
}

func checkDigits(field, name, v string, n int) error {
	if v == "" {
		return fail(field, ErrMissing, name+" is required")
	}
	if len(v) != n || !allDigits(v) {
		return fail(field, ErrInvalid, name+" must be "+strconv.Itoa(n)+" digits")
	}
	return nil
}

func checkCountry(v string) error {
	if v == "" {
		return fail("58", ErrMissing, "country is required")
	}
	if len(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z' {
		return fail("58", ErrInvalid, "country must be 2 upper-case letters (ISO 3166-1 alpha-2)")
	}
	return nil
}

// checkAmount accepts what money.Parse accepts, less zero, so a decoded
// amount never fails later for a reason the codec could have named. The
// currency's own number of decimals is the caller's rule, not the codec's.
func checkAmount(v string) error {
	bad := func(why string) error { return fail("54", ErrInvalid, "amount "+why) }
	if len(v) > maxAmount {
		return bad("is longer than 13 characters")
	}
	whole, frac, hasPoint := strings.Cut(v, ".")
	if whole == "" || !allDigits(whole) || hasPoint && (frac == "" || !allDigits(frac)) {
		return bad("must be digits with at most one '.' between digits")
	}
	if len(whole) > 1 && whole[0] == '0' {
		return bad("must not have a leading zero")
	}
	if strings.Trim(whole+frac, "0") == "" {
		return bad("must not be zero")
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
