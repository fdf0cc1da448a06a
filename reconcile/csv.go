package reconcile

import (
	"encoding/csv"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ewallet/ewallet/money"
)

// csvHeader is the statement CSV's first row. Each statement is an
// "opening" row, its "entry" rows and a "closing" row; amounts are
// unsigned decimal strings with a credit/debit direction, as in camt.053.
var csvHeader = []string{"type", "statement_id", "account", "currency", "date", "booked_at", "ref", "request_id", "kind", "direction", "amount"}

// WriteCSV writes statements as CSV.
func WriteCSV(w io.Writer, stmts []Statement) error {
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	for _, s := range stmts {
		row := func(typ string, l Line, v int64) {
			amt, ind := camtAmount(v, s.Currency)
			dir := map[string]string{"CRDT": "credit", "DBIT": "debit"}[ind]
			booked := ""
			if !l.Booked.IsZero() {
				booked = l.Booked.UTC().Format(time.RFC3339Nano)
			}
			cw.Write([]string{typ, s.ID, s.Account, string(s.Currency), s.Date, booked, l.Ref, l.Request, l.Kind, dir, amt.Value})
		}
		row("opening", Line{}, s.Opening)
		for _, l := range s.Lines {
			row("entry", l, l.Amount)
		}
		row("closing", Line{}, s.Closing)
	}
	cw.Flush()
	return cw.Error()
}

// ParseCSV reads statements written by WriteCSV (at most 64 MiB) and
// checks each one adds up.
func ParseCSV(r io.Reader) ([]Statement, error) {
	cr := csv.NewReader(io.LimitReader(r, 64<<20))
	cr.FieldsPerRecord = len(csvHeader)
	head, err := cr.Read()
	if err != nil || !slices.Equal(head, csvHeader) {
		return nil, invalid("csv: the header is not %s", strings.Join(csvHeader, ","))
	}
	var out []Statement
	var cur *Statement
	for n := 2; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, invalid("csv: %v", err)
		}
		if cur, err = csvRow(cur, rec); err != nil {
			return nil, invalid("csv row %d: %v", n, err)
		}
		if rec[0] == "closing" {
			if err := cur.Check(); err != nil {
				return nil, err
			}
			out = append(out, *cur)
			cur = nil
		}
	}
	if cur != nil {
		return nil, invalid("csv: statement %q has no closing row", cur.ID)
	}
	return out, nil
}

// csvRow applies one row to the statement being read (nil before an
// opening row).
func csvRow(cur *Statement, rec []string) (*Statement, error) {
	typ, id, account, ccy, date, booked, ref, request, kind, dir, amount := rec[0], rec[1], rec[2], rec[3], rec[4], rec[5], rec[6], rec[7], rec[8], rec[9], rec[10]
	c, err := money.ParseCurrency(ccy)
	if err != nil {
		return nil, invalid("currency %q", ccy)
	}
	ind := map[string]string{"credit": "CRDT", "debit": "DBIT"}[dir]
	if typ == "opening" {
		if cur != nil {
			return nil, invalid("opening inside statement %q", cur.ID)
		}
		v, err := signed(camtAmt{Ccy: ccy, Value: amount}, ind, c, true)
		return &Statement{ID: id, Account: account, Currency: c, Date: date, Opening: v}, err
	}
	if cur == nil || id != cur.ID || account != cur.Account || c != cur.Currency || date != cur.Date {
		return nil, invalid("%s row outside its statement", typ)
	}
	switch typ {
	case "entry":
		v, err := signed(camtAmt{Ccy: ccy, Value: amount}, ind, c, false)
		if err != nil {
			return nil, err
		}
		t, err := time.Parse(time.RFC3339Nano, booked)
		if err != nil {
			return nil, invalid("booked_at %q", booked)
		}
		cur.Lines = append(cur.Lines, Line{Ref: ref, Request: request, Kind: kind, Amount: v, Booked: t.UTC()})
	case "closing":
		v, err := signed(camtAmt{Ccy: ccy, Value: amount}, ind, c, true)
		if err != nil {
			return nil, err
		}
		cur.Closing = v
	default:
		return nil, invalid("row type %q", typ)
	}
	return cur, nil
}
