package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/ewallet/ewallet/receipt"
	"github.com/ewallet/ewallet/wallet"
)

// signedReceiptBody describes receipt.Signed's JSON for the OpenAPI
// document; the receipt package encodes and parses it.
type signedReceiptBody struct {
	Receipt   json.RawMessage `json:"receipt"`
	KeyID     string          `json:"key_id"`
	Signature string          `json:"signature"`
}

type receiptCheck struct {
	Valid   bool            `json:"valid"`
	Reason  string          `json:"reason,omitempty"`
	KeyID   string          `json:"key_id,omitempty"`
	Receipt json.RawMessage `json:"receipt,omitempty"`
}

type receiptKey struct {
	KeyID     string `json:"key_id"`
	PublicKey string `json:"public_key"` // Ed25519, base64url without padding
}

type receiptKeyList struct {
	Data    []receiptKey `json:"data"`
	HasMore bool         `json:"has_more"`
}

func (a *API) paymentReceipt(c *call) {
	s, ok := a.paymentReceiptOf(c)
	if ok {
		writeJSON(c.w, http.StatusOK, s)
	}
}

func (a *API) paymentReceiptPDF(c *call) {
	if s, ok := a.paymentReceiptOf(c); ok {
		a.writePDF(c, s)
	}
}

func (a *API) paymentReceiptOf(c *call) (receipt.Signed, bool) {
	p, m, err := a.paymentAndMerchant(c)
	if err != nil {
		a.fail(c, err)
		return receipt.Signed{}, false
	}
	s, err := a.Merchants.PaymentReceipt(c.ctx(), m, p)
	if err != nil {
		a.fail(c, err)
		return receipt.Signed{}, false
	}
	return s, true
}

func (a *API) refundReceipt(c *call) {
	if s, ok := a.refundReceiptOf(c); ok {
		writeJSON(c.w, http.StatusOK, s)
	}
}

func (a *API) refundReceiptPDF(c *call) {
	if s, ok := a.refundReceiptOf(c); ok {
		a.writePDF(c, s)
	}
}

func (a *API) refundReceiptOf(c *call) (receipt.Signed, bool) {
	r, m, err := a.Merchants.RefundFor(c.ctx(), c.merchant, c.user, c.r.PathValue("id"))
	if err == nil {
		var s receipt.Signed
		if s, err = a.Merchants.RefundReceipt(c.ctx(), m, r); err == nil {
			return s, true
		}
	}
	a.fail(c, err)
	return receipt.Signed{}, false
}

func (a *API) writePDF(c *call, s receipt.Signed) {
	pdf, err := receipt.PDF(s)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.w.Header().Set("Content-Type", "application/pdf")
	c.w.Header().Set("Content-Disposition", `attachment; filename="`+s.Receipt.ID+`.pdf"`)
	c.w.Write(pdf)
}

// verifyReceipt checks a receipt as the server handed it out. A body that
// is not a receipt is a 400; a receipt whose signature does not hold is a
// 200 with "valid": false and the reason.
func (a *API) verifyReceipt(c *call) {
	body, err := io.ReadAll(io.LimitReader(c.r.Body, receipt.MaxJSON+1))
	if err != nil {
		a.fail(c, wallet.Errorf(wallet.CodeInvalidRequest, "the body is unreadable"))
		return
	}
	if a.ReceiptKeys == nil {
		a.fail(c, wallet.Errorf(wallet.CodeUnavailable, "receipts are not configured"))
		return
	}
	s, err := a.ReceiptKeys.Verify(body)
	switch {
	case err == nil:
		raw, _ := json.Marshal(s.Receipt)
		writeJSON(c.w, http.StatusOK, receiptCheck{Valid: true, KeyID: s.KeyID, Receipt: raw})
	case errors.Is(err, receipt.ErrUnknownKey), errors.Is(err, receipt.ErrBadSignature):
		writeJSON(c.w, http.StatusOK, receiptCheck{Valid: false, Reason: err.Error()})
	default:
		a.fail(c, wallet.Errorf(wallet.CodeInvalidRequest, "not a signed receipt: %v", err))
	}
}

// receiptKeys publishes the public keys receipts are checked with.
func (a *API) receiptKeys(c *call) {
	out := receiptKeyList{Data: []receiptKey{}}
	if a.ReceiptKeys != nil {
		for _, id := range a.ReceiptKeys.KeyIDs() {
			out.Data = append(out.Data, receiptKey{KeyID: id, PublicKey: base64.RawURLEncoding.EncodeToString(a.ReceiptKeys.PublicKey(id))})
		}
	}
	writeJSON(c.w, http.StatusOK, out)
}
