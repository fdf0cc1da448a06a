package epurse

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Clearing: a terminal uploads a batch of purchase records; the issuer
// decides each one and answers the batch with a result per record, the
// money to move (e-purse float to the merchant behind the terminal) and the
// gaps it now sees in each card's offline counters. It is pure: what the
// issuer already knows comes in through ClearingState, and what it must
// remember goes back out in BatchResult.Accepted for the caller to persist
// in the same transaction as the ledger transfers.
//
// Each record is checked in this order; the first check that fails is its
// reason:
//
//  1. malformed: it does not decode (ClearBatch), or its amount is one no
//     card debits (zero, or above 2^32-1 when given as a Record).
//  2. forged: its TAC does not verify under the card's TAC key. One changed
//     byte, a made-up record or a made-up TAC all land here; only the issuer
//     holds the TAC keys, so a terminal can neither forge nor alter.
//  3. wrong_terminal: the record names another terminal than the one
//     uploading. A genuine record is bound to its terminal by the TAC, so a
//     terminal cannot claim another terminal's takings.
//  4. duplicate: the very same record was cleared before (in an earlier
//     batch or earlier in this one). Nothing moves. This is what makes an
//     upload idempotent: a terminal that lost the answer simply uploads the
//     batch again, and a replay of cleared records moves no money.
//  5. replayed: the card's offline counter is already cleared with a
//     different record whose TAC verified too. A genuine card never signs
//     two purchases under one counter, so the card's state was restored
//     from a copy (a rolled-back or cloned chip) or its keys leaked. The
//     first record cleared keeps its place; this one moves nothing, and the
//     caller should deny-list the card and raise an alert.
//  6. denied: the card is on the deny list and the record's time is at or
//     after the time it was listed. Records from before the listing are
//     still cleared (the holder spent that value before reporting the loss).
//  7. counter_rollback: at this same terminal the card already has a
//     cleared record with a lower terminal sequence number but an offline
//     counter at or above this one. A SAM's sequence only rises and so does
//     a genuine card's counter, so the card went back in time between the
//     two taps: its counter was rolled back. Only the terminal's latest
//     cleared record for the card is compared (ClearingState.LastAt), so a
//     record older than it at that terminal (a torn purchase recovered and
//     uploaded late) is not checked here; a rolled-back card still shows up
//     as replayed once both records of a reused counter are uploaded.
//  8. accepted: the amount moves to the terminal's merchant.
//
// A counter below the highest already cleared for the card is NOT a
// rejection: a card taps at many terminals and each uploads on its own
// schedule (a gate at night, a till at noon), so records arrive out of
// order. Such a record is accepted with Late set; it fills a gap an earlier
// batch reported. Rollback is caught where the evidence is unambiguous: a
// reused counter (replayed) or a counter going down against one terminal's
// own sequence (counter_rollback). Terminal clocks are not trusted for
// ordering; they only decide deny-list cut-offs.
//
// Gaps: for each card with an accepted record, the counters above the
// highest cleared before the batch (from 0 for a card never cleared) up to
// the highest accepted now, that neither the state nor the batch holds. A
// gap is normal while other terminals have not uploaded; one that stays
// open past the clearing window is a torn purchase never recovered or a
// terminal that never uploaded.

// Reason is a record's clearing outcome, a stable code for APIs and logs.
type Reason string

// The reasons, in the order they are checked.
const (
	ReasonMalformed       Reason = "malformed"
	ReasonForged          Reason = "forged"
	ReasonWrongTerminal   Reason = "wrong_terminal"
	ReasonDuplicate       Reason = "duplicate"
	ReasonReplayed        Reason = "replayed"
	ReasonDenied          Reason = "denied"
	ReasonCounterRollback Reason = "counter_rollback"
	ReasonAccepted        Reason = "accepted"
)

// MaxBatchRecords is the most records one batch may hold; ClearBatch and
// Clear refuse more with ErrOverLimit (a day of a busy gate is a few
// thousand taps).
const MaxBatchRecords = 65536

