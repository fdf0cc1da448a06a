package ledger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"time"

	"github.com/ewallet/ewallet/money"
)

// Report is the result of Verify.
type Report struct {
	OK               bool
	TransfersChecked int64
	AccountsChecked  int64
	Chain            string                   // "intact" or "broken"
	Sums             map[money.Currency]int64 // per currency, over every account's postings: zero when sound
	Problem          *Violation               // the first violation found, nil when OK
}

// Violation names the first broken invariant and the row where it broke.
type Violation struct {
	Invariant string // sequence, chain, replay, entries, account_balance, sum_zero, no_negative, holds, head
	Table     string // transfers, entries, accounts, holds, ledger_head
	Row       string // e.g. "seq 42" or "account 7"
	Message   string
}

func (v *Violation) String() string {
	return fmt.Sprintf("%s violated at %s %s: %s", v.Invariant, v.Table, v.Row, v.Message)
}

// Verify checks every invariant of the ledger against what is stored:
// the journal is a gap-free sequence whose hash chain recomputes; replaying
// it under the ledger's own rules refuses nothing (so no account that forbids
// it ever went below zero, and every transfer summed to zero per currency);
// every entry and every account's balances equal what the replay gives; the
// holds and the head agree with the journal; each currency sums to zero.
// It returns an error only when the store cannot be read.
func Verify(ctx context.Context, store Store) (Report, error) {
	v := newVerifier()
	err := store.Scan(ctx, v)
	if err != nil && !errors.Is(err, errStop) {
		return Report{}, err
	}
	if v.problem == nil {
		v.finish()
	}
	if v.problem != nil && v.problem.Invariant == "entries" && v.locate != 0 {
		if located, err := locateEntry(ctx, store, v.locate); err == nil && located != nil {
			v.problem = located
		}
	}
	r := Report{OK: v.problem == nil, TransfersChecked: v.transfers, AccountsChecked: int64(len(v.stored)), Chain: "intact", Sums: v.sums(), Problem: v.problem}
	if !v.chainOK {
		r.Chain = "broken"
	}
	return r, nil
}

// Verify checks the ledger's invariants; see the package function Verify.
func (l *Ledger) Verify(ctx context.Context) (Report, error) { return Verify(ctx, l.store) }

var errStop = errors.New("verification stopped at the first violation")

type entryCheck struct {
	expected, seen uint64 // digests of the entries the journal implies and the stored ones
	n, seenN       int64
	balance, held  int64 // running balances over the stored entries
	lastSeq        int64
}

type verifier struct {
	st          *batchState
	head        Head
	stored      map[AccountID]Account
	order       []AccountID
	storedHolds map[string]HoldState
	checks      map[AccountID]*entryCheck
	transfers   int64
	chainOK     bool
	problem     *Violation
	locate      AccountID // account whose entries disagree with the journal
	curEntries  AccountID
	seed        maphash.Seed
}

func newVerifier() *verifier {
	return &verifier{
		st:          newBatchState(Head{}, timeZero, nil, nil, nil),
		stored:      map[AccountID]Account{},
		storedHolds: map[string]HoldState{},
		checks:      map[AccountID]*entryCheck{},
		chainOK:     true,
		seed:        maphash.MakeSeed(),
	}
}

func (v *verifier) fail(invariant, table, row, format string, args ...any) error {
	v.problem = &Violation{Invariant: invariant, Table: table, Row: row, Message: fmt.Sprintf(format, args...)}
	return errStop
}

func (v *verifier) Head(h Head) error { v.head = h; return nil }

func (v *verifier) Account(a Account) error {
	if !a.Currency.Valid() {
		return v.fail("account_balance", "accounts", fmt.Sprintf("account %d", a.ID), "unsupported currency %q", a.Currency)
	}
	v.stored[a.ID] = a
	v.order = append(v.order, a.ID)
	replay := a
	replay.Posted, replay.Held, replay.LastSeq = 0, 0, 0
	v.st.accounts[a.ID] = &acct{Account: replay}
	v.checks[a.ID] = &entryCheck{}
	return nil
}

func (v *verifier) Hold(h HoldState) error {
	v.storedHolds[h.ID] = h
	return nil
}

func (v *verifier) Transfer(t *Transfer) error {
	row := fmt.Sprintf("seq %d", t.Seq)
	st := v.st
	if t.Seq != st.head.Seq+1 {
		v.chainOK = false // a missing or repeated row unlinks the chain
		return v.fail("sequence", "transfers", row, "expected seq %d after %d", st.head.Seq+1, st.head.Seq)
	}
	for _, p := range t.Postings {
		if _, ok := st.accounts[p.Account]; !ok {
			v.chainOK = false
			return v.fail("replay", "transfers", row, "posts to account %d, which does not exist", p.Account)
		}
	}
	// The hash before the rules: a row altered after it was written is
	// named as altered, whatever else the replay would find wrong with it.
	// A row that hashes right but breaks a rule was written so by the engine.
	if h := ChainHash(st.head.Hash, t, st.currencyOf); h != t.Hash {
		v.chainOK = false
		return v.fail("chain", "transfers", row, "stored hash %x does not match the recomputed %x: this row was altered", t.Hash[:6], h[:6])
	}
	if t.Time.Before(st.head.Time) {
		return v.fail("sequence", "transfers", row, "commit time %s is before the previous transfer's", t.Time)
	}
	if err := t.validate(); err != nil {
		return v.fail("replay", "transfers", row, "the journal's own rules refuse it: %s", err.(*Error).Message)
	}
	replay := *t
	replay.Postings = slices.Clone(t.Postings)
	replay.Seq, replay.Hash = 0, [32]byte{}
	st.now = t.Time
	st.out = Batch{Entries: st.out.Entries[:0]}
	if err := st.apply(&replay); err != nil {
		return v.fail("replay", "transfers", row, "the journal's own rules refuse it: %s", err.Message)
	}
	for _, e := range st.out.Entries {
		c := v.checks[e.Account]
		c.expected += v.entryHash(e)
		c.n++
	}
	v.transfers++
	return nil
}

