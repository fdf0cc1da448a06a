package emvqr

import (
	"strconv"
	"unicode/utf8"
)

// field is one ID-length-value triple; pos is its offset in characters,
// for messages.
type field struct {
	id, value string
	pos       int
}

// Decode parses an EMVCo MPM string that this wallet's Encode could have
// written. It checks, in this order: valid UTF-8 and field syntax, no
// duplicated IDs, the CRC (ID 63, last, length 04, hex in either case),
// payload format "01" first, then the fields of Payload by the rules of
// Validate. IDs it does not use are skipped, except 56 and 57: dropping a
// convenience fee would make the payer pay less than the merchant asked,
// so such a code is refused (ErrUnsupported). A code whose merchant
// account is not in ID 26 is refused as missing it: our wallet can only
// pay its own merchants.
func Decode(s string) (Payload, error) {
	if !utf8.ValidString(s) {
		return Payload{}, fail("", ErrMalformed, "not valid UTF-8")
	}
	fields, err := parseFields(s, "")
	if err != nil {
		return Payload{}, err
	}
	if len(fields) == 0 {
		return Payload{}, fail("", ErrMalformed, "empty payload")
	}
	byID, err := index(fields, "")
	if err != nil {
		return Payload{}, err
	}
	if err := checkCRC(s, fields, byID); err != nil {
		return Payload{}, err
	}
	if f, ok := byID["00"]; !ok {
		return Payload{}, fail("00", ErrMissing, "payload format indicator is required")
	} else if fields[0].id != "00" {
		return Payload{}, fail("00", ErrMalformed, "payload format indicator must be the first field")
	} else if f != "01" {
		return Payload{}, fail("00", ErrUnsupported, "unknown payload format "+strconv.Quote(f)+", want \"01\"")
	}
	var p Payload
	switch v, ok := byID["01"]; {
	case !ok:
		return Payload{}, fail("01", ErrMissing, "point of initiation method is required")
	case v == dynamicCode:
		p.Dynamic = true
	case v != staticCode:
		return Payload{}, fail("01", ErrInvalid, "point of initiation must be \"11\" (static) or \"12\" (dynamic), not "+strconv.Quote(v))
	}
	for _, id := range []string{"56", "57"} {
		if _, ok := byID[id]; ok {
			return Payload{}, fail(id, ErrUnsupported, "convenience fees are not supported")
		}
	}
	ma, ok := byID["26"]
	if !ok {
		return Payload{}, fail("26", ErrMissing, "merchant account template 26 is required")
	}
	sub, err := subfields(ma, "26")
	if err != nil {
		return Payload{}, err
	}
	p.MerchantAccount = MerchantAccount{GUID: sub["00"], MerchantID: sub["01"], PaymentID: sub["02"]}
	p.MCC = byID["52"]
	p.Currency = byID["53"]
	p.Amount = byID["54"]
	p.Country = byID["58"]
	p.MerchantName = byID["59"]
	p.MerchantCity = byID["60"]
	if add, ok := byID["62"]; ok {
		sub, err := subfields(add, "62")
		if err != nil {
			return Payload{}, err
		}
		p.Reference = sub["05"]
	}
	// Missing mandatory fields (52, 53, 58, 59, 60) come back empty and are
	// reported by Validate as ErrMissing, with the same rules Encode applies.
	if err := p.Validate(); err != nil {
		return Payload{}, err
	}
	return p, nil
}

// checkCRC verifies ID 63: present, last, 4 hex digits, equal to the
// CRC-16 of everything before those digits.
func checkCRC(s string, fields []field, byID map[string]string) error {
	if _, ok := byID["63"]; !ok {
		return fail("63", ErrMissing, "CRC is required")
	}
	last := fields[len(fields)-1]
	if last.id != "63" {
		return fail("63", ErrChecksum, "CRC must be the last field")
	}
	if utf8.RuneCountInString(last.value) != 4 {
		return fail("63", ErrChecksum, "CRC length must be 04")
	}
	if !isHex(last.value) {
		return fail("63", ErrChecksum, "CRC must be 4 hex digits")
	}
	got, _ := strconv.ParseUint(last.value, 16, 16) // cannot fail: 4 hex digits
	// The last four bytes are the ASCII hex digits just checked.
	if want := crc16([]byte(s[:len(s)-4])); uint16(got) != want {
		return fail("63", ErrChecksum, "CRC is "+last.value+", computed "+hex4(want))
	}
	return nil
}

// isHex reports whether s is all ASCII hex digits; checked before
// ParseUint, which would also take a sign or an underscore.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// parseFields splits s (valid UTF-8) into fields. parent is the template's
// ID for messages, "" at the top level. Lengths count characters.
func parseFields(s, parent string) ([]field, error) {
	// The *Error's Field already names the template, if any.
	where := func(pos int) string { return "at character " + strconv.Itoa(pos) }
	var out []field
	pos := 0 // in characters, for messages
	for len(s) > 0 {
		// ID and length are ASCII digits, so bytes and characters agree.
		if len(s) < 4 {
			return nil, fail(parent, ErrMalformed, "truncated field "+where(pos))
		}
		id, ln := s[:2], s[2:4]
		if !allDigits(id) {
			return nil, fail(parent, ErrMalformed, "field ID "+strconv.Quote(id)+" is not 2 digits "+where(pos))
		}
		if !allDigits(ln) {
			return nil, fail(parent, ErrMalformed, "length "+strconv.Quote(ln)+" of field "+id+" is not 2 digits "+where(pos))
		}
		n := int(ln[0]-'0')*10 + int(ln[1]-'0')
		if n == 0 {
			return nil, fail(parent, ErrMalformed, "field "+id+" is empty "+where(pos))
		}
		rest := s[4:]
		end := 0 // byte offset in rest after n characters
		for i := 0; i < n; i++ {
			if end >= len(rest) {
				return nil, fail(parent, ErrMalformed, "field "+id+" runs past the end "+where(pos))
			}
			_, size := utf8.DecodeRuneInString(rest[end:])
			end += size
		}
		out = append(out, field{id: id, value: rest[:end], pos: pos})
		s = rest[end:]
		pos += 4 + n
	}
	return out, nil
}

// index maps IDs to values, refusing a repeated ID.
func index(fields []field, parent string) (map[string]string, error) {
	m := make(map[string]string, len(fields))
	for _, f := range fields {
		if _, dup := m[f.id]; dup {
			path := f.id
			if parent != "" {
				path = parent + "." + f.id
			}
			return nil, fail(path, ErrDuplicate, "ID "+f.id+" appears twice")
		}
		m[f.id] = f.value
	}
	return m, nil
}

// subfields parses a template's value into its sub-fields.
func subfields(v, parent string) (map[string]string, error) {
	fields, err := parseFields(v, parent)
	if err != nil {
		return nil, err
	}
	return index(fields, parent)
}
