package receipt

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/johnfercher/maroto/v2"
	"github.com/johnfercher/maroto/v2/pkg/components/col"
	"github.com/johnfercher/maroto/v2/pkg/components/line"
	"github.com/johnfercher/maroto/v2/pkg/components/row"
	"github.com/johnfercher/maroto/v2/pkg/components/text"
	"github.com/johnfercher/maroto/v2/pkg/config"
	"github.com/johnfercher/maroto/v2/pkg/consts/align"
	"github.com/johnfercher/maroto/v2/pkg/consts/fontfamily"
	"github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	"github.com/johnfercher/maroto/v2/pkg/consts/pagesize"
	"github.com/johnfercher/maroto/v2/pkg/core"
	"github.com/johnfercher/maroto/v2/pkg/props"

	"github.com/ewallet/ewallet/internal/pdffont"
	"github.com/ewallet/ewallet/money"
)

// Page geometry: A4 portrait with maroto's default 10 mm margins and a
// 100-unit grid, so column widths read as percentages.
const (
	grid         = 100
	contentWidth = 210 - 10 - 10  // mm
	family       = pdffont.Family // the embedded font, for text users typed
	bodySize     = 9              // pt
	nameSize     = 14             // pt, the merchant's name
	pad          = 1.0            // mm, cell padding
	labelCols    = 22             // of grid, the label column of the info block
	pdfTime      = "2006-01-02 15:04:05.999999999 UTC"
)

// What the one page shows at most; the signed JSON always has everything.
// Text users typed is laid out in lines of our own (pdf.wrap), each in
// a row of fixed height, so these bound the page's height whatever the
// text: the fullest receipt fits on one page with about a centimetre to
// spare (the tests check it).
const (
	pdfNameRunes = 100 // the merchant API's limit for names
	pdfNameLines = 2
	pdfDescRunes = 300
	pdfDescLines = 5
	pdfIDLines   = 2 // ids are at most 64 characters
	pdfItems     = 15
)

var headerFill = &props.Color{Red: 225, Green: 229, Blue: 236}

// PDF renders s as a one-page A4 receipt: the merchant's name and category,
// when, the ids (receipt, payment, refund, payer), the description and up
// to 15 items, the amount with all of its currency's decimals (and for a
// refund the refunded amount), and as proof the key id and the signature in
// base64url, as in the JSON. It checks the form of s (ErrInvalidReceipt,
// ErrMalformed), not the signature: that needs the public key.
//
// Text users typed is drawn in the embedded font (Latin and CJK); a
// character it cannot draw shows as '?', and long text is cut with "…".
// The JSON, not the paper, is what verifies; the paper carries the proof
// so that it can be matched to the JSON.
func PDF(s Signed) ([]byte, error) {
	if err := s.Receipt.Validate(); err != nil {
		return nil, err
	}
	if !validKeyID(s.KeyID) || len(s.Signature) != signatureSize {
		return nil, fmt.Errorf("%w: key id or signature missing", ErrMalformed)
	}
	g, err := pdffont.NewGlyphs()
	if err != nil {
		return nil, err
	}
	// A copy of the font per document, so concurrent receipts do not race.
	fonts, err := pdffont.Load()
	if err != nil {
		return nil, err
	}
	r := s.Receipt
	cfg := config.NewBuilder().
		WithPageSize(pagesize.A4).
		WithMaxGridSize(grid).
		WithCustomFonts(fonts).
		WithDefaultFont(&props.Font{Family: family, Size: bodySize}).
		WithTitle(title(r)+" "+r.ID, false).
		WithCreator("ewallet", false).
		WithCreationDate(r.IssuedAt).
		WithCompression(true).
		Build()
	p := &pdf{m: maroto.New(cfg), g: g}
	p.header(r)
	p.items(r)
	p.totals(r)
	p.proof(s)
	doc, err := p.m.Generate()
	if err != nil {
		return nil, fmt.Errorf("generate pdf: %w", err)
	}
	return doc.GetBytes(), nil
}

// pdf lays a receipt out on a maroto document.
type pdf struct {
	m core.Maroto
	g *pdffont.Glyphs
}

func title(r Receipt) string {
	if r.Kind == KindRefund {
		return "Refund receipt"
	}
	return "Payment receipt"
}

func (p *pdf) header(r Receipt) {
	p.m.AddRows(text.NewRow(12, title(r), label(16)))
	for _, l := range p.lines(r.MerchantName, pdfNameRunes, nameSize, grid, pdfNameLines) {
		p.m.AddRows(text.NewRow(lineHeight(nameSize), l, plain(nameSize)))
	}
	p.m.AddRows(row.New(3))
	p.field("Category", "MCC "+r.MerchantCategory, 1)
	p.field("Merchant ID", r.MerchantID, pdfIDLines)
	p.field("Issued", r.IssuedAt.Format(pdfTime), 1)
	p.field("Receipt ID", r.ID, pdfIDLines)
	p.field("Payment ID", r.PaymentID, pdfIDLines)
	if r.Kind == KindRefund {
		p.field("Refund ID", r.RefundID, pdfIDLines)
	}
	p.field("Payer", r.PayerID, pdfIDLines)
	if r.Description != "" {
		p.field("Description", r.Description, pdfDescLines)
	}
}

// field adds a labelled value of at most maxLines lines.
func (p *pdf) field(name, value string, maxLines int) {
	for i, l := range p.lines(value, pdfDescRunes, bodySize, grid-labelCols, maxLines) {
		r := row.New(lineHeight(bodySize))
		if i == 0 {
			r.Add(text.NewCol(labelCols, name, label(bodySize)))
		} else {
			r.Add(col.New(labelCols))
		}
		p.m.AddRows(r.Add(text.NewCol(grid-labelCols, l, plain(bodySize))))
	}
}

