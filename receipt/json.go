package receipt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ewallet/ewallet/money"
)

// MaxJSON is the largest signed receipt, in bytes of JSON, that ParseSigned
// and Verifier.Verify read: it bounds the work an unauthenticated input
// can cause. The fullest receipt Validate allows is about 130 KB of JSON
// (every character escaped as \uXXXX), so a re-encoding on the way that
// escapes more or indents still fits (the tests check the headroom).
const MaxJSON = 512 << 10

// wireReceipt is Receipt as JSON: amounts are decimal strings with all of
// the currency's decimals and times RFC 3339 in UTC, as in the rest of the
// API. Field order here is the order in the JSON.
type wireReceipt struct {
	ID               string     `json:"id"`
	Kind             Kind       `json:"kind"`
	PaymentID        string     `json:"payment_id"`
	RefundID         string     `json:"refund_id,omitempty"`
	MerchantID       string     `json:"merchant_id"`
	MerchantName     string     `json:"merchant_name"`
	MerchantCategory string     `json:"merchant_category"`
	PayerID          string     `json:"payer_id"`
	Description      string     `json:"description,omitempty"`
	Items            []wireItem `json:"items,omitempty"`
	Amount           string     `json:"amount"`
	Currency         string     `json:"currency"`
	RefundAmount     string     `json:"refund_amount,omitempty"`
	IssuedAt         string     `json:"issued_at"`
}

type wireItem struct {
	Name     string `json:"name"`
	Quantity int    `json:"quantity"`
	Amount   string `json:"amount"`
}

type wireSigned struct {
	Receipt   json.RawMessage `json:"receipt"`
	KeyID     string          `json:"key_id"`
	Signature string          `json:"signature"` // base64url, no padding
}

// knownKeys are every object key of the three wire types, exactly as
// written. checkKeys refuses any other spelling, because encoding/json
// would match "AMOUNT" to "amount".
var knownKeys = map[string]bool{
	"id": true, "kind": true, "payment_id": true, "refund_id": true, "merchant_id": true,
	"merchant_name": true, "merchant_category": true, "payer_id": true, "description": true,
	"items": true, "amount": true, "currency": true, "refund_amount": true, "issued_at": true,
	"name": true, "quantity": true,
	"receipt": true, "key_id": true, "signature": true,
}

