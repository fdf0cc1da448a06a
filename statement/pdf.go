package statement

import (
	"fmt"
	"io"

	"github.com/johnfercher/maroto/v2"
	"github.com/johnfercher/maroto/v2/pkg/components/row"
	"github.com/johnfercher/maroto/v2/pkg/components/text"
	"github.com/johnfercher/maroto/v2/pkg/config"
	"github.com/johnfercher/maroto/v2/pkg/consts/align"
	"github.com/johnfercher/maroto/v2/pkg/consts/breakline"
	"github.com/johnfercher/maroto/v2/pkg/consts/fontfamily"
	"github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	"github.com/johnfercher/maroto/v2/pkg/consts/pagesize"
	"github.com/johnfercher/maroto/v2/pkg/core"
	"github.com/johnfercher/maroto/v2/pkg/props"

	"github.com/ewallet/ewallet/internal/pdffont"
)

// Page geometry: A4 portrait with maroto's default margins (10 mm left and
// right), a 100-unit grid so column widths read as percentages.
const (
	grid         = 100
	contentWidth = 210 - 10 - 10  // mm
	family       = pdffont.Family // the embedded font, for everything users typed
	bodySize     = 7              // pt, table text
	pad          = 1.0            // mm, cell padding
	timeLayout   = "2006-01-02 15:04"
)

// maxCellRunes caps a cell's text in the PDF so that one pathological note
// cannot make a table row taller than a page. The CSV keeps the full text.
const maxCellRunes = 300

// column is one column of the movements table.
type column struct {
	title string
	size  int // of grid
	align align.Type
}

var columns = []column{
	{"Date/time", 12, align.Left},
	{"ID", 20, align.Left}, // txn_ and 24 base32 characters
	{"Type", 10, align.Left},
	{"Counterparty", 22, align.Left},
	{"Note", 18, align.Left},
	{"Amount", 9, align.Right},
	{"Balance after", 9, align.Right},
}

var (
	headerFill = &props.Color{Red: 225, Green: 229, Blue: 236}
	stripeFill = &props.Color{Red: 246, Green: 247, Blue: 249}
)

// WritePDF writes s as a PDF document to w: a title block (holder, phone,
// wallet, period and generation time in s.TimeZone), then for each currency
// its opening and closing balances, totals in and out, and a table of every
// line, oldest first. Tables run over as many A4 pages as they need, with the
// table header repeated on each page and "Page N of M" at the foot.
//
// User text (names, notes) may be in any script the embedded font covers,
// Latin and CJK included; characters it cannot draw are shown as '?', and a
// cell is cut after maxCellRunes characters.
func WritePDF(w io.Writer, s Statement) error {
	g, err := pdffont.NewGlyphs()
	if err != nil {
		return err
	}
	// A copy of the font per document, so concurrent exports do not race.
	fonts, err := pdffont.Load()
	if err != nil {
		return err
	}
	cfg := config.NewBuilder().
		WithPageSize(pagesize.A4).
		WithMaxGridSize(grid).
		WithCustomFonts(fonts).
		WithDefaultFont(&props.Font{Family: family, Size: bodySize}).
		WithPageNumber(props.PageNumber{
			Pattern: "Page {current} of {total}", Place: props.RightBottom,
			Family: family, Size: 7,
		}).
		WithTitle("Account statement", false).
		WithCreator("ewallet", false).
		WithCreationDate(s.Generated).
		WithCompression(true).
		Build()
	p := &pdf{m: maroto.New(cfg), g: g, s: s}
	p.titleBlock()
	for _, sec := range s.Sections {
		if err := p.section(sec); err != nil {
			return err
		}
	}
	doc, err := p.m.Generate()
	if err != nil {
		return fmt.Errorf("generate pdf: %w", err)
	}
	if _, err := w.Write(doc.GetBytes()); err != nil {
		return fmt.Errorf("write pdf: %w", err)
	}
	return nil
}

// pdf lays a statement out on a maroto document.
type pdf struct {
	m core.Maroto
	g *pdffont.Glyphs
	s Statement
}