// items is a table of at most pdfItems lines, each one line high.
func (p *pdf) items(r Receipt) {
	if len(r.Items) == 0 {
		return
	}
	cols := [3]int{64, 12, 24}
	right := plain(bodySize)
	right.Align, right.Right = align.Right, pad
	head := row.New(lineHeight(bodySize) + 1)
	for i, t := range []string{"Item", "Quantity", "Amount (" + string(r.Currency) + ")"} {
		pr := label(bodySize)
		if i > 0 {
			pr.Align, pr.Right = align.Right, pad
		}
		head.Add(text.NewCol(cols[i], t, pr))
	}
	p.m.AddRows(row.New(5), head.WithStyle(&props.Cell{BackgroundColor: headerFill}))
	for i, it := range r.Items {
		if i == pdfItems {
			more := fmt.Sprintf("… and %d more items: the electronic receipt lists them all.", len(r.Items)-pdfItems)
			p.m.AddRows(text.NewRow(lineHeight(bodySize), more, plain(bodySize)))
			break
		}
		name := p.lines(it.Name, pdfNameRunes, bodySize, cols[0], 1)[0]
		p.m.AddRows(row.New(lineHeight(bodySize)).Add(
			text.NewCol(cols[0], name, plain(bodySize)),
			text.NewCol(cols[1], strconv.Itoa(it.Quantity), right),
			text.NewCol(cols[2], money.Format(it.Amount, r.Currency), right),
		))
	}
}

func (p *pdf) totals(r Receipt) {
	p.m.AddRows(row.New(4), line.NewRow(1), row.New(2))
	amount := func(name string, v int64, size float64) {
		value := label(size)
		value.Align, value.Right = align.Right, pad
		p.m.AddRows(row.New().Add(
			text.NewCol(50, name, label(size)),
			text.NewCol(50, money.Format(v, r.Currency)+" "+string(r.Currency), value),
		))
	}
	if r.Kind == KindRefund {
		amount("Refunded to the payer", r.RefundAmount, 14)
		amount("Original payment", r.Amount, bodySize)
		return
	}
	amount("Total paid", r.Amount, 14)
}

// proof prints the key id and the signature whole, in a fixed-width font,
// so that they can be compared with the JSON character by character.
func (p *pdf) proof(s Signed) {
	mono := props.Text{Family: fontfamily.Courier, Size: 8, Top: pad, Left: pad}
	p.m.AddRows(
		row.New(6), line.NewRow(1),
		text.NewRow(7, "Proof", label(10)),
		row.New().Add(text.NewCol(labelCols, "Key ID", label(8)), text.NewCol(grid-labelCols, s.KeyID, mono)),
		text.NewRow(6, "Signature (Ed25519, base64url)", label(8)),
		text.NewRow(6, base64.RawURLEncoding.EncodeToString(s.Signature), mono),
		text.NewAutoRow("ewallet signed this receipt. The signature covers every field of the electronic receipt "+
			"(JSON) it was printed from, with a domain prefix and the key ID; verify that JSON with the ewallet "+
			"receipt public key of this key ID.",
			props.Text{Family: fontfamily.Helvetica, Size: 7, Top: 2, Left: pad, Right: pad}),
	)
}

// lines prepares user text for a column of cols grid units: cleaned, cut
// to maxRunes and broken into at most maxLines lines (at least one).
func (p *pdf) lines(s string, maxRunes int, size float64, cols, maxLines int) []string {
	// Half a millimetre spare, so that maroto's own measuring never breaks
	// one of our lines again.
	return p.wrap(p.g.Clean(s, maxRunes), size, colWidth(cols)-0.5, maxLines)
}

// wrap breaks cleaned text into lines of at most width mm at size points,
// at spaces where it can, and keeps the first maxLines of them; if that
// cuts text, the last line ends with "…". The PDF draws each line in a row
// of its own, so the page's height never depends on how maroto wraps.
func (p *pdf) wrap(s string, size, width float64, maxLines int) []string {
	words := strings.Fields(p.g.BreakLongWords(s, size, width))
	var out []string
	cur := ""
	for i, w := range words {
		if cur == "" {
			cur = w
			continue
		}
		if next := cur + " " + w; p.g.Width(next, size) <= width {
			cur = next
			continue
		}
		if len(out) == maxLines-1 {
			return append(out, p.oneLine(cur+" "+strings.Join(words[i:], " "), size, width))
		}
		out, cur = append(out, cur), w
	}
	return append(out, cur)
}

// oneLine cuts text that is wider than width mm at size points so that it
// fits, ending it with "…".
func (p *pdf) oneLine(s string, size, width float64) string {
	if p.g.Width(s, size) <= width {
		return s
	}
	limit := width - p.g.Width("…", size)
	used := 0.0
	for i, r := range s {
		used += p.g.Width(string(r), size)
		if used > limit {
			return strings.TrimRight(s[:i], " ") + "…"
		}
	}
	return s
}

// colWidth is the room for text in a column of cols grid units, in mm.
func colWidth(cols int) float64 { return float64(cols)/grid*contentWidth - 2*pad }

// lineHeight is the height of a row holding one line at size points.
func lineHeight(size float64) float64 { return size*25.4/72*1.2 + 0.8 }

// plain is the style for text users typed: the embedded font.
func plain(size float64) props.Text {
	return props.Text{Family: family, Size: size, Top: pad, Left: pad, Right: pad}
}

// label is the style for our own fixed words: Helvetica Bold, a standard
// PDF font, so it needs no embedding.
func label(size float64) props.Text {
	return props.Text{Family: fontfamily.Helvetica, Style: fontstyle.Bold, Size: size, Top: pad, Left: pad}
}
