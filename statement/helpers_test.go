package statement_test

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/ewallet/ewallet/statement"
)

// MustLoadShanghai returns the Asia/Shanghai zone, which statements print in.
func MustLoadShanghai(tb testing.TB) *time.Location {
	tb.Helper()
	z, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		tb.Fatalf("load zone: %v", err)
	}
	return z
}

// NewStatement returns a one-currency statement with n lines whose ids are
// txn_0000, txn_0001, … and whose closing balance is "9876.54".
func NewStatement(tb testing.TB, n int) statement.Statement {
	tb.Helper()
	from := time.Date(2026, 1, 31, 16, 0, 0, 0, time.UTC) // 2026-02-01 00:00 in Shanghai
	sec := statement.Section{Currency: "CNY", Opening: "100.00", Closing: "9876.54", TotalIn: "10000.00", TotalOut: "223.46"}
	for i := range n {
		dir, cp := "in", "李雷 (+8613800000002)"
		if i%3 == 0 {
			dir, cp = "out", "Han Meimei (+8613800000003)"
		}
		sec.Lines = append(sec.Lines, statement.Line{
			Time: from.Add(time.Duration(i) * time.Minute), ID: fmt.Sprintf("txn_%04d", i),
			Type: "transfer", Direction: dir, Counterparty: cp, Note: "午饭 lunch", Status: "completed",
			Amount: "12.34", BalanceAfter: fmt.Sprintf("%d.00", 100+i),
		})
	}
	return statement.Statement{
		Holder: "Wang Fang 王芳", Phone: "+8613800000001", WalletID: "wal_01HXAMPLE",
		From: from, To: from.AddDate(0, 0, 28), Generated: from.AddDate(0, 1, 1),
		TimeZone: MustLoadShanghai(tb), Sections: []statement.Section{sec},
	}
}

// MustWritePDF renders s and fails the test on error.
func MustWritePDF(tb testing.TB, s statement.Statement) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := statement.WritePDF(&buf, s); err != nil {
		tb.Fatalf("WritePDF: %v", err)
	}
	return buf.Bytes()
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
