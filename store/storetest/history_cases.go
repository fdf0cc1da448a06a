package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

// historyFixture commits, one second apart from epoch+1s:
//
//	seq 1  world → alice 1000
//	seq 2  alice → bob 100
//	seq 3  world → bob 50
//	seq 4  hold alice → bob 200
//	seq 5  void of seq 4
//	seq 6  alice → bob 50
//
// and then, both at epoch+7s, seq 7 alice → bob 10 and seq 8 alice → bob 20.
type historyFixture struct {
	*fixture
	w, alice, bob ledger.Account
}

func newHistoryFixture(t *testing.T, open opener) *historyFixture {
	t.Helper()
	f := newFixture(t, open)
	h := &historyFixture{fixture: f, w: f.world(money.CNY), alice: f.wallet("alice", money.CNY), bob: f.wallet("bob", money.CNY)}
	for _, tr := range []ledger.Transfer{
		ledger.Move("1", "topup", h.w.ID, h.alice.ID, 1000),
		ledger.Move("2", "p2p", h.alice.ID, h.bob.ID, 100),
		ledger.Move("3", "topup", h.w.ID, h.bob.ID, 50),
		{ID: "4", Type: ledger.Hold, Postings: []ledger.Posting{leg(h.alice, -200), leg(h.bob, 200)}},
		void("5", "4"),
		ledger.Move("6", "p2p", h.alice.ID, h.bob.ID, 50),
	} {
		f.clock.Advance(time.Second)
		f.transfer(tr)
	}
	f.clock.Advance(time.Second)
	f.move("7", h.alice.ID, h.bob.ID, 10)
	f.move("8", h.alice.ID, h.bob.ID, 20)
	return h
}

