package main

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

// runVerify is `ewallet verify`: it checks every invariant of the ledger
// (ledger.Verify), prints each with its result, and returns an error naming
// the broken row when one fails, so the exit status is non-zero.
func runVerify(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "verify", "[--data DIR | --db postgres://...]")
	sf := addStoreFlags(fs, e.getenv)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	sf.beside = true
	db, desc, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(e.stdout, "verifying %s\n", desc)
	rep, err := ledger.Verify(ctx, db)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	printReport(e.stdout, rep)
	if !rep.OK {
		return fmt.Errorf("ledger verification failed: %s", rep.Problem)
	}
	return nil
}

// invariants are the checks of ledger.Verify, by the Violation.Invariant
// name that reports them, in the order printed.
var invariants = []struct{ name, title string }{
	{"sequence", "journal sequence"},
	{"chain", "hash chain"},
	{"replay", "journal replay (every transfer obeys the rules)"},
	{"entries", "entries"},
	{"account_balance", "account balances"},
	{"no_negative", "no negative balances"},
	{"holds", "holds"},
	{"head", "journal head"},
	{"sum_zero", "per-currency sums are zero"},
}

// printReport prints one line per invariant. Verify stops at the first
// violation, so after a failure the other checks are shown as not conclusive.
func printReport(w io.Writer, rep ledger.Report) {
	for _, inv := range invariants {
		status := "ok"
		switch {
		case rep.Problem != nil && rep.Problem.Invariant == inv.name:
			status = "FAILED"
		case inv.name == "chain" && (rep.Problem == nil || rep.Chain == "broken"):
			status = rep.Chain
		case rep.Problem != nil:
			status = "-"
		}
		fmt.Fprintf(w, "  %-50s %s\n", inv.title, status)
	}
	curs := make([]money.Currency, 0, len(rep.Sums))
	for c := range rep.Sums {
		curs = append(curs, c)
	}
	slices.Sort(curs)
	for _, c := range curs {
		fmt.Fprintf(w, "  sum %-46s %s\n", c, money.Format(rep.Sums[c], c))
	}
	fmt.Fprintf(w, "  %-50s %d\n", "transfers checked", rep.TransfersChecked)
	fmt.Fprintf(w, "  %-50s %d\n", "accounts checked", rep.AccountsChecked)
	if p := rep.Problem; p != nil {
		fmt.Fprintf(w, "FAILED: invariant %s, table %s, row %s: %s\n", p.Invariant, p.Table, p.Row, p.Message)
		fmt.Fprintln(w, "(checks marked - are not conclusive: verification stops at the first violation)")
		return
	}
	fmt.Fprintln(w, "ok: ledger intact")
}
