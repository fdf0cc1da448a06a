package emvqr_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ewallet/ewallet/emvqr"
)

// The payment the examples below describe, checked by hand field by field;
// their CRCs were computed with a separate bit-by-bit implementation.
var (
	dynamicPayload = emvqr.Payload{
		Dynamic:         true,
		MerchantAccount: emvqr.MerchantAccount{GUID: "com.ewallet", MerchantID: "mch_8f3k2", PaymentID: "pay_01HZX3"},
		MCC:             "5812",
		Currency:        "156",
		Amount:          "23.50",
		Country:         "CN",
		MerchantName:    "Cafe Lumiere",
		MerchantCity:    "Shanghai",
		Reference:       "order-42",
	}
	dynamicString = "000201" + "010212" +
		"2642" + "0011com.ewallet" + "0109mch_8f3k2" + "0210pay_01HZX3" +
		"52045812" + "5303156" + "540523.50" + "5802CN" + "5912Cafe Lumiere" + "6008Shanghai" +
		"6212" + "0508order-42" +
		"6304F944"

	// Lengths count characters: the name is 5 characters (15 bytes).
	staticPayload = emvqr.Payload{
		MerchantAccount: emvqr.MerchantAccount{GUID: "com.ewallet", MerchantID: "mch_8f3k2"},
		MCC:             "5812",
		Currency:        "156",
		Country:         "CN",
		MerchantName:    "上海咖啡馆",
		MerchantCity:    "上海",
	}
	staticString = "000201" + "010211" +
		"2628" + "0011com.ewallet" + "0109mch_8f3k2" +
		"52045812" + "5303156" + "5802CN" + "5905上海咖啡馆" + "6002上海" +
		"630458DC"

	// The example payload of the EMVCo MPM specification (its CRC, A13A,
	// is printed there). Its merchant accounts are in IDs 29 and 31, its
	// name in Chinese in template 64, and it has a tip prompt in 55.
	emvcoSample = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678" +
		"520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京" +
		"540523.7253031565502016233030412340603***0708A60086670902ME9132001" +
		"6A0112233449988770708123456786304A13A"
)

func TestCRC16(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want uint16
	}{
		{"CheckValue", "123456789", 0x29B1}, // the catalogue's check value for CRC-16/CCITT-FALSE
		{"Empty", "", 0xFFFF},
		{"EMVCoSample", strings.TrimSuffix(emvcoSample, "A13A"), 0xA13A},
		{"Dynamic", strings.TrimSuffix(dynamicString, "F944"), 0xF944},
		{"StaticUTF8Bytes", strings.TrimSuffix(staticString, "58DC"), 0x58DC},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := emvqr.CRC16([]byte(tc.in)); got != tc.want {
				t.Errorf("CRC16 = %04X, want %04X", got, tc.want)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    emvqr.Payload
		want string
	}{
		{"Dynamic", dynamicPayload, dynamicString},
		{"StaticChinese", staticPayload, staticString},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := emvqr.Encode(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Encode =\n %s\nwant\n %s", got, tc.want)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want emvqr.Payload
	}{
		{"Dynamic", dynamicString, dynamicPayload},
		{"StaticChinese", staticString, staticPayload},
		{"LowerCaseCRC", strings.TrimSuffix(dynamicString, "F944") + "f944", dynamicPayload},
		{
			// Fields in another order, plus IDs we do not use: another
			// scheme's account (29), a tip prompt (55), postal code (61),
			// other additional data (62.01, 62.07), a language template
			// (64), an unreserved template (80), and unknown sub-IDs in 26.
			"SkipsUnusedFields",
			seal(tlv("00", "01") + tlv("29", tlv("00", "D15600000000")+tlv("05", "A93FO3230Q")) +
				tlv("59", "Cafe Lumiere") + tlv("01", "12") + tlv("52", "5812") + tlv("55", "01") +
				tlv("26", tlv("02", "pay_01HZX3")+tlv("00", "com.ewallet")+tlv("09", "x")+tlv("01", "mch_8f3k2")) +
				tlv("53", "156") + tlv("54", "23.50") + tlv("58", "CN") + tlv("60", "Shanghai") +
				tlv("61", "200000") + tlv("62", tlv("01", "INV-7")+tlv("05", "order-42")+tlv("07", "T1")) +
				tlv("64", tlv("00", "ZH")+tlv("01", "咖啡馆")) + tlv("80", tlv("00", "com.example")+tlv("01", "x"))),
			dynamicPayload,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := emvqr.Decode(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Decode =\n %+v\nwant\n %+v", got, tc.want)
			}
		})
	}
}

