package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/store/sqlite"
)

// staleSnapshots is the SQLite store with callers' ID look-ups frozen at an
// earlier write version: every look-up says "unused as of version", the way
// a caller whose look-up ran just before someone else committed its ID
// would see it.
type staleSnapshots struct {
	*sqlite.DB
	version atomic.Int64
	calls   atomic.Int64
}

func (s *staleSnapshots) SnapshotPriors(ctx context.Context, ids []string) (int64, map[string]bool, error) {
	s.calls.Add(1)
	return s.version.Load(), nil, nil
}

// freeze makes every later look-up report the write version of now.
func (s *staleSnapshots) freeze(tb testing.TB) {
	tb.Helper()
	v, _, err := s.DB.SnapshotPriors(context.Background(), []string{"any"})
	if err != nil {
		tb.Fatal(err)
	}
	s.version.Store(v)
}

type snapFixture struct {
	tb           testing.TB
	db           *sqlite.DB
	world, alice ledger.Account
}

func newSnapFixture(tb testing.TB) *snapFixture {
	tb.Helper()
	ctx := context.Background()
	db := MustOpenDB(tb, filepath.Join(tb.TempDir(), "ledger.db"))
	l := ledger.New(db, ledger.Options{})
	defer l.Close()
	f := &snapFixture{tb: tb, db: db}
	var err error
	if f.world, err = l.CreateAccount(ctx, ledger.AccountSpec{Name: "world", Currency: money.CNY, Flags: ledger.NoPositive}); err != nil {
		tb.Fatal(err)
	}
	if f.alice, err = l.CreateAccount(ctx, ledger.AccountSpec{Name: "alice", Currency: money.CNY, Flags: ledger.NoNegative}); err != nil {
		tb.Fatal(err)
	}
	return f
}

func (f *snapFixture) posted(l *ledger.Ledger, id ledger.AccountID) int64 {
	f.tb.Helper()
	a, err := l.Account(context.Background(), id)
	if err != nil {
		f.tb.Fatal(err)
	}
	return a.Posted
}

func (f *snapFixture) verify(l *ledger.Ledger) {
	f.tb.Helper()
	r, err := l.Verify(context.Background())
	if err != nil || !r.OK {
		f.tb.Fatalf("verify: %+v, %v", r, err)
	}
}

