package epurse

import (
	"time"
)

// MemClearingState is a ClearingState in memory: for tests, the software
// terminal demo and as the reference a store's implementation must agree
// with. It is not safe for concurrent use.
type MemClearingState struct{ m *memState }

var _ ClearingState = (*MemClearingState)(nil)

// NewMemClearingState returns an empty state: nothing cleared, no card denied.
func NewMemClearingState() *MemClearingState { return &MemClearingState{m: newMemState(nil)} }

// Commit records a batch's accepted records as cleared, as the caller's
// store does in the transaction that books the transfers.
func (s *MemClearingState) Commit(b BatchResult) {
	for _, r := range b.Accepted {
		s.m.add(r)
	}
}

// Deny puts card on the deny list from since.
func (s *MemClearingState) Deny(card CardNumber, since time.Time) { s.m.denied[card] = since }

// Cleared implements ClearingState.
func (s *MemClearingState) Cleared(card CardNumber, ctr uint16) (Record, bool, error) {
	return s.m.Cleared(card, ctr)
}

// Highest implements ClearingState.
func (s *MemClearingState) Highest(card CardNumber) (uint16, bool, error) { return s.m.Highest(card) }

// LastAt implements ClearingState.
func (s *MemClearingState) LastAt(card CardNumber, t TerminalID) (Record, bool, error) {
	return s.m.LastAt(card, t)
}

// Denied implements ClearingState.
func (s *MemClearingState) Denied(card CardNumber) (time.Time, bool, error) { return s.m.Denied(card) }

type cardCounter struct {
	card CardNumber
	ctr  uint16
}

type cardTerminal struct {
	card CardNumber
	term TerminalID
}

// memState holds cleared records in memory, over an optional base: during
// a batch it is the overlay of the records accepted so far on the caller's
// state; alone it is MemClearingState.
type memState struct {
	base    ClearingState
	cleared map[cardCounter]Record
	highest map[CardNumber]uint16
	last    map[cardTerminal]Record
	denied  map[CardNumber]time.Time
}

func newMemState(base ClearingState) *memState {
	return &memState{
		base:    base,
		cleared: map[cardCounter]Record{},
		highest: map[CardNumber]uint16{},
		last:    map[cardTerminal]Record{},
		denied:  map[CardNumber]time.Time{},
	}
}

// add records r as cleared. The caller has checked its counter is free.
func (m *memState) add(r Record) {
	m.cleared[cardCounter{r.Card, r.OfflineCounter}] = r
	if h, ok := m.highest[r.Card]; !ok || r.OfflineCounter > h {
		m.highest[r.Card] = r.OfflineCounter
	}
	k := cardTerminal{r.Card, r.Terminal}
	if l, ok := m.last[k]; !ok || r.TerminalSeq > l.TerminalSeq {
		m.last[k] = r
	}
}

func (m *memState) Cleared(card CardNumber, ctr uint16) (Record, bool, error) {
	if r, ok := m.cleared[cardCounter{card, ctr}]; ok {
		return r, true, nil
	}
	if m.base == nil {
		return Record{}, false, nil
	}
	return m.base.Cleared(card, ctr)
}

func (m *memState) Highest(card CardNumber) (uint16, bool, error) {
	h, ok := m.highest[card]
	if m.base == nil {
		return h, ok, nil
	}
	bh, bok, err := m.base.Highest(card)
	if err != nil || !bok {
		return h, ok, err
	}
	if !ok || bh > h {
		return bh, true, nil
	}
	return h, true, nil
}

func (m *memState) LastAt(card CardNumber, t TerminalID) (Record, bool, error) {
	r, ok := m.last[cardTerminal{card, t}]
	if m.base == nil {
		return r, ok, nil
	}
	br, bok, err := m.base.LastAt(card, t)
	if err != nil || !bok {
		return r, ok, err
	}
	if !ok || br.TerminalSeq > r.TerminalSeq {
		return br, true, nil
	}
	return r, true, nil
}

func (m *memState) Denied(card CardNumber) (time.Time, bool, error) {
	if m.base != nil {
		return m.base.Denied(card)
	}
	since, ok := m.denied[card]
	return since, ok, nil
}
