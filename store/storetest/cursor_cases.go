package storetest

import (
	"context"
	"sync"
	"testing"
)

// cursorStore is the part of merchant.Store that follows the journal.
type cursorStore interface {
	Cursor(ctx context.Context, name string) (int64, error)
	AdvanceCursor(ctx context.Context, name string, seq int64) error
}

// testCursors checks that a cursor starts at 0, moves forward only, even
// with writers racing, and that cursors are independent by name.
func testCursors(t *testing.T, open walletOpener) {
	s, ok := open(t).(cursorStore)
	if !ok {
		t.Fatal("the wallet store keeps no journal cursors")
	}
	ctx := t.Context()
	get := func(name string) int64 {
		t.Helper()
		n, err := s.Cursor(ctx, name)
		must(t, "read cursor", err)
		return n
	}
	if n := get("a"); n != 0 {
		t.Fatalf("new cursor at %d, want 0", n)
	}
	must(t, "advance", s.AdvanceCursor(ctx, "a", 10))
	must(t, "advance back", s.AdvanceCursor(ctx, "a", 7))
	if n := get("a"); n != 10 {
		t.Fatalf("cursor at %d after 10 then 7, want 10", n)
	}
	if n := get("b"); n != 0 {
		t.Fatalf("another cursor at %d, want 0", n)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			if err := s.AdvanceCursor(ctx, "b", int64(100-i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := get("b"); n != 100 {
		t.Fatalf("cursor at %d after racing writers, highest 100", n)
	}
}
