// Package statement renders a wallet holder's account statement for a period
// as CSV (for spreadsheets) and as PDF (for people and for paper).
//
// It is pure: the caller (the HTTP export handler) loads the lines and the
// balances and formats the amounts in each currency's decimals; this package
// only lays them out. Nothing here touches a database or the network.
package statement

import (
	"time"
)

// Line is one movement on the statement.
type Line struct {
	Time         time.Time // UTC
	ID           string    // operation id: txn_…, top_…, wdr_…, pay_…, ref_…
	Type         string    // topup, withdrawal, transfer, payment, refund, …
	Direction    string    // "in" or "out"
	Counterparty string    // display name, e.g. "Li Lei (+8613800000002)" or "bank"
	Note         string
	Status       string // completed, pending, …
	Amount       string // formatted decimal in the currency's decimals, unsigned, e.g. "12.34"
	BalanceAfter string // formatted decimal, may be negative "-1.00"
}

// Section is one currency's part of a statement.
type Section struct {
	Currency string
	Opening  string // balance at From, formatted
	Closing  string // balance at To, formatted
	TotalIn  string
	TotalOut string
	Lines    []Line // oldest first
}

// Statement is what a holder downloads for a period.
type Statement struct {
	Holder    string // name
	Phone     string
	WalletID  string
	From, To  time.Time // [From, To)
	Generated time.Time
	TimeZone  *time.Location // times are printed in this zone (e.g. Asia/Shanghai); nil = UTC
	Sections  []Section
}

// zone is the location times are shown in on the PDF.
func (s Statement) zone() *time.Location {
	if s.TimeZone == nil {
		return time.UTC
	}
	return s.TimeZone
}

// signed puts the direction on an unsigned amount for people: "+12.34" for
// money in, "-12.34" for money out.
func signed(l Line) string {
	switch l.Direction {
	case "in":
		return "+" + l.Amount
	case "out":
		return "-" + l.Amount
	}
	return l.Amount
}