// ClearingState is what the issuer knows from earlier batches and the deny
// list. The caller implements it over its store.
//
// Contract: Clear reads the state and returns what to write; the caller must
// keep the state unchanged between the reads and persisting
// BatchResult.Accepted, e.g. one database transaction per batch with the
// batch's cards locked, or one clearing at a time. A unique key on
// (card, offline counter) in the store is the backstop: a violation means
// another batch got there first, and the caller rolls back and clears
// again. Every error a method returns aborts the batch and is returned by
// Clear wrapped; nothing is decided.
type ClearingState interface {
	// Cleared returns the record cleared for the card's offline counter;
	// false when none is.
	Cleared(card CardNumber, offlineCounter uint16) (Record, bool, error)
	// Highest returns the highest offline counter cleared for the card;
	// false when none is.
	Highest(card CardNumber) (uint16, bool, error)
	// LastAt returns, of the card's cleared records made at terminal, the
	// one with the highest terminal sequence number; false when none is.
	LastAt(card CardNumber, terminal TerminalID) (Record, bool, error)
	// Denied returns when the card was put on the deny list; false when it
	// is not on it.
	Denied(card CardNumber) (time.Time, bool, error)
}

// RecordResult is the decision on one record of a batch.
type RecordResult struct {
	Index  int    // position in the batch, from 0
	Record Record // as uploaded; zero when malformed bytes
	Reason Reason
	// Late: accepted with a counter below the highest the card had
	// cleared, an out-of-order upload filling a gap.
	Late   bool
	Detail string // for a person
}

// Gap is a run of a card's offline counters, From through To, that no
// cleared record holds.
type Gap struct {
	Card     CardNumber
	From, To uint16
}

// Settlement is the value to move from the e-purse float to the merchant
// behind Terminal: the sum of the accepted records made there.
type Settlement struct {
	Terminal TerminalID
	Amount   int64 // minor units, > 0
	Records  int
}

// CardTotal is how much of one card's value a batch cleared; the lost-card
// refund subtracts it from the card's last known balance.
type CardTotal struct {
	Card    CardNumber
	Amount  int64
	Records int
}

// BatchResult is the answer to one batch.
type BatchResult struct {
	Terminal TerminalID     // the uploading terminal
	Results  []RecordResult // one per record, in batch order
	// Accepted are the records to persist as cleared, in batch order;
	// after that, ClearingState must return them.
	Accepted    []Record
	Settlements []Settlement // at most one per terminal, sorted by terminal
	Cards       []CardTotal  // per card with an accepted record, sorted
	Total       int64        // sum of Settlements
	Gaps        []Gap        // sorted by card then counter
}

// Count is how many records got reason r.
func (b BatchResult) Count(r Reason) int {
	n := 0
	for _, res := range b.Results {
		if res.Reason == r {
			n++
		}
	}
	return n
}

// Clearer decides uploaded batches with the issuer's keys and the caller's
// ClearingState. It holds no state of its own; it is safe for concurrent
// use as far as the ClearingState contract allows.
type Clearer struct {
	issuer *Issuer
	state  ClearingState
}

// NewClearer returns a clearer checking TACs with issuer against state.
func NewClearer(issuer *Issuer, state ClearingState) *Clearer {
	return &Clearer{issuer: issuer, state: state}
}

// ClearBatch decides a batch as uploaded: records of RecordSize bytes back
// to back. A record that does not decode, or a trailing piece shorter than
// a record, is malformed; the rest are decided as by Clear. More than
// MaxBatchRecords records is ErrOverLimit.
func (c *Clearer) ClearBatch(terminal TerminalID, batch []byte) (BatchResult, error) {
	n := len(batch) / RecordSize
	if n > MaxBatchRecords {
		return BatchResult{}, fail(ErrOverLimit, fmt.Sprintf("batch of %d records, at most %d", n, MaxBatchRecords))
	}
	items := make([]item, 0, n+1)
	for i := 0; i < n; i++ {
		r, err := DecodeRecord(batch[i*RecordSize : (i+1)*RecordSize])
		items = append(items, item{rec: r, err: err})
	}
	if rest := len(batch) % RecordSize; rest != 0 {
		items = append(items, item{err: fail(ErrMalformed, fmt.Sprintf("trailing %d bytes, records are %d", rest, RecordSize))})
	}
	return c.clear(terminal, items)
}

