// Package receipt issues electronic receipts for succeeded payments and
// refunds, signed with the server's Ed25519 key, so that a buyer can prove a
// purchase later without asking us: the signed JSON is the proof, and its
// PDF rendering carries the key id and signature that match it.
//
// A Signer signs a Receipt into a Signed; Signed's JSON is what the server
// hands out. A Verifier holds the public keys by key id (old keys stay
// after a rotation, as receipts live for years) and checks such JSON:
// it parses it strictly, recomputes the canonical bytes (see Canonical) and
// checks the signature over them. The signature covers the meaning of the
// receipt, not the layout of its JSON, so a receipt still verifies after an
// API layer re-encodes or indents it.
package receipt

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ewallet/ewallet/money"
)

// Errors returned by this package, wrapped with details. They are stable:
// callers map them to API codes. A receipt that fails verification for any
// reason proves nothing; the distinction is for logs and messages.
var (
	// ErrInvalidReceipt: a field breaks the rules of Receipt (Sign, PDF,
	// and parsing).
	ErrInvalidReceipt = errors.New("invalid receipt")
	// ErrMalformed: the bytes are not a signed receipt's JSON.
	ErrMalformed = errors.New("malformed signed receipt")
	// ErrUnknownKey: the receipt names a key id the verifier does not hold.
	ErrUnknownKey = errors.New("unknown receipt signing key")
	// ErrBadSignature: the signature does not match the receipt: it was
	// altered, or not signed by us.
	ErrBadSignature = errors.New("receipt signature does not match")
)

// Kind says what a receipt is for.
type Kind string

// The kinds of receipt.
const (
	KindPayment Kind = "payment" // a succeeded (captured) payment
	KindRefund  Kind = "refund"  // a succeeded refund of a payment
)

// Limits on a receipt's fields. They are wider than the merchant API's
// (names of 100 characters, descriptions of 500) so that a payment the API
// accepted always gets its receipt.
const (
	MaxItems      = 100  // lines in Items
	maxNameRunes  = 200  // MerchantName, Item.Name
	maxDescRunes  = 1000 // Description
	maxIDBytes    = 64
	maxQuantity   = 1_000_000
	minIssuedYear = 2000 // RFC 3339 needs 4-digit years; older is a bug
	maxIssuedYear = 9999
)

// Item is one line of a receipt.
type Item struct {
	Name     string
	Quantity int   // ≥ 1
	Amount   int64 // the line's total (quantity × unit price, after any discount), in minor units of the receipt's currency
}

// Receipt is what the payer got: one succeeded payment, or one succeeded
// refund of it. Amounts are minor units of Currency. Payments are fee-free
// for the payer, so Amount is exactly what the payer paid; the merchant's
// fee is not on the receipt.
type Receipt struct {
	ID               string // rcp_…
	Kind             Kind
	PaymentID        string // pay_…
	RefundID         string // ref_…; refunds only
	MerchantID       string // mch_…
	MerchantName     string
	MerchantCategory string // ISO 18245 MCC, 4 digits
	PayerID          string // usr_…
	Description      string // optional
	Items            []Item // optional; if given, their Amounts add up to Amount
	// Amount is what the payer paid for the payment (amount_captured for a
	// manual capture), on a refund receipt too.
	Amount   int64
	Currency money.Currency
	// RefundAmount is what this refund returns to the payer: refunds only,
	// 1 to Amount (a payment may have several partial refunds, one receipt
	// each).
	RefundAmount int64
	IssuedAt     time.Time // UTC; when the payment or refund succeeded
}