// An ID committed after a caller's look-up and before its batch: the
// writer's memory of recent batches answers, exactly as the database would.
func TestSnapshotPriors(t *testing.T) {
	ctx := context.Background()

	t.Run("CommittedAfterLookup", func(t *testing.T) {
		f := newSnapFixture(t)
		s := &staleSnapshots{DB: f.db}
		s.freeze(t)
		l := ledger.New(s, ledger.Options{})
		defer l.Close()
		first, err := l.Transfer(ctx, ledger.Move("x", "topup", f.world.ID, f.alice.ID, 100))
		if err != nil || first.Replayed {
			t.Fatalf("first: %+v, %v", first, err)
		}
		// Every later look-up still says "x unused".
		again, err := l.Transfer(ctx, ledger.Move("x", "topup", f.world.ID, f.alice.ID, 100))
		if err != nil || !again.Replayed || again.Transfer.Seq != first.Transfer.Seq || again.Transfer.Hash != first.Transfer.Hash {
			t.Fatalf("retry: %+v, %v; want the first result replayed", again, err)
		}
		_, err = l.Transfer(ctx, ledger.Move("x", "topup", f.world.ID, f.alice.ID, 101))
		if ledger.ErrorCode(err) != ledger.CodeIdempotencyConflict {
			t.Fatalf("different transfer, same id: %v; want %s", err, ledger.CodeIdempotencyConflict)
		}
		if s.calls.Load() != 3 {
			t.Fatalf("%d look-ups before queueing, want 3", s.calls.Load())
		}
		if got := f.posted(l, f.alice.ID); got != 100 {
			t.Fatalf("alice has %d, want 100", got)
		}
		f.verify(l)
	})

	t.Run("RefusalAfterLookup", func(t *testing.T) {
		f := newSnapFixture(t)
		s := &staleSnapshots{DB: f.db}
		s.freeze(t)
		l := ledger.New(s, ledger.Options{})
		defer l.Close()
		_, err := l.Transfer(ctx, ledger.Move("r", "p2p", f.alice.ID, f.world.ID, 5))
		if ledger.ErrorCode(err) != ledger.CodeInsufficientFunds {
			t.Fatalf("first: %v; want %s", err, ledger.CodeInsufficientFunds)
		}
		if _, err := l.Transfer(ctx, ledger.Move("fund", "topup", f.world.ID, f.alice.ID, 10)); err != nil {
			t.Fatal(err)
		}
		// Funded now, but the refusal is remembered under its ID.
		_, err = l.Transfer(ctx, ledger.Move("r", "p2p", f.alice.ID, f.world.ID, 5))
		if ledger.ErrorCode(err) != ledger.CodeInsufficientFunds {
			t.Fatalf("retry: %v; want the remembered %s", err, ledger.CodeInsufficientFunds)
		}
		_, err = l.Transfer(ctx, ledger.Move("r", "p2p", f.alice.ID, f.world.ID, 6))
		if ledger.ErrorCode(err) != ledger.CodeIdempotencyConflict {
			t.Fatalf("different transfer, same id: %v; want %s", err, ledger.CodeIdempotencyConflict)
		}
		// A refusal the caller asked not to remember is not: the ID stays free.
		forget := ledger.Move("f", "payment", f.alice.ID, f.world.ID, 50)
		forget.ForgetRefusal = true
		if _, err := l.Transfer(ctx, forget); ledger.ErrorCode(err) != ledger.CodeInsufficientFunds {
			t.Fatalf("forgotten refusal: %v", err)
		}
		if _, err := l.Transfer(ctx, ledger.Move("fund2", "topup", f.world.ID, f.alice.ID, 50)); err != nil {
			t.Fatal(err)
		}
		if res, err := l.Transfer(ctx, forget); err != nil || res.Replayed {
			t.Fatalf("after top-up: %+v, %v; want committed", res, err)
		}
		if got := f.posted(l, f.alice.ID); got != 10 {
			t.Fatalf("alice has %d, want 10", got)
		}
		f.verify(l)
	})

	// A new writer (a restart) remembers nothing: look-ups older than its
	// first batch go to the database.
	t.Run("Restart", func(t *testing.T) {
		f := newSnapFixture(t)
		s := &staleSnapshots{DB: f.db}
		s.freeze(t)
		l1 := ledger.New(s, ledger.Options{})
		first, err := l1.Transfer(ctx, ledger.Move("x", "topup", f.world.ID, f.alice.ID, 7))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l1.Transfer(ctx, ledger.Move("r", "p2p", f.alice.ID, f.world.ID, 100)); ledger.ErrorCode(err) != ledger.CodeInsufficientFunds {
			t.Fatalf("refusal: %v", err)
		}
		l1.Close()
		l2 := ledger.New(s, ledger.Options{})
		defer l2.Close()
		again, err := l2.Transfer(ctx, ledger.Move("x", "topup", f.world.ID, f.alice.ID, 7))
		if err != nil || !again.Replayed || again.Transfer.Seq != first.Transfer.Seq {
			t.Fatalf("after restart: %+v, %v", again, err)
		}
		if _, err := l2.Transfer(ctx, ledger.Move("r", "p2p", f.alice.ID, f.world.ID, 100)); ledger.ErrorCode(err) != ledger.CodeInsufficientFunds {
			t.Fatalf("refusal after restart: %v", err)
		}
		f.verify(l2)
	})

	// Another writer on the same file stores a refusal, which does not move
	// the head's seq: the write version still tells this writer that its
	// memory is not the whole story.
	t.Run("OtherWriter", func(t *testing.T) {
		f := newSnapFixture(t)
		s := &staleSnapshots{DB: f.db}
		l1 := ledger.New(s, ledger.Options{})
		defer l1.Close()
		other := MustOpenDB(t, f.db.Path())
		l2 := ledger.New(other, ledger.Options{})
		defer l2.Close()
		if _, err := l1.Transfer(ctx, ledger.Move("a", "topup", f.world.ID, f.alice.ID, 1)); err != nil {
			t.Fatal(err)
		}
		s.freeze(t) // "y" unused as of here, and l1's memory is current
		if _, err := l2.Transfer(ctx, ledger.Move("y", "p2p", f.alice.ID, f.world.ID, 100)); ledger.ErrorCode(err) != ledger.CodeInsufficientFunds {
			t.Fatalf("other writer: %v", err)
		}
		if _, err := l2.Transfer(ctx, ledger.Move("top", "topup", f.world.ID, f.alice.ID, 1000)); err != nil {
			t.Fatal(err)
		}
		s.freeze(t)
		if _, err := l2.Transfer(ctx, ledger.Move("z", "p2p", f.alice.ID, f.world.ID, 5000)); ledger.ErrorCode(err) != ledger.CodeInsufficientFunds {
			t.Fatalf("other writer: %v", err)
		}
		// l1 learns of "y" and "z" from the database, not from a stale look-up.
		for _, id := range []string{"y", "z"} {
			if _, err := l1.Transfer(ctx, ledger.Move(id, "p2p", f.alice.ID, f.world.ID, map[string]int64{"y": 100, "z": 5000}[id])); ledger.ErrorCode(err) != ledger.CodeInsufficientFunds {
				t.Fatalf("%s through the first writer: %v; want the remembered refusal", id, err)
			}
		}
		f.verify(l1)
	})

	// 32 goroutines send one ID at once while other transfers keep batches
	// committing; each duplicate's look-up predates the first commit.
	t.Run("ConcurrentDuplicates", func(t *testing.T) {
		f := newSnapFixture(t)
		s := &staleSnapshots{DB: f.db}
		s.freeze(t)
		l := ledger.New(s, ledger.Options{})
		defer l.Close()
		const rounds, dups, others = 20, 32, 16
		for round := range rounds {
			id := fmt.Sprintf("dup-%d", round)
			var wg sync.WaitGroup
			var mu sync.Mutex
			var fresh int
			seqs := map[int64]bool{}
			start := make(chan struct{})
			for range dups {
				wg.Go(func() {
					<-start
					res, err := l.Transfer(ctx, ledger.Move(id, "topup", f.world.ID, f.alice.ID, 3))
					if err != nil {
						t.Errorf("%s: %v", id, err)
						return
					}
					mu.Lock()
					defer mu.Unlock()
					if !res.Replayed {
						fresh++
					}
					seqs[res.Transfer.Seq] = true
				})
			}
			for o := range others {
				wg.Go(func() {
					<-start
					if _, err := l.Transfer(ctx, ledger.Move(fmt.Sprintf("other-%d-%d", round, o), "topup", f.world.ID, f.alice.ID, 1)); err != nil {
						t.Errorf("other: %v", err)
					}
				})
			}
			close(start)
			wg.Wait()
			if fresh != 1 || len(seqs) != 1 {
				t.Fatalf("%s: %d committed, %d distinct seqs; want 1 and 1", id, fresh, len(seqs))
			}
		}
		if got, want := f.posted(l, f.alice.ID), int64(rounds*(3+others)); got != want {
			t.Fatalf("alice has %d, want %d", got, want)
		}
		f.verify(l)
	})
}

