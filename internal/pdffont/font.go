// Package pdffont is the font our PDFs draw text users typed in, and the
// helpers that fit such text to it: WenQuanYi Micro Hei, embedded once for
// every package that makes PDFs with maroto (statements, receipts).
package pdffont

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	"github.com/johnfercher/maroto/v2/pkg/core/entity"
	"github.com/johnfercher/maroto/v2/pkg/repository"
	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// Family is the name Load registers the font under, for props.Text.Family
// and the like.
const Family = "wqy"

// ttf is WenQuanYi Micro Hei (Apache-2.0), face 0 of the .ttc shipped by
// Debian's fonts-wqy-microhei, saved as a plain TrueType file; see
// fonts/README.md. It covers Latin and CJK, so one font draws "李雷 (+86…)".
// It is embedded because the font is not guaranteed on the server; a PDF
// itself carries only the glyphs it uses (the PDF library subsets).
//
// It is a string, not a []byte, so that nothing can write into it: every
// PDF takes its own writable copy (see Load).
//
//go:embed fonts/wqy-microhei.ttf
var ttf string

// Load returns the font, registered as Family, for a maroto document
// (config.Builder.WithCustomFonts). Call it once per document: each call
// returns a fresh copy of the font bytes, because gofpdf v1.4.3 appends to
// slices of them while subsetting (generateChecksum), which would race
// with other documents being made from a shared copy.
func Load() ([]*entity.CustomFont, error) {
	fonts, err := repository.New().AddUTF8FontFromBytes(Family, fontstyle.Normal, []byte(ttf)).Load()
	if err != nil {
		return nil, fmt.Errorf("load font: %w", err)
	}
	return fonts, nil
}

var parseFont = sync.OnceValues(func() (*sfnt.Font, error) {
	// sfnt keeps the slice and only reads it, so one copy serves every
	// Glyphs.
	return sfnt.Parse([]byte(ttf))
})

// Glyphs answers questions about the embedded font: what it can draw and
// how wide text is. It is not safe for concurrent use (sfnt.Buffer), so
// make one per document.
type Glyphs struct {
	f   *sfnt.Font
	buf sfnt.Buffer
}

// NewGlyphs returns a Glyphs for the embedded font, which is parsed once
// per process.
func NewGlyphs() (*Glyphs, error) {
	f, err := parseFont()
	if err != nil {
		return nil, fmt.Errorf("parse embedded font: %w", err)
	}
	return &Glyphs{f: f}, nil
}

func (g *Glyphs) index(r rune) sfnt.GlyphIndex {
	x, err := g.f.GlyphIndex(&g.buf, r)
	if err != nil {
		return 0
	}
	return x
}

// Clean makes user text safe to draw: invalid UTF-8 and characters the
// font has no glyph for become '?', and so do format characters (bidi
// overrides and zero-width marks would reorder or hide text, which a
// statement or receipt must not do); control characters (newlines, tabs)
// and other space characters become plain spaces; and text longer than
// maxRunes is cut with "…".
func (g *Glyphs) Clean(s string, maxRunes int) string {
	var b strings.Builder
	n := 0
	for i, r := range s {
		if n == maxRunes {
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

// Width is the advance width of s in millimetres at size points, as the
// PDF library will measure it (hmtx advances, no kerning).
func (g *Glyphs) Width(s string, size float64) float64 {
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

// BreakLongWords returns s with its words separated by single spaces and
// every word too wide for width mm at size points cut into pieces that
// fit, so that breaking lines at spaces (maroto's EmptySpaceStrategy) keeps
// s in its column. Ids and CJK text without spaces need this; maroto's
// other strategy would add a '-' inside an id, which then reads as part of
// it.
func (g *Glyphs) BreakLongWords(s string, size, width float64) string {
	var out []string
	for w := range strings.FieldsSeq(s) {
		for g.Width(w, size) > width {
			cut, used := 0, 0.0
			for i, r := range w {
				rw := g.Width(string(r), size)
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