func (p *pdf) titleBlock() {
	z := p.s.zone()
	p.m.AddRows(text.NewRow(12, "Account statement", label(16)))
	info := [][2]string{
		{"Holder", p.s.Holder},
		{"Phone", p.s.Phone},
		{"Wallet", p.s.WalletID},
		{"Period", fmt.Sprintf("%s to %s (%s; the end is not included)",
			p.s.From.In(z).Format(timeLayout), p.s.To.In(z).Format(timeLayout), z)},
		{"Generated", fmt.Sprintf("%s (%s)", p.s.Generated.In(z).Format(timeLayout), z)},
	}
	for _, kv := range info {
		v, pr := p.cell(kv[1], 9, 88)
		p.m.AddRows(row.New().Add(text.NewCol(12, kv[0], label(8)), text.NewCol(88, v, pr)))
	}
}

// section adds one currency: a heading, a summary and the movements table.
func (p *pdf) section(sec Section) error {
	// No repeated header while the heading and summary flow onto the page.
	if err := p.m.RegisterHeader(); err != nil {
		return fmt.Errorf("clear table header: %w", err)
	}
	heading, pr := p.cell(sec.Currency, 13, grid)
	p.m.AddRows(row.New(4), row.New().Add(text.NewCol(grid, heading, pr)))
	summary := [][2]string{
		{"Opening balance", sec.Opening}, {"Closing balance", sec.Closing},
		{"Total in", sec.TotalIn}, {"Total out", sec.TotalOut},
	}
	labels, values := row.New(), row.New()
	for _, kv := range summary {
		labels.Add(text.NewCol(25, kv[0], label(7)))
		v, pr := p.cell(kv[1]+" "+sec.Currency, 10, 25)
		values.Add(text.NewCol(25, v, pr))
	}
	p.m.AddRows(labels, values, row.New(3))

	// RegisterHeader adds the header row now and again at the top of every
	// page the table spills onto (maroto v2.3.3; the tests check it).
	if err := p.m.RegisterHeader(p.tableHeader(sec.Currency)); err != nil {
		return fmt.Errorf("table header: %w", err)
	}
	if len(sec.Lines) == 0 {
		p.m.AddRows(text.NewRow(7, "No movements in this period.", props.Text{Family: family, Size: bodySize, Top: 2, Left: pad}))
	}
	z := p.s.zone()
	for i, l := range sec.Lines {
		cells := []string{
			l.Time.In(z).Format(timeLayout), l.ID, l.Type, l.Counterparty, l.Note,
			signed(l), l.BalanceAfter,
		}
		r := row.New()
		for c, col := range columns {
			v, pr := p.cell(cells[c], bodySize, col.size)
			pr.Align = col.align
			r.Add(text.NewCol(col.size, v, pr))
		}
		if i%2 == 1 {
			r.WithStyle(&props.Cell{BackgroundColor: stripeFill})
		}
		p.m.AddRows(r)
	}
	return nil
}

func (p *pdf) tableHeader(cur string) core.Row {
	r := row.New()
	for _, col := range columns {
		title := col.title
		if col.align == align.Right {
			// A currency is a short code; the cut keeps a bad one from
			// making the header taller than a page.
			title += " (" + string([]rune(cur)[:min(len([]rune(cur)), 8)]) + ")"
		}
		// The embedded font, not Helvetica: maroto rebuilds its cp1252 table
		// for every Helvetica string, a cost paid on every page here.
		v, pr := p.cell(title, bodySize, col.size)
		pr.Align = col.align
		r.Add(text.NewCol(col.size, v, pr))
	}
	return r.WithStyle(&props.Cell{BackgroundColor: headerFill})
}

// cell prepares user text for a column of cols grid units: cleaned for the
// embedded font, broken so that it wraps inside the column, and its style.
func (p *pdf) cell(s string, size float64, cols int) (string, props.Text) {
	width := float64(cols)/grid*contentWidth - 2*pad
	return p.g.BreakLongWords(p.g.Clean(s, maxCellRunes), size, width), props.Text{
		Family: family, Size: size, Top: pad, Bottom: pad, Left: pad, Right: pad,
		BreakLineStrategy: breakline.EmptySpaceStrategy,
	}
}

// label is the style for our own fixed words: Helvetica Bold, a standard PDF
// font, so it needs no embedding.
func label(size float64) props.Text {
	return props.Text{Family: fontfamily.Helvetica, Style: fontstyle.Bold, Size: size, Top: pad, Left: pad}
}
