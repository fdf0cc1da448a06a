package receipt_test

import (
	"bytes"
	"compress/zlib"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"testing"
	"time"
	"unicode/utf16"

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

// parsedPDF is what the tests learn from a PDF's bytes.
type parsedPDF struct {
	Pages int    // objects of /Type /Page
	Count int    // /Count of the page tree root
	Text  string // every string shown in the content streams, decoded
}

var (
	startxrefRe = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	subsecRe    = regexp.MustCompile(`^(\d+) (\d+)\s*$`)
	pageRe      = regexp.MustCompile(`/Type\s*/Page[^s]`)
	countRe     = regexp.MustCompile(`/Type\s*/Pages[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages`)
	streamRe    = regexp.MustCompile(`(?s)<<([^<>]*(?:<<[^<>]*>>[^<>]*)*)>>\s*stream\r?\n`)
	showRe      = regexp.MustCompile(`(?s)/(\S+)\s+[\d.]+\s+Tf|\(((?:\\.|[^\\)])*)\)\s*Tj`)
	fontDictRe  = regexp.MustCompile(`/Font\s*<<([^>]*)>>`)
	fontRefRe   = regexp.MustCompile(`/(\S+)\s+(\d+) 0 R`)
)

// MustParsePDF checks the structure of a PDF — header, trailer, and that
// every in-use xref entry points at "N 0 obj" — and extracts its text.
func MustParsePDF(tb testing.TB, data []byte) parsedPDF {
	tb.Helper()
	if !bytes.HasPrefix(data, []byte("%PDF-1.")) {
		tb.Fatalf("no %%PDF- header: %q", head(data))
	}
	m := startxrefRe.FindSubmatch(data)
	if m == nil {
		tb.Fatalf("no startxref … %%%%EOF at the end: %q", data[max(0, len(data)-64):])
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if xref >= len(data) || !bytes.HasPrefix(data[xref:], []byte("xref")) {
		tb.Fatalf("startxref %d does not point at xref", xref)
	}
	lines := bytes.Split(data[xref:], []byte("\n"))[1:]
	entries := 0
	for len(lines) > 0 {
		sm := subsecRe.FindSubmatch(lines[0])
		if sm == nil {
			break
		}
		first, _ := strconv.Atoi(string(sm[1]))
		n, _ := strconv.Atoi(string(sm[2]))
		if len(lines) < n+1 {
			tb.Fatalf("xref subsection %d %d is cut short", first, n)
		}
		for i, e := range lines[1 : n+1] {
			e = bytes.TrimRight(e, "\r ")
			if len(e) != 18 || (e[17] != 'n' && e[17] != 'f') {
				tb.Fatalf("xref entry %d malformed: %q", first+i, e)
			}
			if e[17] == 'f' {
				continue
			}
			off, _ := strconv.Atoi(string(e[:10]))
			want := fmt.Sprintf("%d 0 obj", first+i)
			if off >= len(data) || !bytes.HasPrefix(data[off:], []byte(want)) {
				tb.Fatalf("xref entry %d: offset %d has %q, want %q", first+i, off, head(data[min(off, len(data)):]), want)
			}
			entries++
		}
		lines = lines[n+1:]
	}
	if entries == 0 {
		tb.Fatal("xref table has no objects")
	}
	p := parsedPDF{Pages: len(pageRe.FindAll(data, -1))}
	if cm := countRe.FindSubmatch(data); cm != nil {
		p.Count, _ = strconv.Atoi(string(cm[1]) + string(cm[2]))
	}
	p.Text = contentText(tb, data)
	return p
}

// contentText inflates the content streams and returns the strings they
// show, one a line. Strings in a Type0 (embedded, Identity-H) font are read
// as UTF-16BE, which is what our PDF library writes; others as bytes.
func contentText(tb testing.TB, data []byte) string {
	tb.Helper()
	type0 := map[string]bool{}
	for _, fd := range fontDictRe.FindAllSubmatch(data, -1) {
		for _, ref := range fontRefRe.FindAllSubmatch(fd[1], -1) {
			obj := data[bytes.Index(data, []byte("\n"+string(ref[2])+" 0 obj"))+1:]
			obj = obj[:bytes.Index(obj, []byte("endobj"))]
			type0[string(ref[1])] = bytes.Contains(obj, []byte("/Subtype /Type0"))
		}
	}
	var out bytes.Buffer
	for _, loc := range streamRe.FindAllSubmatchIndex(data, -1) {
		dict := data[loc[2]:loc[3]]
		body := data[loc[1]:]
		if end := bytes.Index(body, []byte("endstream")); end >= 0 {
			body = body[:end]
		}
		if bytes.Contains(dict, []byte("/FlateDecode")) {
			r, err := zlib.NewReader(bytes.NewReader(body))
			if err != nil {
				tb.Fatalf("inflate stream <<%s>>: %v", dict, err)
			}
			body, err = io.ReadAll(r)
			if err != nil && err != io.ErrUnexpectedEOF {
				tb.Fatalf("inflate stream <<%s>>: %v", dict, err)
			}
		}
		font := ""
		for _, sm := range showRe.FindAllSubmatch(body, -1) {
			if sm[1] != nil {
				font = string(sm[1])
				continue
			}
			raw := unescape(sm[2])
			if !type0[font] {
				out.Write(raw)
			} else {
				u := make([]uint16, len(raw)/2)
				for i := range u {
					u[i] = uint16(raw[2*i])<<8 | uint16(raw[2*i+1])
				}
				out.WriteString(string(utf16.Decode(u)))
			}
			out.WriteByte('\n')
		}
	}
	return out.String()
}

// unescape undoes PDF literal string escapes (ISO 32000-1, 7.3.4.2).
func unescape(s []byte) []byte {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			out = append(out, s[i])
			continue
		}
		i++
		switch c := s[i]; c {
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		default:
			if c >= '0' && c <= '7' {
				v, n := 0, 0
				for ; n < 3 && i+n < len(s) && s[i+n] >= '0' && s[i+n] <= '7'; n++ {
					v = v*8 + int(s[i+n]-'0')
				}
				out, i = append(out, byte(v)), i+n-1
				continue
			}
			out = append(out, c)
		}
	}
	return out
}

func head(b []byte) []byte { return b[:min(len(b), 24)] }
