package receipt_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/receipt"
)

// MustKey returns a fixed Ed25519 key derived from name, so that golden
// files stay the same from run to run.
func MustKey(tb testing.TB, name string) ed25519.PrivateKey {
	tb.Helper()
	seed := sha256.Sum256([]byte("receipt test key: " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// MustSigner returns a Signer for MustKey(tb, name).
func MustSigner(tb testing.TB, name string) *receipt.Signer {
	tb.Helper()
	s, err := receipt.NewSigner(MustKey(tb, name))
	if err != nil {
		tb.Fatalf("NewSigner: %v", err)
	}
	return s
}

// MustVerifier returns a Verifier for the public keys of signers.
func MustVerifier(tb testing.TB, signers ...*receipt.Signer) *receipt.Verifier {
	tb.Helper()
	var keys []ed25519.PublicKey
	for _, s := range signers {
		keys = append(keys, s.PublicKey())
	}
	v, err := receipt.NewVerifier(keys...)
	if err != nil {
		tb.Fatalf("NewVerifier: %v", err)
	}
	return v
}

// MustSign signs r and fails the test on error.
func MustSign(tb testing.TB, s *receipt.Signer, r receipt.Receipt) receipt.Signed {
	tb.Helper()
	signed, err := s.Sign(r)
	if err != nil {
		tb.Fatalf("Sign: %v", err)
	}
	return signed
}

// MustJSON marshals v and fails the test on error.
func MustJSON(tb testing.TB, v interface{ MarshalJSON() ([]byte, error) }) []byte {
	tb.Helper()
	b, err := v.MarshalJSON()
	if err != nil {
		tb.Fatalf("MarshalJSON: %v", err)
	}
	return b
}

// issued is when the test receipts were issued: 08:15:30.123456 UTC.
var issued = time.Date(2026, 2, 1, 8, 15, 30, 123456000, time.UTC)

// NewPayment returns a valid payment receipt of 12.30 CNY with two items.
func NewPayment() receipt.Receipt {
	return receipt.Receipt{
		ID: "rcp_k3j5m7q2w4e6r8t0y2u4i6o8", Kind: receipt.KindPayment,
		PaymentID: "pay_a2b3c4d5e6f7g2h3i4j5k6l7", MerchantID: "mch_m2n3o4p5q6r7s2t3u4v5w6x7",
		MerchantName: "Lucky Noodles 幸运面馆", MerchantCategory: "5812",
		PayerID: "usr_p2a3y4e5r6p2a3y4e5r6", Description: "Lunch <table 7> & tea",
		Items: []receipt.Item{
			{Name: "牛肉面 Beef noodles", Quantity: 1, Amount: 980},
			{Name: "Jasmine tea", Quantity: 2, Amount: 250},
		},
		Amount: 1230, Currency: money.CNY, IssuedAt: issued,
	}
}

// NewRefund returns a valid refund receipt: 3.00 of NewPayment's 12.30 CNY.
func NewRefund() receipt.Receipt {
	r := NewPayment()
	r.ID, r.Kind, r.RefundID, r.RefundAmount = "rcp_r2e3f4u5n6d7r2e3f4u5n6d7", receipt.KindRefund, "ref_z2y3x4w5v6u7t2s3r4q5p6o7", 300
	r.IssuedAt = issued.Add(26 * time.Hour)
	return r
}

// head is the start of b, to show in a failure message.
func head(b []byte) []byte { return b[:min(len(b), 24)] }
