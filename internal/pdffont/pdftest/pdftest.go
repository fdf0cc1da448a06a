// Package pdftest reads back the PDFs our packages make, for their tests:
// it checks a PDF's structure and extracts the text it shows. It reads the
// PDFs that maroto (gofpdf) writes, not PDFs in general. Only tests import
// it.
package pdftest

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"testing"
	"unicode/utf16"
)

// PDF is what a test learns from a PDF's bytes.
type PDF struct {
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

// MustParse checks the structure of a PDF — header, trailer, and that
// every in-use xref entry points at "N 0 obj" — and extracts its text. It
// fails the test if the structure is broken.
func MustParse(tb testing.TB, data []byte) PDF {
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
	p := PDF{Pages: len(pageRe.FindAll(data, -1))}
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
