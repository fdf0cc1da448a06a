package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/ewallet/ewallet/wallet"
)

// testCard is a card of user, created at wat(d).
func testCard(id, user string, d time.Duration) wallet.Card {
	fp, ct, wk := hash32(1), hash32(2), hash32(3)
	return wallet.Card{ID: id, UserID: user, Brand: "visa", Last4: "4242", ExpMonth: 12, ExpYear: 2030,
		Holder: "ALICE LI", Fingerprint: fp[:], Ciphertext: ct[:20], WrappedKey: wk[:], KeyID: "k1", CreatedAt: wat(d)}
}

func testCards(t *testing.T, open walletOpener) {
	s := open(t)
	ctx := t.Context()
	c1, c2, c3 := testCard("crd_1", "usr_a", 0), testCard("crd_2", "usr_a", 2*time.Second), testCard("crd_3", "usr_a", time.Second)
	c3.Brand, c3.Last4 = "mastercard", "4444"
	other := testCard("crd_4", "usr_b", 3*time.Second)
	for _, c := range []wallet.Card{c1, c2, c3, other} {
		must(t, "create card "+c.ID, s.CreateCard(ctx, c))
	}
	cards := func(user string) []wallet.Card {
		t.Helper()
		cs, err := s.Cards(ctx, user)
		must(t, "cards", err)
		return append([]wallet.Card{}, cs...)
	}
	same(t, "newest first", cards("usr_a"), []wallet.Card{c2, c3, c1})
	same(t, "no cards", cards("usr_none"), []wallet.Card{})
	got, err := s.Card(ctx, "usr_a", c1.ID)
	must(t, "card", err)
	same(t, "card", got, c1)

	t.Run("OtherUsersCard", func(t *testing.T) {
		_, err := s.Card(ctx, "usr_b", c1.ID)
		wantWalletCode(t, "Card", err, wallet.CodeNotFound)
		wantWalletCode(t, "DeleteCard", s.DeleteCard(ctx, "usr_b", c1.ID), wallet.CodeNotFound)
		_, err = s.Card(ctx, "usr_a", "crd_none")
		wantWalletCode(t, "unknown card", err, wallet.CodeNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		must(t, "delete", s.DeleteCard(ctx, "usr_a", c2.ID))
		same(t, "after delete", cards("usr_a"), []wallet.Card{c3, c1})
		_, err := s.Card(ctx, "usr_a", c2.ID)
		wantWalletCode(t, "deleted card", err, wallet.CodeNotFound)
		wantWalletCode(t, "delete again", s.DeleteCard(ctx, "usr_a", c2.ID), wallet.CodeNotFound)
		same(t, "other user's cards", cards("usr_b"), []wallet.Card{other})
	})
}

// testBankOp is a created top-up by user with idempotency key key.
func testBankOp(id, user, key string, d time.Duration) wallet.BankOp {
	return wallet.BankOp{ID: id, Kind: wallet.OpTopup, UserID: user, CardID: "crd_1", Amount: 12345, Currency: "CNY",
		Status: wallet.OpCreated, IdemKey: key, RequestID: "req_" + id, CreatedAt: wat(d), UpdatedAt: wat(d)}
}

func testBankOps(t *testing.T, open walletOpener) {
	t.Run("CreateIdempotent", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		op := testBankOp("top_1", "usr_a", "k1", 0)
		got, created, err := s.CreateBankOp(ctx, op)
		must(t, "create", err)
		if !created {
			t.Error("first create: created = false")
		}
		same(t, "created", got, op)
		retry := testBankOp("top_2", "usr_a", "k1", time.Second)
		retry.Kind, retry.Amount = wallet.OpWithdrawal, 99
		got, created, err = s.CreateBankOp(ctx, retry)
		must(t, "create again", err)
		if created {
			t.Error("same key: created = true")
		}
		same(t, "same key returns the first", got, op)
		_, err = s.BankOp(ctx, retry.ID)
		wantWalletCode(t, "the retry's ID", err, wallet.CodeNotFound)
		byB := testBankOp("top_3", "usr_b", "k1", 0)
		got, created, err = s.CreateBankOp(ctx, byB)
		if err != nil || !created {
			t.Fatalf("same key, other user: created %v, error %v", created, err)
		}
		same(t, "other user", got, byB)
		got, err = s.BankOp(ctx, op.ID)
		must(t, "bank op", err)
		same(t, "stored", got, op)
	})

	t.Run("SetStatus", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		op := testBankOp("wdr_1", "usr_a", "k1", 0)
		op.Kind = wallet.OpWithdrawal
		_, _, err := s.CreateBankOp(ctx, op)
		must(t, "create", err)
		move := func(from, to wallet.OpStatus, code string, d time.Duration, want bool) {
			t.Helper()
			ok, err := s.SetBankOpStatus(ctx, op.ID, from, to, code, wat(d))
			must(t, "set status", err)
			if ok != want {
				t.Errorf("%s → %s: %v, want %v", from, to, ok, want)
			}
			if ok {
				op.Status, op.FailureCode, op.UpdatedAt = to, code, wat(d)
			}
			got, err := s.BankOp(ctx, op.ID)
			must(t, "bank op", err)
			same(t, fmt.Sprintf("after %s → %s", from, to), got, op)
		}
		move(wallet.OpCreated, wallet.OpPending, "", time.Second, true)
		move(wallet.OpCreated, wallet.OpSucceeded, "", 2*time.Second, false) // no longer created
		move(wallet.OpPending, wallet.OpFailed, "card_declined", 3*time.Second, true)
		move(wallet.OpPending, wallet.OpSucceeded, "", 4*time.Second, false)
		_, err = s.SetBankOpStatus(ctx, "wdr_none", wallet.OpCreated, wallet.OpPending, "", wat(0))
		wantWalletCode(t, "unknown operation", err, wallet.CodeNotFound)
	})

	t.Run("Open", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		var ops []wallet.BankOp
		for i, st := range []wallet.OpStatus{wallet.OpPending, wallet.OpSucceeded, wallet.OpCreated, wallet.OpFailed, wallet.OpCreated} {
			// Created newest-first by ID, so the order checked is by time.
			op := testBankOp(fmt.Sprintf("top_%d", 9-i), "usr_a", fmt.Sprintf("k%d", i), time.Duration(i)*time.Second)
			op.Status = st
			_, _, err := s.CreateBankOp(ctx, op)
			must(t, "create", err)
			ops = append(ops, op)
		}
		openOps := func(limit int) []wallet.BankOp {
			t.Helper()
			got, err := s.OpenBankOps(ctx, limit)
			must(t, "open bank ops", err)
			return append([]wallet.BankOp{}, got...)
		}
		same(t, "open, oldest first", openOps(10), []wallet.BankOp{ops[0], ops[2], ops[4]})
		same(t, "limit 2", openOps(2), []wallet.BankOp{ops[0], ops[2]})
		ok, err := s.SetBankOpStatus(ctx, ops[0].ID, wallet.OpPending, wallet.OpSucceeded, "", wat(time.Minute))
		if err != nil || !ok {
			t.Fatalf("finish: %v %v", ok, err)
		}
		same(t, "after one finished", openOps(10), []wallet.BankOp{ops[2], ops[4]})
	})
}

