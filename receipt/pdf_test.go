package receipt_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ewallet/ewallet/internal/pdffont/pdftest"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/receipt"
)

// MustPDF renders s and checks that the result is a one-page PDF.
func MustPDF(tb testing.TB, s receipt.Signed) pdftest.PDF {
	tb.Helper()
	data, err := receipt.PDF(s)
	if err != nil {
		tb.Fatalf("PDF: %v", err)
	}
	if !bytes.HasPrefix(data, []byte("%PDF")) {
		tb.Fatalf("does not start with %%PDF: %q", head(data))
	}
	p := pdftest.MustParse(tb, data)
	if p.Pages != 1 || p.Count != 1 {
		tb.Fatalf("%d /Type /Page objects, /Count %d; want one page", p.Pages, p.Count)
	}
	return p
}

// squash removes the line breaks and spaces that wrapping puts between
// the pieces of a text, so that it can be searched for whole.
func squash(s string) string { return strings.NewReplacer("\n", "", " ", "").Replace(s) }

func TestPDF(t *testing.T) {
	signer := MustSigner(t, "a")
	jpy := NewPayment()
	jpy.Currency, jpy.Amount, jpy.Items, jpy.Description = money.JPY, 1000, nil, ""
	odd := NewPayment()
	odd.MerchantName, odd.Description = "Ann 😀\u202e\tShop", "one\ntwo"
	odd.Items[0].Name = strings.Repeat("长", 150)

	tests := []struct {
		name    string
		r       receipt.Receipt
		want    []string
		notWant []string
	}{
		{"Payment", NewPayment(), []string{
			"Payment receipt", "Lucky Noodles 幸运面馆", "MCC 5812", "mch_m2n3o4p5q6r7s2t3u4v5w6x7",
			"2026-02-01 08:15:30.123456 UTC", "rcp_k3j5m7q2w4e6r8t0y2u4i6o8", "pay_a2b3c4d5e6f7g2h3i4j5k6l7",
			"usr_p2a3y4e5r6p2a3y4e5r6", "Lunch <table 7> & tea",
			"牛肉面 Beef noodles", "9.80", "Jasmine tea", "2.50", "Amount (CNY)", "Total paid", "12.30 CNY",
		}, []string{"Refund", "ref_"}},
		{"Refund", NewRefund(), []string{
			"Refund receipt", "ref_z2y3x4w5v6u7t2s3r4q5p6o7", "pay_a2b3c4d5e6f7g2h3i4j5k6l7",
			"Refunded to the payer", "3.00 CNY", "Original payment", "12.30 CNY", "2026-02-02 10:15:30.123456 UTC",
		}, []string{"Total paid"}},
		{"JPYWholeSeconds", func() receipt.Receipt { jpy.IssuedAt = issued.Truncate(time.Second); return jpy }(),
			[]string{"1000 JPY", "2026-02-01 08:15:30 UTC"}, []string{"1000.00", "Item", "Description"}},
		{"TextCleaned", odd, []string{"Ann ?? Shop", "one two", strings.Repeat("长", 20) + "…"},
			[]string{"😀", "\u202e", strings.Repeat("长", 150)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := MustSign(t, signer, tt.r)
			text := squash(MustPDF(t, s).Text)
			tt.want = append(tt.want, "Proof", "Key ID", s.KeyID, "Signature (Ed25519, base64url)",
				base64.RawURLEncoding.EncodeToString(s.Signature))
			for _, w := range tt.want {
				if !strings.Contains(text, squash(w)) {
					t.Errorf("text lacks %q", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(text, squash(w)) {
					t.Errorf("text has %q", w)
				}
			}
		})
	}
}

// TestPDFOnePage fills every field to its limit, in wide CJK characters
// that wrap the most, and checks that the receipt still fits on one page.
func TestPDFOnePage(t *testing.T) {
	r := NewRefund()
	r.MerchantName = strings.Repeat("面", 200)
	r.Description = strings.Repeat("汤", 1000)
	r.Items = nil
	for i := range receipt.MaxItems {
		r.Items = append(r.Items, receipt.Item{Name: fmt.Sprintf("%03d", i) + strings.Repeat("饺", 197), Quantity: 1_000_000, Amount: 1})
	}
	r.Items[0].Amount = r.Amount - receipt.MaxItems + 1
	// The longest ids, in the widest Latin letter, take two lines each.
	r.ID, r.PaymentID, r.RefundID = "rcp_"+strings.Repeat("W", 60), "pay_"+strings.Repeat("W", 60), "ref_"+strings.Repeat("W", 60)
	r.MerchantID, r.PayerID = "mch_"+strings.Repeat("W", 60), "usr_"+strings.Repeat("W", 60)
	s := MustSign(t, MustSigner(t, "a"), r)
	text := squash(MustPDF(t, s).Text)
	for _, w := range []string{"000饺", "014饺", "… and 85 more items", "1000000", base64.RawURLEncoding.EncodeToString(s.Signature)} {
		if !strings.Contains(text, squash(w)) {
			t.Errorf("text lacks %q", w)
		}
	}
	if strings.Contains(text, "015饺") {
		t.Error("item 16 shown")
	}
}

func TestPDFRefuses(t *testing.T) {
	good := MustSign(t, MustSigner(t, "a"), NewPayment())
	for _, tt := range []struct {
		name string
		edit func(*receipt.Signed)
		err  error
	}{
		{"InvalidReceipt", func(s *receipt.Signed) { s.Receipt.Currency = "XYZ" }, receipt.ErrInvalidReceipt},
		{"NoSignature", func(s *receipt.Signed) { s.Signature = nil }, receipt.ErrMalformed},
		{"NoKeyID", func(s *receipt.Signed) { s.KeyID = "" }, receipt.ErrMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := good
			tt.edit(&s)
			if _, err := receipt.PDF(s); !errors.Is(err, tt.err) {
				t.Fatalf("PDF = %v; want %v", err, tt.err)
			}
		})
	}
}

// TestPDFConcurrent renders receipts at once; run with -race. gofpdf writes
// into the font bytes, so each PDF must have its own copy.
func TestPDFConcurrent(t *testing.T) {
	signer := MustSigner(t, "a")
	out := make([][]byte, 4)
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() {
			r := NewPayment()
			r.MerchantName = fmt.Sprintf("店 %d", i)
			s, err := signer.Sign(r)
			if err == nil {
				out[i], err = receipt.PDF(s)
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := range out {
		if p := pdftest.MustParse(t, out[i]); !strings.Contains(p.Text, fmt.Sprintf("店 %d", i)) {
			t.Errorf("receipt %d lacks its merchant", i)
		}
	}
}

func BenchmarkPDF(b *testing.B) {
	s := MustSign(b, MustSigner(b, "a"), NewPayment())
	for b.Loop() {
		if _, err := receipt.PDF(s); err != nil {
			b.Fatal(err)
		}
	}
}
