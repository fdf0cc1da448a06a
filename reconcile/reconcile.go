package reconcile

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/wallet"
)

// Bank gives a day's statements.
type Bank interface {
	Statements(ctx context.Context, day time.Time) ([]Statement, error)
}

// Ops finds the wallet's bank operations (wallet.Store does).
type Ops interface {
	BankOp(ctx context.Context, id string) (wallet.BankOp, error)
}

// Resolver asks the bank about an operation now and settles it by the
// answer (the connector's status query, then the wallet's SettleBankOp).
type Resolver interface {
	Resolve(ctx context.Context, id string) (wallet.BankOp, error)
}

// Store keeps the reports (store/walletsql).
type Store interface {
	PutReconciliation(ctx context.Context, day string, unexplained int, report []byte, at time.Time) error
}

// Reconciler matches the bank's statements against our ledger.
type Reconciler struct {
	Ledger   *ledger.Ledger
	Bank     Bank
	Ops      Ops
	Resolver Resolver
	Store    Store // nil: reports are not stored
	Log      *slog.Logger
	Now      func() time.Time
}

// settlementAccount is the wallet's bank settlement account in c, where
// the wallet books every top-up (debited) and withdrawal or payout
// (credited); the name is the wallet's (wallet/accounts.go).
func settlementAccount(c money.Currency) string { return "bank:" + string(c) }

// Run reconciles the UTC day of day, stores the report and returns it.
func (r *Reconciler) Run(ctx context.Context, day time.Time) (Report, error) {
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	rep := Report{Date: day.Format(time.DateOnly), Counts: map[string]int{}}
	bank, err := r.bankSide(ctx, day, &rep)
	if err != nil {
		return rep, err
	}
	ours, err := r.ourSide(ctx, day)
	if err != nil {
		return rep, err
	}
	for _, c := range currenciesOf(bank, ours) {
		if err := r.match(ctx, c, bank[c], ours[c], &rep); err != nil {
			return rep, err
		}
	}
	rep.GeneratedAt = now().UTC()
	for _, it := range rep.Items {
		if !explained(it.Result) {
			rep.Unexplained++
		}
	}
	if r.Store != nil {
		body, err := json.Marshal(rep)
		if err != nil {
			return rep, err
		}
		if err := r.Store.PutReconciliation(ctx, rep.Date, rep.Unexplained, body, rep.GeneratedAt); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// sides holds one side's amounts per operation: on the day, and on the
// days either side of it (to tell a timing difference from a missing one).
type sides struct {
	day, near map[string]int64
}

func newSides() *sides { return &sides{day: map[string]int64{}, near: map[string]int64{}} }

// add books amount to op in m with checked arithmetic.
func add(m map[string]int64, op string, amount int64) error {
	sum, err := money.Add(m[op], amount)
	if err != nil {
		return fmt.Errorf("reconcile: amounts of %s overflow", op)
	}
	m[op] = sum
	return nil
}

// bankSide reads the statements of the day and the days either side.
func (r *Reconciler) bankSide(ctx context.Context, day time.Time, rep *Report) (map[money.Currency]*sides, error) {
	out := map[money.Currency]*sides{}
	for _, d := range []int{-1, 0, 1} {
		stmts, err := r.Bank.Statements(ctx, day.AddDate(0, 0, d))
		if err != nil {
			return nil, fmt.Errorf("reconcile: statements of %s: %w", day.AddDate(0, 0, d).Format(time.DateOnly), err)
		}
		for _, s := range stmts {
			if out[s.Currency] == nil {
				out[s.Currency] = newSides()
			}
			m := out[s.Currency].near
			if d == 0 {
				m = out[s.Currency].day
				rep.Statements = append(rep.Statements, StmtSummary{ID: s.ID, Currency: string(s.Currency),
					Opening: money.Format(s.Opening, s.Currency), Closing: money.Format(s.Closing, s.Currency), Lines: len(s.Lines)})
			}
			for _, l := range s.Lines {
				if err := add(m, l.Request, l.Amount); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// ourSide reads the settlement accounts' movements of the day and the days
// either side, by operation, signed as the bank sees them (a top-up debits
// our settlement account and credits the operator's account at the bank).
func (r *Reconciler) ourSide(ctx context.Context, day time.Time) (map[money.Currency]*sides, error) {
	out := map[money.Currency]*sides{}
	for _, c := range money.Currencies() {
		a, err := r.Ledger.AccountByName(ctx, settlementAccount(c))
		if ledger.ErrorCode(err) == ledger.CodeNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		s := newSides()
		out[c] = s
		for _, d := range []int{-1, 0, 1} {
			from := day.AddDate(0, 0, d)
			_, _, ms, err := Movements(ctx, r.Ledger, a.ID, from, from.AddDate(0, 0, 1))
			if err != nil {
				return nil, err
			}
			m := s.near
			if d == 0 {
				m = s.day
			}
			for _, mv := range ms {
				op := mv.Transfer.Metadata["op"]
				if op == "" {
					op = "transfer:" + mv.Transfer.ID // booked without an operation: nothing at the bank can match it
				}
				if err := add(m, op, -mv.Entry.Amount); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

func currenciesOf(a, b map[money.Currency]*sides) []money.Currency {
	var out []money.Currency
	for _, c := range money.Currencies() {
		if a[c] != nil || b[c] != nil {
			out = append(out, c)
		}
	}
	return out
}

// match classifies every operation of the day in one currency.
func (r *Reconciler) match(ctx context.Context, c money.Currency, bank, ours *sides, rep *Report) error {
	if bank == nil {
		bank = newSides()
	}
	if ours == nil {
		ours = newSides()
	}
	ops := map[string]bool{}
	for op := range bank.day {
		ops[op] = true
	}
	for op := range ours.day {
		ops[op] = true
	}
	sorted := make([]string, 0, len(ops))
	for op := range ops {
		sorted = append(sorted, op)
	}
	slices.Sort(sorted)
	for _, op := range sorted {
		b, inBank := bank.day[op]
		o, inOurs := ours.day[op]
		result, note := Matched, ""
		switch {
		case inBank && inOurs && b == o:
		case inBank && inOurs:
			result = AmountMismatch
		case inBank && ours.near[op] == b:
			result, o = Timing, ours.near[op]
		case inBank:
			result, note = r.resolve(ctx, op)
		case bank.near[op] == o:
			result, b = Timing, bank.near[op]
		default:
			result = MissingBank
		}
		rep.Counts[result]++
		if result != Matched {
			rep.Items = append(rep.Items, Item{Request: op, Currency: string(c), Result: result,
				BankAmount: money.Format(b, c), OurAmount: money.Format(o, c), Note: note})
		}
	}
	return nil
}

// resolve handles a statement line we have not booked: an operation the
// bank has done but whose callback was lost or late. Asking the bank and
// settling books it now; anything else stays missing on our side.
func (r *Reconciler) resolve(ctx context.Context, op string) (string, string) {
	if _, err := r.Ops.BankOp(ctx, op); err != nil {
		return MissingOurs, "no such operation in the wallet"
	}
	if r.Resolver == nil {
		return MissingOurs, "open in the wallet; no resolver"
	}
	got, err := r.Resolver.Resolve(ctx, op)
	if err != nil {
		if r.Log != nil {
			r.Log.WarnContext(ctx, "reconcile: resolve", "op", op, "err", err)
		}
		return MissingOurs, "status query failed"
	}
	if got.Status == wallet.OpSucceeded {
		return Resolved, "settled by a status query"
	}
	return MissingOurs, "the wallet's operation is " + string(got.Status)
}
