package statement_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ewallet/ewallet/internal/pdffont/pdftest"
	"github.com/ewallet/ewallet/statement"
)

func TestWritePDF(t *testing.T) {
	twoCurrencies := NewStatement(t, 30)
	usd := twoCurrencies.Sections[0]
	usd.Currency, usd.Closing = "USD", "55.55"
	twoCurrencies.Sections = append(twoCurrencies.Sections, usd)
	noLines := NewStatement(t, 0)
	noSections := NewStatement(t, 0)
	noSections.Sections = nil

	tests := []struct {
		name      string
		s         statement.Statement
		wantPages int // 0: more than one
		want      []string
	}{
		{"NoSections", noSections, 1, []string{"Account statement", "Wang Fang 王芳", "+8613800000001", "wal_01HXAMPLE"}},
		{"NoLines", noLines, 1, []string{"CNY", "9876.54 CNY", "No movements in this period."}},
		{"OneLine", NewStatement(t, 1), 1, []string{"txn_0000", "Han Meimei (+8613800000003)", "午饭 lunch", "-12.34", "100.00", "9876.54 CNY"}},
		{"TwoCurrencies", twoCurrencies, 0, []string{"55.55 USD", "9876.54 CNY", "(USD)", "(CNY)"}},
		{"ManyLines", NewStatement(t, 500), 0, []string{"txn_0000", "txn_0250", "txn_0499", "+12.34", "599.00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := MustWritePDF(t, tt.s)
			p := pdftest.MustParse(t, data)
			if p.Pages != p.Count {
				t.Errorf("%d /Type /Page objects, page tree /Count %d", p.Pages, p.Count)
			}
			if tt.wantPages > 0 && p.Pages != tt.wantPages {
				t.Errorf("pages = %d, want %d", p.Pages, tt.wantPages)
			}
			if tt.wantPages == 0 && p.Pages < 2 {
				t.Errorf("pages = %d, want several", p.Pages)
			}
			for n := 1; n <= p.Pages; n++ {
				tt.want = append(tt.want, fmt.Sprintf("Page %d of %d", n, p.Pages))
			}
			for _, w := range tt.want {
				if !strings.Contains(p.Text, w) {
					t.Errorf("text lacks %q", w)
				}
			}
		})
	}
}

// TestWritePDFPagination checks that long statements take more pages, that
// every line is there, and that the table header is on every page.
func TestWritePDFPagination(t *testing.T) {
	pages := map[int]int{}
	for _, n := range []int{10, 100, 500} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			p := pdftest.MustParse(t, MustWritePDF(t, NewStatement(t, n)))
			pages[n] = p.Pages
			for i := range n {
				if id := fmt.Sprintf("txn_%04d", i); !strings.Contains(p.Text, id) {
					t.Fatalf("line %s missing", id)
				}
			}
			if got := strings.Count(p.Text, "Date/time\n"); got != p.Pages {
				t.Errorf("table header %d times on %d pages", got, p.Pages)
			}
		})
	}
	if !(pages[10] == 1 && pages[10] < pages[100] && pages[100] < pages[500] && pages[500] >= 5) {
		t.Errorf("pages for 10, 100, 500 lines = %d, %d, %d", pages[10], pages[100], pages[500])
	}
}

func TestWritePDFText(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*statement.Statement)
		want    []string
		notWant []string
	}{
		{"Chinese", func(s *statement.Statement) {
			s.Holder, s.Sections[0].Lines[0].Note = "李雷", "午饭 (AA) 还钱\\"
		}, []string{"李雷", "午饭 (AA) 还钱\\"}, nil},
		{"ShanghaiTimes", func(*statement.Statement) {},
			[]string{"2026-02-01 00:00 to 2026-03-01 00:00 (Asia/Shanghai", "2026-02-01 00:02"}, nil},
		{"NilZoneIsUTC", func(s *statement.Statement) { s.TimeZone = nil },
			[]string{"2026-01-31 16:00 to 2026-02-28 16:00 (UTC", "2026-01-31 16:02"}, nil},
		{"NoGlyphIsQuestionMark", func(s *statement.Statement) { s.Holder = "Ann 😀\u202e" },
			[]string{"Ann ??"}, []string{"😀", "\u202e"}},
		{"InvalidUTF8", func(s *statement.Statement) { s.Holder = "a\xffb\xc3" },
			[]string{"a?b?"}, nil},
		{"ControlCharsAreSpaces", func(s *statement.Statement) { s.Sections[0].Lines[0].Note = "one\ntwo\tthree" },
			[]string{"one two three"}, nil},
		{"LongNoteIsCut", func(s *statement.Statement) { s.Sections[0].Lines[0].Note = strings.Repeat("x", 1000) },
			[]string{strings.Repeat("x", 100)}, []string{strings.Repeat("x", 301)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStatement(t, 3)
			tt.edit(&s)
			// Wrapped text is split over several show operators; join them.
			text := strings.NewReplacer("\n", "", " ", "").Replace(pdftest.MustParse(t, MustWritePDF(t, s)).Text)
			squash := func(s string) string { return strings.NewReplacer("\n", "", " ", "").Replace(s) }
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

func BenchmarkWritePDF(b *testing.B) {
	s := NewStatement(b, 500)
	for b.Loop() {
		MustWritePDF(b, s)
	}
}
