package wallet

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

// Txn is one line of a wallet's transaction history.
type Txn struct {
	ID           string // the operation: txn_…, top_…, wdr_…
	Type         string // topup, withdrawal, transfer, …
	Direction    string // in, out
	Amount       int64
	Currency     money.Currency
	Counterparty Counterparty
	BalanceAfter int64
	Status       string // completed, pending, failed, …
	Note         string
	CreatedAt    time.Time
	seq          int64
}

// PartyNamer names a counterparty that is not a holder (a merchant, mch_…):
// false when it does not know the ID.
type PartyNamer func(ctx context.Context, id string) (Counterparty, bool)

// SetParties tells the history how to name counterparties that are not
// holders (the merchant service, which is built after the wallet).
func (s *Service) SetParties(p PartyNamer) { s.parties.Store(&p) }

// Counterparty is who was on the other side of a line.
type Counterparty struct {
	Type  string // user, merchant, bank, system
	Name  string
	Phone string
}

// TxnFilter selects history lines.
type TxnFilter struct {
	Type          string
	Currency      money.Currency // "" for all
	From, To      time.Time      // [From, To); zero for no bound
	Q             string         // in notes and the counterparty's name or phone
	Limit         int
	StartingAfter string // an operation ID from an earlier page
}

// kindTypes maps ledger kinds to the contract's transaction types.
var kindTypes = map[string]string{kindP2P: typeTransfer, kindTopup: typeTopup, kindWithdrawal: typeWithdrawal,
	// A load the card never took comes back as the e-purse's refund.
	"epurse_load_reversal": "epurse_refund"}

// Transactions lists the user's history, newest first. The bool is true
// when there are more lines after the page.
func (s *Service) Transactions(ctx context.Context, u User, f TxnFilter) ([]Txn, bool, error) {
	// A page after a line starts reading at that line's journal sequence
	// instead of walking down to it from the newest line.
	if f.StartingAfter != "" {
		if seq, ok := s.lineSeq(ctx, f.StartingAfter); ok {
			out, more, found, err := s.transactions(ctx, u, f, seq+1)
			if found || err != nil {
				return out, more, err
			}
		}
	}
	out, more, _, err := s.transactions(ctx, u, f, 0)
	return out, more, err
}

// transactions reads a page from below the journal sequence before (0:
// from the newest line). found is false when StartingAfter was set and
// never met.
func (s *Service) transactions(ctx context.Context, u User, f TxnFilter, before int64) (out []Txn, more, found bool, err error) {
	out = make([]Txn, 0, f.Limit)
	skipping := f.StartingAfter != ""
	err = s.eachTxn(ctx, u, f.Currency, f.To, before, f.Limit+1, func(t Txn) bool {
		if !f.From.IsZero() && t.CreatedAt.Before(f.From) {
			return false
		}
		if skipping {
			skipping = t.ID != f.StartingAfter
			return true
		}
		if !f.matches(t) {
			return true
		}
		if len(out) == f.Limit {
			more = true
			return false
		}
		out = append(out, t)
		return true
	})
	return out, more, !skipping, err
}

// lineSeq finds the journal sequence of the transfer a history line ID
// shows: a withdrawal's settlement once posted, else the transfer its
// key made (txn_x, top_x and wdr_x name k:X).
func (s *Service) lineSeq(ctx context.Context, id string) (int64, bool) {
	prefix, hash, ok := strings.Cut(id, "_")
	if !ok || hash == "" {
		return 0, false
	}
	candidates := []string{"k:" + strings.ToUpper(hash)}
	if prefix == "wdr" {
		candidates = []string{"settle:" + id, candidates[0]}
	}
	for _, c := range candidates {
		if t, err := s.Ledger.GetTransfer(ctx, c); err == nil {
			return t.Seq, true
		}
	}
	return 0, false
}