// MarshalJSON writes r as
// {"id","kind","payment_id","refund_id"?,"merchant_id","merchant_name",
// "merchant_category","payer_id","description"?,"items"?:[{"name","quantity","amount"}],
// "amount","currency","refund_amount"?,"issued_at"}.
func (r Receipt) MarshalJSON() ([]byte, error) {
	w := wireReceipt{
		ID: r.ID, Kind: r.Kind, PaymentID: r.PaymentID, RefundID: r.RefundID,
		MerchantID: r.MerchantID, MerchantName: r.MerchantName, MerchantCategory: r.MerchantCategory,
		PayerID: r.PayerID, Description: r.Description,
		Amount: money.Format(r.Amount, r.Currency), Currency: string(r.Currency),
		IssuedAt: r.IssuedAt.UTC().Format(time.RFC3339Nano),
	}
	if r.Kind == KindRefund || r.RefundAmount != 0 {
		w.RefundAmount = money.Format(r.RefundAmount, r.Currency)
	}
	for _, it := range r.Items {
		w.Items = append(w.Items, wireItem{Name: it.Name, Quantity: it.Quantity, Amount: money.Format(it.Amount, r.Currency)})
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads what MarshalJSON writes, refusing unknown fields,
// JSON numbers for amounts and anything Validate refuses; errors wrap
// ErrMalformed or ErrInvalidReceipt. It does not catch duplicate keys:
// ParseSigned does.
func (r *Receipt) UnmarshalJSON(data []byte) error {
	var w wireReceipt
	if err := decodeStrict(data, &w); err != nil {
		return err
	}
	cur, err := money.ParseCurrency(w.Currency)
	if err != nil {
		return fmt.Errorf("%w: unsupported currency", ErrInvalidReceipt)
	}
	amount := func(name, s string) (int64, error) {
		v, err := money.Parse(s, cur)
		if err != nil {
			return 0, fmt.Errorf("%w: %s is not an amount in %s", ErrInvalidReceipt, name, cur)
		}
		return v, nil
	}
	out := Receipt{
		ID: w.ID, Kind: w.Kind, PaymentID: w.PaymentID, RefundID: w.RefundID,
		MerchantID: w.MerchantID, MerchantName: w.MerchantName, MerchantCategory: w.MerchantCategory,
		PayerID: w.PayerID, Description: w.Description, Currency: cur,
	}
	if out.Amount, err = amount("amount", w.Amount); err != nil {
		return err
	}
	if w.RefundAmount != "" {
		if out.RefundAmount, err = amount("refund_amount", w.RefundAmount); err != nil {
			return err
		}
	}
	for i, wi := range w.Items {
		a, err := amount(fmt.Sprintf("items[%d].amount", i), wi.Amount)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, Item{Name: wi.Name, Quantity: wi.Quantity, Amount: a})
	}
	t, err := time.Parse(time.RFC3339Nano, w.IssuedAt)
	if err != nil {
		return fmt.Errorf("%w: issued_at is not an RFC 3339 time", ErrInvalidReceipt)
	}
	out.IssuedAt = t.UTC()
	if err := out.Validate(); err != nil {
		return err
	}
	*r = out
	return nil
}

// MarshalJSON writes s as {"receipt":{…},"key_id":"…","signature":"…"},
// the signature in unpadded base64url. This is the form the server hands
// out and Verifier.Verify reads.
func (s Signed) MarshalJSON() ([]byte, error) {
	rj, err := s.Receipt.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return json.Marshal(wireSigned{Receipt: rj, KeyID: s.KeyID, Signature: base64.RawURLEncoding.EncodeToString(s.Signature)})
}

// UnmarshalJSON reads what MarshalJSON writes; see ParseSigned for the
// stricter reading that verification uses. It checks the form of the key
// id and signature, not the signature itself.
func (s *Signed) UnmarshalJSON(data []byte) error {
	var w wireSigned
	if err := decodeStrict(data, &w); err != nil {
		return err
	}
	if len(w.Receipt) == 0 || bytes.Equal(w.Receipt, []byte("null")) {
		return fmt.Errorf("%w: no receipt", ErrMalformed)
	}
	if !validKeyID(w.KeyID) {
		return fmt.Errorf("%w: key_id must be 16 lower-case hex characters", ErrMalformed)
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(w.Signature)
	if err != nil || len(sig) != signatureSize {
		return fmt.Errorf("%w: signature must be %d bytes in unpadded base64url", ErrMalformed, signatureSize)
	}
	var r Receipt
	if err := r.UnmarshalJSON(w.Receipt); err != nil {
		return err
	}
	*s = Signed{Receipt: r, KeyID: w.KeyID, Signature: sig}
	return nil
}

// ParseSigned reads a signed receipt's JSON as the server handed it out.
// Beyond UnmarshalJSON it refuses input over MaxJSON bytes, duplicate keys
// in an object and keys spelt in another case, so that the document it
// accepts has one reading in every JSON parser: otherwise a verifier could
// check {"amount":"1.00",…,"amount":"9.00"} while a person is shown the
// other amount. It does not check the signature: Verify does.
func ParseSigned(data []byte) (Signed, error) {
	if len(data) > MaxJSON {
		return Signed{}, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, MaxJSON)
	}
	if err := checkKeys(data); err != nil {
		return Signed{}, err
	}
	var s Signed
	if err := s.UnmarshalJSON(data); err != nil {
		return Signed{}, err
	}
	return s, nil
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data. Errors wrap ErrMalformed.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the JSON value", ErrMalformed)
	}
	return nil
}

// maxDepth is how deep a signed receipt nests: envelope, receipt, items,
// item. Deeper input is refused before it costs recursion.
const maxDepth = 4

// checkKeys walks the JSON and refuses an object key that repeats in its
// object or is not in knownKeys as written.
func checkKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := walkValue(dec, 0); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the JSON value", ErrMalformed)
	}
	return nil
}

var errTooDeep = errors.New("nested too deep")

func walkValue(dec *json.Decoder, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar
	}
	if depth == maxDepth {
		return errTooDeep
	}
	switch d {
	case '{':
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string) // the decoder gives object keys as strings
			if !knownKeys[key] {
				return fmt.Errorf("unknown field %q", truncate(key, 40))
			}
			if seen[key] {
				return fmt.Errorf("field %q given twice", key)
			}
			seen[key] = true
			if err := walkValue(dec, depth+1); err != nil {
				return err
			}
		}
	case '[':
		for dec.More() {
			if err := walkValue(dec, depth+1); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

// truncate cuts s to at most n bytes for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
