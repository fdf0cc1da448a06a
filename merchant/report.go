package merchant

import (
	"bytes"
	"context"
	"encoding/csv"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/wallet"
)

// Report is a merchant's settlement report for one day and currency,
// read from the ledger: every movement of the merchant's account that
// day, with the balance after it. The nets add up to Closing - Opening
// exactly, because both come from the same journal entries.
type Report struct {
	MerchantID string
	Day        string
	Currency   money.Currency
	Opening    int64 // posted balance when the day began
	Closing    int64 // posted balance when it ended (or now, for today)
	Lines      []ReportLine
}

// ReportLine is one movement: Gross - Fee = Net, and Net is what the
// merchant's balance moved by.
type ReportLine struct {
	Time         time.Time
	Type         string // payment, refund, payout, …
	ID           string // the operation: pay_…, ref_…, po_…
	Gross        int64  // what the payer paid (a refund: what went back, negative)
	Fee          int64  // the operator's fee (a refund: the fee returned, negative)
	Net          int64
	BalanceAfter int64
}

// Totals adds up the report's lines.
func (r Report) Totals() (gross, fee, net int64) {
	for _, l := range r.Lines {
		gross, fee, net = gross+l.Gross, fee+l.Fee, net+l.Net
	}
	return gross, fee, net
}

// DayReport builds the report of day (YYYY-MM-DD, in the operator's
// zone) in cur.
func (s *Service) DayReport(ctx context.Context, m Merchant, day string, cur money.Currency) (Report, error) {
	start, err := time.ParseInLocation(time.DateOnly, day, s.Wallet.Config().Zone)
	if err != nil {
		return Report{}, wallet.Errorf(wallet.CodeInvalidRequest, "day must be YYYY-MM-DD")
	}
	rep := Report{MerchantID: m.ID, Day: day, Currency: cur}
	acct, err := s.Wallet.WalletAccount(ctx, m.ID, cur)
	if err != nil {
		return Report{}, err
	}
	// The journal's positions at the day's bounds; the end is exclusive.
	from, err := s.Ledger.SeqAt(ctx, start.Add(-time.Nanosecond))
	if err != nil {
		return Report{}, err
	}
	to, err := s.Ledger.SeqAt(ctx, start.AddDate(0, 0, 1).Add(-time.Nanosecond))
	if err != nil {
		return Report{}, err
	}
	if rep.Opening, _, err = s.Ledger.BalanceAtSeq(ctx, acct, from); err != nil {
		return Report{}, err
	}
	if rep.Closing, _, err = s.Ledger.BalanceAtSeq(ctx, acct, to); err != nil {
		return Report{}, err
	}
	entries, err := s.entriesBetween(ctx, acct, from, to)
	if err != nil {
		return Report{}, err
	}
	seqs := make([]int64, len(entries))
	for i, e := range entries {
		seqs[i] = e.Seq
	}
	ts, err := s.Ledger.TransfersBySeq(ctx, seqs)
	if err != nil {
		return Report{}, err
	}
	bySeq := make(map[int64]ledger.Transfer, len(ts))
	for _, t := range ts {
		bySeq[t.Seq] = t
	}
	for _, e := range entries {
		rep.Lines = append(rep.Lines, reportLine(e, bySeq[e.Seq]))
	}
	return rep, nil
}

// entriesBetween returns the account's entries with from < Seq <= to that
// moved its posted balance, oldest first.
func (s *Service) entriesBetween(ctx context.Context, acct ledger.AccountID, from, to int64) ([]ledger.Entry, error) {
	var out []ledger.Entry
	before := to + 1
	for {
		page, err := s.Ledger.History(ctx, acct, before, 500)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			if e.Seq <= from {
				return reverse(out), nil
			}
			if e.Amount != 0 {
				out = append(out, e)
			}
		}
		if len(page) < 500 {
			return reverse(out), nil
		}
		before = page[len(page)-1].Seq
	}
}

func reverse(es []ledger.Entry) []ledger.Entry {
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es
}

// reportLine explains one entry by its transfer: the fee is in the
// metadata of payments, captures and refunds; the rest moves no fee.
func reportLine(e ledger.Entry, t ledger.Transfer) ReportLine {
	l := ReportLine{Time: t.Time, Type: t.Metadata["type"], ID: t.Metadata["op"], Net: e.Amount, BalanceAfter: e.Balance}
	if l.Type == "" {
		l.Type = t.Kind
	}
	fee := metaInt(t, "fee")
	if l.Type == kindRefund {
		fee = -fee // the merchant is given the fee back
	}
	l.Fee, l.Gross = fee, e.Amount+fee
	return l
}

// CSV writes the report: a header of what it covers, one row a movement,
// and the totals; amounts in major units.
func (r Report) CSV() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	f := func(n int64) string { return money.Format(n, r.Currency) }
	w.Write([]string{"merchant", r.MerchantID, "day", r.Day, "currency", string(r.Currency)})
	w.Write([]string{"opening_balance", f(r.Opening), "closing_balance", f(r.Closing)})
	w.Write([]string{"time", "type", "id", "gross", "fee", "net", "balance_after"})
	for _, l := range r.Lines {
		w.Write([]string{l.Time.UTC().Format(time.RFC3339Nano), l.Type, l.ID, f(l.Gross), f(l.Fee), f(l.Net), f(l.BalanceAfter)})
	}
	g, fee, net := r.Totals()
	w.Write([]string{"total", "", "", f(g), f(fee), f(net), f(r.Closing)})
	w.Flush()
	return b.Bytes()
}
