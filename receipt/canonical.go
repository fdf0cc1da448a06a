package receipt

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// Domain is the prefix of the canonical bytes. It keeps a receipt
// signature from being valid for anything else the key might ever sign
// (and v1 from being read as a later layout).
const Domain = "ewallet-receipt-v1\n"

// Canonical returns the bytes a receipt's signature covers: Domain, then
// keyID and every field of r in a fixed order, in a length-prefixed binary
// layout. Each string is its length as a big-endian uint32 followed by its
// UTF-8 bytes; each integer is a big-endian int64:
//
//	Domain
//	str keyID
//	str ID, str Kind, str PaymentID, str RefundID,
//	str MerchantID, str MerchantName, str MerchantCategory,
//	str PayerID, str Description
//	u32 len(Items), then per item: str Name, i64 Quantity, i64 Amount
//	i64 Amount, str Currency, i64 RefundAmount
//	i64 IssuedAt Unix seconds, u32 IssuedAt nanoseconds
//
// Absent fields are empty strings or 0. The layout is never changed: a new
// field needs a new Domain ("…-v2"), and verifiers keep reading v1. The
// binary form, not the JSON, is signed because it has exactly one
// encoding for each receipt (JSON has many: escapes, key order, white
// space, "12.3" or "12.30"), so the JSON may be re-encoded on its way to
// the buyer, and a verifier in another language needs only these lines.
func Canonical(r Receipt, keyID string) []byte {
	n := len(Domain) + 4*12 + 8*4 + len(keyID) + len(r.ID) + len(r.Kind) + len(r.PaymentID) +
		len(r.RefundID) + len(r.MerchantID) + len(r.MerchantName) + len(r.MerchantCategory) +
		len(r.PayerID) + len(r.Description) + len(r.Currency)
	for _, it := range r.Items {
		n += 4 + len(it.Name) + 16
	}
	b := make([]byte, 0, n)
	b = append(b, Domain...)
	for _, s := range []string{keyID, r.ID, string(r.Kind), r.PaymentID, r.RefundID,
		r.MerchantID, r.MerchantName, r.MerchantCategory, r.PayerID, r.Description} {
		b = appendString(b, s)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.Items)))
	for _, it := range r.Items {
		b = appendString(b, it.Name)
		b = binary.BigEndian.AppendUint64(b, uint64(int64(it.Quantity)))
		b = binary.BigEndian.AppendUint64(b, uint64(it.Amount))
	}
	b = binary.BigEndian.AppendUint64(b, uint64(r.Amount))
	b = appendString(b, string(r.Currency))
	b = binary.BigEndian.AppendUint64(b, uint64(r.RefundAmount))
	b = binary.BigEndian.AppendUint64(b, uint64(r.IssuedAt.Unix()))
	return binary.BigEndian.AppendUint32(b, uint32(r.IssuedAt.Nanosecond()))
}

// appendString appends s with its length. Strings in a valid receipt are
// far below 4 GiB, so the length never wraps.
func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// KeyID names a public key on receipts: the first 8 bytes of its SHA-256,
// in lower-case hex (16 characters). 64 bits tell a handful of rotated
// keys apart; the id only picks the key, the signature does the proving.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// validKeyID: 16 lower-case hex characters, as KeyID makes.
func validKeyID(s string) bool {
	if len(s) != 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}
