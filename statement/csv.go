package statement

import (
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"time"
)

// csvHeader is the first row of every CSV statement; the columns are a
// contract with the holders' spreadsheets, so they only ever get appended to.
var csvHeader = []string{
	"time", "id", "type", "direction", "counterparty", "note",
	"status", "currency", "amount", "balance_after",
}

// number matches what we format amounts as. Only such cells skip the
// formula-injection guard, so a number stays a number ("-1.00") and anything
// else in those columns is still defused.
var number = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// WriteCSV writes s as CSV to w: a header row (see csvHeader), then one row
// per line, section after section, quoted per RFC 4180. Times are RFC 3339 in
// UTC whatever s.TimeZone says, so the file sorts and parses the same
// everywhere. No byte-order mark is written.
//
// A text cell that a spreadsheet would read as a formula (starting with '=',
// '+', '-', '@', tab or carriage return) gets a leading apostrophe (OWASP's
// CSV injection advice); the amount and balance_after columns are numbers we
// produce and are written as they are.
func WriteCSV(w io.Writer, s Statement) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("write csv header: %w", err)
	}
	for _, sec := range s.Sections {
		for _, l := range sec.Lines {
			row := []string{
				l.Time.UTC().Format(time.RFC3339),
				defuse(l.ID),
				defuse(l.Type),
				defuse(l.Direction),
				defuse(l.Counterparty),
				defuse(l.Note),
				defuse(l.Status),
				defuse(sec.Currency),
				numeric(l.Amount),
				numeric(l.BalanceAfter),
			}
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("write csv line %s: %w", l.ID, err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// defuse prefixes a cell that a spreadsheet would evaluate with "'".
func defuse(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + cell
	}
	return cell
}

// numeric leaves well-formed numbers alone and defuses anything else.
func numeric(cell string) string {
	if number.MatchString(cell) {
		return cell
	}
	return defuse(cell)
}