func (f TxnFilter) matches(t Txn) bool {
	if f.Type != "" && t.Type != f.Type {
		return false
	}
	if f.Q == "" {
		return true
	}
	q := strings.ToLower(f.Q)
	for _, s := range []string{t.Note, t.Counterparty.Name, t.Counterparty.Phone} {
		if strings.Contains(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}

// eachTxn calls fn for every history line of the user's accounts (one
// currency, or all), newest first, from before `to` (zero: now) and below
// the journal sequence before (0: no bound), until fn returns false. want
// is how many lines the caller expects to take (0: all): the first read of
// each account asks for about that many entries, later ones for more.
func (s *Service) eachTxn(ctx context.Context, u User, only money.Currency, to time.Time, before int64, want int, fn func(Txn) bool) error {
	page := historyPage
	if want > 0 {
		page = min(max(want, 8), historyPage)
	}
	var cursors []*entryCursor
	for _, c := range money.Currencies() {
		if only != "" && c != only {
			continue
		}
		a, ok, err := s.existingWalletAccount(ctx, u.WalletID, c)
		if err != nil {
			return err
		}
		if ok {
			cursors = append(cursors, &entryCursor{s: s, account: a.ID, currency: c, before: before, page: page})
		}
	}
	for {
		var next *entryCursor
		for _, c := range cursors {
			if err := c.fill(ctx); err != nil {
				return err
			}
			if len(c.lines) > 0 && (next == nil || c.lines[0].seq > next.lines[0].seq) {
				next = c
			}
		}
		if next == nil {
			return nil
		}
		t := next.lines[0]
		next.lines = next.lines[1:]
		if !to.IsZero() && !t.CreatedAt.Before(to) {
			continue
		}
		if !fn(t) {
			return nil
		}
	}
}

// entryCursor walks one account's history backwards a page at a time and
// renders each entry into history lines.
type entryCursor struct {
	s        *Service
	account  ledger.AccountID
	currency money.Currency
	before   int64 // next page is below this seq; 0 = from the newest
	page     int   // entries the next read asks for; doubles up to historyPage
	done     bool
	lines    []Txn
}

const historyPage = 200

func (c *entryCursor) fill(ctx context.Context) error {
	for len(c.lines) == 0 && !c.done {
		es, err := c.s.Ledger.History(ctx, c.account, c.before, c.page)
		if err != nil {
			return err
		}
		if len(es) < c.page {
			c.done = true
		}
		c.page = min(2*c.page, historyPage)
		if len(es) == 0 {
			return nil
		}
		c.before = es[len(es)-1].Seq
		if c.lines, err = c.s.render(ctx, c.currency, es); err != nil {
			return err
		}
	}
	return nil
}

// render turns entries (newest first) into history lines.
func (s *Service) render(ctx context.Context, cur money.Currency, es []ledger.Entry) ([]Txn, error) {
	seqs := make([]int64, len(es))
	for i, e := range es {
		seqs[i] = e.Seq
	}
	ts, err := s.Ledger.TransfersBySeq(ctx, seqs)
	if err != nil {
		return nil, err
	}
	bySeq := make(map[int64]*ledger.Transfer, len(ts))
	var holdIDs []string
	for i := range ts {
		bySeq[ts[i].Seq] = &ts[i]
		if ts[i].Type == ledger.Hold {
			holdIDs = append(holdIDs, ts[i].ID)
		}
	}
	holds, err := s.Ledger.Holds(ctx, holdIDs)
	if err != nil {
		return nil, err
	}
	out := make([]Txn, 0, len(es))
	for _, e := range es {
		t := bySeq[e.Seq]
		if t == nil {
			continue
		}
		line, ok := s.line(ctx, cur, e, t, holds)
		if ok {
			out = append(out, line)
		}
	}
	return out, nil
}

// line renders one entry, or says it shows nothing: a hold's credit side
// (the recipient sees nothing until it is posted), a hold already posted
// (its post is the line), voids and expiries.
func (s *Service) line(ctx context.Context, cur money.Currency, e ledger.Entry, t *ledger.Transfer, holds map[string]ledger.HoldState) (Txn, bool) {
	tx := Txn{ID: t.Metadata["op"], Type: kindTypes[t.Kind], Currency: cur, BalanceAfter: e.Balance, Note: t.Metadata["note"],
		CreatedAt: t.Time, seq: e.Seq, Status: "completed"}
	if tx.Type == "" {
		tx.Type = t.Kind
	}
	if tx.ID == "" {
		tx.ID = t.ID
	}
	switch t.Type {
	case ledger.Posted, ledger.Post:
		if e.Amount == 0 {
			return Txn{}, false
		}
		tx.Amount, tx.Direction = abs(e.Amount), direction(e.Amount)
	case ledger.Hold:
		if e.HeldDelta <= 0 {
			return Txn{}, false
		}
		tx.Amount, tx.Direction = e.HeldDelta, "out"
		switch holds[t.ID].Status {
		case ledger.HoldPending:
			tx.Status = "pending"
		case ledger.HoldPosted:
			return Txn{}, false
		default:
			tx.Status = "failed"
		}
	default:
		return Txn{}, false
	}
	tx.Counterparty = s.counterparty(ctx, t, tx.Direction)
	return tx, true
}

func (s *Service) counterparty(ctx context.Context, t *ledger.Transfer, dir string) Counterparty {
	switch t.Kind {
	case kindTopup, kindWithdrawal:
		return Counterparty{Type: "bank", Name: "bank"}
	case "epurse_load", "epurse_load_reversal", "epurse_refund":
		return Counterparty{Type: "system", Name: "e-purse card " + t.Metadata["card"]}
	}
	other := t.Metadata["to"]
	if dir == "in" {
		other = t.Metadata["from"]
	}
	if other == "" {
		return Counterparty{Type: "system", Name: "ewallet"}
	}
	if p := s.parties.Load(); p != nil && !strings.HasPrefix(other, "usr_") {
		if cp, ok := (*p)(ctx, other); ok {
			return cp
		}
	}
	u, err := s.User(ctx, other)
	if err != nil {
		return Counterparty{Type: "user", Name: other}
	}
	return Counterparty{Type: "user", Name: u.Name, Phone: u.Phone}
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func direction(amount int64) string {
	if amount < 0 {
		return "out"
	}
	return "in"
}

// outflowKinds are the ledger kinds that count against outflow limits.
var outflowKinds = []string{kindP2P, kindWithdrawal, "payment", "bill", "epurse_load"}

// loadUsage rebuilds a user's outflow usage from the ledger. A hold counts
// when placed; its post adjusts to what was taken, a void or expiry
// returns it.
func (s *Service) loadUsage(ctx context.Context, userID string) (usage, error) {
	u, err := s.User(ctx, userID)
	if err != nil {
		return usage{}, err
	}
	var out usage
	day, year := s.dayYear(s.now())
	for _, c := range money.Currencies() {
		a, ok, err := s.existingWalletAccount(ctx, u.WalletID, c)
		if err != nil || !ok {
			if err != nil {
				return usage{}, err
			}
			continue
		}
		cur := &entryCursor{s: s, account: a.ID, currency: c}
		for !cur.done {
			es, err := s.Ledger.History(ctx, a.ID, cur.before, 1000)
			if err != nil {
				return usage{}, err
			}
			cur.done = len(es) < 1000
			if len(es) == 0 {
				break
			}
			cur.before = es[len(es)-1].Seq
			if err := s.countUsage(ctx, c, es, &out, day, year); err != nil {
				return usage{}, err
			}
		}
	}
	out.day, out.year = day, year
	return out, nil
}

func (s *Service) countUsage(ctx context.Context, c money.Currency, es []ledger.Entry, out *usage, day, year string) error {
	seqs := make([]int64, len(es))
	for i, e := range es {
		seqs[i] = e.Seq
	}
	ts, err := s.Ledger.TransfersBySeq(ctx, seqs)
	if err != nil {
		return err
	}
	bySeq := make(map[int64]*ledger.Transfer, len(ts))
	for i := range ts {
		bySeq[ts[i].Seq] = &ts[i]
	}
	for _, e := range es {
		t := bySeq[e.Seq]
		if t == nil {
			continue
		}
		var amount int64
		outflow := slices.Contains(outflowKinds, t.Kind)
		switch t.Type {
		case ledger.Posted:
			if outflow && e.Amount < 0 {
				amount = -e.Amount
			}
		case ledger.Hold:
			if outflow && e.HeldDelta > 0 {
				amount = e.HeldDelta
			}
		case ledger.Post:
			if e.HeldDelta < 0 {
				amount = -e.Amount + e.HeldDelta
			}
		case ledger.Void, ledger.Expire:
			amount = e.HeldDelta
		}
		if amount == 0 {
			continue
		}
		fen, err := s.cfg.toCNY(abs(amount), c)
		if err != nil {
			return err
		}
		if amount < 0 {
			fen = -fen
		}
		d, y := s.dayYear(t.Time)
		out.lifetime += fen
		if y == year {
			out.yearly += fen
		}
		if d == day {
			out.daily += fen
		}
	}
	return nil
}