// Clear decides records uploaded by terminal (authenticated by the
// caller). It returns an error only when the state fails or the batch is
// too large (ErrOverLimit) or its total would overflow int64
// (ErrOverLimit); a refused record is a result, not an error.
func (c *Clearer) Clear(terminal TerminalID, records []Record) (BatchResult, error) {
	if len(records) > MaxBatchRecords {
		return BatchResult{}, fail(ErrOverLimit, fmt.Sprintf("batch of %d records, at most %d", len(records), MaxBatchRecords))
	}
	items := make([]item, len(records))
	for i, r := range records {
		items[i].rec = r
	}
	return c.clear(terminal, items)
}

type item struct {
	rec Record
	err error // decoding failed
}

func (c *Clearer) clear(terminal TerminalID, items []item) (BatchResult, error) {
	res := BatchResult{Terminal: terminal, Results: make([]RecordResult, 0, len(items))}
	ov := newMemState(c.state)
	before := map[CardNumber]int{} // highest cleared before the batch, -1 for none
	for i, it := range items {
		rr, err := c.decide(terminal, ov, it)
		if err != nil {
			return BatchResult{}, err
		}
		rr.Index = i
		res.Results = append(res.Results, rr)
		if rr.Reason != ReasonAccepted {
			continue
		}
		r := it.rec
		if _, ok := before[r.Card]; !ok {
			h, ok, err := c.state.Highest(r.Card)
			if err != nil {
				return BatchResult{}, fmt.Errorf("clearing: highest counter of card %s: %w", r.Card, err)
			}
			before[r.Card] = -1
			if ok {
				before[r.Card] = int(h)
			}
		}
		ov.add(r)
		res.Accepted = append(res.Accepted, r)
	}
	if err := res.total(); err != nil {
		return BatchResult{}, err
	}
	res.Gaps = gaps(before, res.Accepted)
	return res, nil
}

// decide runs the checks of one record against the state plus the records
// accepted so far in the batch.
func (c *Clearer) decide(terminal TerminalID, st *memState, it item) (RecordResult, error) {
	r := it.rec
	out := RecordResult{Record: r}
	if it.err != nil {
		out.Record = Record{}
		out.Reason, out.Detail = ReasonMalformed, it.err.Error()
		return out, nil
	}
	if err := c.issuer.VerifyRecord(r); err != nil {
		out.Reason, out.Detail = ReasonForged, err.Error()
		if !errors.Is(err, ErrBadTAC) {
			out.Reason = ReasonMalformed
		}
		return out, nil
	}
	if r.Terminal != terminal {
		out.Reason = ReasonWrongTerminal
		out.Detail = fmt.Sprintf("record of terminal %s uploaded by %s", r.Terminal, terminal)
		return out, nil
	}
	prev, ok, err := st.Cleared(r.Card, r.OfflineCounter)
	if err != nil {
		return out, fmt.Errorf("clearing: cleared record of card %s counter %d: %w", r.Card, r.OfflineCounter, err)
	}
	if ok {
		if prev == r {
			out.Reason, out.Detail = ReasonDuplicate, "already cleared"
		} else {
			out.Reason = ReasonReplayed
			out.Detail = fmt.Sprintf("counter %d already cleared with another record (terminal %s seq %d)", r.OfflineCounter, prev.Terminal, prev.TerminalSeq)
		}
		return out, nil
	}
	since, denied, err := st.Denied(r.Card)
	if err != nil {
		return out, fmt.Errorf("clearing: deny list for card %s: %w", r.Card, err)
	}
	if at := time.Unix(int64(r.Time), 0); denied && !at.Before(since) {
		out.Reason = ReasonDenied
		out.Detail = fmt.Sprintf("record at %s, card denied since %s", at.UTC().Format(time.RFC3339), since.UTC().Format(time.RFC3339))
		return out, nil
	}
	last, ok, err := st.LastAt(r.Card, r.Terminal)
	if err != nil {
		return out, fmt.Errorf("clearing: last record of card %s at terminal %s: %w", r.Card, r.Terminal, err)
	}
	if ok && r.TerminalSeq > last.TerminalSeq && r.OfflineCounter <= last.OfflineCounter {
		out.Reason = ReasonCounterRollback
		out.Detail = fmt.Sprintf("counter %d at seq %d, but counter %d already at seq %d", r.OfflineCounter, r.TerminalSeq, last.OfflineCounter, last.TerminalSeq)
		return out, nil
	}
	h, ok, err := st.Highest(r.Card)
	if err != nil {
		return out, fmt.Errorf("clearing: highest counter of card %s: %w", r.Card, err)
	}
	out.Reason = ReasonAccepted
	out.Late = ok && r.OfflineCounter < h
	return out, nil
}

