package banksim

import (
	"context"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/reconcile"
)

// Statements returns the day's statements of the operator's accounts (one
// per currency it has an account in), from the bank's ledger: every
// movement booked in the UTC day, with the request it belongs to.
func (b *Bank) Statements(ctx context.Context, day time.Time) ([]reconcile.Statement, error) {
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	date := from.Format(time.DateOnly)
	var out []reconcile.Statement
	for _, c := range money.Currencies() {
		a, err := b.l.AccountByName(ctx, operatorAccount(c))
		if ledger.ErrorCode(err) == ledger.CodeNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		opening, closing, ms, err := reconcile.Movements(ctx, b.l, a.ID, from, from.AddDate(0, 0, 1))
		if err != nil {
			return nil, err
		}
		s := reconcile.Statement{ID: "STMT-" + date + "-" + string(c), Account: a.Name, Currency: c, Date: date, Opening: opening, Closing: closing}
		for _, m := range ms {
			s.Lines = append(s.Lines, reconcile.Line{Ref: m.Transfer.ID, Request: m.Transfer.Metadata["request"], Kind: m.Transfer.Metadata["kind"],
				Amount: m.Entry.Amount, Booked: m.Transfer.Time.UTC()})
		}
		out = append(out, s)
	}
	return out, nil
}
