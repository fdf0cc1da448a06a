package emvqr

import "errors"

// The kinds of refusal. Every error this package returns is an *Error whose
// Kind is one of these, so callers branch with errors.Is(err, ErrChecksum)
// and map a kind to an API code in one place; the *Error adds which field
// and a message for a person.
var (
	// ErrMalformed: the string is not a sequence of ID-length-value fields
	// (invalid UTF-8, a non-digit ID or length, a length running past the
	// end, an empty value, a template that does not parse).
	ErrMalformed = errors.New("emvqr: malformed payload")
	// ErrChecksum: the CRC field (ID 63) is not last, not 4 hex digits, or
	// does not match: the code was misread or altered.
	ErrChecksum = errors.New("emvqr: checksum mismatch")
	// ErrDuplicate: an ID appears twice at one level; the spec allows each
	// once and we refuse to guess which one the merchant meant.
	ErrDuplicate = errors.New("emvqr: duplicate field")
	// ErrMissing: a mandatory field is absent (or empty when encoding).
	ErrMissing = errors.New("emvqr: missing field")
	// ErrUnsupported: a well-formed payload we cannot honour: an unknown
	// payload format version, a convenience fee, a currency without an
	// ISO 4217 numeric code.
	ErrUnsupported = errors.New("emvqr: unsupported")
	// ErrInvalid: a field's value breaks its rule (length, digits, amount
	// format, a payment id in a static code, a control character).
	ErrInvalid = errors.New("emvqr: invalid field")
)

// Error is why a payload or a value was refused. Field names the EMVCo ID
// ("59", or "26.01" for sub-ID 01 of template 26) so a developer can find
// the culprit in the string; it is empty when no single field is at fault.
type Error struct {
	Field string // EMVCo ID path, "" when not one field's fault
	Kind  error  // one of the Err… values above
	Msg   string // for a person; never contains more than the payload did
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Kind.Error() + ": " + e.Msg
	}
	return e.Kind.Error() + ": field " + e.Field + ": " + e.Msg
}

// Unwrap lets errors.Is match the Kind.
func (e *Error) Unwrap() error { return e.Kind }

func fail(field string, kind error, msg string) *Error {
	return &Error{Field: field, Kind: kind, Msg: msg}
}
