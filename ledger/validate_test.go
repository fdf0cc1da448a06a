package ledger_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/store/sqlite"
)

// TestSubmitRefusesMalformed checks requests that must never reach storage:
// amounts whose negation leaves int64, text the backends cannot store byte
// for byte, deadlines outside the range times are kept in, and transfers
// only the ledger's sweeper may issue.
func TestSubmitRefusesMalformed(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l := ledger.New(db, ledger.Options{})
	t.Cleanup(func() { l.Close() })
	as, err := l.CreateAccounts(ctx, []ledger.AccountSpec{{Name: "a", Currency: money.CNY}, {Name: "b", Currency: money.CNY}, {Name: "c", Currency: money.CNY}})
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := as[0].ID, as[1].ID, as[2].ID
	move := func(id string) ledger.Transfer { return ledger.Move(id, "p2p", a, b, 100) }
	tests := []struct {
		name string
		tr   ledger.Transfer
	}{
		{"MinInt64Amount", ledger.Transfer{ID: "x1", Type: ledger.Posted, Postings: []ledger.Posting{{a, math.MinInt64}, {b, math.MaxInt64}, {c, 1}}}},
		{"AmountAboveMax", ledger.Move("x2", "p2p", a, b, ledger.MaxPostingAmount+1)},
		{"PostMinInt64", ledger.Transfer{ID: "x3", Type: ledger.Post, HoldID: "h", Postings: []ledger.Posting{{a, math.MinInt64}, {b, math.MaxInt64}, {c, 1}}}},
		{"IDWithNUL", move("bad\x00id")},
		{"IDInvalidUTF8", move("bad\xffid")},
		{"KindInvalidUTF8", ledger.Transfer{ID: "x4", Type: ledger.Posted, Kind: "\xfe", Postings: []ledger.Posting{{a, -1}, {b, 1}}}},
		{"HoldIDWithNUL", ledger.Transfer{ID: "x5", Type: ledger.Void, HoldID: "h\x00"}},
		{"MetadataInvalidUTF8", ledger.Transfer{ID: "x6", Type: ledger.Posted, Postings: []ledger.Posting{{a, -1}, {b, 1}}, Metadata: map[string]string{"note": "\xff\xfe"}}},
		{"DeadlineAt1970", ledger.Transfer{ID: "x7", Type: ledger.Hold, Postings: []ledger.Posting{{a, -1}, {b, 1}}, ExpiresAt: time.Unix(0, 0)}},
		{"DeadlineIn2300", ledger.Transfer{ID: "x8", Type: ledger.Hold, Postings: []ledger.Posting{{a, -1}, {b, 1}}, ExpiresAt: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"ExpireFromCaller", ledger.Transfer{ID: "x9", Type: ledger.Expire, HoldID: "h"}},
		{"ReservedPrefix", move("expire:h")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := l.Transfer(ctx, tt.tr)
			if got := ledger.ErrorCode(err); got != ledger.CodeInvalid {
				t.Fatalf("error %v (code %q), want %q", err, got, ledger.CodeInvalid)
			}
		})
	}
	// None of them moved money, and a good neighbour in the same call commits.
	out := l.Submit(ctx, []ledger.Transfer{move("bad\x00id"), move("good")})
	if ledger.ErrorCode(out[0].Err) != ledger.CodeInvalid || out[1].Err != nil {
		t.Fatalf("outcomes %+v, want the bad one refused and the good one committed", out)
	}
	r, err := l.Verify(ctx)
	if err != nil || !r.OK || r.TransfersChecked != 1 {
		t.Fatalf("verify %+v %v: want ok with exactly 1 transfer", r, err)
	}
	if acc, _ := l.Account(ctx, b); acc.Posted != 100 {
		t.Fatalf("b posted %d, want 100", acc.Posted)
	}
}

// TestSubmitWithEndedContext: a caller whose context has already ended gets
// its error and queues nothing, so nothing commits behind its back.
func TestSubmitWithEndedContext(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l := ledger.New(db, ledger.Options{})
	t.Cleanup(func() { l.Close() })
	as, err := l.CreateAccounts(context.Background(), []ledger.AccountSpec{{Name: "a", Currency: money.CNY}, {Name: "b", Currency: money.CNY}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Transfer(ctx, ledger.Move("late", "p2p", as[0].ID, as[1].ID, 5)); err != context.Canceled {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	// The queue is first in, first out: once a later transfer has
	// committed, a queued "late" would have committed before it.
	if _, err := l.Transfer(context.Background(), ledger.Move("after", "p2p", as[0].ID, as[1].ID, 5)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.GetTransfer(context.Background(), "late"); ledger.ErrorCode(err) != ledger.CodeNotFound {
		t.Fatalf("GetTransfer after a cancelled submit: %v, want not found", err)
	}
}
