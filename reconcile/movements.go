package reconcile

import (
	"context"
	"slices"
	"time"

	"github.com/ewallet/ewallet/ledger"
)

// Movement is one change to an account's posted balance, with the
// transfer that made it.
type Movement struct {
	Entry    ledger.Entry
	Transfer ledger.Transfer
}

// Movements returns the changes to an account's posted balance committed
// in [from, to), oldest first, and its posted balance before and after.
// Holds change no posted balance and are left out. Both ledgers use it:
// the bank for its statements, reconciliation for our side.
func Movements(ctx context.Context, l *ledger.Ledger, account ledger.AccountID, from, to time.Time) (opening, closing int64, ms []Movement, err error) {
	lo, err := l.SeqAt(ctx, from.Add(-time.Nanosecond))
	if err != nil {
		return 0, 0, nil, err
	}
	hi, err := l.SeqAt(ctx, to.Add(-time.Nanosecond))
	if err != nil {
		return 0, 0, nil, err
	}
	if opening, _, err = l.BalanceAtSeq(ctx, account, lo); err != nil {
		return 0, 0, nil, err
	}
	if closing, _, err = l.BalanceAtSeq(ctx, account, hi); err != nil {
		return 0, 0, nil, err
	}
	var entries []ledger.Entry
	for before := hi + 1; before > lo+1; {
		page, err := l.History(ctx, account, before, 1000)
		if err != nil {
			return 0, 0, nil, err
		}
		for _, e := range page {
			if e.Seq > lo && e.Amount != 0 {
				entries = append(entries, e)
			}
		}
		if len(page) < 1000 || page[len(page)-1].Seq <= lo {
			break
		}
		before = page[len(page)-1].Seq
	}
	slices.Reverse(entries)
	ms, err = withTransfers(ctx, l, entries)
	return opening, closing, ms, err
}

// withTransfers pairs entries with their transfers, a thousand at a time.
func withTransfers(ctx context.Context, l *ledger.Ledger, entries []ledger.Entry) ([]Movement, error) {
	out := make([]Movement, 0, len(entries))
	for chunk := range slices.Chunk(entries, 1000) {
		seqs := make([]int64, len(chunk))
		for i, e := range chunk {
			seqs[i] = e.Seq
		}
		ts, err := l.TransfersBySeq(ctx, seqs)
		if err != nil {
			return nil, err
		}
		bySeq := make(map[int64]ledger.Transfer, len(ts))
		for _, t := range ts {
			bySeq[t.Seq] = t
		}
		for _, e := range chunk {
			out = append(out, Movement{Entry: e, Transfer: bySeq[e.Seq]})
		}
	}
	return out, nil
}