// roundTrips are valid payloads at the limits, each field at its longest
// (counted in characters); TestRoundTrip checks them and the fuzzers start
// from them.
var roundTrips = []struct {
	name string
	edit func(*emvqr.Payload)
}{
	{"Dynamic", func(*emvqr.Payload) {}},
	{"Static", func(p *emvqr.Payload) { *p = staticPayload }},
	{"NoReference", func(p *emvqr.Payload) { p.Reference = "" }},
	{"LongestName", func(p *emvqr.Payload) { p.MerchantName = long('咖', 25) }},
	{"LongestCity", func(p *emvqr.Payload) { p.MerchantCity = long('é', 15) }},
	{"LongestReference", func(p *emvqr.Payload) { p.Reference = long('9', 25) }},
	{"LongestAmount", func(p *emvqr.Payload) { p.Amount = "1234567890.12" }},
	{"SmallestAmount", func(p *emvqr.Payload) { p.Amount = "0.01" }},
	{"WholeAmount", func(p *emvqr.Payload) { p.Amount = "1000" }},
	{"LongestGUID", func(p *emvqr.Payload) { p.MerchantAccount.GUID = long('g', 32) }},
	{"LongestTemplate", func(p *emvqr.Payload) {
		// 15 + 13 + 4 + 67 = 99 characters.
		p.MerchantAccount.PaymentID = long('支', 67)
	}},
	{"OtherCurrency", func(p *emvqr.Payload) { p.Currency, p.Amount = "764", "100" }},
	{"SixtyThreeInsideValues", func(p *emvqr.Payload) { p.MerchantName, p.Reference = "6304ABCD", "63040000" }},
}

func long(r rune, n int) string { return strings.Repeat(string(r), n) }

// roundTripPayload is the dynamic example edited by roundTrips[i].
func roundTripPayload(i int) emvqr.Payload {
	p := dynamicPayload
	roundTrips[i].edit(&p)
	return p
}

