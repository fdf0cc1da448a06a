package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"
)

var timeZero time.Time

// locateEntry finds the first entry of account id that differs from what the
// journal implies, so Verify can name the row. It runs only after a digest
// mismatch, so it may afford a second scan.
func locateEntry(ctx context.Context, store Store, id AccountID) (*Violation, error) {
	c := &entryCollector{verifier: newVerifier(), id: id}
	if err := store.Scan(ctx, c); err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	var stored []Entry
	for before := int64(0); ; {
		page, err := store.History(ctx, id, before, 1000)
		if err != nil {
			return nil, err
		}
		stored = append(stored, page...)
		if len(page) < 1000 {
			break
		}
		before = page[len(page)-1].Seq
	}
	// History is newest first; the journal's entries are oldest first.
	for i, j := 0, len(stored)-1; i < j; i, j = i+1, j-1 {
		stored[i], stored[j] = stored[j], stored[i]
	}
	for i := 0; i < max(len(stored), len(c.want)); i++ {
		switch {
		case i >= len(stored):
			return &Violation{Invariant: "entries", Table: "entries", Row: fmt.Sprintf("account %d seq %d", id, c.want[i].Seq), Message: "entry is missing"}, nil
		case i >= len(c.want):
			return &Violation{Invariant: "entries", Table: "entries", Row: fmt.Sprintf("account %d seq %d", id, stored[i].Seq), Message: "entry has no transfer in the journal"}, nil
		case stored[i] != c.want[i]:
			w := c.want[i]
			return &Violation{Invariant: "entries", Table: "entries", Row: fmt.Sprintf("account %d seq %d", id, stored[i].Seq),
				Message: fmt.Sprintf("stored %+v, the journal gives change %d (held %d) to %d (held %d) at seq %d", stored[i], w.Amount, w.HeldDelta, w.Balance, w.HeldAfter, w.Seq)}, nil
		}
	}
	return nil, nil
}

// entryCollector replays the journal and keeps the entries of one account.
type entryCollector struct {
	*verifier
	id   AccountID
	want []Entry
}

func (c *entryCollector) Transfer(t *Transfer) error {
	if err := c.verifier.Transfer(t); err != nil {
		return err
	}
	for _, e := range c.st.out.Entries {
		if e.Account == c.id {
			c.want = append(c.want, e)
		}
	}
	return nil
}

func (c *entryCollector) Entry(Entry) error { return errStop }