// entryHash hashes one entry under the run's random seed. An account's
// digest is the sum of its entries' hashes (each carries its seq, so order
// is covered); with a seed nobody knows in advance, entries cannot be
// altered so that the digests still agree.
func (v *verifier) entryHash(e Entry) uint64 {
	var b [40]byte
	for i, x := range [...]int64{e.Seq, e.Amount, e.HeldDelta, e.Balance, e.HeldAfter} {
		binary.BigEndian.PutUint64(b[8*i:], uint64(x))
	}
	return maphash.Bytes(v.seed, b[:])
}
func (v *verifier) Entry(e Entry) error {
	row := fmt.Sprintf("account %d seq %d", e.Account, e.Seq)
	c, ok := v.checks[e.Account]
	if !ok {
		return v.fail("entries", "entries", row, "entry of an account that does not exist")
	}
	if e.Account != v.curEntries {
		if err := v.closeEntries(); err != nil {
			return err
		}
		v.curEntries = e.Account
	}
	if e.Seq <= c.lastSeq || e.Seq > v.st.head.Seq {
		return v.fail("entries", "entries", row, "sequence out of order or beyond the journal")
	}
	if c.balance+e.Amount != e.Balance || c.held+e.HeldDelta != e.HeldAfter {
		// The altered row may be an earlier one whose change and balance
		// were altered together: let Verify locate it against the journal.
		v.locate = e.Account
		return v.fail("entries", "entries", row, "balance after %d (held %d) does not follow from the previous %d (held %d) and the change %d (held %d)",
			e.Balance, e.HeldAfter, c.balance, c.held, e.Amount, e.HeldDelta)
	}
	c.balance, c.held, c.lastSeq = e.Balance, e.HeldAfter, e.Seq
	c.seen += v.entryHash(e)
	c.seenN++
	return nil
}

// closeEntries compares the entries seen for the current account with the
// ones the journal implies.
func (v *verifier) closeEntries() error {
	if v.curEntries == 0 {
		return nil
	}
	c := v.checks[v.curEntries]
	if c.seen != c.expected || c.seenN != c.n {
		v.locate = v.curEntries
		return v.fail("entries", "entries", fmt.Sprintf("account %d", v.curEntries), "%d stored entries do not match the %d the journal implies", c.seenN, c.n)
	}
	return nil
}

// finish runs the checks that need the whole scan.
func (v *verifier) finish() {
	if v.closeEntries() != nil {
		return
	}
	st := v.st
	if v.head.Seq != st.head.Seq || v.head.Hash != st.head.Hash || !v.head.Time.Equal(st.head.Time) {
		v.fail("head", "ledger_head", "1", "head says seq %d hash %x time %s, the journal ends at seq %d hash %x time %s",
			v.head.Seq, v.head.Hash[:6], v.head.Time.Format(time.RFC3339Nano), st.head.Seq, st.head.Hash[:6], st.head.Time.Format(time.RFC3339Nano))
		return
	}
	for _, id := range v.order {
		stored, replay, c := v.stored[id], st.accounts[id], v.checks[id]
		row := fmt.Sprintf("account %d", id)
		if c.seenN != c.n {
			v.locate = id
			v.fail("entries", "entries", row, "%d stored entries, the journal implies %d", c.seenN, c.n)
			return
		}
		if stored.Posted != replay.Posted || stored.Held != replay.Held || stored.LastSeq != replay.LastSeq {
			v.fail("account_balance", "accounts", row, "stored posted %d held %d last seq %d, the journal gives posted %d held %d last seq %d",
				stored.Posted, stored.Held, stored.LastSeq, replay.Posted, replay.Held, replay.LastSeq)
			return
		}
		if avail, err := money.Sub(stored.Posted, stored.Held); stored.Held < 0 || (stored.Flags&NoNegative != 0 && (err != nil || avail < 0)) {
			v.fail("no_negative", "accounts", row, "posted %d held %d: held or available below zero", stored.Posted, stored.Held)
			return
		}
	}
	for cur, sum := range v.sums() {
		if sum != 0 {
			v.fail("sum_zero", "accounts", string(cur), "balances sum to %s, not zero", money.Format(sum, cur))
			return
		}
	}
	v.checkHolds()
}

func (v *verifier) checkHolds() {
	for id, want := range v.st.holds {
		got, ok := v.storedHolds[id]
		if !ok {
			v.fail("holds", "holds", id, "hold created at seq %d is missing", want.Seq)
			return
		}
		if got.Seq != want.Seq || got.Status != want.Status || got.ResolvedBy != want.ResolvedBy || !got.ExpiresAt.Equal(want.ExpiresAt) {
			v.fail("holds", "holds", id, "stored seq %d %s resolved by %d, the journal gives seq %d %s resolved by %d",
				got.Seq, got.Status, got.ResolvedBy, want.Seq, want.Status, want.ResolvedBy)
			return
		}
	}
	for id := range v.storedHolds {
		if _, ok := v.st.holds[id]; !ok {
			v.fail("holds", "holds", id, "hold has no transfer in the journal")
			return
		}
	}
}

// sums adds up the replayed posted balances per currency.
func (v *verifier) sums() map[money.Currency]int64 {
	out := map[money.Currency]int64{}
	for _, a := range v.st.accounts {
		out[a.Currency] += a.Posted
	}
	return out
}
