package pdffont_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"

	"github.com/ewallet/ewallet/internal/pdffont"
)

// MustGlyphs returns a Glyphs for the embedded font.
func MustGlyphs(tb testing.TB) *pdffont.Glyphs {
	tb.Helper()
	g, err := pdffont.NewGlyphs()
	if err != nil {
		tb.Fatalf("NewGlyphs: %v", err)
	}
	return g
}

// TestLoad checks that every document gets a copy of its own: gofpdf
// writes into the font bytes.
func TestLoad(t *testing.T) {
	a, err := pdffont.Load()
	if err != nil {
		t.Fatal(err)
	}
	b, err := pdffont.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 1 || a[0].Family != pdffont.Family || a[0].Style != fontstyle.Normal {
		t.Fatalf("Load = %+v; want one font, %q normal", a, pdffont.Family)
	}
	if !bytes.HasPrefix(a[0].Bytes, []byte{0, 1, 0, 0}) || !bytes.Equal(a[0].Bytes, b[0].Bytes) {
		t.Fatal("not the same TrueType font twice")
	}
	a[0].Bytes[0] = 'x'
	if b[0].Bytes[0] != 0 {
		t.Fatal("two loads share their bytes")
	}
	if c, _ := pdffont.Load(); c[0].Bytes[0] != 0 {
		t.Fatal("writing a loaded font changed the embedded one")
	}
}

func TestClean(t *testing.T) {
	g := MustGlyphs(t)
	for _, tt := range []struct {
		name, in string
		max      int
		want     string
	}{
		{"LatinAndCJK", "Wang Fang 王芳", 300, "Wang Fang 王芳"},
		{"InvalidUTF8", "a\xffb\xc3", 300, "a?b?"},
		{"ReplacementCharacterKept", "\ufffd", 300, "\ufffd"},
		{"ControlAndSpaceSeparators", "one\ntwo\tthree\u3000four", 300, "one two three four"},
		{"NoGlyphAndFormat", "Ann 😀\u202e\u200b", 300, "Ann ???"},
		{"Cut", "abcdef", 3, "abc…"},
		{"NotCut", "abc", 3, "abc"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := g.Clean(tt.in, tt.max); got != tt.want {
				t.Errorf("Clean(%q, %d) = %q; want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func TestWidth(t *testing.T) {
	g := MustGlyphs(t)
	// A CJK glyph is one em: 72 pt is an inch.
	if got := g.Width("长", 72); got != 25.4 {
		t.Errorf("Width(长, 72) = %v mm; want 25.4", got)
	}
	if w, ww := g.Width("W", 9), g.Width("WW", 9); ww != 2*w || w <= g.Width("i", 9) {
		t.Errorf("W %v mm, WW %v mm, i %v mm", w, ww, g.Width("i", 9))
	}
	if got := g.Width("", 9); got != 0 {
		t.Errorf("Width(\"\") = %v", got)
	}
}

func TestBreakLongWords(t *testing.T) {
	g := MustGlyphs(t)
	for _, tt := range []struct {
		name, in string
		width    float64
		want     string
	}{
		{"ShortWordsSpaced", "  a\tb\n c ", 100, "a b c"},
		{"CJKCut", "长长长长长", 25.4 * 2, "长长 长长 长"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := g.BreakLongWords(tt.in, 72, tt.width); got != tt.want {
				t.Errorf("BreakLongWords(%q, %v mm) = %q; want %q", tt.in, tt.width, got, tt.want)
			}
		})
	}
	t.Run("PiecesFit", func(t *testing.T) {
		id := "txn_" + strings.Repeat("W", 60)
		got := g.BreakLongWords(id, 9, 30)
		if strings.ReplaceAll(got, " ", "") != id {
			t.Fatalf("pieces %q do not make up %q", got, id)
		}
		for _, w := range strings.Fields(got) {
			if g.Width(w, 9) > 30 {
				t.Errorf("piece %q is %v mm wide", w, g.Width(w, 9))
			}
		}
	})
}

// TestGlyphsConcurrent measures text in several documents at once, as
// concurrent PDFs do; run with -race.
func TestGlyphsConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	widths := make([]float64, 4)
	for i := range widths {
		wg.Go(func() {
			g, err := pdffont.NewGlyphs()
			if err != nil {
				t.Error(err)
				return
			}
			widths[i] = g.Width(g.BreakLongWords(g.Clean("李雷 (+8613800000002)", 300), 7, 20), 7)
		})
	}
	wg.Wait()
	for i, w := range widths {
		if w == 0 || w != widths[0] {
			t.Errorf("document %d measured %v mm, document 0 %v mm", i, w, widths[0])
		}
	}
}