// The real look-up, before and after an ID is used, and the write version
// advancing with every batch that stored anything, refusals alone included.
func TestSnapshotPriorsVersion(t *testing.T) {
	ctx := context.Background()
	f := newSnapFixture(t)
	l := ledger.New(f.db, ledger.Options{})
	defer l.Close()
	v0, used, err := f.db.SnapshotPriors(ctx, []string{"x"})
	if err != nil || used["x"] {
		t.Fatalf("before: %v, %v", used, err)
	}
	if _, err := l.Transfer(ctx, ledger.Move("x", "topup", f.world.ID, f.alice.ID, 1)); err != nil {
		t.Fatal(err)
	}
	v1, used, err := f.db.SnapshotPriors(ctx, []string{"x"})
	if err != nil || !used["x"] || v1 != v0+1 {
		t.Fatalf("after a transfer: v%d→v%d, %v, %v", v0, v1, used, err)
	}
	if _, err := l.Transfer(ctx, ledger.Move("r", "p2p", f.alice.ID, f.world.ID, 9)); ledger.ErrorCode(err) != ledger.CodeInsufficientFunds {
		t.Fatalf("refusal: %v", err)
	}
	v2, used, err := f.db.SnapshotPriors(ctx, []string{"x", "r", "new"})
	if err != nil || !used["x"] || !used["r"] || used["new"] || v2 != v1+1 {
		t.Fatalf("after a refusal: v%d→v%d, %v, %v", v1, v2, used, err)
	}
	// A replay stores nothing and leaves the version.
	if _, err := l.Transfer(ctx, ledger.Move("x", "topup", f.world.ID, f.alice.ID, 1)); err != nil {
		t.Fatal(err)
	}
	if v3, _, err := f.db.SnapshotPriors(ctx, []string{"x"}); err != nil || v3 != v2 {
		t.Fatalf("after a replay: v%d→v%d, %v", v2, v3, err)
	}
}
