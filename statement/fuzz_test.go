package statement_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ewallet/ewallet/internal/pdffont/pdftest"
	"github.com/ewallet/ewallet/statement"
)

// FuzzWritePDF feeds arbitrary holder names and notes to WritePDF: it must
// neither fail nor panic, and must always produce a structurally valid PDF.
func FuzzWritePDF(f *testing.F) {
	for _, seed := range [][2]string{
		{"Wang Fang", "lunch"},
		{"李雷", "午饭"},
		{"(unbalanced", `back\slash) and (parens`},
		{"\x00\xff\xfe", "\r\n\t\x7f"},
		{"😀\u202e\u200b", "\ufeff\ufffd"},
		{"", ""},
		{strings.Repeat("长", 400), strings.Repeat("word ", 200)},
		{"%%EOF\nxref\n0 1", "endstream endobj 1 0 obj"},
	} {
		f.Add(seed[0], seed[1])
	}
	s := NewStatement(f, 4)
	f.Fuzz(func(t *testing.T, holder, note string) {
		s := s
		s.Holder, s.Phone = holder, note
		lines := append([]statement.Line(nil), s.Sections[0].Lines...)
		for i := range lines {
			lines[i].Note, lines[i].Counterparty = note, holder
		}
		s.Sections = []statement.Section{s.Sections[0]}
		s.Sections[0].Lines, s.Sections[0].Currency = lines, note
		var buf bytes.Buffer
		if err := statement.WritePDF(&buf, s); err != nil {
			t.Fatalf("WritePDF: %v", err)
		}
		if p := pdftest.MustParse(t, buf.Bytes()); p.Pages < 1 || p.Pages != p.Count {
			t.Fatalf("pages %d, /Count %d", p.Pages, p.Count)
		}
	})
}