func testAnswers(t *testing.T, open walletOpener) {
	t.Run("FirstWins", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		_, err := s.Answer(ctx, "usr_a", "k1")
		wantWalletCode(t, "no answer", err, wallet.CodeNotFound)
		first := wallet.Answer{Principal: "usr_a", Key: "k1", Fingerprint: hash32(1), Status: 201, Body: []byte(`{"id":"top_1"}`), CreatedAt: wat(0)}
		got, err := s.PutAnswer(ctx, first)
		must(t, "put", err)
		same(t, "first put", got, first)
		second := wallet.Answer{Principal: "usr_a", Key: "k1", Fingerprint: hash32(2), Status: 400, Body: []byte(`{}`), CreatedAt: wat(time.Second)}
		got, err = s.PutAnswer(ctx, second)
		must(t, "put again", err)
		same(t, "second put returns the first", got, first)
		got, err = s.Answer(ctx, "usr_a", "k1")
		must(t, "answer", err)
		same(t, "stored", got, first)
		other := second
		other.Principal = "usr_b"
		got, err = s.PutAnswer(ctx, other)
		must(t, "put other principal", err)
		same(t, "same key, other principal", got, other)
	})

	t.Run("DeleteBefore", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		for i := range 5 {
			a := wallet.Answer{Principal: "usr_a", Key: fmt.Sprintf("k%d", i), Fingerprint: hash32(byte(i)), Status: 200, Body: []byte("{}"), CreatedAt: wat(time.Duration(i) * time.Hour)}
			_, err := s.PutAnswer(ctx, a)
			must(t, "put", err)
		}
		n, err := s.DeleteAnswersBefore(ctx, wat(2*time.Hour))
		must(t, "delete", err)
		if n != 2 {
			t.Errorf("deleted %d, want 2", n)
		}
		for i := range 5 {
			_, err := s.Answer(ctx, "usr_a", fmt.Sprintf("k%d", i))
			if kept := err == nil; kept != (i >= 2) {
				t.Errorf("answer k%d: error %v", i, err)
			}
		}
		n, err = s.DeleteAnswersBefore(ctx, wat(2*time.Hour))
		if err != nil || n != 0 {
			t.Errorf("delete again: %d, %v; want 0", n, err)
		}
	})
}