// addAmount is a+b, refusing int64 overflow.
func addAmount(a, b int64) (int64, error) {
	if b > 0 && a > math.MaxInt64-b || b < 0 && a < math.MinInt64-b {
		return 0, fail(ErrOverLimit, "batch total overflows")
	}
	return a + b, nil
}

// total fills Settlements, Cards and Total from Accepted.
func (b *BatchResult) total() error {
	terms := map[TerminalID]*Settlement{}
	cards := map[CardNumber]*CardTotal{}
	var err error
	for _, r := range b.Accepted {
		s := terms[r.Terminal]
		if s == nil {
			s = &Settlement{Terminal: r.Terminal}
			terms[r.Terminal] = s
		}
		if s.Amount, err = addAmount(s.Amount, r.Amount); err != nil {
			return err
		}
		s.Records++
		ct := cards[r.Card]
		if ct == nil {
			ct = &CardTotal{Card: r.Card}
			cards[r.Card] = ct
		}
		if ct.Amount, err = addAmount(ct.Amount, r.Amount); err != nil {
			return err
		}
		ct.Records++
		if b.Total, err = addAmount(b.Total, r.Amount); err != nil {
			return err
		}
	}
	for _, s := range terms {
		b.Settlements = append(b.Settlements, *s)
	}
	slices.SortFunc(b.Settlements, func(x, y Settlement) int { return bytes.Compare(x.Terminal[:], y.Terminal[:]) })
	for _, ct := range cards {
		b.Cards = append(b.Cards, *ct)
	}
	slices.SortFunc(b.Cards, func(x, y CardTotal) int { return bytes.Compare(x.Card[:], y.Card[:]) })
	return nil
}

// gaps are, per card, the counters above its highest cleared before the
// batch (before[card], -1 for none) up to its highest accepted, that the
// batch did not accept. Counters above the old highest cannot be in the
// state, so no lookups are needed.
func gaps(before map[CardNumber]int, accepted []Record) []Gap {
	got := map[CardNumber][]int{}
	for _, r := range accepted {
		if int(r.OfflineCounter) > before[r.Card] {
			got[r.Card] = append(got[r.Card], int(r.OfflineCounter))
		}
	}
	var out []Gap
	for card, cs := range got {
		slices.Sort(cs)
		next := before[card] + 1
		for _, c := range cs {
			if c > next {
				out = append(out, Gap{Card: card, From: uint16(next), To: uint16(c - 1)})
			}
			next = c + 1
		}
	}
	slices.SortFunc(out, func(x, y Gap) int {
		if d := bytes.Compare(x.Card[:], y.Card[:]); d != 0 {
			return d
		}
		return int(x.From) - int(y.From)
	})
	return out
}
