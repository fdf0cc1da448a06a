package storetest

import (
	"slices"
	"testing"

	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/purse"
	"github.com/ewallet/ewallet/wallet"
)

// testEpurse checks the e-purse tables: cards through loss and refund and
// the deny list, one pending load per card, terminals, and cleared records
// with their look-ups, de-duplicated on (card, counter).
func testEpurse(t *testing.T, open walletOpener) {
	s, ok := open(t).(purse.Store)
	if !ok {
		t.Fatal("the wallet store keeps no e-purse cards")
	}
	ctx := t.Context()
	t.Run("Cards", func(t *testing.T) {
		a := purse.Card{ID: "epc_00000000000000a1", UserID: "usr_1", WalletID: "wal_1", Currency: money.CNY, Status: purse.CardActive,
			CreatedAt: wat(0), UpdatedAt: wat(0)}
		b := a
		b.ID, b.CreatedAt = "epc_00000000000000b2", wat(1)
		must(t, "create a", s.CreateEpurseCard(ctx, a))
		must(t, "create b", s.CreateEpurseCard(ctx, b))
		if err := s.CreateEpurseCard(ctx, a); err == nil {
			t.Fatal("a card created twice")
		}
		got, err := s.EpurseCard(ctx, a.ID)
		must(t, "read", err)
		if got != a {
			t.Fatalf("read %+v, want %+v", got, a)
		}
		if _, err := s.EpurseCard(ctx, "epc_missing"); wallet.ErrorCode(err) != wallet.CodeNotFound {
			t.Fatalf("missing card: %v, want not_found", err)
		}
		list, err := s.EpurseCards(ctx, "usr_1")
		must(t, "list", err)
		if len(list) != 2 || list[0].ID != b.ID || list[1].ID != a.ID {
			t.Fatalf("list %+v, want b then a", list)
		}
		lost, changed, err := s.ReportEpurseCardLost(ctx, a.ID, wat(10), wat(20))
		must(t, "report lost", err)
		if !changed || lost.Status != purse.CardLost || !lost.DeniedAt.Equal(wat(10)) || !lost.RefundAt.Equal(wat(20)) {
			t.Fatalf("lost %+v changed %v", lost, changed)
		}
		again, changed, err := s.ReportEpurseCardLost(ctx, a.ID, wat(11), wat(21))
		must(t, "report again", err)
		if changed || !again.DeniedAt.Equal(wat(10)) {
			t.Fatalf("second report changed the card: %+v", again)
		}
		due, err := s.EpurseCardsDue(ctx, wat(19), 10)
		must(t, "due before", err)
		if len(due) != 0 {
			t.Fatalf("due before the window: %+v", due)
		}
		due, err = s.EpurseCardsDue(ctx, wat(20), 10)
		must(t, "due", err)
		if len(due) != 1 || due[0].ID != a.ID {
			t.Fatalf("due %+v, want a", due)
		}
		deny, err := s.DenyList(ctx)
		must(t, "deny list", err)
		if len(deny) != 1 || deny[0].CardID != a.ID || !deny[0].Since.Equal(wat(10)) {
			t.Fatalf("deny list %+v", deny)
		}
		must(t, "refunded", s.MarkEpurseCardRefunded(ctx, a.ID, 1234, wat(30)))
		got, err = s.EpurseCard(ctx, a.ID)
		must(t, "read refunded", err)
		if got.Status != purse.CardRefunded || got.Refunded != 1234 {
			t.Fatalf("refunded card %+v", got)
		}
		if due, _ := s.EpurseCardsDue(ctx, wat(100), 10); len(due) != 0 {
			t.Fatalf("a refunded card is still due: %+v", due)
		}
		if deny, _ := s.DenyList(ctx); len(deny) != 1 {
			t.Fatalf("a refunded card left the deny list: %+v", deny)
		}
		ok, err := s.BlockEpurseCard(ctx, b.ID, wat(40))
		must(t, "block", err)
		if !ok {
			t.Fatal("an active card was not blocked")
		}
		if ok, _ := s.BlockEpurseCard(ctx, b.ID, wat(50)); ok {
			t.Fatal("a blocked card blocked again")
		}
		if ok, _ := s.BlockEpurseCard(ctx, a.ID, wat(50)); ok {
			t.Fatal("a refunded card blocked")
		}
		got, err = s.EpurseCard(ctx, b.ID)
		must(t, "read blocked", err)
		if got.Status != purse.CardBlocked || !got.DeniedAt.Equal(wat(40)) {
			t.Fatalf("blocked card %+v", got)
		}
		if deny, _ := s.DenyList(ctx); len(deny) != 2 || deny[1].CardID != b.ID {
			t.Fatalf("deny list with the blocked card: %+v", deny)
		}
		if due, _ := s.EpurseCardsDue(ctx, wat(1e6), 10); len(due) != 0 {
			t.Fatalf("a blocked card is due a refund: %+v", due)
		}
	})
	t.Run("Loads", func(t *testing.T) {
		l := purse.Load{ID: "epl_1", CardID: "epc_1", UserID: "usr_1", OnlineCounter: 7, Random: [4]byte{1, 2, 3, 4}, Amount: 5000,
			BalanceBefore: 100, Terminal: [6]byte{9, 8, 7, 6, 5, 4}, Time: 1_800_000_000, MAC2: [8]byte{1, 1, 2, 3, 5, 8, 13, 21},
			TransferID: "epurse:load:epl_1", Status: purse.LoadPending, CreatedAt: wat(0), UpdatedAt: wat(0)}
		ok, err := s.CreateEpurseLoad(ctx, l)
		must(t, "create", err)
		if !ok {
			t.Fatal("first load not created")
		}
		other := l
		other.ID = "epl_2"
		if ok, err := s.CreateEpurseLoad(ctx, other); err != nil || ok {
			t.Fatalf("a second pending load of the card: ok %v err %v", ok, err)
		}
		if ok, err := s.CreateEpurseLoad(ctx, l); err != nil || ok {
			t.Fatalf("the same load twice: ok %v err %v", ok, err)
		}
		p, found, err := s.PendingEpurseLoad(ctx, "epc_1")
		must(t, "pending", err)
		if !found || p != l {
			t.Fatalf("pending %+v found %v, want %+v", p, found, l)
		}
		if ok, err := s.FinishEpurseLoad(ctx, l.ID, purse.LoadCompleted, wat(5)); err != nil || !ok {
			t.Fatalf("finish: ok %v err %v", ok, err)
		}
		if ok, err := s.FinishEpurseLoad(ctx, l.ID, purse.LoadReversed, wat(6)); err != nil || ok {
			t.Fatalf("finished twice: ok %v err %v", ok, err)
		}
		if _, found, _ := s.PendingEpurseLoad(ctx, "epc_1"); found {
			t.Fatal("still pending after finishing")
		}
		if ok, err := s.CreateEpurseLoad(ctx, other); err != nil || !ok {
			t.Fatalf("the next load after finishing: ok %v err %v", ok, err)
		}
		got, err := s.EpurseLoad(ctx, l.ID)
		must(t, "read", err)
		if got.Status != purse.LoadCompleted || !got.UpdatedAt.Equal(wat(5)) {
			t.Fatalf("read %+v", got)
		}
	})
	t.Run("Terminals", func(t *testing.T) {
		a := purse.Terminal{ID: "trm_0000000000a1", MerchantID: "mch_1", Name: "Gate 1", Currency: money.CNY, CreatedAt: wat(0)}
		b := purse.Terminal{ID: "trm_0000000000b2", MerchantID: "mch_1", Name: "Gate 2", Currency: money.CNY, CreatedAt: wat(1)}
		must(t, "create a", s.CreateTerminal(ctx, a))
		must(t, "create b", s.CreateTerminal(ctx, b))
		got, err := s.Terminal(ctx, a.ID)
		must(t, "read", err)
		if got != a {
			t.Fatalf("read %+v, want %+v", got, a)
		}
		list, err := s.Terminals(ctx, "mch_1")
		must(t, "list", err)
		if len(list) != 2 || list[0] != b || list[1] != a {
			t.Fatalf("list %+v", list)
		}
		if list, _ := s.Terminals(ctx, "mch_2"); len(list) != 0 {
			t.Fatalf("another merchant's list %+v", list)
		}
	})
	t.Run("Cleared", func(t *testing.T) {
		rec := func(ctr uint16, term byte, seq uint32) purse.Cleared {
			return purse.Cleared{CardID: "epc_c", Counter: ctr, Terminal: [6]byte{0, 0, 0, 0, 0, term}, TerminalSeq: seq,
				Amount: int64(100 + ctr), Time: 1_800_000_000 + uint32(ctr), TAC: [8]byte{byte(ctr), 2, 3, 4, 5, 6, 7, term},
				TransferID: "t", ClearedAt: wat(0)}
		}
		if _, ok, err := s.HighestCleared(ctx, "epc_c"); err != nil || ok {
			t.Fatalf("highest of a card with nothing cleared: ok %v err %v", ok, err)
		}
		var many []purse.Cleared
		for c := range uint16(150) { // more than one INSERT's worth
			if c != 3 && c != 4 {
				many = append(many, rec(c, byte(1+c%2), uint32(c)))
			}
		}
		must(t, "put", s.PutCleared(ctx, many))
		dup := rec(0, 9, 99) // same card and counter, another record
		must(t, "put a duplicate", s.PutCleared(ctx, []purse.Cleared{dup, rec(3, 1, 3)}))
		got, ok, err := s.ClearedRecord(ctx, "epc_c", 0)
		must(t, "read", err)
		if !ok || got != rec(0, 1, 0) {
			t.Fatalf("counter 0 is %+v, want the first record", got)
		}
		h, ok, err := s.HighestCleared(ctx, "epc_c")
		if err != nil || !ok || h != 149 {
			t.Fatalf("highest %d ok %v err %v, want 149", h, ok, err)
		}
		last, ok, err := s.LastClearedAt(ctx, "epc_c", [6]byte{0, 0, 0, 0, 0, 2})
		if err != nil || !ok || last != rec(149, 2, 149) {
			t.Fatalf("last at terminal 2: %+v ok %v err %v", last, ok, err)
		}
		if _, ok, _ := s.LastClearedAt(ctx, "epc_c", [6]byte{7}); ok {
			t.Fatal("a last record at a terminal that cleared none")
		}
		ctrs, err := s.ClearedCounters(ctx, "epc_c")
		must(t, "counters", err)
		if len(ctrs) != 149 || slices.Contains(ctrs, 4) || !slices.IsSorted(ctrs) {
			t.Fatalf("%d counters, 4 in them: %v", len(ctrs), slices.Contains(ctrs, 4))
		}
	})
}
