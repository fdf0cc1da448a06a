package statement

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// wqyMicroHei is WenQuanYi Micro Hei (Apache-2.0), face 0 of the .ttc shipped
// by Debian's fonts-wqy-microhei, saved as a plain TrueType file; see
// fonts/README.md. It covers Latin and CJK, so one font draws "李雷 (+86…)".
// It is embedded because the font is not guaranteed on the server; the PDF
// itself carries only the glyphs a statement uses (the PDF library subsets).
//
//go:embed fonts/wqy-microhei.ttf
var wqyMicroHei []byte

// maxCellRunes caps a cell's text in the PDF so that one pathological note
// cannot make a table row taller than a page. The CSV keeps the full text.
const maxCellRunes = 300

var parseFont = sync.OnceValues(func() (*sfnt.Font, error) {
	return sfnt.Parse(wqyMicroHei)
})

// glyphs answers questions about the embedded font. It is not safe for
// concurrent use (sfnt.Buffer), so WritePDF makes one per call.
type glyphs struct {
	f   *sfnt.Font
	buf sfnt.Buffer
}

func newGlyphs() (*glyphs, error) {
	f, err := parseFont()
	if err != nil {
		return nil, fmt.Errorf("parse embedded font: %w", err)
	}
	return &glyphs{f: f}, nil
}

func (g *glyphs) index(r rune) sfnt.GlyphIndex {
	x, err := g.f.GlyphIndex(&g.buf, r)
	if err != nil {
		return 0
	}
	return x
}

// clean makes user text safe to draw: invalid UTF-8 and characters the font
// has no glyph for become '?', control characters (newlines, tabs) become
// spaces, and text longer than maxCellRunes is cut with "…".
func (g *glyphs) clean(s string) string {
	var b strings.Builder
	n := 0
	for i, r := range s {
		if n == maxCellRunes {
			b.WriteString("…")
			break
		}
		n++
		switch {
		case r == utf8.RuneError && isBadByte(s, i):
			b.WriteByte('?')
		case unicode.IsControl(r) || unicode.Is(unicode.Zs, r):
			b.WriteByte(' ')
		case unicode.Is(unicode.Cf, r) || g.index(r) == 0:
			// Cf: bidi overrides and zero-width marks would reorder or hide
			// text, which a statement must not do.
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isBadByte(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size == 1
}

// width is the advance width of s in millimetres at size points, as the PDF
// library will measure it (hmtx advances, no kerning).
func (g *glyphs) width(s string, size float64) float64 {
	upem := g.f.UnitsPerEm()
	var total fixed.Int26_6
	for _, r := range s {
		adv, err := g.f.GlyphAdvance(&g.buf, g.index(r), fixed.Int26_6(upem)<<6, font.HintingNone)
		if err == nil {
			total += adv
		}
	}
	em := float64(total) / 64 / float64(upem)
	return em * size * 25.4 / 72
}

// breakLongWords returns s with its words separated by single spaces and
// every word too wide for width mm at size points cut into pieces that fit,
// so that breaking lines at spaces (maroto's EmptySpaceStrategy) keeps s in
// its column. Ids and CJK text without spaces need this; maroto's other
// strategy would add a '-' inside an id, which then reads as part of it.
func (g *glyphs) breakLongWords(s string, size, width float64) string {
	var out []string
	for w := range strings.FieldsSeq(s) {
		for g.width(w, size) > width {
			cut, used := 0, 0.0
			for i, r := range w {
				rw := g.width(string(r), size)
				if i > 0 && used+rw > width {
					break
				}
				cut, used = i+utf8.RuneLen(r), used+rw
			}
			out, w = append(out, w[:cut]), w[cut:]
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}