func TestRoundTrip(t *testing.T) {
	for i, tc := range roundTrips {
		t.Run(tc.name, func(t *testing.T) {
			p := roundTripPayload(i)
			s, err := emvqr.Encode(p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := emvqr.Decode(s)
			if err != nil {
				t.Fatalf("Decode(%q): %v", s, err)
			}
			if got != p {
				t.Errorf("Decode(Encode(p)) =\n %+v\nwant\n %+v", got, p)
			}
			if s2, err := emvqr.Encode(got); err != nil || s2 != s {
				t.Errorf("Encode(Decode(s)) = %q, %v; want %q", s2, err, s)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	ascii := func(n int) string { return strings.Repeat("a", n) }
	for _, tc := range []struct {
		name  string
		edit  func(*emvqr.Payload)
		field string
		kind  error
	}{
		{"NoGUID", func(p *emvqr.Payload) { p.MerchantAccount.GUID = "" }, "26.00", emvqr.ErrMissing},
		{"LongGUID", func(p *emvqr.Payload) { p.MerchantAccount.GUID = ascii(33) }, "26.00", emvqr.ErrInvalid},
		{"NoMerchantID", func(p *emvqr.Payload) { p.MerchantAccount.MerchantID = "" }, "26.01", emvqr.ErrMissing},
		{"DynamicNoPaymentID", func(p *emvqr.Payload) { p.MerchantAccount.PaymentID = "" }, "26.02", emvqr.ErrMissing},
		{"StaticPaymentID", func(p *emvqr.Payload) { *p = staticPayload; p.MerchantAccount.PaymentID = "pay_1" }, "26.02", emvqr.ErrInvalid},
		{"LongTemplate", func(p *emvqr.Payload) { p.MerchantAccount.PaymentID = ascii(68) }, "26", emvqr.ErrInvalid},
		{"NoMCC", func(p *emvqr.Payload) { p.MCC = "" }, "52", emvqr.ErrMissing},
		{"ShortMCC", func(p *emvqr.Payload) { p.MCC = "581" }, "52", emvqr.ErrInvalid},
		{"LetterMCC", func(p *emvqr.Payload) { p.MCC = "58a2" }, "52", emvqr.ErrInvalid},
		{"UnicodeDigitMCC", func(p *emvqr.Payload) { p.MCC = "58١2" }, "52", emvqr.ErrInvalid},
		{"NoCurrency", func(p *emvqr.Payload) { p.Currency = "" }, "53", emvqr.ErrMissing},
		{"AlphaCurrency", func(p *emvqr.Payload) { p.Currency = "CNY" }, "53", emvqr.ErrInvalid},
		{"DynamicNoAmount", func(p *emvqr.Payload) { p.Amount = "" }, "54", emvqr.ErrMissing},
		{"StaticAmount", func(p *emvqr.Payload) { *p = staticPayload; p.Amount = "1.00" }, "54", emvqr.ErrInvalid},
		{"ZeroAmount", func(p *emvqr.Payload) { p.Amount = "0" }, "54", emvqr.ErrInvalid},
		{"ZeroAmountDecimals", func(p *emvqr.Payload) { p.Amount = "0.00" }, "54", emvqr.ErrInvalid},
		{"NegativeAmount", func(p *emvqr.Payload) { p.Amount = "-1.00" }, "54", emvqr.ErrInvalid},
		{"PlusAmount", func(p *emvqr.Payload) { p.Amount = "+1.00" }, "54", emvqr.ErrInvalid},
		{"TrailingPoint", func(p *emvqr.Payload) { p.Amount = "1." }, "54", emvqr.ErrInvalid},
		{"LeadingPoint", func(p *emvqr.Payload) { p.Amount = ".5" }, "54", emvqr.ErrInvalid},
		{"TwoPoints", func(p *emvqr.Payload) { p.Amount = "1.2.3" }, "54", emvqr.ErrInvalid},
		{"Comma", func(p *emvqr.Payload) { p.Amount = "1,50" }, "54", emvqr.ErrInvalid},
		{"Exponent", func(p *emvqr.Payload) { p.Amount = "1e3" }, "54", emvqr.ErrInvalid},
		{"LeadingZero", func(p *emvqr.Payload) { p.Amount = "05" }, "54", emvqr.ErrInvalid},
		{"Space", func(p *emvqr.Payload) { p.Amount = " 5" }, "54", emvqr.ErrInvalid},
		{"LongAmount", func(p *emvqr.Payload) { p.Amount = "12345678901.23" }, "54", emvqr.ErrInvalid},
		{"NoCountry", func(p *emvqr.Payload) { p.Country = "" }, "58", emvqr.ErrMissing},
		{"LowerCountry", func(p *emvqr.Payload) { p.Country = "cn" }, "58", emvqr.ErrInvalid},
		{"Alpha3Country", func(p *emvqr.Payload) { p.Country = "CHN" }, "58", emvqr.ErrInvalid},
		{"NoName", func(p *emvqr.Payload) { p.MerchantName = "" }, "59", emvqr.ErrMissing},
		{"LongName", func(p *emvqr.Payload) { p.MerchantName = ascii(26) }, "59", emvqr.ErrInvalid},
		{"LongChineseName", func(p *emvqr.Payload) { p.MerchantName = strings.Repeat("咖", 26) }, "59", emvqr.ErrInvalid},
		{"NewlineInName", func(p *emvqr.Payload) { p.MerchantName = "Cafe\nLumiere" }, "59", emvqr.ErrInvalid},
		{"NULInName", func(p *emvqr.Payload) { p.MerchantName = "Cafe\x00" }, "59", emvqr.ErrInvalid},
		{"BadUTF8Name", func(p *emvqr.Payload) { p.MerchantName = "Caf\xe9" }, "59", emvqr.ErrInvalid},
		{"NoCity", func(p *emvqr.Payload) { p.MerchantCity = "" }, "60", emvqr.ErrMissing},
		{"LongCity", func(p *emvqr.Payload) { p.MerchantCity = ascii(16) }, "60", emvqr.ErrInvalid},
		{"LongReference", func(p *emvqr.Payload) { p.Reference = ascii(26) }, "62.05", emvqr.ErrInvalid},
		{"TabInReference", func(p *emvqr.Payload) { p.Reference = "a\tb" }, "62.05", emvqr.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := dynamicPayload
			tc.edit(&p)
			s, err := emvqr.Encode(p)
			if s != "" {
				t.Errorf("Encode returned %q with an error", s)
			}
			checkErr(t, err, tc.field, tc.kind)
			// Validate says the same as Encode.
			if verr := p.Validate(); fmt.Sprint(verr) != fmt.Sprint(err) {
				t.Errorf("Validate = %v, Encode = %v", verr, err)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	// good returns the dynamic example's fields, ready to edit.
	good := func() []string {
		return []string{
			tlv("00", "01"), tlv("01", "12"),
			tlv("26", tlv("00", "com.ewallet")+tlv("01", "mch_8f3k2")+tlv("02", "pay_01HZX3")),
			tlv("52", "5812"), tlv("53", "156"), tlv("54", "23.50"), tlv("58", "CN"),
			tlv("59", "Cafe Lumiere"), tlv("60", "Shanghai"), tlv("62", tlv("05", "order-42")),
		}
	}
	// without drops the field with the given ID.
	without := func(id string) string {
		var b strings.Builder
		for _, f := range good() {
			if f[:2] != id {
				b.WriteString(f)
			}
		}
		return seal(b.String())
	}
	// with replaces (or appends) the field with the given ID.
	with := func(id, value string) string {
		fs, done := good(), false
		for i, f := range fs {
			if f[:2] == id {
				fs[i], done = tlv(id, value), true
			}
		}
		if !done {
			fs = append(fs, tlv(id, value))
		}
		return seal(strings.Join(fs, ""))
	}
	body := strings.Join(good(), "")
	for _, tc := range []struct {
		name  string
		in    string
		field string
		kind  error
	}{
		// Syntax, before anything else.
		{"Empty", "", "", emvqr.ErrMalformed},
		{"InvalidUTF8", seal(body + tlv("80", "\xff")), "", emvqr.ErrMalformed},
		{"NonDigitID", seal("A0020101"), "", emvqr.ErrMalformed},
		{"NonDigitLength", "00A1" + dynamicString[4:], "", emvqr.ErrMalformed},
		{"TruncatedHeader", dynamicString + "59", "", emvqr.ErrMalformed},
		{"LengthPastEnd", dynamicString + "5999Cafe", "", emvqr.ErrMalformed},
		{"EmptyValue", seal(body + "8000"), "", emvqr.ErrMalformed},
		{"LengthInBytes", strings.Replace(staticString, "5905上海咖啡馆", "5915上海咖啡馆", 1), "", emvqr.ErrMalformed},
		{"MalformedTemplate26", with("26", "0011com.ewallet01"), "26", emvqr.ErrMalformed},
		{"MalformedTemplate62", with("62", "05X8order-42"), "62", emvqr.ErrMalformed},
		{"DuplicateID", seal(body + tlv("59", "Other")), "59", emvqr.ErrDuplicate},
		{"DuplicateCRC", dynamicString + "6304F944", "63", emvqr.ErrDuplicate},
		{"DuplicateSubID", with("26", tlv("00", "com.ewallet")+tlv("01", "mch_1")+tlv("01", "mch_2")+tlv("02", "pay_1")), "26.01", emvqr.ErrDuplicate},
		// The CRC, before the fields' meaning.
		{"NoCRC", body, "63", emvqr.ErrMissing},
		{"CRCNotLast", dynamicString + tlv("80", "x"), "63", emvqr.ErrChecksum},
		{"CRCLength", body + "6305F944A", "63", emvqr.ErrChecksum},
		{"CRCNotHex", body + "6304F94G", "63", emvqr.ErrChecksum},
		{"CRCSign", body + "6304+944", "63", emvqr.ErrChecksum},
		{"WrongCRC", strings.TrimSuffix(dynamicString, "F944") + "F945", "63", emvqr.ErrChecksum},
		{"AlteredAmount", strings.Replace(dynamicString, "540523.50", "540593.50", 1), "63", emvqr.ErrChecksum},
		{"EMVCoSampleWithOneCharChanged", strings.Replace(emvcoSample, "北京", "南京", 1), "63", emvqr.ErrChecksum},
		// Then the payload format and each field.
		{"NoFormat", without("00"), "00", emvqr.ErrMissing},
		{"FormatNotFirst", seal(tlv("01", "12") + strings.Replace(body, tlv("01", "12"), "", 1)), "00", emvqr.ErrMalformed},
		{"UnknownFormat", with("00", "02"), "00", emvqr.ErrUnsupported},
		{"NoInitiation", without("01"), "01", emvqr.ErrMissing},
		{"UnknownInitiation", with("01", "13"), "01", emvqr.ErrInvalid},
		{"ConvenienceFee", with("56", "1.00"), "56", emvqr.ErrUnsupported},
		{"ConvenienceFeePercent", with("57", "3"), "57", emvqr.ErrUnsupported},
		{"NoMerchantAccount", without("26"), "26", emvqr.ErrMissing},
		{"EMVCoSample", emvcoSample, "26", emvqr.ErrMissing}, // well-formed, but not one of ours
		{"NoGUID", with("26", tlv("01", "mch_8f3k2")+tlv("02", "pay_01HZX3")), "26.00", emvqr.ErrMissing},
		{"NoMerchantID", with("26", tlv("00", "com.ewallet")+tlv("02", "pay_01HZX3")), "26.01", emvqr.ErrMissing},
		{"DynamicNoPaymentID", with("26", tlv("00", "com.ewallet")+tlv("01", "mch_8f3k2")), "26.02", emvqr.ErrMissing},
		{"NoMCC", without("52"), "52", emvqr.ErrMissing},
		{"BadMCC", with("52", "58123"), "52", emvqr.ErrInvalid},
		{"NoCurrency", without("53"), "53", emvqr.ErrMissing},
		{"DynamicNoAmount", without("54"), "54", emvqr.ErrMissing},
		{"StaticWithAmount", with("01", "11"), "26.02", emvqr.ErrInvalid}, // the payment id is checked first
		{"StaticWithAmountOnly", seal(tlv("00", "01") + tlv("01", "11") + tlv("26", tlv("00", "com.ewallet")+tlv("01", "mch_8f3k2")) +
			tlv("52", "5812") + tlv("53", "156") + tlv("54", "1.00") + tlv("58", "CN") + tlv("59", "Cafe") + tlv("60", "Shanghai")), "54", emvqr.ErrInvalid},
		{"ZeroAmount", with("54", "0.00"), "54", emvqr.ErrInvalid},
		{"NegativeAmount", with("54", "-5"), "54", emvqr.ErrInvalid},
		{"NoCountry", without("58"), "58", emvqr.ErrMissing},
		{"NoName", without("59"), "59", emvqr.ErrMissing},
		{"LongName", with("59", strings.Repeat("咖", 26)), "59", emvqr.ErrInvalid},
		{"ControlInName", with("59", "Cafe\u0085"), "59", emvqr.ErrInvalid},
		{"NoCity", without("60"), "60", emvqr.ErrMissing},
		{"LongReference", with("62", tlv("05", strings.Repeat("r", 26))), "62.05", emvqr.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := emvqr.Decode(tc.in)
			if p != (emvqr.Payload{}) {
				t.Errorf("Decode returned %+v with an error", p)
			}
			checkErr(t, err, tc.field, tc.kind)
		})
	}
}

func TestErrorMessage(t *testing.T) {
	p := dynamicPayload
	p.MerchantName = strings.Repeat("咖", 30)
	_, err := emvqr.Encode(p)
	const want = "emvqr: invalid field: field 59: merchant name is 30 characters, at most 25"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	_, err = emvqr.Decode(strings.TrimSuffix(dynamicString, "F944") + "0000")
	const wantCRC = "emvqr: checksum mismatch: field 63: CRC is 0000, computed F944"
	if err == nil || err.Error() != wantCRC {
		t.Errorf("err = %v, want %q", err, wantCRC)
	}
}

// checkErr wants an *Error of the given kind about the given field.
func checkErr(tb testing.TB, err error, field string, kind error) {
	tb.Helper()
	var e *emvqr.Error
	if !errors.As(err, &e) {
		tb.Fatalf("err = %v (%T), want an *emvqr.Error", err, err)
	}
	tb.Log(err)
	if !errors.Is(err, kind) || e.Field != field {
		tb.Errorf("err = %v (field %q), want kind %v, field %q", err, e.Field, kind, field)
	}
}

// tlv writes one field, its length in characters.
func tlv(id, v string) string {
	return fmt.Sprintf("%s%02d%s", id, utf8.RuneCountInString(v), v)
}

// seal appends a correct CRC field.
func seal(body string) string {
	body += "6304"
	return body + fmt.Sprintf("%04X", emvqr.CRC16([]byte(body)))
}