func testAudit(t *testing.T, open walletOpener) {
	s := open(t)
	ctx := t.Context()
	var want []wallet.AuditEvent
	for i, action := range []string{"register", "login", "pin_failed", "freeze"} {
		e := wallet.AuditEvent{UserID: "usr_a", Action: action, Detail: fmt.Sprintf("detail %d", i), IP: "203.0.113.7",
			RequestID: fmt.Sprintf("req_%d", i), Time: wat(time.Duration(i) * time.Second)}
		must(t, "audit", s.Audit(ctx, e))
		must(t, "audit other user", s.Audit(ctx, wallet.AuditEvent{UserID: "usr_b", Action: "login", Time: wat(0)}))
		want = append([]wallet.AuditEvent{e}, want...) // newest first
	}
	got, err := s.AuditEvents(ctx, "usr_a", 10)
	must(t, "audit events", err)
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(got), len(want), got)
	}
	for i := range got {
		if got[i].ID <= 0 || (i > 0 && got[i].ID >= got[i-1].ID) {
			t.Errorf("event %d: ID %d after %d, want positive and descending", i, got[i].ID, got[max(i-1, 0)].ID)
		}
		want[i].ID = got[i].ID
	}
	same(t, "events", got, want)
	got, err = s.AuditEvents(ctx, "usr_a", 2)
	must(t, "audit events", err)
	same(t, "limit 2", got, want[:2])
	got, err = s.AuditEvents(ctx, "usr_none", 10)
	if err != nil || len(got) != 0 {
		t.Errorf("unknown user: %+v, %v", got, err)
	}
}

func testWalletTimes(t *testing.T, open walletOpener) {
	s := open(t)
	ctx := t.Context()
	// A time in another zone comes back as the same instant in UTC; one
	// before 1970 and the zero time survive too.
	shanghai := time.FixedZone("CST", 8*3600)
	in := wallet.Session{TokenHash: hash32(1), UserID: "usr_a", CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, shanghai),
		ExpiresAt: time.Date(1969, 7, 20, 20, 17, 40, 123456789, time.UTC)}
	must(t, "create session", s.CreateSession(ctx, in))
	got, err := s.Session(ctx, in.TokenHash)
	must(t, "session", err)
	want := in
	want.CreatedAt = in.CreatedAt.UTC()
	same(t, "session", got, want)
	u := testUser(1)
	mustCreateUser(t, s, u)
	gotU, err := s.User(ctx, u.ID)
	must(t, "user", err)
	if !gotU.PIN.LockedUntil.IsZero() || gotU.CreatedAt != u.CreatedAt {
		t.Errorf("user times: locked until %v, created %v; want zero and %v", gotU.PIN.LockedUntil, gotU.CreatedAt, u.CreatedAt)
	}
}
