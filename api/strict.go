package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// encoding/json matches object keys to fields without regard to case and
// lets a later duplicate key overwrite an earlier one, so {"phone": a,
// "PHONE": b} would be read as b while a proxy or log reads a. checkKeys
// walks the body first and refuses any key that is not exactly a field's
// name, any key given twice, and any string with a NUL (no database text
// column takes one) except in the members whose own parsers name the
// problem more precisely (amount, currency).

// strictFieldCache maps a struct type's JSON names to their field types.
var strictFieldCache sync.Map // reflect.Type → map[string]reflect.Type

func strictFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := strictFieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	strictFieldCache.Store(t, m)
	return m
}

var customDecoder = reflect.TypeFor[json.Unmarshaler]()

// checkKeys reports whether body's keys are exactly those of v's type
// (recursively, for nested structs and maps of them) with no duplicate and
// no NUL in any string. Type mismatches are left to the decoder.
func checkKeys(body []byte, v any) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return checkValue(dec, reflect.TypeOf(v), false)
}

// parsedMembers are checked by their own parsers, which answer
// invalid_amount or unsupported_currency for any bad string.
var parsedMembers = map[string]bool{"amount": true, "currency": true}

// checkValue reads one JSON value from dec as it would go into t (nil:
// anything).
func checkValue(dec *json.Decoder, t reflect.Type, anyString bool) bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && reflect.PointerTo(t).Implements(customDecoder) {
		t = nil // its own decoder decides; only NULs are checked
	}
	tok, err := dec.Token()
	if err != nil {
		return false
	}
	switch tok := tok.(type) {
	case string:
		return anyString || !strings.ContainsRune(tok, 0)
	case json.Delim:
		switch tok {
		case '{':
			return checkObject(dec, t, anyString)
		case '[':
			var elem reflect.Type
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
				elem = t.Elem()
			}
			for dec.More() {
				if !checkValue(dec, elem, anyString) {
					return false
				}
			}
			_, err := dec.Token() // ]
			return err == nil
		}
	}
	return true
}

func checkObject(dec *json.Decoder, t reflect.Type, anyString bool) bool {
	var fields map[string]reflect.Type
	var elem reflect.Type
	switch {
	case t != nil && t.Kind() == reflect.Struct:
		fields = strictFields(t)
	case t != nil && t.Kind() == reflect.Map:
		elem = t.Elem()
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok || seen[key] || strings.ContainsRune(key, 0) {
			return false
		}
		seen[key] = true
		next := elem
		if fields != nil {
			if next, ok = fields[key]; !ok {
				return false
			}
		}
		if !checkValue(dec, next, anyString || parsedMembers[key]) {
			return false
		}
	}
	_, err := dec.Token() // }
	return err == nil
}