func testHistory(t *testing.T, open opener) {
	t.Run("NewestFirst", func(t *testing.T) {
		h := newHistoryFixture(t, open)
		a, b := h.alice.ID, h.bob.ID
		for _, tc := range []struct {
			name    string
			account ledger.AccountID
			want    []ledger.Entry
		}{
			{"Alice", a, []ledger.Entry{
				{Account: a, Seq: 8, Amount: -20, Balance: 820},
				{Account: a, Seq: 7, Amount: -10, Balance: 840},
				{Account: a, Seq: 6, Amount: -50, Balance: 850},
				{Account: a, Seq: 5, HeldDelta: -200, Balance: 900},
				{Account: a, Seq: 4, HeldDelta: 200, Balance: 900, HeldAfter: 200},
				{Account: a, Seq: 2, Amount: -100, Balance: 900},
				{Account: a, Seq: 1, Amount: 1000, Balance: 1000},
			}},
			// A hold's credit side has no entry until it is posted.
			{"Bob", b, []ledger.Entry{
				{Account: b, Seq: 8, Amount: 20, Balance: 230},
				{Account: b, Seq: 7, Amount: 10, Balance: 210},
				{Account: b, Seq: 6, Amount: 50, Balance: 200},
				{Account: b, Seq: 3, Amount: 50, Balance: 150},
				{Account: b, Seq: 2, Amount: 100, Balance: 100},
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := h.l.History(h.ctx, tc.account, 0, 100)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("history:\n got  %+v\n want %+v", got, tc.want)
				}
			})
		}
		h.balance(h.alice.ID, 820, 0)
		h.balance(h.bob.ID, 230, 0)
		h.balance(h.w.ID, -1050, 0)
	})

	t.Run("Pages", func(t *testing.T) {
		h := newHistoryFixture(t, open)
		for _, tc := range []struct {
			before int64
			limit  int
			want   []int64 // seqs
		}{
			{0, 3, []int64{8, 7, 6}},
			{6, 3, []int64{5, 4, 2}},
			{2, 3, []int64{1}},
			{1, 3, nil},
			{5, 1, []int64{4}},
			{3, 1000, []int64{2, 1}},
			{100, 2, []int64{8, 7}},
		} {
			got, err := h.l.History(h.ctx, h.alice.ID, tc.before, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			var seqs []int64
			for _, e := range got {
				seqs = append(seqs, e.Seq)
			}
			if !slices.Equal(seqs, tc.want) {
				t.Errorf("History(before %d, limit %d): seqs %v, want %v", tc.before, tc.limit, seqs, tc.want)
			}
		}
	})

	t.Run("Empty", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.wallet("alice", money.CNY)
		got, err := f.l.History(f.ctx, a.ID, 0, 10)
		if err != nil || len(got) != 0 {
			t.Fatalf("History of a new account = %v, %v; want none", got, err)
		}
	})

	t.Run("BadLimit", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.wallet("alice", money.CNY)
		for _, limit := range []int{0, -1, 1001} {
			_, err := f.l.History(f.ctx, a.ID, 0, limit)
			wantCode(t, err, ledger.CodeInvalid)
		}
	})

	t.Run("BalanceAtSeq", func(t *testing.T) {
		h := newHistoryFixture(t, open)
		for _, tc := range []struct {
			account      ledger.AccountID
			seq          int64
			posted, held int64
		}{
			{h.alice.ID, 0, 0, 0},
			{h.alice.ID, 1, 1000, 0},
			{h.alice.ID, 2, 900, 0},
			{h.alice.ID, 3, 900, 0}, // no entry at 3: as after 2
			{h.alice.ID, 4, 900, 200},
			{h.alice.ID, 5, 900, 0},
			{h.alice.ID, 6, 850, 0},
			{h.alice.ID, 8, 820, 0},
			{h.alice.ID, 1000, 820, 0},
			{h.bob.ID, 1, 0, 0}, // before bob's first entry
			{h.bob.ID, 3, 150, 0},
			{h.bob.ID, 5, 150, 0},
			{h.w.ID, 3, -1050, 0},
		} {
			posted, held, err := h.l.BalanceAtSeq(h.ctx, tc.account, tc.seq)
			if err != nil || posted != tc.posted || held != tc.held {
				t.Errorf("BalanceAtSeq(%d, %d) = %d, %d, %v; want %d, %d", tc.account, tc.seq, posted, held, err, tc.posted, tc.held)
			}
		}
		_, _, err := h.l.BalanceAtSeq(h.ctx, h.bob.ID+1000, 3)
		wantCode(t, err, ledger.CodeNotFound)
	})

	t.Run("BalanceAt", func(t *testing.T) {
		h := newHistoryFixture(t, open)
		for _, tc := range []struct {
			at           time.Time
			posted, held int64
		}{
			{epoch.AddDate(-1, 0, 0), 0, 0},
			{epoch, 0, 0}, // before the first transfer
			{epoch.Add(time.Second - time.Microsecond), 0, 0},
			{epoch.Add(time.Second), 1000, 0}, // the first transfer's own time
			{epoch.Add(1500 * time.Millisecond), 1000, 0},
			{epoch.Add(4 * time.Second), 900, 200},
			{epoch.Add(5*time.Second - time.Microsecond), 900, 200},
			{epoch.Add(5 * time.Second), 900, 0},
			{epoch.Add(7 * time.Second), 820, 0}, // both transfers at that instant
			{epoch.AddDate(1, 0, 0), 820, 0},
		} {
			posted, held, err := h.l.BalanceAt(h.ctx, h.alice.ID, tc.at)
			if err != nil || posted != tc.posted || held != tc.held {
				t.Errorf("BalanceAt(%s) = %d, %d, %v; want %d, %d", tc.at, posted, held, err, tc.posted, tc.held)
			}
		}
	})

	t.Run("BalanceAtEmptyLedger", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.wallet("alice", money.CNY)
		posted, held, err := f.l.BalanceAt(f.ctx, a.ID, epoch)
		if err != nil || posted != 0 || held != 0 {
			t.Errorf("BalanceAt on an empty ledger = %d, %d, %v; want 0, 0", posted, held, err)
		}
	})
}

func testHistoryLookups(t *testing.T, open opener) {
	t.Run("TransfersBySeq", func(t *testing.T) {
		h := newHistoryFixture(t, open)
		got, err := h.l.TransfersBySeq(t.Context(), []int64{6, 2, 99, 2, 4})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, tr := range got {
			ids = append(ids, tr.ID)
			if tr.Hash == ([32]byte{}) || tr.Time.IsZero() {
				t.Errorf("transfer %s lacks its committed hash or time", tr.ID)
			}
		}
		if want := []string{"2", "4", "6"}; !slices.Equal(ids, want) {
			t.Fatalf("ids = %v, want %v", ids, want)
		}
	})
	t.Run("Holds", func(t *testing.T) {
		h := newHistoryFixture(t, open)
		got, err := h.l.Holds(t.Context(), []string{"4", "nope"})
		if err != nil {
			t.Fatal(err)
		}
		hs, ok := got["4"]
		if len(got) != 1 || !ok {
			t.Fatalf("holds = %v, want only 4", got)
		}
		if hs.Status != ledger.HoldVoided || hs.Seq != 4 || hs.ResolvedBy != 5 || len(hs.Postings) != 2 {
			t.Fatalf("hold 4 = %+v, want voided at seq 4 by 5 with 2 postings", hs)
		}
	})
}
