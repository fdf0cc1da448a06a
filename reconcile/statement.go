// Package reconcile matches the bank's daily statements against the
// ledger's bank settlement account: every statement line should have a
// movement of the same operation and amount on our side and back. It
// reads statements as ISO 20022 camt.053 XML or as CSV (and writes both,
// for the sandbox bank), settles what a late or lost callback left open by
// asking the bank, and writes a report of what is matched and what is not.
package reconcile

import (
	"errors"
	"fmt"
	"time"

	"github.com/ewallet/ewallet/money"
)

// Statement is one day's movements on one of the operator's accounts at
// the bank, in one currency.
type Statement struct {
	ID       string
	Account  string
	Currency money.Currency
	Date     string // YYYY-MM-DD, UTC
	Opening  int64  // balance before the day, minor units (may be negative)
	Closing  int64  // balance after it
	Lines    []Line
}

// Line is one booked movement. Amount is signed from the account's side:
// a credit (a card charged into it) is positive, a debit (a payout or a
// refund out of it) negative.
type Line struct {
	Ref     string // the bank's own reference of the entry
	Request string // the operation ID it books (EndToEndId): top_…, wdr_…, po_…
	Kind    string // charge, payout, refund
	Amount  int64
	Booked  time.Time
}

// Limits that keep a parsed statement sane.
const (
	maxLines   = 1_000_000
	maxTextLen = 255
)

// ErrInvalid is a statement that cannot be read or does not add up.
var ErrInvalid = errors.New("reconcile: invalid statement")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Check verifies that the statement is well formed and adds up: a valid
// date and currency, non-zero lines with references, and opening plus the
// lines equal to closing, computed with checked arithmetic.
func (s Statement) Check() error {
	if _, err := time.Parse(time.DateOnly, s.Date); err != nil {
		return invalid("date %q", s.Date)
	}
	if !s.Currency.Valid() {
		return invalid("currency %q", s.Currency)
	}
	if len(s.Lines) > maxLines {
		return invalid("%d lines", len(s.Lines))
	}
	for _, t := range []string{s.ID, s.Account} {
		if t == "" || len(t) > maxTextLen {
			return invalid("statement or account id %q", t)
		}
	}
	sum := s.Opening
	for i, l := range s.Lines {
		if l.Amount == 0 || l.Request == "" || len(l.Request) > maxTextLen || len(l.Ref) > maxTextLen || len(l.Kind) > maxTextLen {
			return invalid("line %d", i+1)
		}
		var err error
		if sum, err = money.Add(sum, l.Amount); err != nil {
			return invalid("line %d overflows the balance", i+1)
		}
	}
	if sum != s.Closing {
		return invalid("opening %d plus the lines is %d, not the closing %d", s.Opening, sum, s.Closing)
	}
	return nil
}