// NewID returns a fresh receipt id: "rcp_" and 24 lower-case base32
// characters (120 random bits), like the merchant package's ids.
func NewID() string {
	var b [15]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return "rcp_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// normalize returns r as it is signed: IssuedAt in UTC without a monotonic
// reading, and Items copied (nil when empty) so that the caller's slice
// cannot change a signed receipt and a receipt equals itself after JSON.
func normalize(r Receipt) Receipt {
	r.IssuedAt = r.IssuedAt.UTC().Round(0)
	if len(r.Items) == 0 {
		r.Items = nil
	} else {
		r.Items = append([]Item(nil), r.Items...)
	}
	return r
}

// Validate reports whether r follows the rules of Receipt; the error wraps
// ErrInvalidReceipt and names the field, never quoting user text.
func (r Receipt) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidReceipt, fmt.Sprintf(format, args...))
	}
	for _, id := range []struct{ name, v, prefix string }{
		{"id", r.ID, "rcp_"}, {"payment_id", r.PaymentID, "pay_"},
		{"merchant_id", r.MerchantID, "mch_"}, {"payer_id", r.PayerID, "usr_"},
	} {
		if !validID(id.v, id.prefix) {
			return bad("%s must be %s followed by 1-%d letters, digits, '_' or '-'", id.name, id.prefix, maxIDBytes-len(id.prefix))
		}
	}
	switch r.Kind {
	case KindPayment:
		if r.RefundID != "" || r.RefundAmount != 0 {
			return bad("a payment receipt has no refund_id or refund_amount")
		}
	case KindRefund:
		if !validID(r.RefundID, "ref_") {
			return bad("refund_id must be ref_ followed by 1-%d letters, digits, '_' or '-'", maxIDBytes-4)
		}
		if r.RefundAmount < 1 || r.RefundAmount > r.Amount {
			return bad("refund_amount must be positive and at most amount")
		}
	default:
		return bad("kind must be %q or %q", KindPayment, KindRefund)
	}
	if err := validText("merchant_name", r.MerchantName, maxNameRunes, true); err != nil {
		return bad("%v", err)
	}
	if !validMCC(r.MerchantCategory) {
		return bad("merchant_category must be 4 digits")
	}
	if err := validText("description", r.Description, maxDescRunes, false); err != nil {
		return bad("%v", err)
	}
	if !r.Currency.Valid() {
		return bad("unsupported currency")
	}
	if r.Amount < 1 || r.Amount > money.MaxAmount {
		return bad("amount must be positive and at most money.MaxAmount")
	}
	if len(r.Items) > MaxItems {
		return bad("at most %d items", MaxItems)
	}
	var sum int64
	for i, it := range r.Items {
		if err := validText(fmt.Sprintf("items[%d].name", i), it.Name, maxNameRunes, true); err != nil {
			return bad("%v", err)
		}
		if it.Quantity < 1 || it.Quantity > maxQuantity {
			return bad("items[%d].quantity must be 1-%d", i, maxQuantity)
		}
		if it.Amount < 0 || it.Amount > money.MaxAmount {
			return bad("items[%d].amount must not be negative", i)
		}
		// Stopping once the sum passes Amount keeps it below 2×10^18: no
		// overflow, which could otherwise wrap round to Amount.
		if sum += it.Amount; sum > r.Amount {
			break
		}
	}
	if len(r.Items) > 0 && sum != r.Amount {
		return bad("items do not add up to amount")
	}
	if r.IssuedAt.Location() != time.UTC {
		return bad("issued_at must be in UTC")
	}
	if y := r.IssuedAt.Year(); y < minIssuedYear || y > maxIssuedYear {
		return bad("issued_at must be in the years %d-%d", minIssuedYear, maxIssuedYear)
	}
	return nil
}

// validID: prefix, then 1 or more of [A-Za-z0-9_-], at most maxIDBytes in all.
// The ids we make are lower-case base32; the wider set costs nothing.
func validID(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || rest == "" || len(s) > maxIDBytes {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validText: valid UTF-8 (JSON cannot carry anything else unchanged, so the
// signature would not survive the trip), at most maxRunes characters, and
// not empty when required. Control characters are allowed: the JSON keeps
// them, and the PDF shows them as spaces.
func validText(name, s string, maxRunes int, required bool) error {
	switch {
	case !utf8.ValidString(s):
		return fmt.Errorf("%s is not valid UTF-8", name)
	case required && strings.TrimSpace(s) == "":
		return fmt.Errorf("%s is required", name)
	case utf8.RuneCountInString(s) > maxRunes:
		return fmt.Errorf("%s is longer than %d characters", name, maxRunes)
	}
	return nil
}

func validMCC(s string) bool {
	if len(s) != 4 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
