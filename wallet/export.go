package wallet

import (
	"context"
	"slices"
	"time"

	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/statement"
)

// maxStatementLines bounds one statement; a longer period must be split.
const maxStatementLines = 20000

// Statement gathers the user's movements in [from, to) for export, with
// opening and closing balances per currency. A zero from means since the
// wallet opened; a zero to means now.
func (s *Service) Statement(ctx context.Context, u User, from, to time.Time) (statement.Statement, error) {
	now := s.now().UTC()
	if to.IsZero() || to.After(now) {
		to = now
	}
	if from.IsZero() {
		from = u.CreatedAt
	}
	if !from.Before(to) {
		return statement.Statement{}, Errorf(CodeInvalidRequest, "from must be before to")
	}
	st := statement.Statement{Holder: u.Name, Phone: u.Phone, WalletID: u.WalletID, From: from, To: to, Generated: now, TimeZone: s.cfg.Zone}
	for _, c := range money.Currencies() {
		a, ok, err := s.existingWalletAccount(ctx, u.WalletID, c)
		if err != nil {
			return st, err
		}
		if !ok {
			continue
		}
		opening, _, err := s.Ledger.BalanceAt(ctx, a.ID, from.Add(-time.Nanosecond))
		if err != nil {
			return st, err
		}
		closing, _, err := s.Ledger.BalanceAt(ctx, a.ID, to.Add(-time.Nanosecond))
		if err != nil {
			return st, err
		}
		sec := statement.Section{Currency: string(c), Opening: money.Format(opening, c), Closing: money.Format(closing, c)}
		var in, out int64
		err = s.eachTxn(ctx, u, c, to, 0, 0, func(t Txn) bool {
			if t.CreatedAt.Before(from) || len(sec.Lines) >= maxStatementLines {
				return false
			}
			if t.Status == "completed" {
				if t.Direction == "in" {
					in += t.Amount
				} else {
					out += t.Amount
				}
			}
			sec.Lines = append(sec.Lines, statementLine(t))
			return true
		})
		if err != nil {
			return st, err
		}
		slices.Reverse(sec.Lines)
		sec.TotalIn, sec.TotalOut = money.Format(in, c), money.Format(out, c)
		st.Sections = append(st.Sections, sec)
	}
	return st, nil
}

func statementLine(t Txn) statement.Line {
	cp := t.Counterparty.Name
	if t.Counterparty.Phone != "" {
		cp += " (" + t.Counterparty.Phone + ")"
	}
	return statement.Line{Time: t.CreatedAt.UTC(), ID: t.ID, Type: t.Type, Direction: t.Direction, Counterparty: cp, Note: t.Note,
		Status: t.Status, Amount: money.Format(t.Amount, t.Currency), BalanceAfter: money.Format(t.BalanceAfter, t.Currency)}
}
