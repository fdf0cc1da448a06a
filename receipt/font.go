package receipt

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

// wqyMicroHei is the statement package's font (WenQuanYi Micro Hei,
// Apache-2.0; see fonts/README.md), which covers Latin and CJK. go:embed
// cannot reach ../statement, so the file is copied here (git stores the
// identical blob once). It is embedded as a string, not a []byte: the
// linker keeps one copy of identical read-only string embeds, and
// []byte(wqyMicroHei) gives every PDF its own writable copy, which gofpdf
// needs (it writes into the font bytes while subsetting).
//
//go:embed fonts/wqy-microhei.ttf
var wqyMicroHei string

var parseFont = sync.OnceValues(func() (*sfnt.Font, error) {
	// sfnt keeps the slice and only reads it.
	return sfnt.Parse([]byte(wqyMicroHei))
})

// glyphs answers questions about the embedded font. It is not safe for
// concurrent use (sfnt.Buffer), so PDF makes one per call. clean, width and
// breakLongWords are the statement package's, copied.
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

// clean makes text safe to draw: characters the font has no glyph for and
// format characters (bidi overrides, zero-width marks, which would reorder
// or hide text) become '?', control characters become spaces, and text
// longer than maxRunes is cut with "…". Receipts hold valid UTF-8 only.
func (g *glyphs) clean(s string, maxRunes int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == maxRunes {
			b.WriteString("…")
			break
		}
		n++
		switch {
		case unicode.IsControl(r) || unicode.Is(unicode.Zs, r):
			b.WriteByte(' ')
		case unicode.Is(unicode.Cf, r) || g.index(r) == 0:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
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
// so that maroto's EmptySpaceStrategy keeps s in its column (ids and CJK
// text have no spaces to break at).
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

// lines breaks cleaned text into lines of at most width mm at size points,
// at spaces where it can, and keeps the first maxLines of them; if that
// cuts text, the last line ends with "…". The PDF draws each line in a row
// of its own, so the page's height never depends on how maroto wraps.
func (g *glyphs) lines(s string, size, width float64, maxLines int) []string {
	words := strings.Fields(g.breakLongWords(s, size, width))
	var out []string
	cur := ""
	for i, w := range words {
		if cur == "" {
			cur = w
			continue
		}
		if next := cur + " " + w; g.width(next, size) <= width {
			cur = next
			continue
		}
		if len(out) == maxLines-1 {
			return append(out, g.oneLine(cur+" "+strings.Join(words[i:], " "), size, width))
		}
		out, cur = append(out, cur), w
	}
	return append(out, cur)
}

// oneLine cuts text that is wider than width mm at size points so that it
// fits, ending it with "…".
func (g *glyphs) oneLine(s string, size, width float64) string {
	if g.width(s, size) <= width {
		return s
	}
	limit := width - g.width("…", size)
	used := 0.0
	for i, r := range s {
		used += g.width(string(r), size)
		if used > limit {
			return strings.TrimRight(s[:i], " ") + "…"
		}
	}
	return s
}
